package dev.anewb.convert.coreml;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a protobuf message by field numbers alone (protobuf-java's {@link UnknownFieldSet}), so the tests check the
 * written model spec against Model.proto / MIL.proto numbers without sharing any code with the writer.
 */
record ProtoFields(UnknownFieldSet fields) {
    static ProtoFields parse(byte[] bytes) {
        try {
            return new ProtoFields(UnknownFieldSet.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not a protobuf message: " + e.getMessage(), e);
        }
    }

    static ProtoFields parse(ByteString bytes) {
        return parse(bytes.toByteArray());
    }

    long varint(int field) {
        List<Long> v = fields.getField(field).getVarintList();
        return v.isEmpty() ? 0 : v.getLast();
    }

    List<ProtoFields> messages(int field) {
        List<ProtoFields> out = new ArrayList<>();
        for (ByteString b : fields.getField(field).getLengthDelimitedList()) out.add(parse(b));
        return out;
    }

    ProtoFields message(int field) {
        List<ProtoFields> m = messages(field);
        if (m.isEmpty()) throw new AssertionError("no field " + field);
        return m.getLast();
    }

    boolean has(int field) {
        return fields.hasField(field);
    }

    String string(int field) {
        List<ByteString> v = fields.getField(field).getLengthDelimitedList();
        return v.isEmpty() ? "" : v.getLast().toString(StandardCharsets.UTF_8);
    }

    List<String> strings(int field) {
        List<String> out = new ArrayList<>();
        for (ByteString b : fields.getField(field).getLengthDelimitedList()) {
            out.add(b.toString(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** A map&lt;string, string&gt; field's value for this key, or null. */
    String mapString(int field, String key) {
        for (ProtoFields e : messages(field)) if (e.string(1).equals(key)) return e.string(2);
        return null;
    }

    /** A proto3 map field's entry with this key: its value message (entry fields: key 1, value 2). */
    ProtoFields mapValue(int field, String key) {
        for (ProtoFields e : messages(field)) if (e.string(1).equals(key)) return e.message(2);
        return null;
    }
}
