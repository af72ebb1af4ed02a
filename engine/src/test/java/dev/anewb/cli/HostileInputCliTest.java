package dev.anewb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.io.BundledModel;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.io.SafetensorsWriter;
import dev.anewb.model.TensorData;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile files and absurd settings through the whole CLI: each must end with the right exit code (2 usage,
 * 1 other) and exactly one stderr line that names the file or option and the problem, with no stack trace.
 * The table it prints is the one in docs/reliability.md.
 */
class HostileInputCliTest {
    @TempDir static Path tmp;
    static final List<String> TABLE = new ArrayList<>();

    public record Outcome(int exit, String err) { }

    static Outcome run(String... args) {
        CommandLine cl = AnewbCli.commandLine(List.of());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        return new Outcome(cl.execute(args), err.toString());
    }

    /** Runs args and checks the exit code and that stderr is one line mentioning every word of {@code mentions}. */
    static void refuses(String what, int exit, List<String> mentions, String... args) {
        Outcome o = run(args);
        String err = o.err().strip();
        assertEquals(exit, o.exit(), what + ": " + err);
        assertFalse(err.isEmpty(), what + ": nothing on stderr");
        assertEquals(1, err.lines().count(), what + ": stderr must be one line, was:\n" + err);
        assertFalse(err.contains("Exception") || err.contains("\tat ") || err.contains("--debug for details"),
                what + ": looks like an unexpected error, not a message: " + err);
        for (String m : mentions) assertTrue(err.contains(m), what + ": '" + m + "' missing from: " + err);
        TABLE.add("| " + what + " | " + o.exit() + " | `" + err.replace(tmp.toString(), "DIR").replace("|", "\\|")
                + "` |");
    }

    static Path folder(String name, String configFrom) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(name));
        Files.copy(Fixtures.fixture(configFrom + "/config.json"), d.resolve("config.json"));
        return d;
    }

    static byte[] safetensors(String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    @AfterAll static void printTable() {
        System.out.println("| input | exit | stderr |\n| --- | --- | --- |");
        TABLE.forEach(System.out::println);
    }

    @BeforeAll static void fixturesPresent() {
        Fixtures.fixture("bert-tiny");
    }

    // ---------------------------------------------------------------- files

    @Test void safetensorsHeaderLengthOf2To62() throws IOException {
        Path d = folder("hdr", "bert-tiny");
        Files.write(d.resolve("model.safetensors"),
                ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 62).array());
        refuses("safetensors header length 2^62", 1,
                List.of("model.safetensors", "header length 4611686018427387904", "larger than the file"), "info",
                        d.toString());
    }

    @Test void safetensorsShapeOf10To12Elements() throws IOException {
        Path d = folder("shape", "bert-tiny");
        Files.write(d.resolve("model.safetensors"),
                safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],"
                        + "\"data_offsets\":[0,4000000000000]}}"));
        refuses("safetensors tensor of 10^12 elements", 1, List.of("model.safetensors", "4000000000000"), "info",
                d.toString());
    }

    @Test void safetensorsShapeOverflowing64Bits() throws IOException {
        Path d = folder("overflow", "bert-tiny");
        Files.write(d.resolve("model.safetensors"),
                safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}"));
        refuses("safetensors shape whose byte size overflows", 1, List.of("model.safetensors", "overflows"), "info",
                d.toString());
    }

    @Test void safetensorsNestingBomb() throws IOException {
        Path d = folder("nest", "bert-tiny");
        Files.write(d.resolve("model.safetensors"), safetensors("[".repeat(100_000) + "]".repeat(100_000)));
        refuses("safetensors header nested 100000 deep", 1, List.of("model.safetensors", "nesting depth"), "info",
                d.toString());
    }

    @Test void configNestingBomb() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("cfgnest"));
        Files.writeString(d.resolve("config.json"), "{\"a\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}");
        refuses("config.json nested 200000 deep", 1, List.of("config.json", "nesting depth"), "info", d.toString());
    }

    @Test void configNegativeSize() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("cfgneg"));
        Files.writeString(d.resolve("config.json"), "{\"model_type\":\"bert\",\"hidden_size\":-5}");
        refuses("config.json hidden_size -5", 1, List.of("config.json", "hidden_size", "positive"), "info",
                d.toString());
    }

    @Test void indexShardEscapingTheFolder() throws IOException {
        Path d = folder("escape", "bert-tiny");
        Files.writeString(d.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"w\":\"../../../../etc/passwd\"}}");
        refuses("index.json shard ../../../../etc/passwd", 1,
                List.of("model.safetensors.index.json", "../../../../etc/passwd", "outside"), "info", d.toString());
        Files.writeString(d.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"w\":\"/etc/passwd\"}}");
        refuses("index.json shard /etc/passwd", 1, List.of("model.safetensors.index.json", "/etc/passwd", "absolute"),
                "info", d.toString());
    }

    @Test void weightsSymlinkLeavingTheFolder() throws IOException {
        Path d = folder("link", "bert-tiny");
        Path outside = Files.write(tmp.resolve("secret.safetensors"), safetensors("{}"));
        Files.createSymbolicLink(d.resolve("model.safetensors"), outside);
        refuses("model.safetensors -> a file outside the folder", 1,
                List.of("model.safetensors", "outside the model folder"), "info", d.toString());
    }

    @Test void onnxLengthPastTheEnd() throws IOException {
        Path d = folder("onnxlen", "bert-tiny");
        Files.write(d.resolve("model.onnx"),
                new byte[]{0x3a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 'a', 'b', 'c'});
        refuses("ONNX graph length 2^31-1 in a 9-byte file", 1, List.of("model.onnx", "claims 2147483647 bytes"),
                "info", d.toString());
    }

    @Test void onnxExternalDataEscapingTheFolder() throws IOException {
        Path d = folder("onnxext", "bert-tiny");
        // TensorProto: dims [1], data_type FLOAT, name "w", external_data {location: ../../../etc/passwd},
        // data_location EXTERNAL
        ByteArrayOutputStream tensor = new ByteArrayOutputStream();
        tensor.write(new byte[]{0x08, 0x01, 0x10, 0x01});
        field(tensor, 8, "w".getBytes());
        ByteArrayOutputStream kv = new ByteArrayOutputStream();
        field(kv, 1, "location".getBytes());
        field(kv, 2, "../../../etc/passwd".getBytes());
        field(tensor, 13, kv.toByteArray());
        tensor.write(new byte[]{0x70, 0x01});
        ByteArrayOutputStream graph = new ByteArrayOutputStream();
        field(graph, 5, tensor.toByteArray());
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        field(model, 7, graph.toByteArray());
        Files.write(d.resolve("model.onnx"), model.toByteArray());
        refuses("ONNX external data ../../../etc/passwd", 1, List.of("model.onnx", "../../../etc/passwd", "outside"),
                "info", d.toString());
    }

    private static void field(ByteArrayOutputStream out, int number, byte[] bytes) {
        out.write(number << 3 | 2);
        int n = bytes.length;
        while (n >= 0x80) {
            out.write(n & 0x7f | 0x80);
            n >>>= 7;
        }
        out.write(n);
        out.writeBytes(bytes);
    }

    @Test void tokenizerWithBrokenVocab() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("tok"));
        Files.writeString(d.resolve("tokenizer.json"), "{\"model\":{\"type\":\"Unigram\",\"vocab\":[1,2,3]}}");
        refuses("tokenizer.json vocab [1,2,3]", 1, List.of("tokenizer.json", "vocab entry 0"), "tokenize",
                d.toString(), "--text", "hi");
        Files.writeString(d.resolve("tokenizer.json"),
                "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}},\"added_tokens\":[{\"id\":5}]}");
        refuses("tokenizer.json added token without content", 1, List.of("tokenizer.json", "content"), "tokenize",
                d.toString(), "--text", "hi");
        Files.writeString(d.resolve("tokenizer.json"), "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":1e12}}}");
        refuses("tokenizer.json token id 10^12", 1, List.of("tokenizer.json", "'a'", "id"), "tokenize", d.toString(),
                "--text", "hi");
        Files.writeString(d.resolve("tokenizer.json"),
                "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"normalizer\":{\"type\":\"Nope\"}}");
        refuses("tokenizer.json the native library rejects", 1,
                List.of("tokenizer.json", "cannot be loaded as a tokenizer"), "tokenize", d.toString(), "--text", "hi");
        Files.writeString(d.resolve("tokenizer.json"), "{\"model\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}");
        refuses("tokenizer.json nested 100000 deep", 1, List.of("tokenizer.json", "nesting depth"), "tokenize",
                d.toString(), "--text", "hi");
    }

    /** Found by fuzzing: Jackson puts the location on a second line, which made these messages two lines long. */
    @Test void truncatedJsonIsOneLine() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("trunc"));
        Files.writeString(d.resolve("tokenizer.json"), "{\"model\":{\"vo");
        refuses("tokenizer.json cut short", 1, List.of("tokenizer.json", "not valid JSON"), "tokenize", d.toString(),
                "--text", "hi");
        Path m = folder("truncidx", "bert-tiny");
        Files.writeString(m.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"a\n\":");
        refuses("index.json with a raw newline in a name", 1,
                List.of("model.safetensors.index.json", "not valid JSON"), "info", m.toString());
        Path p = copyPackage("truncated");
        Files.writeString(p.resolve("manifest.json"), "{\"format\":\"anepkg\",\"form\u0007");
        refuses(".anepkg manifest cut short", 1, List.of("manifest.json", "cannot read the manifest"), "info",
                p.toString());
    }

    // ---------------------------------------------------------------- packages

    static Path pkg;

    static synchronized Path convertedPackage() {
        if (pkg == null) {
            Path p = tmp.resolve("good.anepkg");
            Outcome o = run("convert", Fixtures.fixture("gpt2-tiny").toString(), "--out", p.toString());
            assertEquals(0, o.exit(), o.err());
            pkg = p;
        }
        return pkg;
    }

    static Path copyPackage(String name) throws IOException {
        Path src = convertedPackage(), dst = Files.createDirectories(tmp.resolve(name + ".anepkg"));
        try (Stream<Path> s = Files.list(src)) {
            for (Path f : s.toList()) Files.copy(f, dst.resolve(f.getFileName()));
        }
        return dst;
    }

    @Test void packageWithWeightsLinkedOutside() throws IOException {
        Path p = copyPackage("linked");
        Path outside = tmp.resolve("elsewhere.safetensors");
        Files.move(p.resolve("weights.safetensors"), outside);
        Files.createSymbolicLink(p.resolve("weights.safetensors"), outside);
        refuses(".anepkg whose weights.safetensors links outside", 1, List.of("weights.safetensors", "outside"),
                "info", p.toString());
    }

    @Test void packageOfAnotherFormatVersion() throws IOException {
        Path p = copyPackage("future");
        Path m = p.resolve("manifest.json");
        Files.writeString(m, Files.readString(m).replace("\"format_version\" : 1", "\"format_version\" : 99"));
        refuses(".anepkg manifest format_version 99", 1, List.of("manifest.json", "version 99"), "info", p.toString());
    }

    /** Item 8: a manifest whose version is missing or not a number said "package format version  is not supported". */
    @Test void packageWithoutAFormatVersion() throws IOException {
        Path p = copyPackage("noversion");
        Path m = p.resolve("manifest.json");
        String manifest = Files.readString(m);
        Files.writeString(m, manifest.replace("\"format_version\" : 1,", ""));
        refuses(".anepkg manifest without format_version", 1, List.of("manifest.json", "has no \"format_version\""),
                "info", p.toString());
        Files.writeString(m, manifest.replace("\"format_version\" : 1", "\"format_version\" : {\"major\": 1}"));
        refuses(".anepkg manifest with format_version {\"major\": 1}", 1,
                List.of("manifest.json", "\"format_version\" is {\"major\":1}, not a version number"),
                "info", p.toString());
    }

    @Test void packageWithABrokenConversionSection() throws IOException {
        Path p = copyPackage("badconv");
        Path m = p.resolve("manifest.json");
        Files.writeString(m,
                Files.readString(m).replace("\"block_size\" : 128,\n    \"symmetric\"",
                        "\"block_size\" : 0,\n    \"symmetric\""));
        refuses(".anepkg manifest with block_size 0", 1, List.of("manifest.json", "block size 0"), "info",
                p.toString());
    }

    // ---------------------------------------------------------------- outputs over inputs (issue 17, item 1)

    /** A writable copy of a fixture model folder. */
    static Path copyModel(String name, String fixture) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> s = Files.list(Fixtures.fixture(fixture))) {
            for (Path f : s.toList()) Files.copy(f, d.resolve(f.getFileName()));
        }
        return d;
    }

    static String digest(Path folderOrFile) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        try (Stream<Path> s = Files.walk(folderOrFile)) {
            for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                md.update(folderOrFile.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                md.update(Files.readAllBytes(f));
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test void dumpOntoTheModelsOwnWeights() throws IOException {
        Path m = copyModel("dumpself", "bert-tiny");
        String before = digest(m);
        Path weights = m.resolve("model.safetensors");
        refuses("run --dump onto the model's model.safetensors, with --force", 2,
                List.of("--dump", "model.safetensors", "an input of this command", "even with --force"),
                "run", m.toString(), "--ids", "101,2023,102", "--dump", weights.toString(), "--force");
        assertEquals(before, digest(m), "the model folder is untouched");
        refuses("run --dump onto the model's config.json", 2, List.of("config.json", "an input"),
                "run", m.toString(), "--ids", "101,2023,102", "--dump", m.resolve("config.json").toString(), "--force");
        assertEquals(before, digest(m));
        // a new file beside the model is no input: allowed
        Path taps = m.resolve("taps.safetensors");
        Outcome ok = run("run", m.toString(), "--ids", "101,2023,102", "--dump", taps.toString());
        assertEquals(0, ok.exit(), ok.err());
    }

    @Test void dumpOntoAnExistingFileNeedsForce() throws IOException {
        Path notes = Files.writeString(tmp.resolve("notes.txt"), "keep me");
        String m = Fixtures.fixture("bert-tiny").toString();
        refuses("run --dump onto an existing file without --force", 2, List.of("notes.txt", "exists", "--force"),
                "run", m, "--ids", "101,2023,102", "--dump", notes.toString());
        assertEquals("keep me", Files.readString(notes));
        Outcome forced = run("run", m, "--ids", "101,2023,102", "--dump", notes.toString(), "--force");
        assertEquals(0, forced.exit(), forced.err());
        assertTrue(Files.size(notes) > 1000, "replaced by the dump with --force");
    }

    @Test void convertOntoItsOwnModel() throws IOException {
        Path m = copyModel("convself", "bert-tiny");
        String before = digest(m);
        refuses("convert M --out M --force", 2, List.of("--out", "the model folder", "an input of this command"),
                "convert", m.toString(), "--out", m.toString(), "--force");
        refuses("convert M --out M/model.safetensors --force", 2, List.of("--out", "model.safetensors", "an input"),
                "convert", m.toString(), "--out", m.resolve("model.safetensors").toString(), "--force");
        refuses("convert M --out (M's parent folder) --force", 2, List.of("--out", "holds the model folder"),
                "convert", m.toString(), "--out", tmp.toString(), "--force");
        assertEquals(before, digest(m), "the model folder is untouched");
    }

    @Test void exportAndLayoutOntoTheModel() throws IOException {
        Path m = copyModel("exportself", "bert-tiny");
        String before = digest(m);
        refuses("export --onnx onto the model's config.json --force", 2, List.of("--onnx", "config.json", "an input"),
                "export", m.toString(), "--onnx", m.resolve("config.json").toString(), "--force");
        refuses("layout --png onto the model's config.json", 2, List.of("--png", "config.json", "an input"),
                "layout", m.toString(), "--tensor", "layers.0.q", "--png", m.resolve("config.json").toString());
        assertEquals(before, digest(m), "the model folder is untouched");
    }

    @Test void hubRevisionEscapingTheCache() {
        // refused before any cache path or network request is made
        refuses("models pull acme/bert-tiny@../../../../escaped", 2,
                List.of("revision '../../../../escaped'", "not a branch, tag or commit"),
                "models", "pull", "acme/bert-tiny@../../../../escaped");
        refuses("info acme/bert-tiny@../../../../escaped", 2, List.of("revision '../../../../escaped'"),
                "info", "acme/bert-tiny@../../../../escaped");
        refuses("models pull acme/a--b (a Hub id with --)", 2, List.of("'acme/a--b'", "not a Hub repository id"),
                "models", "pull", "acme/a--b");
    }

    /** A copy of bert-tiny's config.json with some fields replaced. */
    static Path config(String name, String... keyValues) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(name));
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(Fixtures.fixture("bert-tiny/config.json").toFile());
        for (int i = 0; i < keyValues.length; i += 2) json.put(keyValues[i], Long.parseLong(keyValues[i + 1]));
        return Files.writeString(d.resolve("config.json"), json.toString());
    }

    /** Items 4 and 5: sizes beyond any model are refused at once, naming the field, before a graph is built. */
    @Test void configSizesBeyondAnyModel() throws IOException {
        Path huge = config("cfghuge", "hidden_size", "2147483647", "intermediate_size", "2147483647",
                "num_attention_heads", "1");
        refuses("plan: config.json hidden and intermediate size 2^31-1", 1,
                List.of("config.json", "\"hidden_size\" 2147483647", "beyond what any model has"),
                "plan", huge.toString(), "--seq", "16");
        Path deep = config("cfgdeep", "num_hidden_layers", "100000");
        long t0 = System.nanoTime();
        refuses("plan: config.json num_hidden_layers 100000", 1,
                List.of("\"num_hidden_layers\" 100000", "at most 1024"), "plan", deep.toString(), "--seq", "16");
        Path lying = copyModel("cfgdeepweights", "bert-tiny");
        Files.copy(deep, lying.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        refuses("info: num_hidden_layers 100000 on a 2-layer checkpoint", 1, List.of("\"num_hidden_layers\" 100000"),
                "info", lying.toString());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused at once, not after building 100000 layers");
    }

    /** Item 4: a plan whose counts could pass 64 bits is refused (it printed negative GFLOP, DRAM and energy). */
    @Test void planSizesBeyond64Bits() throws IOException {
        Path p = config("cfgctx", "hidden_size", "65536", "intermediate_size", "1048576", "num_attention_heads", "512",
                "max_position_embeddings", "16777216");
        refuses("plan --seq 2^24 --batch 4096 on a config at the size ceilings", 2,
                List.of("--seq 16777216", "--batch 4096", "beyond what the simulator counts"),
                "plan", p.toString(), "--seq", "16777216", "--batch", "4096");
    }

    /** A PNG whose header declares w x h RGB pixels, then one tiny IDAT: a kilobyte-sized decompression bomb. */
    static byte[] pngDeclaring(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        pngChunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).array());
        Deflater d = new Deflater();
        d.setInput(new byte[1024]);
        d.finish();
        byte[] z = new byte[2048];
        pngChunk(out, "IDAT", Arrays.copyOf(z, d.deflate(z)));
        pngChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void pngChunk(ByteArrayOutputStream out, String type, byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(type.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** Item 6: refused from the header, before decoding (it took 53 s and 6 GB, or "Caught exception during read"). */
    @Test void imageDeclaring20000x20000Pixels() throws IOException {
        Path png = Files.write(tmp.resolve("bomb.png"), pngDeclaring(20000, 20000));
        long t0 = System.nanoTime();
        refuses("PNG of 1 KB declaring 20000x20000 pixels", 1,
                List.of("bomb.png", "declares 20000x20000 pixels", "67 MP"),
                "run", Fixtures.fixture("vit-tiny").toString(), "--image", png.toString());
        assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "refused from the header, without decoding");
    }

    /** A copy of bert-tiny whose weight {@code name} holds one NaN. */
    static Path withNan(String folder, String name) throws IOException {
        Path m = copyModel(folder, "bert-tiny");
        Path file = m.resolve("model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.fixture("bert-tiny/model.safetensors"))) {
            for (String n : f.names()) {
                TensorData t = f.get(n);
                float[] v = t.toFloatArray();
                if (n.equals(name)) v[7] = Float.NaN;
                w.addFloats(n, t.shape(), v);
            }
        }
        Files.delete(file);
        w.write(file);
        return m;
    }

    /** Item 7: a worker thread's NaN kept its message in 1 of 8 runs only; FP32 NaN outputs said nothing. */
    @Test void nanWeights() throws IOException {
        String q = "encoder.layer.0.attention.self.query.weight";
        Path m = withNan("nan", q);
        refuses("convert: a model with a NaN weight", 1, List.of(q, "a block spans", "NaN"),
                "convert", m.toString(), "--out", tmp.resolve("nan.anepkg").toString());
        Outcome run = runCapturingStderr("run", m.toString(), "--ids", "101,2023,102");
        assertEquals(0, run.exit(), run.err());
        String err = run.err();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("anewb: warning: ") && err.contains("NaN or infinity"), err);
        assertTrue(err.contains("1 weight holds") && err.contains(q), err);
        TABLE.add("| run (FP32) on a model with a NaN weight | 0 | `" + err.replace(tmp.toString(), "DIR") + "` |");
    }

    /** Runs args with System.err captured too (commands print warnings there); the exit code and all of stderr. */
    public static Outcome runCapturingStderr(String... args) {
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        PrintStream before = System.err;
        Outcome o;
        try {
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            o = run(args);
        } finally {
            System.setErr(before);
        }
        return new Outcome(o.exit(), (o.err() + stderr.toString(StandardCharsets.UTF_8)).strip());
    }

    /** Item 9: num_hidden_layers 1 on the 2-layer checkpoint dropped half of it without a word. */
    @Test void configWithFewerLayersThanTheCheckpoint() throws IOException {
        Path m = copyModel("fewerlayers", "bert-tiny");
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(m.resolve("config.json").toFile());
        Files.writeString(m.resolve("config.json"), cfg.put("num_hidden_layers", 1).toString());
        Outcome o = runCapturingStderr("info", m.toString());
        assertEquals(0, o.exit(), o.err());
        assertEquals(1, o.err().lines().count(), o.err());
        for (String s : List.of("16 weights are not used", "encoder.layer.1.attention",
                "the checkpoint has layers up to 1",
                "says 1 layers")) {
            assertTrue(o.err().contains(s), s + " missing from: " + o.err());
        }
        TABLE.add("| info: config.json num_hidden_layers 1 on a 2-layer checkpoint | 0 | `"
                + o.err().replace(tmp.toString(), "DIR") + "` |");
    }

    /** Item 9: num_attention_heads 6 for an ONNX graph built with 12 heads ran silently (cosine 0.83). */
    @Test void configHeadsContradictingTheOnnxGraph() throws IOException {
        Path m = Files.createDirectories(tmp.resolve("onnxheads"));
        try (Stream<Path> s = Files.list(BundledModel.folder())) {
            for (Path f : s.toList()) Files.copy(f, m.resolve(f.getFileName()));
        }
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(m.resolve("config.json").toFile());
        Files.writeString(m.resolve("config.json"), cfg.put("num_attention_heads", 6).toString());
        refuses("info: config.json num_attention_heads 6 on MiniLM's ONNX graph (12 heads)", 1,
                List.of("config.json", "says 6 attention heads of 64",
                        "model.onnx splits hidden 384 into 12 heads of 32"),
                "info", m.toString());
    }

    /**
     * Item 10: a folder with model.onnx and tokenizer.json but no config.json said only "no config.json"; now the
     * weights (and the ONNX graph's reshapes, for the heads) give the line to save, and saving it loads the model.
     */
    @Test void folderWithoutConfigJson() throws IOException {
        Path m = Files.createDirectories(tmp.resolve("noconfig"));
        Files.copy(BundledModel.folder().resolve("model.onnx"), m.resolve("model.onnx"));
        Files.copy(BundledModel.folder().resolve("tokenizer.json"), m.resolve("tokenizer.json"));
        String expected = "{\"model_type\":\"bert\",\"hidden_size\":384,\"num_hidden_layers\":6,"
                + "\"intermediate_size\":1536,\"vocab_size\":30522,\"max_position_embeddings\":512,"
                + "\"type_vocab_size\":2,\"num_attention_heads\":12}";
        refuses("info: model.onnx and tokenizer.json without config.json", 1,
                List.of("no config.json", "model.onnx and its attention reshapes", expected, "config.json to load"),
                "info", m.toString());
        Files.writeString(m.resolve("config.json"), expected);
        Outcome loaded = run("info", m.toString());
        assertEquals(0, loaded.exit(), loaded.err());

        Path st = Files.createDirectories(tmp.resolve("noconfigst"));
        Files.copy(Fixtures.fixture("bert-tiny/model.safetensors"), st.resolve("model.safetensors"));
        refuses("info: model.safetensors without config.json (heads unknown)", 1,
                List.of("\"hidden_size\":64,\"num_hidden_layers\":2,\"intermediate_size\":128",
                        "but not num_attention_heads", "1 for a head size of 64"), "info", st.toString());
        Files.writeString(st.resolve("config.json"), "{\"model_type\":\"bert\",\"hidden_size\":64,"
                + "\"num_hidden_layers\":2,\"intermediate_size\":128,\"vocab_size\":30522,\"num_attention_heads\":4}");
        assertEquals(0, run("info", st.toString()).exit());
    }

    // ---------------------------------------------------------------- settings (usage errors)

    @Test void tokenIdOutsideTheVocabulary() {
        refuses("--ids with 999999999", 2, List.of("token id 999999999", "vocabulary"), "run",
                Fixtures.fixture("bert-tiny").toString(), "--ids", "1,2,999999999");
        refuses("--ids with -2", 2, List.of("token id -2"), "run", Fixtures.fixture("bert-tiny").toString(), "--ids",
                "1,-2");
    }

    /** Item 11: a clear refusal with the way forward (--truncate); bench --seq 600 silently timed 512. */
    @Test void sequencePastTheContext() {
        String m = Fixtures.fixture("bert-tiny").toString();
        refuses("600 ids for a 512-position model", 2, List.of("600 ids", "512 positions", "--truncate"), "run", m,
                "--ids", String.join(",", Collections.nCopies(600, "1")));
        refuses("a 602-token text for a 512-position model", 2, List.of("602 tokens", "512 positions", "--truncate"),
                "run", m, "--text", String.join(" ", Collections.nCopies(600, "word")));
        refuses("bench --seq 600 on a 512-position model", 2, List.of("--seq 600", "512 positions"), "bench", m,
                "--seq", "600");
        String longText = String.join(" ", Collections.nCopies(600, "word"));
        Outcome cut = runCapturingStderr("run", m, "--text", longText, "--truncate");
        assertEquals(0, cut.exit(), cut.err());
        assertTrue(cut.err().contains("602 tokens; cut to the model's 512 positions (--truncate)"), cut.err());
    }

    @Test void absurdConversionSettings() {
        String m = Fixtures.fixture("bert-tiny").toString();
        refuses("--block-size 0", 2, List.of("block size 0"), "run", m, "--ids", "1,2", "--quant", "int8",
                "--block-size", "0");
        refuses("--chunk-overlap 8 with --chunk-window 8", 2, List.of("overlap 8", "window 8"), "run", m, "--ids",
                "1,2", "--chunk-window", "8", "--chunk-overlap", "8");
    }

    @Test void tooManyNewTokens() {
        refuses("--max-new-tokens 10^9", 2, List.of("--max-new-tokens 1000000000", "context"), "generate",
                Fixtures.fixture("gpt2-tiny").toString(),
                "--ids", "1,2", "--max-new-tokens", "1000000000");
    }

    @Test void absurdPlans() {
        String m = Fixtures.fixture("bert-tiny").toString();
        refuses("plan --seq 10^9", 2, List.of("--seq 1000000000", "512"), "plan", m, "--seq", "1000000000");
        refuses("plan --batch 0", 2, List.of("--batch", "0"), "plan", m, "--seq", "16", "--batch", "0");
        refuses("plan --batch 10^9", 2, List.of("--batch 1000000000"), "plan", m, "--seq", "16", "--batch",
                "1000000000");
        refuses("plan --sram-mb -1", 2, List.of("--sram-mb"), "plan", m, "--seq", "16", "--sram-mb", "-1");
    }
}
