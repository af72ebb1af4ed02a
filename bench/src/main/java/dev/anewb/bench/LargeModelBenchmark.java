package dev.anewb.bench;

import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.ChipProfiles;
import dev.anewb.ane.LayoutCatalog;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelSession;
import dev.anewb.io.ModelInfo;
import dev.anewb.io.SyntheticModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.DType;
import dev.anewb.model.LayerRange;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.Generator;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The large-model targets of issue 18 on Llama-3.2-1B- and Llama-3.1-8B-shaped models (random BF16 weights written
 * by {@link SyntheticModel} from the configs in {@code bench/configs} when no folder is given): opening, planning and
 * laying out the 8B model (in this JVM and as CLI commands, with resident memory), drift of a range of 8B blocks,
 * 1B generation (first token, tokens/s against the memory-bandwidth bound of the bytes each token streams) in FP32
 * and the ANE default conversion, and 1B drift of all blocks. Prints a Markdown table.
 *
 * <p>Arguments: {@code [--model-1b DIR] [--model-8b DIR] [--work DIR] [--only open8b|drift8b|generate1b|drift1b]
 * [--anewb PATH]} ({@code --anewb} is the launcher the CLI rows run, default the project's {@code anewb}).
 */
public final class LargeModelBenchmark {
    /** The project root: Maven runs benchmarks in bench/. */
    static final Path ROOT = Files.exists(Path.of("anewb")) ? Path.of("") : Path.of("..");
    Path model1b, model8b, work = Path.of(System.getProperty("java.io.tmpdir"), "anewb-large-models");
    String only, anewb = ROOT.resolve("anewb").toString();
    final List<String[]> rows = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        LargeModelBenchmark b = new LargeModelBenchmark();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model-1b" -> b.model1b = Path.of(args[++i]);
                case "--model-8b" -> b.model8b = Path.of(args[++i]);
                case "--work" -> b.work = Path.of(args[++i]);
                case "--only" -> b.only = args[++i];
                case "--anewb" -> b.anewb = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        b.run();
    }

    boolean wants(String part) { return only == null || only.equals(part); }

    void run() throws Exception {
        System.out.println(PeerBenchmark.machine());
        double copyGBs = PeerBenchmark.copyBandwidth();
        System.out.printf(Locale.ROOT, "copy bandwidth (System.arraycopy of 256 MiB, median of 7): %.2f GB/s%n",
                copyGBs);
        if (wants("open8b") || wants("drift8b")) {
            Path m = model("llama-3.1-8b", model8b);
            if (wants("open8b")) open8b(m);
            if (wants("drift8b")) drift8b(m);
        }
        if (wants("generate1b") || wants("drift1b")) {
            Path m = model("llama-3.2-1b", model1b);
            if (wants("generate1b")) generate1b(m, copyGBs);
            if (wants("drift1b")) drift1b(m);
        }
        System.out.println();
        System.out.println("| workload | measured | target |");
        System.out.println("| --- | --- | --- |");
        for (String[] r : rows) System.out.println("| " + String.join(" | ", r) + " |");
    }

    /** The given folder, or a random-weight model written once into the work folder. */
    Path model(String config, Path given) {
        if (given != null) return given;
        Path dir = work.resolve(config);
        if (Files.isDirectory(dir)) return dir;
        System.out.println("writing " + dir + " (random BF16 weights)...");
        return SyntheticModel.write(ROOT.resolve("bench/configs").resolve(config + ".json"), dir, DType.BF16, 0,
                SyntheticModel.SHARD_BYTES, null,
                false, JobContext.NONE);
    }

    void row(String workload, String measured, String target) {
        rows.add(new String[]{workload, measured, target});
        System.out.println(workload + ": " + measured + "   (target " + target + ")");
    }

    // ---- 8B: open, plan, layout; a range of blocks -----------------------------------------------------------

    void open8b(Path m) throws Exception {
        for (String[] cmd : List.of(new String[]{"info", m.toString()},
                new String[]{"plan", m.toString(), "--chip", "M4", "--seq", "2048"},
                new String[]{"layout", m.toString(), "--tensor", "model.layers.0.self_attn.q_proj.weight"})) {
            List<Double> s = new ArrayList<>();
            long rss = 0;
            for (int i = 0; i < 3; i++) {
                Cli c = cli(cmd);
                s.add(c.seconds());
                rss = Math.max(rss, c.maxRssKb());
            }
            row("8B `anewb " + cmd[0] + "`" + (cmd[0].equals("plan") ? " --seq 2048" : "") + " (whole command, 3 runs)",
                    String.format(Locale.ROOT, "%.2f s median (%.2f–%.2f), max resident %.0f MB", median(s), min(s),
                            max(s), rss / 1e3),
                    "< 5 s; resident < 2 GB");
        }
        long t0 = System.nanoTime();
        try (ModelSession s = ModelSession.open(m.toString(), JobContext.NONE)) {
            ModelInfo.of(s.model());
            AnePlanner.plan(s.model().graph(), Conversion.ANE_DEFAULT, ChipProfiles.bundled().all().get("M4"), 1, 2048,
                    null);
            LayoutCatalog.find(s.model().graph(), Conversion.ANE_DEFAULT, 1, 2048,
                    "model.layers.0.self_attn.q_proj.weight",
                    ChipProfiles.bundled().constants());
            row("8B open + model card + plan seq 2048 + layout, in one JVM (what the workbench does on open)",
                    String.format(Locale.ROOT, "%.2f s, resident %.0f MB", (System.nanoTime() - t0) / 1e9, rssMb()),
                    "< 5 s; resident < 2 GB");
        }
    }

    void drift8b(Path m) {
        try (ModelSession s = ModelSession.open(m.toString(), JobContext.NONE)) {
            Batch b = Batch.of(ids(16));
            resetPeaks();
            long t0 = System.nanoTime();
            ConvertedModel c = s.convert(Conversion.ANE_DEFAULT);
            c.drift(b, false, new LayerRange(0, 3), JobContext.NONE, null);
            double first = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            s.convert(Conversion.ANE_DEFAULT.withInt8(true, 64, false)).drift(b, false, new LayerRange(0, 3),
                    JobContext.NONE, null);
            double again = (System.nanoTime() - t0) / 1e9;
            row("8B drift --layers 0-3, ANE default, 16 tokens (first run: reference + quantization; then block 64)",
                    String.format(Locale.ROOT, "%.1f s, then %.1f s; peak heap %.2f GB", first, again, peakHeapGb()),
                    "< 30 s per 4 layers; heap < 8 GB");
        }
    }

    // ---- 1B: generation, drift ---------------------------------------------------------------------------------

    void generate1b(Path m, double copyGBs) throws Exception {
        for (Conversion c : List.of(Conversion.ORIGINAL, Conversion.ANE_DEFAULT)) {
            String what = c.isOriginal() ? "FP32/BF16 original" : "ANE default (INT8 block 128, FP16, BC1S)";
            long t0 = System.nanoTime();
            try (ModelSession s = ModelSession.open(m.toString(), JobContext.NONE)) {
                Executor ex = s.executor(c);
                long[] firstAt = {0};
                List<Long> at = new ArrayList<>();
                new Generator(ex, null).generate(ids(5), Map.of(), 32, Generator.Sampling.GREEDY,
                        (id, text) -> {
                    long now = System.nanoTime();
                    if (firstAt[0] == 0) firstAt[0] = now;
                    at.add(now);
                }, JobContext.NONE);
                double first = (firstAt[0] - t0) / 1e9;
                // per-token times: the second half of this run and a second, warm run of 32 (a shared machine's
                // hiccups show in the spread instead of moving one mean)
                List<Double> steps = new ArrayList<>();
                for (int i = at.size() / 2 + 1; i < at.size(); i++) steps.add((at.get(i) - at.get(i - 1)) / 1e9);
                at.clear();
                new Generator(ex, null).generate(ids(5), Map.of(), 32, Generator.Sampling.GREEDY,
                        (id, text) -> at.add(System.nanoTime()), JobContext.NONE);
                for (int i = 1; i < at.size(); i++) steps.add((at.get(i) - at.get(i - 1)) / 1e9);
                double perToken = median(steps);
                List<Double> sorted = steps.stream().sorted().toList();
                double p10 = sorted.get(sorted.size() / 10), p90 = sorted.get(sorted.size() * 9 / 10);
                double bound = ex.streamedWeightBytes() / (copyGBs * 1e9);
                row("1B generate, " + what + ": first token after open; tokens/s, median of " + steps.size()
                        + " steps (second half of 32, then 31 more)",
                        String.format(Locale.ROOT,
                                "first token %.2f s; %.2f tokens/s (%.0f ms/token, p10–p90 %.0f–%.0f); bound %.0f "
                                + "ms/token (%.2f GB/token ÷ %.1f GB/s)", first, 1 / perToken, perToken * 1e3,
                                p10 * 1e3, p90 * 1e3, bound * 1e3, ex.streamedWeightBytes() / 1e9, copyGBs),
                        c.isOriginal() ? "first token < 5 s; >= 4 tokens/s" : ">= 8 tokens/s");
            }
        }
        for (String[] extra : List.of(new String[0],
                new String[]{"--quant", "int8", "--precision", "fp16", "--layout", "bc1s"})) {
            // A random-weight model's ids decode to no text, so nothing streams: the whole command with one new
            // token is the time from the command's start to its first token.
            for (String tokens : List.of("1", "16")) {
                List<String> cmd = new ArrayList<>(List.of("generate", m.toString(), "--ids", "1,2,3,4,5",
                        "--max-new-tokens", tokens));
                cmd.addAll(List.of(extra));
                Cli cl = cli(cmd.toArray(String[]::new));
                row("1B `anewb generate` " + String.join(" ", extra) + " --max-new-tokens " + tokens
                        + " (whole command)", String.format(Locale.ROOT, "%.1f s; max resident %.1f GB",
                                cl.seconds(), cl.maxRssKb() / 1e6),
                        tokens.equals("1") ? (extra.length == 0 ? "first token < 5 s" : "–") : "–");
            }
        }
    }

    void drift1b(Path m) {
        try (ModelSession s = ModelSession.open(m.toString(), JobContext.NONE)) {
            Batch b = Batch.of(ids(16));
            resetPeaks();
            long t0 = System.nanoTime();
            long[] firstTap = {0};
            s.convert(Conversion.ANE_DEFAULT).drift(b, false, null, JobContext.NONE, t -> {
                if (firstTap[0] == 0 && t.name().startsWith("layers.")) firstTap[0] = System.nanoTime();
            });
            double all = (System.nanoTime() - t0) / 1e9;
            // this drift's own heap, before the block-size moves below keep more executors
            double peak = peakHeapGb(), live = liveHeapGb();
            List<Double> moves = new ArrayList<>();
            List<Double> firsts = new ArrayList<>();
            for (int block : new int[]{64, 32, 256, 128, 96}) {
                long m0 = System.nanoTime();
                long[] f = {0};
                s.convert(Conversion.ANE_DEFAULT.withInt8(true, block, false)).drift(b, false, null, JobContext.NONE,
                        t -> {
                    if (f[0] == 0 && t.name().startsWith("layers.")) f[0] = System.nanoTime();
                });
                moves.add((System.nanoTime() - m0) / 1e9);
                firsts.add((f[0] - m0) / 1e9);
            }
            row("1B drift, ANE default, one 16-token input, all layers (first run: reference + quantization)",
                    String.format(Locale.ROOT, "%.1f s (first block's taps at %.1f s); heap %.2f GB live after it, "
                            + "%.2f GB peak (sum of the pools' peaks, garbage included)", all,
                            (firstTap[0] - t0) / 1e9, live, peak), "< 10 s; heap < 4 GB");
            row("1B block-size change (5 moves: quantize + converted pass; the reference is cached)",
                    String.format(Locale.ROOT,
                            "all layers %.1f s median (%.1f–%.1f); first block's taps %.2f s median", median(moves),
                            min(moves), max(moves), median(firsts)), "first layers < 1 s; all < 10 s");
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    static long[] ids(int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = 100 + 37L * i;
        return ids;
    }

    record Cli(double seconds, long maxRssKb) { }

    /** Runs the launcher under /usr/bin/time, timing the whole command (first token: run it with one new token). */
    Cli cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-f", "MAXRSS %M", anewb));
        cmd.addAll(List.of(args));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        long rss = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("MAXRSS ")) rss = Long.parseLong(line.substring(7).trim());
            }
        }
        int code = p.waitFor();
        if (code != 0) throw new IllegalStateException(String.join(" ", cmd) + " exited with " + code);
        return new Cli((System.nanoTime() - t0) / 1e9, rss);
    }

    static double rssMb() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1e3;
        }
        return -1;
    }

    static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
    }

    /** Heap in use after a full collection: what the run keeps. */
    static double liveHeapGb() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1e9;
    }

    static double peakHeapGb() {
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) peak += p.getPeakUsage().getUsed();
        }
        return peak / 1e9;
    }

    static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double min(List<Double> v) { return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN); }

    static double max(List<Double> v) { return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN); }
}
