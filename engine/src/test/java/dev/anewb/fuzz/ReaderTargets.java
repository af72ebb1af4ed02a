package dev.anewb.fuzz;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.ChipProfile;
import dev.anewb.ane.ChipProfiles;
import dev.anewb.ane.PlanResult;
import dev.anewb.ane.PlanTotals;
import dev.anewb.cli.AnewbCli;
import dev.anewb.convert.AnePackage;
import dev.anewb.io.HfTokenizer;
import dev.anewb.io.ImagePreprocessor;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.NativeTokenizerProbe;
import dev.anewb.io.OnnxWeights;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.io.ShardedSafetensors;
import dev.anewb.io.WavReader;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.model.TensorData;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The readers of untrusted files, each with seeds taken from the shared fixtures (or made from them once) and a
 * folder the mutated bytes are written into. The property every target must keep: it parses, or it throws
 * {@link AnewbException}; nothing else, no OOM, no hang.
 */
final class ReaderTargets {
    /** One reader: the file name the mutated bytes become inside {@code folder}, and what reads it. */
    record Target(String name, String fileName, List<byte[]> seeds, Path folder, Reader reader) {
        void run(byte[] data) throws IOException {
            Files.write(folder.resolve(fileName), data);
            reader.read(folder);
        }
    }

    interface Reader {
        void read(Path folder) throws IOException;
    }

    private static final Map<String, Target> CACHE = new ConcurrentHashMap<>();

    private ReaderTargets() { }

    static synchronized Target get(String name) throws IOException {
        Target t = CACHE.get(name);
        if (t == null) {
            t = make(name);
            CACHE.put(name, t);
        }
        return t;
    }

    static final List<String> NAMES = List.of("safetensors", "config", "tokenizer", "onnx", "index", "manifest",
            "image", "wav");

    private static Path work() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "anewb-fuzz-" + ProcessHandle.current().pid());
        Files.createDirectories(dir);
        return dir;
    }

    private static byte[] fixture(String path) throws IOException {
        return Files.readAllBytes(Fixtures.fixture(path));
    }

    private static Target make(String name) throws IOException {
        Path dir = work().resolve(name);
        Files.createDirectories(dir);
        return switch (name) {
            case "safetensors" -> new Target(name, "model.safetensors",
                    List.of(fixture("bert-tiny/reference.safetensors"), fixture("llama-tiny/reference.safetensors"),
                            fixture("vit-tiny/model.safetensors")),
                    dir, f -> {
                        try (SafetensorsFile s = SafetensorsFile.open(f.resolve("model.safetensors"))) {
                            // touch every tensor: a header that lies about offsets must fail at open, not here
                            for (String n : s.names()) {
                                TensorData t = s.get(n);
                                if (t.elementCount() > 0) t.getFloat(t.elementCount() - 1);
                            }
                        }
                    });
            case "config" -> new Target(name, "config.json",
                    List.of(fixture("bert-tiny/config.json"), fixture("distilbert-tiny/config.json"),
                            fixture("gpt2-tiny/config.json"),
                            fixture("llama-tiny/config.json"), atCeilings(fixture("bert-tiny/config.json"))),
                    dir, f -> {
                        ModelConfig c = Architectures.readConfig(f.resolve("config.json"));
                        ModelGraph g = Architectures.graph(c, Architectures.GraphOptions.CONFIG_ONLY);
                        // issue 17 #4/#5: the simulator on whatever sizes the reader let through: refused with a
                        // message, or every total finite and non-negative
                        int seq = Math.max(1, Math.min(64, g.config().maxPositions()));
                        ChipProfile a15 = ChipProfiles.load().get("A15");
                        PlanResult r = AnePlanner.plan(g, Conversion.ANE_DEFAULT, a15, 1, seq, null);
                        for (PlanTotals t : List.of(r.optimized(), r.baseline())) {
                            if (!(t.dramBytes() >= 0 && t.flops() >= 0 && t.energyMj() >= 0 && t.latencyMs() >= 0
                                    && t.peakDramBytes() >= 0 && Double.isFinite(t.energyMj()))) {
                                throw new IllegalStateException("plan totals out of range: " + t);
                            }
                        }
                    });
            case "tokenizer" -> new Target(name, "tokenizer.json",
                    List.of(fixture("tok-bytelevel/tokenizer.json"), fixture("tok-llama/tokenizer.json")),
                    dir, f -> {
                        // Every mutant is a new content: probing each in a child JVM (~1 s) would make the fuzz run
                        // 100× slower, and the fuzzer exists to find the native panics themselves.
                        String before = System.getProperty(NativeTokenizerProbe.PROPERTY);
                        System.setProperty(NativeTokenizerProbe.PROPERTY, "off");
                        try (HfTokenizer t = HfTokenizer.open(f.resolve("tokenizer.json"))) {
                            t.decode(t.encode("Hello, wörld! 123").ids(), false);
                        } finally {
                            if (before == null) System.clearProperty(NativeTokenizerProbe.PROPERTY);
                            else System.setProperty(NativeTokenizerProbe.PROPERTY, before);
                        }
                    });
            case "onnx" -> {
                Path seed = dir.resolve("seed.onnx");
                cli("export", Fixtures.fixture("gpt2-tiny").toString(), "--onnx", seed.toString(), "--force");
                yield new Target(name, "model.onnx", List.of(Files.readAllBytes(seed)), dir, f -> {
                    try (OnnxWeights w = OnnxWeights.open(f.resolve("model.onnx"))) {
                        for (String n : w.names()) {
                            TensorData t = w.get(n);
                            if (t.elementCount() > 0) t.getFloat(0);
                        }
                    }
                });
            }
            case "index" -> {
                Files.copy(Fixtures.fixture("gpt2-tiny/model.safetensors"),
                        dir.resolve("model-00001-of-00001.safetensors"),
                        StandardCopyOption.REPLACE_EXISTING);
                StringBuilder sb = new StringBuilder("{\"metadata\": {\"total_size\": 769000}, \"weight_map\": {");
                try (SafetensorsFile s = SafetensorsFile.open(dir.resolve("model-00001-of-00001.safetensors"))) {
                    List<String> names = new ArrayList<>(s.names());
                    for (int i = 0; i < names.size(); i++) {
                        sb.append(i == 0 ? "" : ", ")
                                .append('"').append(names.get(i)).append("\": \"model-00001-of-00001.safetensors\"");
                    }
                }
                sb.append("}}");
                yield new Target(name, "model.safetensors.index.json", List.of(sb.toString().getBytes()), dir,
                        f -> ShardedSafetensors.open(f.resolve("model.safetensors.index.json")).close());
            }
            case "manifest" -> {
                Path pkg = dir.resolve("seed.anepkg");
                cli("convert", Fixtures.fixture("gpt2-tiny").toString(), "--out", pkg.toString(), "--force");
                Path target = dir.resolve("fuzz.anepkg");
                Files.createDirectories(target);
                try (Stream<Path> s = Files.list(pkg)) {
                    for (Path p : s.toList()) Files.copy(p, target.resolve(p.getFileName()),
                            StandardCopyOption.REPLACE_EXISTING);
                }
                yield new Target(name, "manifest.json", List.of(Files.readAllBytes(pkg.resolve("manifest.json"))),
                        target, f -> {
                    try (LoadedModel m = AnePackage.open(ModelRef.parse(f.toString()), JobContext.NONE)) {
                        AnePackage.sampleInput(m.manifest());
                    }
                });
            }
            case "image" -> {
                // PNG and JPEG of a small gradient, as ImageIO writes them (no image fixtures are files)
                BufferedImage img = new BufferedImage(16, 12, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 12; y++) for (int x = 0; x < 16; x++) img.setRGB(x, y,
                        (x * 16) << 16 | (y * 20) << 8 | 128);
                List<byte[]> seeds = new ArrayList<>();
                for (String fmt : List.of("png", "jpg")) {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    ImageIO.write(img, fmt, b);
                    seeds.add(b.toByteArray());
                }
                // issue 17 #6: long thin images near the pixel limit, whose header bytes mutate into 10^8-pixel claims
                for (int[] wh : new int[][]{{8192, 1}, {1, 8192}}) {
                    BufferedImage thin = new BufferedImage(wh[0], wh[1], BufferedImage.TYPE_BYTE_GRAY);
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    ImageIO.write(thin, "png", b);
                    seeds.add(b.toByteArray());
                }
                yield new Target(name, "input.img", seeds, dir, f -> {
                    ImagePreprocessor.Rgb rgb = ImagePreprocessor.decode(f.resolve("input.img"));
                    ImagePreprocessor.resize(rgb, 8, 8, 2);
                });
            }
            case "wav" -> new Target(name, "input.wav",
                    List.of(wav(1, 16, 22050), wav(3, 32, 16000), wav(1, 16, 8000)), dir,
                    f -> WavReader.read16k(f.resolve("input.wav")));
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** A config with its widths at the reader's ceilings (hidden 65536, intermediate 2^20, 1024 heads) and 2 layers. */
    private static byte[] atCeilings(byte[] config) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode json = (ObjectNode) m.readTree(config);
        json.put("hidden_size", 65536).put("intermediate_size", 1 << 20).put("num_attention_heads", 1024);
        return m.writeValueAsBytes(json);
    }

    /** A RIFF/WAVE file of 0.1 s of a sine: format 1 (PCM) or 3 (float), mono. */
    private static byte[] wav(int format, int bits, int rate) {
        int n = rate / 10, bytes = n * bits / 8;
        ByteBuffer b = ByteBuffer.allocate(44 + bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + bytes).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
                .putShort((short) format).putShort((short) 1).putInt(rate).putInt(rate * bits
                        / 8).putShort((short) (bits / 8)).putShort((short) bits)
                .put("data".getBytes()).putInt(bytes);
        for (int i = 0; i < n; i++) {
            double v = 0.5 * Math.sin(2 * Math.PI * 440 * i / rate);
            if (format == 3) b.putFloat((float) v);
            else b.putShort((short) (v * 32767));
        }
        return b.array();
    }

    private static void cli(String... args) {
        StringWriter err = new StringWriter();
        var cl = AnewbCli.commandLine(List.of());
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        if (rc != 0) throw new IllegalStateException("making a fuzz seed failed: anewb " + String.join(" ", args)
                + ": " + err);
    }
}
