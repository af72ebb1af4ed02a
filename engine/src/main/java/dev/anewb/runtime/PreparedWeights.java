package dev.anewb.runtime;

import dev.anewb.model.ModelGraph;
import dev.anewb.runtime.kernel.LinearWeight;

import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Projection weights prepared for the kernels (FP32 panels, FP16-rounded panels, block-INT8 codes), shared by every
 * executor of one weight source, by tensor name and prepared form: the original model, its BC1S-only conversion and
 * drift's per-cause conversions need the same FP32 panels, and every conversion with one INT8 setting the same codes
 * (a BERT-base drift --by-cause held four full copies before they were shared). Weakly held: a prepared weight lives
 * as long as an executor that uses it, so the codes of a block size no longer shown are freed.
 *
 * <p>One instance per loaded model, owned by the api's {@code ModelSession} together with its executors.
 */
public final class PreparedWeights {
    private final Map<String, Holder> byNameAndForm = new ConcurrentHashMap<>();
    private final boolean packsFloatWeights;

    /**
     * @param packsFloatWeights float projections packed once into panels (every executor of a model decides alike,
     *                          from the whole model: {@link MemoryBudget#packsFloatWeights}), or read from the mapped
     *                          file on every call
     */
    public PreparedWeights(boolean packsFloatWeights) {
        this.packsFloatWeights = packsFloatWeights;
    }

    /** For the executors of {@code model}. */
    public static PreparedWeights of(ModelGraph model) {
        return new PreparedWeights(MemoryBudget.packsFloatWeights(model));
    }

    boolean packsFloatWeights() {
        return packsFloatWeights;
    }

    private static final class Holder {
        WeakReference<LinearWeight> ref = new WeakReference<>(null);
    }

    /** The weight {@code name} in {@code form}, prepared by {@code prepare} when no executor holds it any more. */
    LinearWeight get(String name, String form, Supplier<LinearWeight> prepare) {
        Holder holder = byNameAndForm.computeIfAbsent(name + " | " + form, k -> new Holder());
        synchronized (holder) {
            LinearWeight w = holder.ref.get();
            if (w == null) {
                w = prepare.get();
                holder.ref = new WeakReference<>(w);
            }
            return w;
        }
    }
}
