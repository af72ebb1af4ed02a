package dev.anewb.convert.coreml;

import com.google.protobuf.CodedOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * One protobuf message in the wire format, written field by field with {@link CodedOutputStream} (no generated
 * classes). Nested messages are built first and embedded as length-delimited bytes, so every length is known when
 * it is written. The model spec holds no weights (they live in weight.bin), so building it in memory is cheap.
 */
final class ProtoMessage {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CodedOutputStream out = CodedOutputStream.newInstance(bytes, 256);

    ProtoMessage int32(int field, int v) {
        return write(() -> out.writeInt32(field, v));
    }

    ProtoMessage int64(int field, long v) {
        return write(() -> out.writeInt64(field, v));
    }

    ProtoMessage uint64(int field, long v) {
        return write(() -> out.writeUInt64(field, v));
    }

    ProtoMessage bool(int field, boolean v) {
        return write(() -> out.writeBool(field, v));
    }

    ProtoMessage string(int field, String v) {
        return write(() -> out.writeByteArray(field, v.getBytes(StandardCharsets.UTF_8)));
    }

    ProtoMessage bytes(int field, byte[] v) {
        return write(() -> out.writeByteArray(field, v));
    }

    ProtoMessage message(int field, ProtoMessage m) {
        return bytes(field, m.toByteArray());
    }

    /** An empty message as a field (a oneof case without fields, e.g. an unknown dimension). */
    ProtoMessage emptyMessage(int field) {
        return bytes(field, new byte[0]);
    }

    /** A proto3 map entry: key 1, value 2. */
    ProtoMessage mapEntry(int field, String key, ProtoMessage value) {
        return message(field, new ProtoMessage().string(1, key).message(2, value));
    }

    ProtoMessage mapEntry(int field, String key, String value) {
        return message(field, new ProtoMessage().string(1, key).string(2, value));
    }

    ProtoMessage packedInt64(int field, long[] v) {
        ProtoMessage p = new ProtoMessage();
        for (long x : v) p.write(() -> p.out.writeInt64NoTag(x));
        return bytes(field, p.toByteArray());
    }

    ProtoMessage packedInt32(int field, int[] v) {
        ProtoMessage p = new ProtoMessage();
        for (int x : v) p.write(() -> p.out.writeInt32NoTag(x));
        return bytes(field, p.toByteArray());
    }

    ProtoMessage packedFloats(int field, float[] v) {
        ProtoMessage p = new ProtoMessage();
        for (float x : v) p.write(() -> p.out.writeFloatNoTag(x));
        return bytes(field, p.toByteArray());
    }

    ProtoMessage packedBools(int field, boolean[] v) {
        ProtoMessage p = new ProtoMessage();
        for (boolean x : v) p.write(() -> p.out.writeBoolNoTag(x));
        return bytes(field, p.toByteArray());
    }

    byte[] toByteArray() {
        write(out::flush);
        return bytes.toByteArray();
    }

    private interface Field { void write() throws IOException; }

    private ProtoMessage write(Field f) {
        try {
            f.write();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return this;
    }
}
