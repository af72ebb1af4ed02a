package dev.anewb.convert.coreml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelLoader;
import dev.anewb.api.ModelSession;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobCancelledException;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightInfo;
import dev.anewb.quant.BlockQuantizer;
import dev.anewb.quant.Int8BlockWeight;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The package as files: layout and manifest, the weight.bin blob format read with our own reader, the model spec read
 * by field numbers, weights read back bit for bit against an independent quantization, and the refusals.
 */
class CoreMlPackageTest {
    static LoadedModel bert;

    @TempDir Path tmp;

    @BeforeAll
    static void load() {
        bert = ModelLoader.load(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE);
    }

    @AfterAll
    static void close() {
        if (bert != null) bert.close();
    }

    static ConvertedModel convert(Conversion c) {
        return ModelSession.of(bert).convert(c);
    }

    static final CoreMlOptions OPTIONS = CoreMlOptions.DEFAULT.withSequence(CoreMlOptions.Sequence.fixed(16));

    @Test
    void layoutManifestAndSpec() throws IOException {
        Path pkg = tmp.resolve("bert.mlpackage");
        CoreMlPreview preview = PackagesUnderTest.export(convert(Conversion.ANE_DEFAULT.withInt8(true, 32, false)),
                OPTIONS.withLicense("mit"), pkg, JobContext.NONE);
        try (Stream<Path> files = Files.walk(pkg)) {
            Set<String> rel = new TreeSet<>();
            files.filter(Files::isRegularFile).forEach(f -> rel.add(pkg.relativize(f).toString()));
            assertEquals(Set.of("Manifest.json", "Data/com.apple.CoreML/model.mlmodel",
                    "Data/com.apple.CoreML/weights/weight.bin"), rel);
        }
        JsonNode manifest = new ObjectMapper().readTree(pkg.resolve("Manifest.json").toFile());
        assertEquals("1.0.0", manifest.get("fileFormatVersion").asText());
        JsonNode root = manifest.get("itemInfoEntries").get(manifest.get("rootModelIdentifier").asText());
        assertEquals("com.apple.CoreML/model.mlmodel", root.get("path").asText());
        boolean weights = false;
        for (JsonNode item : manifest.get("itemInfoEntries")) {
            weights |= item.get("path").asText().equals("com.apple.CoreML/weights");
        }
        assertTrue(weights, "the manifest lists the weights folder");

        // The preview's sizes are the files' sizes.
        long total = 0;
        try (Stream<Path> files = Files.walk(pkg)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) total += Files.size(f);
        }
        assertEquals(total, preview.packageBytes());
        assertEquals(Files.size(pkg.resolve(CoreMlExporter.WEIGHTS)), preview.weightBytes());

        ProtoFields model = ProtoFields.parse(Files.readAllBytes(pkg.resolve(CoreMlExporter.MODEL)));
        // Model.specificationVersion 1: block-wise INT8 needs iOS18 = 9.
        assertEquals(9, model.varint(1));
        assertEquals(CoreMlTarget.IOS18, preview.minimumOs());
        ProtoFields description = model.message(2);
        List<String> inputs = description.messages(1).stream().map(f -> f.string(1)).toList();
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), inputs);
        ProtoFields ids = description.messages(1).getFirst().message(3).message(5);
        assertEquals(131104, ids.varint(2), "input_ids is INT32");
        List<String> outputs = description.messages(10).stream().map(f -> f.string(1)).toList();
        assertEquals(List.of("last_hidden_state", "pooler_output"), outputs);
        ProtoFields metadata = description.message(100);
        assertEquals("ANE Workbench", metadata.string(3));
        assertEquals("mit", metadata.string(4), "the license");
        assertEquals("INT8 block 32, FP16, BC1S", metadata.mapString(100, "dev.anewb.conversion"));
        assertTrue(metadata.mapString(100, "dev.anewb.producer").startsWith("ANE Workbench "));
        ProtoFields main = model.message(502).mapValue(2, "main");
        assertEquals("CoreML8", main.string(2));
        assertNotNull(main.mapValue(3, "CoreML8"), "the block specialization of the function's opset");
    }

    /** weight.bin read with our own reader: header, sentinel, 64-byte alignment, sizes that tile the file. */
    @Test
    void blobStorageFormat() throws IOException {
        Path pkg = tmp.resolve("bert.mlpackage");
        PackagesUnderTest.export(convert(Conversion.ANE_DEFAULT.withInt8(true, 32, false)), OPTIONS, pkg,
                JobContext.NONE);
        Map<Long, Blob> blobs = readBlobs(pkg);
        assertFalse(blobs.isEmpty());
        for (long offset : blobs.keySet()) assertEquals(0, offset % 64, "metadata at " + offset
                + " is 64-byte aligned");
        // Every blob the program refers to exists, with the dtype its type declares.
        List<long[]> refs = blobReferences(pkg);
        assertFalse(refs.isEmpty());
        for (long[] r : refs) {
            Blob b = blobs.get(r[0]);
            assertNotNull(b, "the program refers to a blob at " + r[0]);
            int expect = switch ((int) r[1]) {
                case 10 -> 1; // FLOAT16
                case 11 -> 2; // FLOAT32
                case 21 -> 4; // INT8
                default -> throw new AssertionError("dtype " + r[1]);
            };
            assertEquals(expect, b.dtype, "blob dtype at " + r[0]);
        }
    }

    record Blob(int dtype, long dataOffset, byte[] data) { }

    /** Metadata offset → blob, checking the storage format as it goes. */
    static Map<Long, Blob> readBlobs(Path pkg) throws IOException {
        byte[] file = Files.readAllBytes(pkg.resolve(CoreMlExporter.WEIGHTS));
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int count = b.getInt(0), version = b.getInt(4);
        assertEquals(2, version, "storage format version");
        for (int i = 8; i < 64; i++) assertEquals(0, file[i], "reserved header byte " + i);
        Map<Long, Blob> out = new HashMap<>();
        long at = 64;
        for (int i = 0; i < count; i++) {
            at = (at + 63) / 64 * 64;
            assertEquals(0xDEADBEEF, b.getInt((int) at), "sentinel of blob " + i);
            int dtype = b.getInt((int) at + 4);
            long size = b.getLong((int) at + 8), data = b.getLong((int) at + 16);
            assertEquals(at + 64, data, "data follows its metadata");
            for (int j = 24; j < 64; j++) assertEquals(0, file[(int) at + j], "reserved metadata byte");
            byte[] bytes = new byte[(int) size];
            System.arraycopy(file, (int) data, bytes, 0, bytes.length);
            out.put(at, new Blob(dtype, data, bytes));
            at = data + size;
        }
        assertEquals(file.length, at, "the blobs end where the file ends");
        return out;
    }

    /** {offset, MIL dtype} of every blobFileValue in the program, found by walking its operations. */
    static List<long[]> blobReferences(Path pkg) throws IOException {
        List<long[]> out = new ArrayList<>();
        for (ProtoFields op : operations(pkg)) {
            for (ProtoFields attr : op.messages(5)) value(attr.message(2), out);
            for (ProtoFields in : op.messages(2)) {
                for (ProtoFields binding : in.message(2).messages(1)) {
                    if (binding.has(2)) value(binding.message(2), out);
                }
            }
        }
        return out;
    }

    private static void value(ProtoFields value, List<long[]> out) {
        if (!value.has(5)) return;
        ProtoFields blob = value.message(5);
        assertEquals("@model_path/weights/weight.bin", blob.string(1));
        out.add(new long[]{blob.varint(2), value.message(2).message(1).varint(1)});
    }

    static List<ProtoFields> operations(Path pkg) throws IOException {
        ProtoFields model = ProtoFields.parse(Files.readAllBytes(pkg.resolve(CoreMlExporter.MODEL)));
        ProtoFields main = model.message(502).mapValue(2, "main");
        return main.mapValue(3, main.string(2)).messages(3);
    }

    /** The operation whose "name" attribute is {@code name}. */
    static ProtoFields operation(Path pkg, String name) throws IOException {
        for (ProtoFields op : operations(pkg)) {
            ProtoFields n = op.mapValue(5, "name");
            if (n != null && n.message(3).message(1).message(4).string(1).equals(name)) return op;
        }
        throw new AssertionError("no operation " + name);
    }

    /** The blob bound to parameter {@code param} of an op (iOS18 constexpr: an input binding; iOS16: an attribute). */
    static byte[] blobOf(Path pkg, Map<Long, Blob> blobs, ProtoFields op, String param) {
        ProtoFields v = op.mapValue(5, param);
        if (v == null) v = op.mapValue(2, param).message(1).message(2);
        return blobs.get(v.message(5).varint(2)).data();
    }

    /**
     * Block INT8 (iOS18 constexpr_blockwise_shift_scale) and per-channel (iOS16 constexpr_affine_dequantize): data,
     * scale and offset as stored equal an independent quantization of the FP32 weight bit for bit, and Core ML's
     * formula scale·(data − offset) in float32 is our dequantized weight bit for bit. The op's output type is its
     * scale's: FP16 in an FP16 program (a conv takes its weight in the activations' type), so there the conv sees
     * fp16(w′), within half an FP16 step of ours; an FP32 program stores FP32 scales (the same values) and keeps w′
     * exactly. FP16 weights are the FP16 rounding of the originals.
     */
    @Test
    void weightsReadBackBitForBit() throws IOException {
        for (Conversion.Precision precision : Conversion.Precision.values()) {
            for (int block : new int[]{32, BlockQuantizer.PER_CHANNEL}) {
                checkWeights(Conversion.ANE_DEFAULT.withPrecision(precision).withInt8(true, block, false), block);
            }
        }
        // Symmetric: zero points are 0; block-wise packages leave the offset out, per-channel ones write zeros.
        for (int block : new int[]{32, BlockQuantizer.PER_CHANNEL}) {
            checkWeights(Conversion.ANE_DEFAULT.withInt8(true, block, true), block);
        }
    }

    private void checkWeights(Conversion c, int block) throws IOException {
        boolean fp16 = c.precision() == Conversion.Precision.FP16;
        Path pkg = tmp.resolve("bert-" + block + "-" + c.precision() + "-" + c.symmetric() + ".mlpackage");
        ConvertedModel m = convert(c);
        PackagesUnderTest.export(m, OPTIONS, pkg, JobContext.NONE);
        Map<Long, Blob> blobs = readBlobs(pkg);
        int checked = 0;
        long fp16Changed = 0, total = 0;
        for (WeightInfo w : m.graph().weights().values()) {
            if (w.quant() == null) continue;
            TensorData t = bert.weights().get(w.name());
            Int8BlockWeight expect = new BlockQuantizer(block, c.symmetric()).quantize(t.toFloatArray(),
                    (int) w.shape()[0], (int) w.shape()[1]);
            ProtoFields op = operation(pkg, MilBlock.identifier(w.name() + "_dequantized"));
            boolean perChannel = block >= w.shape()[1];
            assertEquals(perChannel ? "constexpr_affine_dequantize" : "constexpr_blockwise_shift_scale", op.string(1));
            byte[] q = blobOf(pkg, blobs, op, perChannel ? "quantized_data" : "data");
            byte[] scale = blobOf(pkg, blobs, op, "scale");
            boolean offset = !c.symmetric() || perChannel;
            assertEquals(offset, op.mapValue(2, "offset") != null || op.mapValue(5, "zero_point") != null, "offset");
            byte[] zero = offset ? blobOf(pkg, blobs, op, perChannel ? "zero_point" : "offset") : expect.zeroPoint();
            assertArrayEquals(expect.q(), q, w.name() + " data");
            assertArrayEquals(expect.zeroPoint(), zero, w.name() + " zero point");
            float[] s = new float[expect.scaleF16().length];
            ByteBuffer sb = ByteBuffer.wrap(scale).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < s.length; i++) {
                if (fp16) assertEquals(expect.scaleF16()[i], sb.getShort(2 * i), w.name() + " FP16 scale bits");
                else assertEquals(Float.float16ToFloat(expect.scaleF16()[i]), sb.getFloat(4 * i), w.name()
                        + " scale as FP32");
                s[i] = fp16 ? Float.float16ToFloat(sb.getShort(2 * i)) : sb.getFloat(4 * i);
            }
            float[] ours = expect.dequantize();
            int blocks = expect.blocksPerRow(), k = expect.k();
            for (int r = 0; r < expect.rows(); r++) {
                for (int col = 0; col < k; col++) {
                    int bi = r * blocks + col / Math.min(block, k);
                    float coreMl = s[bi] * ((float) q[r * k + col] - (float) zero[bi]);
                    assertEquals(Float.floatToIntBits(ours[r * k + col]), Float.floatToIntBits(coreMl), w.name() + " ["
                            + r + ", " + col + "]");
                    if (fp16) {
                        float seen = Float.float16ToFloat(Float.floatToFloat16(coreMl));
                        assertTrue(Math.abs(seen - coreMl) <= Math.ulp(seen) * 0x1p12f, "within half an FP16 step");
                        if (seen != coreMl) fp16Changed++;
                    }
                    total++;
                }
            }
            checked++;
        }
        assertEquals(13, checked, "every projection of bert-tiny (2 layers × 6, pooler)");
        if (fp16) System.out.printf("coreml INT8 block %d: %.1f%% of dequantized weights change in the FP16 "
                + "rounding%n", block, 100.0 * fp16Changed / total);
        // A float weight: the rounding of the stored FP32 values to the program's type.
        ProtoFields bias = operation(pkg, MilBlock.identifier("encoder.layer.0.attention.self.query.bias"));
        byte[] stored = blobs.get(bias.mapValue(5, "val").message(5).varint(2)).data();
        float[] original = bert.weights().get("encoder.layer.0.attention.self.query.bias").toFloatArray();
        ByteBuffer bb = ByteBuffer.wrap(stored).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < original.length; i++) {
            if (fp16) assertEquals(Float.floatToFloat16(original[i]), bb.getShort(2 * i), "bias " + i);
            else assertEquals(original[i], bb.getFloat(4 * i), "bias " + i);
        }
    }

    @Test
    void refusesABlockSizeCoreMlCannotExpress() {
        Path pkg = tmp.resolve("bad.mlpackage");
        AnewbException e = assertThrows(AnewbException.class,
                () -> PackagesUnderTest.export(convert(Conversion.ANE_DEFAULT.withInt8(true, 48, false)), OPTIONS, pkg,
                        JobContext.NONE));
        // bert-tiny's projections have 64 and 128 input channels.
        assertEquals(AnewbException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("block size 48 does not divide the 64 input channels"), e.getMessage());
        assertTrue(e.getMessage().endsWith("valid block sizes for this model are 8, 16, 32, 64 or ≥ 128 (per-channel)"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(pkg));
        assertEquals("8, 16, 32, 64 or ≥ 128 (per-channel)", CoreMlExporter.validBlockSizes(bert.graph()).describe());
    }

    @Test
    void blockSizesOfTheBundledShapes() {
        CoreMlBlockSizes s = CoreMlBlockSizes.of(new TreeSet<>(Set.of(384, 1536)));
        assertTrue(s.valid(128) && s.valid(96) && s.valid(384) && s.valid(768) && s.valid(1536) && s.valid(4096));
        assertFalse(s.valid(100) || s.valid(256) || s.valid(1000));
        assertEquals(128, s.nearest(128));
        assertEquals(192, s.nearest(200));
        assertEquals(96, s.nearest(100));
    }

    @Test
    void refusesAMinimumOsBelowWhatTheOpsNeed() {
        AnewbException e = assertThrows(AnewbException.class, () -> PackagesUnderTest.preview(
                convert(Conversion.ANE_DEFAULT.withInt8(true, 32, false)), OPTIONS.withMinimumOs(CoreMlTarget.IOS16)));
        assertTrue(e.getMessage().contains("needs iOS18"), e.getMessage());
        // Per-channel INT8 runs on iOS16; a higher target is declared as asked.
        ConvertedModel perChannel = convert(Conversion.ANE_DEFAULT.withInt8(true, BlockQuantizer.PER_CHANNEL, false));
        assertEquals(CoreMlTarget.IOS16, PackagesUnderTest.preview(perChannel, OPTIONS).minimumOs());
        assertEquals(CoreMlTarget.IOS17, PackagesUnderTest.preview(perChannel,
                OPTIONS.withMinimumOs(CoreMlTarget.IOS17)).minimumOs());
    }

    /**
     * W8A8 as coremltools' {@code linear_quantize_activations} writes it (compared with a program it made, dumped with
     * coreml-check dump): in front of each chosen projection {@code quantize(input, scale, output_dtype="int8")} →
     * {@code dequantize(input, scale)}, the scale a rank-0 const in the activations' type, no zero point; one pair per
     * value, as its deduplication leaves q, k and v sharing theirs; iOS17 at least.
     */
    @Test
    void int8ActivationsAreQuantizeDequantizePairs() throws IOException {
        for (Conversion.Precision precision : Conversion.Precision.values()) {
            ConvertedModel m = convert(Conversion.ANE_DEFAULT.withInt8(true, BlockQuantizer.PER_CHANNEL, false)
                    .withPrecision(precision).withActivations(Conversion.Activations.INT8));
            MilDataType act = precision == Conversion.Precision.FP16 ? MilDataType.FP16 : MilDataType.FP32;
            Path pkg = tmp.resolve("bert-w8a8-" + precision + ".mlpackage");
            CoreMlPreview preview = PackagesUnderTest.export(m, OPTIONS, pkg, JobContext.NONE);
            assertEquals(CoreMlTarget.IOS17, preview.minimumOs(), "per-channel weights need iOS16, quantize iOS17");
            assertEquals(8, ProtoFields.parse(Files.readAllBytes(pkg.resolve(CoreMlExporter.MODEL))).varint(1));
            Map<String, ProtoFields> producers = new HashMap<>();
            for (ProtoFields op : operations(pkg)) {
                for (ProtoFields out : op.messages(3)) producers.put(out.string(1), op);
            }
            Map<String, Float> scaleOfValue = new HashMap<>();
            int pairs = 0, projections = 0;
            for (ProtoFields op : operations(pkg)) {
                if (op.string(1).equals("quantize")) {
                    assertEquals(Set.of("input", "scale", "output_dtype"), inputNames(op), "no zero point, no axis");
                    assertEquals("int8", constString(producers, op, "output_dtype"));
                    assertEquals(MilDataType.INT8.mil, op.message(3).message(2).message(1).varint(1), "int8 output");
                    pairs++;
                }
                if (op.string(1).equals("dequantize")) {
                    assertEquals(Set.of("input", "scale"), inputNames(op));
                    ProtoFields q = producers.get(binding(op, "input"));
                    assertEquals("quantize", q.string(1));
                    float scale = constFloat(producers, op, "scale", act);
                    assertEquals(scale, constFloat(producers, q, "scale", act), 0, "one scale for the pair");
                    assertEquals(act.mil, op.message(3).message(2).message(1).varint(1), "back to the compute type");
                    scaleOfValue.put(op.message(3).string(1), scale);
                }
            }
            for (Op op : m.graph().ops()) {
                if (!(op instanceof Op.Linear l) || l.inputQuant() == null) continue;
                ProtoFields conv = operation(pkg, MilBlock.identifier(l.name()));
                assertEquals("conv", conv.string(1));
                Float scale = scaleOfValue.get(binding(conv, "x"));
                assertNotNull(scale, l.name() + " reads a dequantize");
                assertEquals(l.inputQuant().scale(), scale, 0, l.name() + ": the calibrated scale");
                projections++;
            }
            assertEquals(13, projections, "every projection of bert-tiny (2 layers × 6, pooler)");
            // q, k and v share one pair: per layer their input, the attention context, its norm, the GELU; the pooler
            assertEquals(2 * 4 + 1, pairs);
            assertEquals(pairs, scaleOfValue.size());
        }
        AnewbException e = assertThrows(AnewbException.class, () -> PackagesUnderTest.preview(convert(
                Conversion.ANE_DEFAULT.withInt8(true, BlockQuantizer.PER_CHANNEL, false).withActivations(
                        Conversion.Activations.INT8)), OPTIONS.withMinimumOs(CoreMlTarget.IOS16)));
        assertTrue(e.getMessage().contains("INT8 activations (quantize/dequantize) needs iOS17"), e.getMessage());
    }

    private static Set<String> inputNames(ProtoFields op) {
        Set<String> names = new TreeSet<>();
        for (ProtoFields e : op.messages(2)) names.add(e.string(1));
        return names;
    }

    /** The name of the value bound to an op's parameter. */
    private static String binding(ProtoFields op, String param) {
        return op.mapValue(2, param).message(1).string(1);
    }

    /** The immediate value of the const op bound to {@code param}: the TensorValue message. */
    private static ProtoFields constTensor(Map<String, ProtoFields> producers, ProtoFields op, String param) {
        ProtoFields c = producers.get(binding(op, param));
        assertEquals("const", c.string(1));
        return c.mapValue(5, "val").message(3).message(1);
    }

    private static String constString(Map<String, ProtoFields> producers, ProtoFields op, String param) {
        return constTensor(producers, op, param).message(4).string(1);
    }

    /** A rank-0 float const: FP16 as its two bytes (TensorValue.bytes), FP32 as a packed float (TensorValue.floats). */
    private static float constFloat(Map<String, ProtoFields> producers, ProtoFields op, String param,
                                    MilDataType type) {
        ProtoFields c = producers.get(binding(op, param));
        ProtoFields tensorType = c.message(3).message(2).message(1);
        assertEquals(type.mil, tensorType.varint(1), param + " type");
        assertEquals(0, tensorType.varint(2), param + " is a scalar");
        ProtoFields t = constTensor(producers, op, param);
        if (type == MilDataType.FP16) {
            byte[] b = t.message(7).fields().getField(1).getLengthDelimitedList().getFirst().toByteArray();
            return Float.float16ToFloat(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort());
        }
        // RepeatedFloats.values, packed
        byte[] b = t.message(1).fields().getField(1).getLengthDelimitedList().getFirst().toByteArray();
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getFloat();
    }

    @Test
    void refusesAnUnsupportedArchitectureOrOp() {
        ConvertedModel m = convert(Conversion.ANE_DEFAULT);
        ModelGraph g = m.graph();
        List<Op> ops = new ArrayList<>();
        for (Op op : g.ops()) ops.add(op instanceof Op.Activation a && a.function().equals("gelu")
                ? new Op.Activation(a.name(), a.layer(), a.input(), a.output(), "mish") : op);
        AnewbException e = assertThrows(AnewbException.class, () -> PackagesUnderTest.preview(g.withOps(ops),
                bert.weights(), OPTIONS));
        assertTrue(e.getMessage().startsWith("activation \"mish\""), e.getMessage());

        ModelGraph t5 = new ModelGraph(new RenamedConfig(g.config(), "t5"), g.ops(), g.values(), g.weights(), g.taps(),
                g.conversion(),
                g.fixedLengths());
        e = assertThrows(AnewbException.class, () -> PackagesUnderTest.preview(t5, bert.weights(), OPTIONS));
        assertTrue(e.getMessage().startsWith("Core ML export does not handle model type \"t5\" yet"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));

        e = assertThrows(AnewbException.class, () -> PackagesUnderTest.preview(m.graph(), bert.weights(),
                OPTIONS.withSequence(CoreMlOptions.Sequence.fixed(513))));
        assertTrue(e.getMessage().contains("longer than the model's 512 positions"), e.getMessage());
    }

    /** A config that claims another model type (an architecture the exporter does not know). */
    record RenamedConfig(ModelConfig base, String modelType) implements ModelConfig {
        public String architecture() { return base.architecture(); }
        public int hiddenSize() { return base.hiddenSize(); }
        public int numLayers() { return base.numLayers(); }
        public int numHeads() { return base.numHeads(); }
        public int intermediateSize() { return base.intermediateSize(); }
        public int vocabSize() { return base.vocabSize(); }
        public int maxPositions() { return base.maxPositions(); }
        public String activation() { return base.activation(); }
        public JsonNode raw() { return base.raw(); }
    }

    @Test
    void existingTargetNeedsForce() throws IOException {
        Path pkg = tmp.resolve("exists.mlpackage");
        Files.createDirectories(pkg);
        Files.writeString(pkg.resolve("keep.txt"), "mine");
        ConvertedModel m = convert(Conversion.ANE_DEFAULT);
        AnewbException e = assertThrows(AnewbException.class, () -> PackagesUnderTest.export(m, OPTIONS, pkg,
                JobContext.NONE));
        assertEquals(AnewbException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().endsWith("already exists (use --force to replace it)"), e.getMessage());
        assertEquals("mine", Files.readString(pkg.resolve("keep.txt")));
        PackagesUnderTest.export(m, OPTIONS.withForce(true), pkg, JobContext.NONE);
        assertFalse(Files.exists(pkg.resolve("keep.txt")));
        assertTrue(Files.isRegularFile(pkg.resolve(CoreMlExporter.MODEL)));
        assertEquals(List.of("exists.mlpackage"), names(tmp));
    }

    @Test
    void cancellingMidwayLeavesNothing() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("out"));
        Path pkg = dir.resolve("cancel.mlpackage");
        AtomicInteger blobsWritten = new AtomicInteger();
        List<Double> progress = new ArrayList<>();
        JobContext cancelAfterThree = new JobContext() {
            @Override public void progress(double fraction, String message) {
                progress.add(fraction);
                if (fraction > 0) blobsWritten.incrementAndGet();
            }

            @Override public boolean isCancelled() { return blobsWritten.get() >= 3; }
        };
        assertThrows(JobCancelledException.class, () ->
                PackagesUnderTest.export(convert(Conversion.ANE_DEFAULT), OPTIONS,
                pkg, cancelAfterThree));
        assertEquals(List.of(), names(dir), "no package and no temporary folder");
        assertTrue(progress.size() >= 3 && progress.stream().allMatch(p -> p >= 0 && p <= 1), progress.toString());
        // Cancelling the replacement of an existing package keeps the old one.
        PackagesUnderTest.export(convert(Conversion.ANE_DEFAULT), OPTIONS, pkg, JobContext.NONE);
        byte[] before = Files.readAllBytes(pkg.resolve(CoreMlExporter.MODEL));
        blobsWritten.set(0);
        ConvertedModel fp16Only = convert(Conversion.ANE_DEFAULT.withInt8(false, 128, false));
        assertThrows(JobCancelledException.class,
                () -> PackagesUnderTest.export(fp16Only, OPTIONS.withForce(true), pkg, cancelAfterThree));
        assertArrayEquals(before, Files.readAllBytes(pkg.resolve(CoreMlExporter.MODEL)));
        assertEquals(List.of("cancel.mlpackage"), names(dir));
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void optionsParse() {
        assertEquals(CoreMlOptions.Sequence.fixed(64), CoreMlOptions.Sequence.parse("64"));
        CoreMlOptions.Sequence r = CoreMlOptions.Sequence.parse("8..256");
        assertTrue(r.flexible());
        assertEquals(8, r.min());
        assertEquals(256, r.max());
        assertThrows(AnewbException.class, () -> CoreMlOptions.Sequence.parse("64..8"));
        assertThrows(AnewbException.class, () -> CoreMlOptions.Sequence.parse("x"));
        assertEquals(CoreMlTarget.IOS17, CoreMlTarget.parse("iOS17"));
        assertEquals(CoreMlTarget.IOS18, CoreMlTarget.parse("18"));
        CoreMlOptions.Sequence enumerated = CoreMlOptions.Sequence.parse("64,16,32");
        assertEquals(List.of(16, 32, 64), enumerated.sizes());
        assertEquals(64, enumerated.length());
        assertEquals("16,32,64", enumerated.text());
        AnewbException e = assertThrows(AnewbException.class, () -> CoreMlTarget.parse("iOS15"));
        assertTrue(e.getMessage().contains("expected iOS16, iOS17 or iOS18"));
    }
}
