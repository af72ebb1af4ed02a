package dev.anewb.runtime;

import dev.anewb.AnewbException;
import dev.anewb.io.ByteSizes;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.WeightInfo;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses a model whose prepared weights cannot fit the JVM's heap, before anything is loaded, with a message
 * that says what to do — instead of an OutOfMemoryError halfway through. Embedding tables stay memory-mapped;
 * the executor holds projections on the heap: float32 panels (4 bytes per weight, FP16 weights are widened for
 * the kernels) or INT8 codes with their block scales and zero points.
 */
public final class MemoryBudget {
    /**
     * Share of the maximum heap one executor's weights may take: the rest holds the transient float copy a
     * weight goes through while it is packed, the transposed copies an ONNX source keeps, activations and the UI.
     */
    static final double SHARE = 0.5;

    private MemoryBudget() { }

    /** Heap bytes an executor of {@code graph} holds for its projection weights. */
    public static long weightHeapBytes(ModelGraph graph) {
        long bytes = 0;
        Set<String> seen = new HashSet<>();
        for (Op op : graph.ops()) {
            if (!(op instanceof Op.Linear l) || !seen.add(l.weight())) continue;
            WeightInfo w = graph.weights().get(l.weight());
            if (w.quant() != null) {
                long rows = w.shape()[0], k = w.shape()[1];
                long blocks = (k - 1) / w.quant().blockSize() + 1;
                bytes += rows * k + rows * blocks * 3;
            } else {
                bytes += 4 * w.elements();
            }
        }
        return bytes;
    }

    /** Throws a clear error when {@code graph}'s executor would not fit in {@code maxHeap} bytes. */
    public static void check(ModelGraph graph, String what, long maxHeap) {
        long need = weightHeapBytes(graph);
        if (need > SHARE * maxHeap) {
            throw new AnewbException(String.format(Locale.ROOT,
                    "%s needs about %s of memory for its weights (%,d parameters) but this JVM may use at most %s; "
                            + "start it with more (JAVA_OPTS=-Xmx%dg ./anewb ...) or choose a smaller model",
                    what, gib(need), graph.parameterCount(), gib(maxHeap), (long) Math.ceil(need / SHARE / (1L << 30)) + 1));
        }
    }

    public static void check(ModelGraph graph, String what) {
        check(graph, what, Runtime.getRuntime().maxMemory());
    }

    private static String gib(long b) {
        return ByteSizes.format(b);
    }
}
