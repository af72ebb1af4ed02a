package dev.anewb.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.model.DType;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code .safetensors} file, memory-mapped whole (no 2 GiB limit) and validated the way the reference
 * implementation validates it: header length inside the file and at most 100 MB, a JSON object header, known
 * dtypes, non-negative shapes, offsets that tile the data area exactly and match shape × dtype size.
 */
public final class SafetensorsFile implements WeightSource {
    /** The reference implementation's limit (safetensors MAX_HEADER_SIZE). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    // Duplicate keys are an error, as in the reference (serde) parser, not last-one-wins.
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** One header entry: where its bytes are, relative to the start of the data area. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) { }

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, Entry> entries,
                            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw AnewbException.file(path, "file is " + size
                    + " bytes, too short for the 8-byte header length");
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            // n is unsigned on disk: a negative long is a length above 2^63.
            if (n < 0 || n > size - 8) {
                throw AnewbException.file(path, "header length " + Long.toUnsignedString(n)
                        + " is larger than the file ("
                        + size + " bytes)");
            }
            if (n > MAX_HEADER_BYTES) {
                throw AnewbException.file(path, "header length " + n + " exceeds the " + MAX_HEADER_BYTES
                        + "-byte limit");
            }
            byte[] headerBytes = file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            Header h = parseHeader(path, headerBytes, size - 8 - n);
            MemorySegment dataArea = file.asSlice(8 + n);
            return new SafetensorsFile(path, arena, dataArea, h.entries, h.metadata);
        } catch (IOException e) {
            arena.close();
            throw AnewbException.file(path, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private record Header(Map<String, Entry> entries, Map<String, String> metadata) { }

    private static Header parseHeader(Path path, byte[] bytes, long dataBytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw AnewbException.file(path, "header is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw AnewbException.file(path, "header is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw AnewbException.file(path, "header is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw AnewbException.file(path, "header is not a JSON object");

        Map<String, String> metadata = Map.of();
        List<Entry> list = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                metadata = parseMetadata(path, v);
                continue;
            }
            list.add(parseEntry(path, name, v));
        }

        // Sorted by offset, the tensors must tile the data area exactly: no gaps, no overlaps, nothing left over.
        list.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : list) {
            if (e.begin != expected) {
                throw AnewbException.file(path, "tensor '" + e.name + "' data_offsets [" + e.begin + ", " + e.end + "] "
                        + (e.begin < expected ? "overlap the previous tensor" : "leave a gap")
                        + " (expected it to start at " + expected + ")");
            }
            long claimed = byteSize(path, e.name, e.dtype, e.shape);
            if (e.end - e.begin != claimed) {
                throw AnewbException.file(path, "tensor '" + e.name + "' claims shape " + Arrays.toString(e.shape) + " "
                        + e.dtype + " = " + claimed + " bytes but its offsets span " + (e.end - e.begin));
            }
            expected = e.end;
        }
        if (expected != dataBytes) {
            throw AnewbException.file(path, "the tensors cover " + expected
                    + " bytes but the data area after the header is "
                    + dataBytes + " bytes");
        }
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : list) byName.put(e.name, e);
        return new Header(Collections.unmodifiableMap(byName), metadata);
    }

    private static Map<String, String> parseMetadata(Path path, JsonNode v) {
        if (v.isNull()) return Map.of();
        if (!v.isObject()) throw AnewbException.file(path, "__metadata__ is not a JSON object of strings");
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isTextual()) {
                throw AnewbException.file(path, "__metadata__ value of '" + f.getKey() + "' is not a string");
            }
            m.put(f.getKey(), f.getValue().textValue());
        }
        return Collections.unmodifiableMap(m);
    }

    private static Entry parseEntry(Path path, String name, JsonNode v) {
        String where = "tensor '" + name + "'";
        if (!v.isObject()) throw AnewbException.file(path, where + " is not a JSON object");
        JsonNode dt = v.get("dtype");
        if (dt == null || !dt.isTextual()) throw AnewbException.file(path, where + " has no dtype");
        DType dtype = DType.fromSafetensors(dt.textValue());
        if (dtype == null || !dt.textValue().equals(dtype.name())) {
            throw AnewbException.file(path, where + " has unknown dtype '" + dt.textValue() + "'");
        }
        JsonNode sh = v.get("shape");
        if (sh == null || !sh.isArray()) throw AnewbException.file(path, where + " has no shape array");
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw AnewbException.file(path, where + " has shape " + sh
                        + " with a dimension that is not a non-negative integer");
            }
            shape[i] = d.longValue();
        }
        JsonNode off = v.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw AnewbException.file(path, where + " has no data_offsets [begin, end]");
        }
        for (JsonNode o : off) {
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0) {
                throw AnewbException.file(path, where + " has data_offsets " + off
                        + " that are not non-negative integers");
            }
        }
        long begin = off.get(0).longValue(), end = off.get(1).longValue();
        if (end < begin) throw AnewbException.file(path, where + " has data_offsets [" + begin + ", " + end
                + "] with end before begin");
        return new Entry(name, dtype, shape, begin, end);
    }

    /** product(shape) × dtype size, refusing shapes whose byte count overflows a long. */
    static long byteSize(Path path, String name, DType dtype, long[] shape) {
        try {
            long n = dtype.bytes();
            for (long d : shape) n = Math.multiplyExact(n, d);
            return n;
        } catch (ArithmeticException e) {
            throw AnewbException.file(path, "tensor '" + name + "' claims shape " + Arrays.toString(shape)
                    + " whose byte size overflows 64 bits");
        }
    }

    public Map<String, String> metadata() { return metadata; }

    /** Header entries in data order. */
    public Map<String, Entry> entries() { return entries; }

    @Override public Set<String> names() { return entries.keySet(); }

    @Override
    public TensorData get(String name) {
        Entry e = entries.get(name);
        if (e == null) throw missing(name);
        return new TensorData(name, e.dtype, e.shape.clone(), data.asSlice(e.begin, e.end - e.begin));
    }

    @Override public Path origin() { return path; }

    @Override public void close() { arena.close(); }
}
