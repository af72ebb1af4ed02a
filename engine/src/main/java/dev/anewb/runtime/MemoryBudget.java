package dev.anewb.runtime;

import dev.anewb.AnewbException;
import dev.anewb.io.ByteSizes;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.WeightInfo;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * What an executor holds on the heap, and a refusal with a message that says what to do when that cannot fit the
 * JVM's heap, before anything is loaded, instead of an OutOfMemoryError halfway through. Embedding tables stay
 * memory-mapped. Block-INT8 projections are held as codes with their block scales and zero points. Float projections
 * are packed once into float32 panels while all of them fit {@link #PACK_LIMIT} (the fast path, every model up to
 * GPT-2 and BERT-base sizes); above it they are read from the mapped file on every call and take no heap.
 */
public final class MemoryBudget {
    /**
     * Share of the maximum heap one executor's weights may take: the rest holds the transient float copy a
     * weight goes through while it is quantized or packed, activations, other executors and the UI.
     */
    static final double SHARE = 0.5;
    /** Largest float32 panel set an executor packs (and no more than a quarter of the heap). */
    static final long PACK_LIMIT = 768L << 20;

    private MemoryBudget() { }

    /** Bytes of float32 panels the float (not quantized) projections of {@code graph} would take. */
    static long floatPanelBytes(ModelGraph graph) {
        long bytes = 0;
        for (WeightInfo w : projections(graph)) if (w.quant() == null) bytes += 4 * w.elements();
        return bytes;
    }

    /** True when the executor packs its float projections; false when it reads them from the mapped file. */
    public static boolean packsFloatWeights(ModelGraph graph) {
        return packsFloatWeights(graph, Runtime.getRuntime().maxMemory());
    }

    static boolean packsFloatWeights(ModelGraph graph, long maxHeap) {
        return floatPanelBytes(graph) <= Math.min(PACK_LIMIT, maxHeap / 4);
    }

    /** Heap bytes an executor of {@code graph} holds for its projection weights. */
    public static long weightHeapBytes(ModelGraph graph) {
        return weightHeapBytes(graph, packsFloatWeights(graph));
    }

    static long weightHeapBytes(ModelGraph graph, boolean packsFloatWeights) {
        long bytes = packsFloatWeights ? floatPanelBytes(graph) : 0;
        for (WeightInfo w : projections(graph)) {
            if (w.quant() == null) continue;
            long rows = w.shape()[0], k = w.shape()[1];
            long blocks = (k - 1) / w.quant().blockSize() + 1;
            bytes += rows * k + rows * blocks * 3;
        }
        return bytes;
    }

    private static Set<WeightInfo> projections(ModelGraph graph) {
        Set<WeightInfo> out = new LinkedHashSet<>();
        for (Op op : graph.ops()) if (op instanceof Op.Linear l) out.add(graph.weights().get(l.weight()));
        return out;
    }

    /** Throws a clear error when {@code graph}'s executor would not fit in {@code maxHeap} bytes. */
    public static void check(ModelGraph graph, String what, long maxHeap) {
        check(graph, what, maxHeap, packsFloatWeights(graph, maxHeap));
    }

    static void check(ModelGraph graph, String what, long maxHeap, boolean packsFloatWeights) {
        long need = weightHeapBytes(graph, packsFloatWeights);
        if (need > SHARE * maxHeap) {
            throw new AnewbException(String.format(Locale.ROOT,
                    "%s needs about %s of memory for its weights (%,d parameters) but this JVM may use at most %s; "
                            + "start it with more (JAVA_OPTS=-Xmx%dg ./anewb ...) or choose a smaller model",
                    what, gib(need), graph.parameterCount(), gib(maxHeap), (long) Math.ceil(need / SHARE / (1L << 30))
                            + 1));
        }
    }

    public static void check(ModelGraph graph, String what) {
        check(graph, what, Runtime.getRuntime().maxMemory());
    }

    private static String gib(long b) {
        return ByteSizes.format(b);
    }
}
