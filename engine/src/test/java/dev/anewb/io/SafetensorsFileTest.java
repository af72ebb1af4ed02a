package dev.anewb.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.model.DType;
import dev.anewb.model.TensorData;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsFileTest {
    @TempDir Path tmp;

    @Test
    void readsFixtureWeightsWithMetadataAndShapes() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.fixture("bert-tiny/model.safetensors"))) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            TensorData pos = f.get("embeddings.position_embeddings.weight");
            assertArrayEquals(new long[] {512, 64}, pos.shape());
            assertEquals(DType.F32, pos.dtype());
            assertTrue(f.contains("embeddings.LayerNorm.weight"));
            AnewbException e = assertThrows(AnewbException.class, () -> f.get("nope"));
            assertTrue(e.getMessage().contains("model.safetensors: no tensor named 'nope'"), e.getMessage());
        }
    }

    /** bert-tiny's batch holds the same three sentences as minilm/reference.json's token_ids, padded with 0. */
    @Test
    void integerTensorsMatchTheTokenIdsInReferenceJson() throws IOException {
        JsonNode ids = new ObjectMapper().readTree(Fixtures.fixture("minilm/reference.json").toFile()).get("token_ids");
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.fixture("bert-tiny/reference.safetensors"))) {
            TensorData t = f.get("input_ids"), mask = f.get("attention_mask");
            assertEquals(DType.I64, t.dtype());
            assertEquals(ids.size(), t.dim(0));
            int seq = t.dim(1);
            for (int b = 0; b < ids.size(); b++) {
                for (int s = 0; s < seq; s++) {
                    boolean real = s < ids.get(b).size();
                    assertEquals(real ? ids.get(b).get(s).asLong() : 0L, t.getLong((long) b * seq + s));
                    assertEquals(real ? 1L : 0L, mask.getLong((long) b * seq + s));
                }
            }
        }
    }

    /** Re-writing a file that Python wrote must give the same bytes: header JSON, key order, padding, data order. */
    @ParameterizedTest
    @ValueSource(strings = {"bert-tiny/model.safetensors", "bert-tiny/reference.safetensors",
            "vit-tiny/reference.safetensors"})
    void rewriteIsByteIdenticalToThePythonWriter(String fixture) throws IOException {
        Path src = Fixtures.fixture(fixture);
        Path out = tmp.resolve("out.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (String n : f.names()) w.add(f.get(n));
            w.write(out);
        }
        byte[] expected = Files.readAllBytes(src), actual = Files.readAllBytes(out);
        long n = ByteBuffer.wrap(actual).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        assertEquals(new String(expected, 8, (int) n, StandardCharsets.UTF_8),
                new String(actual, 8, (int) n, StandardCharsets.UTF_8));
        assertArrayEquals(expected, actual);
        try (var leftovers = Files.list(tmp)) {
            assertEquals(1, leftovers.count(), "no temp file left behind");
        }
    }

    @Test
    void roundTripsEveryDtype() {
        Path p = tmp.resolve("all.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .addFloats("f32", new long[] {2, 2}, new float[] {1.5f, -2f, 0f, 3.25f})
                .addShorts("f16", DType.F16, new long[] {2}, new short[] {(short) 0x3C00, (short) 0xC000}) // 1, -2
                .addShorts("bf16", DType.BF16, new long[] {2}, new short[] {(short) 0x3F80, (short) 0x4040}) // 1, 3
                .addShorts("i16", DType.I16, new long[] {1}, new short[] {-7})
                .addBytes("i8", DType.I8, new long[] {2}, new byte[] {-3, 5})
                .addBytes("u8", DType.U8, new long[] {1}, new byte[] {(byte) 200})
                .addBytes("bool", DType.BOOL, new long[] {2}, new byte[] {0, 1})
                .addBytes("e4m3", DType.F8_E4M3, new long[] {2}, new byte[] {0x38, (byte) 0xC0}) // 1, -2
                .addBytes("e5m2", DType.F8_E5M2, new long[] {1}, new byte[] {0x3C}) // 1
                .addBytes("i32", DType.I32, new long[] {1}, le(4, -123456))
                .addBytes("i64", DType.I64, new long[] {1}, le(8, 1L << 40))
                .addBytes("f64", DType.F64, new long[] {1}, le(8, Double.doubleToLongBits(0.125)))
                .addFloats("scalar", new long[] {}, new float[] {42f})
                .addFloats("empty", new long[] {0, 3}, new float[0])
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(14, f.names().size());
            assertArrayEquals(new float[] {1.5f, -2f, 0f, 3.25f}, f.get("f32").toFloatArray());
            assertArrayEquals(new float[] {1f, -2f}, f.get("f16").toFloatArray());
            assertArrayEquals(new float[] {1f, 3f}, f.get("bf16").toFloatArray());
            assertArrayEquals(new float[] {-7f}, f.get("i16").toFloatArray());
            assertArrayEquals(new float[] {-3f, 5f}, f.get("i8").toFloatArray());
            assertArrayEquals(new float[] {200f}, f.get("u8").toFloatArray());
            assertArrayEquals(new float[] {0f, 1f}, f.get("bool").toFloatArray());
            assertArrayEquals(new float[] {1f, -2f}, f.get("e4m3").toFloatArray());
            assertArrayEquals(new float[] {1f}, f.get("e5m2").toFloatArray());
            assertEquals(-123456L, f.get("i32").getLong(0));
            assertEquals(1L << 40, f.get("i64").getLong(0));
            assertEquals(0.125f, f.get("f64").getFloat(0));
            assertEquals(42f, f.get("scalar").getFloat(0));
            assertEquals(0, f.get("empty").elementCount());
            // Reference writer order: widest dtype first (I64, F64, F32, ...), then by name.
            assertEquals("i64", f.entries().keySet().iterator().next());
        }
    }

    private static byte[] le(int n, long v) {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        if (n == 4) b.putInt((int) v); else b.putLong(v);
        return b.array();
    }

    /** A file with a 2^31 + 8 byte tensor, sparse on disk, must map and read past the 2 GiB mark. */
    @Test
    void mapsFilesLargerThanTwoGigabytes() throws IOException {
        long elements = (1L << 29) + 2; // F32: 2^31 + 8 bytes
        String json = "{\"big\":{\"dtype\":\"F32\",\"shape\":[" + elements + "],\"data_offsets\":[0," + elements * 4
                + "]}}";
        byte[] header = pad(json);
        Path p = tmp.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(lengthPrefix(header.length));
            raf.write(header);
            raf.setLength(8 + header.length + elements * 4);
            raf.seek(8 + header.length + (elements - 1) * 4);
            raf.write(le(4, Float.floatToIntBits(7.5f)));
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            TensorData t = f.get("big");
            assertEquals(elements, t.elementCount());
            assertEquals(7.5f, t.getFloat(elements - 1));
            assertEquals(0f, t.getFloat(elements - 2));
        }
    }

    private static byte[] pad(String json) {
        StringBuilder sb = new StringBuilder(json);
        while (sb.length() % 8 != 0) sb.append(' ');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] lengthPrefix(long n) { return le(8, n); }

    private Path file(long headerLength, byte[] header, int dataBytes) throws IOException {
        Path p = tmp.resolve("bad.safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(header);
        Files.write(p, b.array());
        return p;
    }

    private Path file(String json, int dataBytes) throws IOException {
        byte[] h = pad(json);
        return file(h.length, h, dataBytes);
    }

    private static void assertRefused(Path p, String expectedPart) {
        AnewbException e = assertThrows(AnewbException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedPart), () -> "message '" + e.getMessage() + "' lacks '"
                + expectedPart + "'");
    }

    @Test
    void refusesMalformedFilesWithSpecificMessages() throws IOException {
        Path shortFile = tmp.resolve("short.safetensors");
        Files.write(shortFile, new byte[] {1, 2, 3});
        assertRefused(shortFile, "too short");
        assertRefused(file(4611686018427387904L, pad("{}"), 0),
                "header length 4611686018427387904 is larger than the file (16 bytes)");
        assertRefused(file(-1L, pad("{}"), 0), "header length 18446744073709551615 is larger than the file");
        assertRefused(file("[1,2]", 0), "header is not a JSON object");
        assertRefused(file("{\"a\":", 0), "header is not valid JSON");
        assertRefused(file(8, new byte[] {'{', (byte) 0xff, '}', ' ', ' ', ' ', ' ', ' '}, 0), "not valid UTF-8");
        assertRefused(file("{\"x\":{\"dtype\":\"F4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
                "tensor 'x' has unknown dtype 'F4'");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                "not a non-negative integer");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4),
                "not a non-negative integer");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                "tensor 'x' claims shape [3] F32 = 12 bytes but its offsets span 8");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4),
                "overflows 64 bits");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "leave a gap");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "overlap");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12),
                "the tensors cover 4 bytes but the data area after the header is 12 bytes");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0), "data area");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 4), "end before begin");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "no data_offsets");
        assertRefused(file("{\"__metadata__\":{\"a\":1}}", 0), "__metadata__ value of 'a' is not a string");
        assertRefused(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "Duplicate field 'x'");
    }
}
