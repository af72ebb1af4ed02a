package dev.anewb.quant;

/**
 * A weight source that already holds block-INT8 weights (a converted package): the executor uses them as
 * stored instead of quantizing a float copy, so a package runs exactly the weights it ships.
 */
public interface QuantizedWeights {
    /** The stored INT8 weight of a projection, or null when this weight is stored as float. */
    Int8BlockWeight quantized(String name);
}
