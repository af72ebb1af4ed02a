package dev.anewb.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.anewb.AnewbException;
import dev.anewb.model.DType;
import dev.anewb.model.TensorData;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class OnnxWeightsTest {
    static OnnxWeights minilm;
    @TempDir Path tmp;

    @BeforeAll
    static void open() { minilm = OnnxWeights.open(BundledModel.onnxPath()); }

    @AfterAll
    static void close() { if (minilm != null) minilm.close(); }

    /** Every parameter of a 6-layer BERT (hidden 384, intermediate 1536) under its HF name and HF shape. */
    @Test
    void exposesEveryBertWeightUnderItsHuggingFaceName() {
        Map<String, long[]> expected = new LinkedHashMap<>();
        int h = 384, ff = 1536;
        expected.put("embeddings.word_embeddings.weight", new long[] {30522, h});
        expected.put("embeddings.position_embeddings.weight", new long[] {512, h});
        expected.put("embeddings.token_type_embeddings.weight", new long[] {2, h});
        expected.put("embeddings.LayerNorm.weight", new long[] {h});
        expected.put("embeddings.LayerNorm.bias", new long[] {h});
        for (int l = 0; l < 6; l++) {
            String p = "encoder.layer." + l + ".";
            for (String m : new String[] {"query", "key", "value"}) {
                expected.put(p + "attention.self." + m + ".weight", new long[] {h, h});
                expected.put(p + "attention.self." + m + ".bias", new long[] {h});
            }
            expected.put(p + "attention.output.dense.weight", new long[] {h, h});
            expected.put(p + "attention.output.dense.bias", new long[] {h});
            expected.put(p + "attention.output.LayerNorm.weight", new long[] {h});
            expected.put(p + "attention.output.LayerNorm.bias", new long[] {h});
            expected.put(p + "intermediate.dense.weight", new long[] {ff, h});
            expected.put(p + "intermediate.dense.bias", new long[] {ff});
            expected.put(p + "output.dense.weight", new long[] {h, ff});
            expected.put(p + "output.dense.bias", new long[] {h});
            expected.put(p + "output.LayerNorm.weight", new long[] {h});
            expected.put(p + "output.LayerNorm.bias", new long[] {h});
        }
        if (minilm.contains("pooler.dense.weight")) {
            expected.put("pooler.dense.weight", new long[] {h, h});
            expected.put("pooler.dense.bias", new long[] {h});
        }
        for (var e : expected.entrySet()) {
            assertTrue(minilm.contains(e.getKey()), () -> "missing " + e.getKey() + "; have " + minilm.names());
            TensorData t = minilm.get(e.getKey());
            assertArrayEquals(e.getValue(), t.shape(), e.getKey());
            assertEquals(DType.F32, t.dtype(), e.getKey());
        }
        for (String n : minilm.names()) assertFalse(n.startsWith("onnx::"), "unmapped initializer " + n);
    }

    /** HF [out, in] row 0 is ONNX [in, out] column 0. */
    @Test
    void projectionWeightsAreTransposedFromTheMatMulInitializer() {
        String name = "encoder.layer.0.attention.self.query.weight";
        String onnx = minilm.onnxName(name);
        assertTrue(onnx.startsWith("onnx::MatMul_"), onnx);
        TensorData raw = minilm.rawInitializer(onnx), hf = minilm.get(name);
        int in = raw.dim(0), out = raw.dim(1);
        for (int i = 0; i < in; i++) assertEquals(raw.getFloat((long) i * out), hf.getFloat(i));
        // A non-square one rules out a silent no-op on square matrices.
        TensorData rawFf = minilm.rawInitializer(minilm.onnxName("encoder.layer.3.intermediate.dense.weight"));
        TensorData ff = minilm.get("encoder.layer.3.intermediate.dense.weight");
        assertArrayEquals(new long[] {384, 1536}, rawFf.shape());
        for (int o = 0; o < 1536; o += 97) {
            for (int i = 0; i < 384; i += 31) assertEquals(rawFf.getFloat((long) i * 1536 + o),
                    ff.getFloat((long) o * 384 + i));
        }
        assertSame(ff, minilm.get("encoder.layer.3.intermediate.dense.weight"), "transposed copy is made once");
    }

    /** hidden_states.0 = LayerNorm(word[id] + position[p] + token_type[0]), eps 1e-12, against transformers. */
    @Test
    void embeddingsReproduceTheTransformersReference() throws IOException {
        JsonNode ids = new ObjectMapper().readTree(Fixtures.fixture("minilm/reference.json").toFile())
                .get("token_ids").get(0);
        try (SafetensorsFile ref = SafetensorsFile.open(Fixtures.fixture("minilm/reference.safetensors"))) {
            TensorData expected = ref.get("s0.hidden_states.0");
            assertEquals(ids.size(), expected.dim(1));
            TensorData word = minilm.get("embeddings.word_embeddings.weight"),
                    pos = minilm.get("embeddings.position_embeddings.weight");
            TensorData type = minilm.get("embeddings.token_type_embeddings.weight");
            TensorData g = minilm.get("embeddings.LayerNorm.weight"), b = minilm.get("embeddings.LayerNorm.bias");
            int h = 384;
            double maxDiff = 0, maxRef = 0;
            for (int p = 0; p < ids.size(); p++) {
                long id = ids.get(p).asLong();
                double[] x = new double[h];
                double mean = 0;
                for (int i = 0; i < h; i++) {
                    x[i] = (double) word.getFloat(id * h + i) + pos.getFloat((long) p * h + i) + type.getFloat(i);
                    mean += x[i];
                }
                mean /= h;
                double var = 0;
                for (int i = 0; i < h; i++) var += (x[i] - mean) * (x[i] - mean);
                var /= h;
                for (int i = 0; i < h; i++) {
                    double y = (x[i] - mean) / Math.sqrt(var + 1e-12) * g.getFloat(i) + b.getFloat(i);
                    double r = expected.getFloat((long) p * h + i);
                    maxDiff = Math.max(maxDiff, Math.abs(y - r));
                    maxRef = Math.max(maxRef, Math.abs(r));
                }
            }
            assertTrue(maxDiff <= 2e-4 * Math.max(1, maxRef), "max |diff| " + maxDiff + " (max |ref| " + maxRef + ")");
        }
    }

    @Test
    void exposesGraphNodesAndInputs() {
        assertTrue(minilm.graphInputs().contains("input_ids"), minilm.graphInputs().toString());
        assertEquals(36, minilm.nodes().stream().filter(n -> n.opType().equals("MatMul"))
                .filter(n -> n.inputs().get(1).startsWith("onnx::MatMul_")).count());
    }

    // --- malformed files, built with the wire format by hand ---

    private static byte[] tensor(String name, int dataType, long[] dims, byte[] raw) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(bo);
        for (long d : dims) o.writeInt64(1, d);
        o.writeInt32(2, dataType);
        o.writeString(8, name);
        if (raw != null) o.writeBytes(9, ByteString.copyFrom(raw));
        o.flush();
        return bo.toByteArray();
    }

    private static byte[] model(byte[]... initializers) throws IOException {
        ByteArrayOutputStream gb = new ByteArrayOutputStream();
        CodedOutputStream g = CodedOutputStream.newInstance(gb);
        for (byte[] t : initializers) g.writeByteArray(5, t);
        g.flush();
        ByteArrayOutputStream mb = new ByteArrayOutputStream();
        CodedOutputStream m = CodedOutputStream.newInstance(mb);
        m.writeInt64(1, 8);
        m.writeByteArray(7, gb.toByteArray());
        m.flush();
        return mb.toByteArray();
    }

    private void assertRefused(byte[] bytes, String part) throws IOException {
        Path p = tmp.resolve("bad.onnx");
        Files.write(p, bytes);
        AnewbException e = assertThrows(AnewbException.class, () -> OnnxWeights.open(p).close());
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(part), () -> "message '" + e.getMessage() + "' lacks '" + part + "'");
    }

    @Test
    void readsAHandBuiltModelAndRefusesBrokenOnes() throws IOException {
        Path ok = tmp.resolve("ok.onnx");
        Files.write(ok, model(tensor("w", 1, new long[] {2},
                new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0xc0})));
        try (OnnxWeights w = OnnxWeights.open(ok)) {
            assertArrayEquals(new float[] {1f, -2f}, w.get("w").toFloatArray());
        }
        assertRefused(model(tensor("w", 1, new long[] {3}, new byte[8])),
                "initializer 'w' has dims [3] F32 = 12 bytes but raw_data holds 8");
        assertRefused(model(tensor("w", 1, new long[] {1L << 40, 1L << 40}, new byte[4])), "overflows");
        assertRefused(model(tensor("w", 1, new long[] {-1}, new byte[4])), "negative dimension");
        assertRefused(model(tensor("w", 14, new long[] {1}, new byte[8])), "unsupported ONNX data type 14");
        assertRefused(model(tensor("w", 1, new long[] {2}, null)), "needs 2 values but holds 0");
        byte[] good = model(tensor("w", 1, new long[] {2}, new byte[8]));
        byte[] truncated = Arrays.copyOf(good, good.length - 3);
        assertRefused(truncated, "claims");
        assertRefused(new byte[] {0x08, 0x08}, "no graph");
    }
}
