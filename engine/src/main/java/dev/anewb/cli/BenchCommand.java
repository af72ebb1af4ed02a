package dev.anewb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.api.ModelSession;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelRef;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.kernel.EnginePool;
import dev.anewb.runtime.kernel.Fp32Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Times forward passes after warm-up; prints median, min and p90 and which kernels ran.",
                "Without --text/--ids the token ids are synthetic (fixed seed), --seq long, --batch sequences.",
                "Conversion options time the converted model (e.g. --quant int8 for the block-INT8 kernels)."})
final class BenchCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin InputOptions input;
    @Mixin ConversionOptions conversion;

    @Option(names = "--seq", paramLabel = "N", description = "Tokens per sequence for synthetic input (default 128).")
    int seq = 128;

    @Option(names = "--batch", paramLabel = "B", description = "Sequences per pass for synthetic input (default 1).")
    int batch = 1;

    @Option(names = "--threads", paramLabel = "T",
            description = "Engine worker threads (default: the available cores).")
    Integer threads;

    @Option(names = "--runs", paramLabel = "R", description = "Timed passes (default 10).")
    int runs = 10;

    @Option(names = "--warmup", paramLabel = "W",
            description = "Untimed passes first (default 10, and at least 2 s of passes so the JIT has compiled the "
                    + "kernels; 0 = none).")
    int warmup = 10;

    @Option(names = "--profile",
            description = "Also print where the time went, per op kind (summed over the timed runs).")
    boolean profile;

    @Option(names = "--json",
            description = "Print {\"median_ms\",\"min_ms\",\"p90_ms\",\"runs\",\"threads\",\"kernels\"}.")
    boolean json;

    @Override public Integer call() throws Exception {
        if (seq < 1 || batch < 1 || runs < 1
                || warmup < 0) throw AnewbException.usage("--seq, --batch and --runs must be >= 1 and --warmup >= 0");
        if (threads != null) {
            if (threads < 1) throw AnewbException.usage("--threads must be >= 1, not " + threads);
            EnginePool.setThreads(threads);
        }
        Conversion c = conversion.toConversion(false, Conversion.Precision.FP32, Conversion.Layout.HF);
        try (ModelSession s = ModelSession.open(ModelRef.parse(model.model), true, JobContext.NONE)) {
            LoadedModel m = s.model();
            m.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            int max = m.config().maxPositions();
            // a silent min(seq, max) timed 512 tokens when 600 were asked for
            if (input.isEmpty() && max > 0 && seq > max) {
                throw AnewbException.usage("--seq " + seq + " is past the model's " + max + " positions");
            }
            Batch in = input.isEmpty() ? synthetic(m.config().vocabSize(), batch, seq) : input.toBatch(m);
            Executor ex = s.executor(c);
            // W passes, and at least 2 s of them: C2 compiles a Vector API loop only after ~10^4 iterations, and
            // until then the kernels run boxed, tens of times slower (short sequences need many passes).
            long warmStart = System.nanoTime();
            for (int i = 0; i < warmup
                    || (warmup > 0 && System.nanoTime() - warmStart < 2_000_000_000L); i++) ex.run(in, JobContext.NONE);
            if (profile) ex.timeOps(true);
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                ex.run(in, JobContext.NONE);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Map<String, long[]> times = ex.opTimes();
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            double median = median(sorted), min = sorted[0],
                    p90 = sorted[Math.min(sorted.length - 1, (int) Math.ceil(0.9 * sorted.length) - 1)];
            String kernels = Fp32Kernels.kernelDescription();
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                o.put("median_ms", median).put("min_ms", min).put("p90_ms", p90).put("runs", runs)
                        .put("batch", in.batch()).put("seq", in.seq()).put("threads",
                                EnginePool.threads()).put("kernels", kernels);
                if (profile) {
                    ObjectNode p = o.putObject("profile_ms");
                    times.forEach((k, v) -> p.put(k, v[0] / 1e6 / runs));
                }
                System.out.println(om.writeValueAsString(o));
            } else {
                System.out.printf(Locale.ROOT, "%s · %s · batch %d × %d tokens · %d threads · %s%n", m.displayName(),
                        ConversionOptions.describe(c), in.batch(), in.seq(), EnginePool.threads(), kernels);
                System.out.printf(Locale.ROOT,
                        "median %.2f ms   min %.2f ms   p90 %.2f ms   (%d runs after %d warm-up)%n", median, min, p90,
                                runs, warmup);
                if (profile) {
                    double total = times.values().stream().mapToDouble(v -> v[0]).sum();
                    times.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) ->
                            e.getValue()[0]).reversed())
                            .forEach(e -> System.out.printf(Locale.ROOT,
                                    "  %-22s %8.2f ms/pass %5.1f%%  (%d calls/pass)%n", e.getKey(),
                                    e.getValue()[0] / 1e6 / runs, 100 * e.getValue()[0] / total, e.getValue()[1]
                                            / runs));
                }
            }
        }
        return 0;
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Fixed-seed ids from the middle of the vocabulary (no special tokens), all real (no padding). */
    static Batch synthetic(int vocab, int batch, int seq) {
        Random r = new Random(42);
        long[][] ids = new long[batch][seq];
        int[][] mask = new int[batch][seq];
        int lo = Math.min(1000, vocab / 4), span = Math.max(1, Math.min(vocab - lo, 20000));
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                ids[b][t] = lo + r.nextInt(span);
                mask[b][t] = 1;
            }
        }
        return new Batch(batch, seq, ids, null, mask);
    }
}
