package dev.anewb.bench;

import dev.anewb.model.ChunkPlan;
import dev.anewb.quant.BlockQuantizer;
import dev.anewb.runtime.kernel.Activations;
import dev.anewb.runtime.kernel.AttentionKernels;
import dev.anewb.runtime.kernel.LinearWeight;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The engine's kernels on MiniLM / BERT shapes: FP32 and block-INT8 projections (one MiniLM FFN up-projection,
 * 384 → 1536), attention of one layer, GELU. Run with
 * {@code ./mvnw -Pbench -pl bench -am -DskipTests verify -Dbench.main=org.openjdk.jmh.Main
 * -Dbench.args="KernelBenchmark"};
 * add {@code -Danewb.kernels=scalar} to {@code bench.args}' JVM via {@code -Dbench.heap="-Xmx2g
 * -Danewb.kernels=scalar"}
 * to time the portable kernels.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmark {
    @Param({"1", "16", "128"})
    int tokens;

    static final int K = 384, ROWS = 1536, HEADS = 12, HEAD_DIM = 32;

    LinearWeight f32, int8;
    float[] x, y, q, k, v, out, act;
    ChunkPlan plan;

    @Setup
    public void setup() {
        Random r = new Random(1);
        float[] w = new float[ROWS * K];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * 0.05);
        f32 = LinearWeight.f32(w, K);
        int8 = LinearWeight.int8(new BlockQuantizer(128, false).quantize(w, ROWS, K));
        x = new float[tokens * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        y = new float[tokens * ROWS];
        q = new float[tokens * HEADS * HEAD_DIM];
        k = new float[tokens * HEADS * HEAD_DIM];
        v = new float[tokens * HEADS * HEAD_DIM];
        out = new float[tokens * HEADS * HEAD_DIM];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian();
            k[i] = (float) r.nextGaussian();
            v[i] = (float) r.nextGaussian();
        }
        plan = ChunkPlan.full(tokens, false);
        act = new float[tokens * ROWS];
    }

    @Benchmark
    public float[] matmulF32() {
        f32.matmul(x, tokens, null, y);
        return y;
    }

    @Benchmark
    public float[] matmulInt8B128() {
        int8.matmul(x, tokens, null, y);
        return y;
    }

    @Benchmark
    public float[] attentionOneLayer() {
        AttentionKernels.attend(q, k, v, HEADS, HEADS, HEAD_DIM, 0.17677669f, plan, null, out);
        return out;
    }

    @Benchmark
    public float[] geluErf() {
        System.arraycopy(y, 0, act, 0, act.length);
        Activations.apply("gelu", act);
        return act;
    }
}
