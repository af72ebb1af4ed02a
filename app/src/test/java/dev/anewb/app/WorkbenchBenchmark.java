package dev.anewb.app;

import dev.anewb.app.conversion.ConversionViewModel;
import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.layout.LayoutViewModel;
import dev.anewb.app.memory.MemoryViewModel;
import dev.anewb.app.session.Session;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.io.BundledModel;
import dev.anewb.io.SyntheticModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.DType;
import javafx.application.Platform;
import javafx.collections.ListChangeListener;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The workbench's responsiveness without a screen (issue 18): the Drift, Memory and Layout view models on one session,
 * driven headless through the conversion panel's view model as the slider drives it. The block size moves through a
 * fixed sequence; each move is timed from the change to the moment all three areas show the new configuration
 * (Drift's report, Memory's plan, Layout's tensor tree), and for a large model also to Drift's first streamed taps.
 * Reports p50 and p90 per model.
 * <pre>
 * ./mvnw -o -B -Pworkbench-bench -pl app -am -DskipTests verify \
 *     -Dbench.args="--bert-base /tmp/bert-base-random [--large /tmp/llama-1b [--large-only]] [--moves 24]"
 * </pre>
 * {@code --large DIR} is a Llama-3.2-1B-shaped folder
 * ({@code ./anewb synth bench/configs/llama-3.2-1b.json --out DIR});
 * it is measured with Drift's default range (its first layers) and with every layer.
 */
public final class WorkbenchBenchmark {
    /** Eight distinct block sizes, cycled: more than the session keeps converted, so every move converts afresh. */
    static final int[] BLOCKS = {64, 32, 128, 256, 16, 96, 48, 192};
    static final int WARM_UP_MOVES = 2;

    private WorkbenchBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path bertBase = null, large = null;
        int moves = 24;
        boolean largeOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--bert-base" -> bertBase = Path.of(args[++i]);
                case "--large" -> large = Path.of(args[++i]);
                case "--moves" -> moves = Integer.parseInt(args[++i]);
                case "--large-only" -> largeOnly = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.setProperty("glass.platform", System.getProperty("glass.platform", "Headless"));
        System.setProperty("prism.order", System.getProperty("prism.order", "sw"));
        CountDownLatch up = new CountDownLatch(1);
        Platform.startup(up::countDown);
        up.await();
        Platform.setImplicitExit(false);
        System.out.printf(Locale.ROOT, "%d cores, max heap %.1f GiB, Java %s%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / 1073741824.0,
                System.getProperty("java.version"));
        List<String> rows = new ArrayList<>();
        if (!largeOnly) rows.add(run("bundled MiniLM (all-MiniLM-L6-v2, 22.7M)", BundledModel.ID, moves, false));
        if (bertBase != null && !largeOnly) {
            rows.add(run("BERT-base-sized random (110M)", bertBaseFolder(bertBase).toString(), moves, false));
        }
        if (large != null) {
            int few = Math.max(4, moves / 3);
            rows.add(run("1B (Llama-3.2-1B-shaped), first layers", large.toString(), few, false));
            rows.add(run("1B (Llama-3.2-1B-shaped), all layers", large.toString(), few, true));
        }
        System.out.println();
        System.out.println("| model | moves | all three shown p50 / p90 ms | Drift p50 / p90 | Memory p50 | Layout p50 "
                + "| first taps on screen p50 / p90 |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        rows.forEach(System.out::println);
        Platform.exit();
        System.exit(0);
    }

    /** A BERT-base config with random BF16 weights and the bundled MiniLM's tokenizer (the same 30522 vocabulary). */
    static Path bertBaseFolder(Path dir) throws Exception {
        if (Files.exists(dir.resolve("config.json"))) return dir;
        Path cfg = Files.createTempFile("bert-base", ".json");
        Files.writeString(cfg, """
                {"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 768, "num_hidden_layers": 12,
                 "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu", "vocab_size": 30522,
                 "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12}
                """);
        return SyntheticModel.write(cfg, dir, DType.F32, 7, SyntheticModel.SHARD_BYTES,
                BundledModel.tokenizerPath(), false, JobContext.NONE);
    }

    /** The FX-side state of one measured model. */
    private static final class Bench {
        FxJobs jobs;
        Session session;
        ConversionViewModel panel;
        DriftViewModel drift;
        MemoryViewModel memory;
        LayoutViewModel layout;
        volatile int target;
        final AtomicLong driftAt = new AtomicLong(), memoryAt = new AtomicLong(), layoutAt = new AtomicLong();
        final AtomicLong firstTapsAt = new AtomicLong();
        volatile CountDownLatch done = new CountDownLatch(0);

        boolean driftShows(int block) {
            var m = drift.measuredProperty().get();
            return m != null && m.conversion().blockSize() == block && !drift.computingProperty().get();
        }

        boolean memoryShows(int block) {
            var p = memory.plan();
            return p != null && p.optimized().conversion().blockSize() == block;
        }

        void check() {
            int b = target;
            long now = System.nanoTime();
            if (driftAt.get() == 0 && driftShows(b)) driftAt.set(now);
            if (memoryAt.get() == 0 && memoryShows(b)) memoryAt.set(now);
            if (driftAt.get() != 0 && memoryAt.get() != 0 && layoutAt.get() != 0) done.countDown();
        }
    }

    private static String run(String name, String model, int moves, boolean allLayers) throws Exception {
        Bench b = onFx(() -> {
            Bench x = new Bench();
            x.jobs = new FxJobs();
            x.session = new Session(SettingsStore.inMemory(), x.jobs);
            x.panel = new ConversionViewModel(x.session);
            x.drift = new DriftViewModel(x.session);
            x.memory = new MemoryViewModel(x.session);
            x.layout = new LayoutViewModel(x.session);
            x.drift.measuredProperty().addListener(o -> x.check());
            x.drift.computingProperty().addListener(o -> x.check());
            x.memory.outcomeProperty().addListener(o -> x.check());
            // Layout resolves on the FX thread as the converted graph changes: its tree is rebuilt for it.
            x.layout.treeProperty().addListener(o -> {
                if (x.layoutAt.get() == 0) x.layoutAt.set(System.nanoTime());
                x.check();
            });
            x.drift.rows().addListener((ListChangeListener<DriftViewModel.TapRow>) c -> {
                var m = x.drift.measuredProperty().get();
                boolean old = m == null || m.conversion().blockSize() != x.target;
                if (old && !x.drift.rows().isEmpty() && x.firstTapsAt.get() == 0) x.firstTapsAt.set(System.nanoTime());
            });
            x.session.load(model);
            return x;
        });
        long t0 = System.nanoTime();
        waitFor(() -> failed(b, name) || b.session.model() != null, 600);
        System.out.printf(Locale.ROOT, "%s: loaded in %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
        if (allLayers) onFx(() -> {
            b.drift.layersProperty().set(b.drift.rangeChoices().getFirst());
            return null;
        });
        int first = b.session.conversion().blockSize();
        waitFor(() -> failed(b, name) || b.driftShows(first) && b.memoryShows(first), 900);
        System.out.printf(Locale.ROOT, "%s: first drift and plan in %.1f s (%s)%n", name,
                (System.nanoTime() - t0) / 1e9, b.drift.statusProperty().get());
        List<Double> all = new ArrayList<>(), drift = new ArrayList<>(), memory = new ArrayList<>();
        List<Double> layout = new ArrayList<>(), taps = new ArrayList<>();
        for (int i = 0; i < moves + WARM_UP_MOVES; i++) {
            int block = BLOCKS[i % BLOCKS.length];
            b.driftAt.set(0);
            b.memoryAt.set(0);
            b.layoutAt.set(0);
            b.firstTapsAt.set(0);
            b.done = new CountDownLatch(1);
            long[] start = new long[1];
            onFx(() -> {
                b.target = block;
                start[0] = System.nanoTime();
                b.panel.blockSizeProperty().set(block);
                return null;
            });
            long deadline = System.nanoTime() + 600_000_000_000L;
            while (!b.done.await(1, TimeUnit.SECONDS)) {
                if (!b.jobs.failures().isEmpty()) {
                    throw new IllegalStateException(name + ": move " + i + " failed: "
                            + b.jobs.failures().getFirst().title() + ": " + b.jobs.failures().getFirst().message());
                }
                if (System.nanoTime() > deadline) throw new IllegalStateException(name + ": move " + i + " hung");
            }
            double ms = (Math.max(b.driftAt.get(), Math.max(b.memoryAt.get(), b.layoutAt.get())) - start[0]) / 1e6;
            System.out.printf(Locale.ROOT,
                    "  move %2d → block %3d: %8.1f ms (drift %.1f, memory %.1f, layout %.1f%s) heap %.1f GiB%n",
                    i, block, ms, (b.driftAt.get() - start[0]) / 1e6, (b.memoryAt.get() - start[0]) / 1e6,
                    (b.layoutAt.get() - start[0]) / 1e6, b.firstTapsAt.get() == 0 ? ""
                            : String.format(Locale.ROOT, ", first taps %.1f", (b.firstTapsAt.get() - start[0]) / 1e6),
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1073741824.0);
            if (i < WARM_UP_MOVES) continue;
            all.add(ms);
            drift.add((b.driftAt.get() - start[0]) / 1e6);
            memory.add((b.memoryAt.get() - start[0]) / 1e6);
            layout.add((b.layoutAt.get() - start[0]) / 1e6);
            if (b.firstTapsAt.get() != 0) taps.add((b.firstTapsAt.get() - start[0]) / 1e6);
        }
        onFx(() -> {
            b.drift.dispose();
            b.memory.dispose();
            b.layout.dispose();
            b.session.close();
            b.jobs.close();
            return null;
        });
        return String.format(Locale.ROOT, "| %s | %d | %.0f / %.0f | %.0f / %.0f | %.0f | %.0f | %s |", name,
                all.size(),
                pct(all, 50), pct(all, 90), pct(drift, 50), pct(drift, 90), pct(memory, 50), pct(layout, 50),
                taps.isEmpty() ? "– (report before 250 ms)"
                        : String.format(Locale.ROOT, "%.0f / %.0f", pct(taps, 50), pct(taps, 90)));
    }

    /** Stops the benchmark with a job's own message rather than waiting out a timeout. */
    private static boolean failed(Bench b, String name) {
        if (b.jobs.failures().isEmpty()) return false;
        throw new IllegalStateException(name + ": " + b.jobs.failures().getFirst().message());
    }

    static double pct(List<Double> v, int p) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (s.length == 0) return Double.NaN;
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }

    private static <T> T onFx(Supplier<T> f) throws Exception {
        CompletableFuture<T> r = new CompletableFuture<>();
        Platform.runLater(() -> {
            try {
                r.complete(f.get());
            } catch (Throwable t) {
                r.completeExceptionally(t);
            }
        });
        return r.get(60, TimeUnit.SECONDS);
    }

    private static void waitFor(Supplier<Boolean> ready, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (!onFx(ready)) {
            if (System.nanoTime() > end) throw new IllegalStateException("timed out");
            Thread.sleep(20);
        }
    }
}
