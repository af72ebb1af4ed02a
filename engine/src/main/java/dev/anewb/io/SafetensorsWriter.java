package dev.anewb.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.anewb.AnewbException;
import dev.anewb.model.DType;
import dev.anewb.model.TensorData;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes a {@code .safetensors} file laid out exactly as the Python/Rust writer lays it out: compact JSON header
 * with {@code __metadata__} first, tensors ordered by dtype (widest first, in the reference's enum order) then
 * name, header padded with spaces to a multiple of 8. Writes a temp file beside the target, then renames it.
 */
public final class SafetensorsWriter {
    private final Map<String, Entry> tensors = new LinkedHashMap<>();

    /** A tensor to write: its bytes come from {@code data} when the writer reaches it. */
    private record Entry(String name, DType dtype, long[] shape, long bytes, Supplier<MemorySegment> data) { }
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter metadata(Map<String, String> m) {
        metadata.putAll(m);
        return this;
    }

    public SafetensorsWriter add(TensorData t) {
        long need = bytesOf(t.name(), t.dtype(), t.shape());
        if (t.data().byteSize() != need) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' shape " + Arrays.toString(t.shape()) + " "
                    + t.dtype() + " needs " + need + " bytes, got " + t.data().byteSize());
        }
        return put(new Entry(t.name(), t.dtype(), t.shape().clone(), need, t::data));
    }

    private static long bytesOf(String name, DType dtype, long[] shape) {
        long need = dtype.bytes();
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension "
                    + Arrays.toString(shape));
            need = Math.multiplyExact(need, d);
        }
        return need;
    }

    private SafetensorsWriter put(Entry e) {
        if (e.name().equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved");
        if (tensors.putIfAbsent(e.name(), e) != null) throw new IllegalArgumentException("duplicate tensor '"
                + e.name() + "'");
        return this;
    }

    public SafetensorsWriter add(String name, DType dtype, long[] shape, MemorySegment bytes) {
        return add(new TensorData(name, dtype, shape.clone(), bytes));
    }

    /**
     * A tensor whose bytes {@code data} produces when the writer reaches it, so a file of many gigabytes is written
     * with one tensor in memory at a time; {@code data} must return exactly the bytes the shape and dtype need.
     */
    public SafetensorsWriter addGenerated(String name, DType dtype, long[] shape, Supplier<MemorySegment> data) {
        return put(new Entry(name, dtype, shape.clone(), bytesOf(name, dtype, shape), data));
    }

    public SafetensorsWriter addFloats(String name, long[] shape, float[] values) {
        return add(TensorData.ofFloats(name, values, shape.clone()));
    }

    /** Raw 16-bit values (F16, BF16 or I16 bit patterns), stored little-endian. */
    public SafetensorsWriter addShorts(String name, DType dtype, long[] shape, short[] values) {
        if (dtype.bytes() != 2) throw new IllegalArgumentException(dtype + " is not a 16-bit type");
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        for (int i = 0; i < values.length; i++) seg.set(LE_SHORT, 2L * i, values[i]);
        return add(name, dtype, shape, seg);
    }

    public SafetensorsWriter addBytes(String name, DType dtype, long[] shape, byte[] values) {
        return add(name, dtype, shape, MemorySegment.ofArray(values));
    }

    private static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Rank in the reference writer's Dtype enum; the writer sorts by it descending, then by name. */
    static int referenceRank(DType d) {
        return switch (d) {
            case BOOL -> 0;
            case U8 -> 1;
            case I8 -> 2;
            case F8_E5M2 -> 3;
            case F8_E4M3 -> 4;
            case I16 -> 5;
            case F16 -> 6;
            case BF16 -> 7;
            case I32 -> 8;
            case F32 -> 9;
            case F64 -> 10;
            case I64 -> 11;
        };
    }

    /** Tensors in the order they are written. */
    private List<Entry> ordered() {
        List<Entry> list = new ArrayList<>(tensors.values());
        list.sort(Comparator.comparingInt((Entry t) -> -referenceRank(t.dtype())).thenComparing(Entry::name));
        return list;
    }

    /** The header bytes including the 8-byte length prefix and the space padding. */
    byte[] header() {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(json)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (var e : metadata.entrySet()) g.writeStringField(e.getKey(), e.getValue());
                g.writeEndObject();
            }
            long offset = 0;
            for (Entry t : ordered()) {
                long n = t.bytes();
                g.writeObjectFieldStart(t.name());
                g.writeStringField("dtype", t.dtype().name());
                g.writeArrayFieldStart("shape");
                for (long d : t.shape()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + n);
                g.writeEndArray();
                g.writeEndObject();
                offset += n;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int len = json.size();
        int padded = len + (8 - len % 8) % 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(json.toByteArray());
        while (b.hasRemaining()) b.put((byte) ' ');
        return b.array();
    }

    public void write(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = AtomicFiles.tempBeside(target);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, ByteBuffer.wrap(header()));
                for (Entry t : ordered()) {
                    MemorySegment seg = t.data().get();
                    if (seg.byteSize() != t.bytes()) {
                        throw new IllegalStateException("tensor '" + t.name() + "' produced " + seg.byteSize()
                                + " bytes, not "
                                + t.bytes());
                    }
                    // Chunks keep each ByteBuffer view under 2 GiB whatever the tensor size.
                    long chunk = 1L << 26;
                    for (long off = 0; off < seg.byteSize(); off += chunk) {
                        writeFully(ch, seg.asSlice(off, Math.min(chunk, seg.byteSize() - off)).asByteBuffer());
                    }
                }
                ch.force(true);
            }
            AtomicFiles.moveReplacing(tmp, target);
        } catch (IOException e) {
            throw AnewbException.file(target, "cannot write: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // A leftover hidden temp file is harmless; the real error (if any) is already on its way.
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
