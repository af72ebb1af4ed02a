package dev.anewb.quant;

import dev.anewb.AnewbException;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightSource;

import java.util.function.Supplier;

/**
 * A weight quantized on first use and kept until released, so the codes, scales and zero points an exporter writes as
 * separate blobs or initializers come from one quantization pass, and the codes are dropped once the last is written.
 */
public final class QuantizedOnce {
    private final Supplier<Int8BlockWeight> quantize;
    private Int8BlockWeight cached;

    public QuantizedOnce(Supplier<Int8BlockWeight> quantize) { this.quantize = quantize; }

    /**
     * The INT8 weight a converted package stores under {@code name} (checked against the [rows, k] the config
     * implies), or null when {@code weights} are not a package's: then the exporter quantizes, as the executor does.
     */
    public static Int8BlockWeight stored(WeightSource weights, String name, int rows, int k) {
        Int8BlockWeight stored = weights instanceof QuantizedWeights qw ? qw.quantized(name) : null;
        if (stored != null && (stored.rows() != rows || stored.k() != k)) {
            throw AnewbException.file(weights.origin(), "INT8 tensor \"" + name + "\" is [" + stored.rows() + ", "
                    + stored.k() + "] but the config implies [" + rows + ", " + k + "]");
        }
        return stored;
    }

    /** {@code stored} if there is one, else {@code name} quantized with its conversion's scheme on first use. */
    public static QuantizedOnce of(WeightSource weights, String name, WeightInfo info, Int8BlockWeight stored) {
        return new QuantizedOnce(() -> stored != null ? stored
                : BlockQuantizer.of(info.quant()).quantize(weights.get(name), info));
    }

    public synchronized Int8BlockWeight get() {
        if (cached == null) cached = quantize.get();
        return cached;
    }

    public synchronized void release() { cached = null; }
}
