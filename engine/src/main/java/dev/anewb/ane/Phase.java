package dev.anewb.ane;

/** What a plan covers: the whole prompt at once, or one generated token of a causal decoder with its KV cache. */
public enum Phase {
    /** Every position in one evaluation (encoders; the prompt of a decoder, writing its KV cache). */
    PREFILL,
    /** One new token per sequence, reading the KV cache of {@code seq} earlier positions. */
    DECODE
}
