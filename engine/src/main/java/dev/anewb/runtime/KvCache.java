package dev.anewb.runtime;

import dev.anewb.AnewbException;
import dev.anewb.model.Batch;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keys and values of every self-attention op for the positions a sequence has seen so far, so that decoding
 * one more token runs the same graph over that token only (spec/chunked-attention.md: the new position follows
 * the same attention rule as in prefill). Keys are stored after the rotary embedding, as transformers caches them.
 *
 * <p>Layout per op and sequence: {@code [positions, kvHeads·headDim]} row-major, the layout
 * {@link AttentionKernels} reads. Storage grows by doubling up to the model's context. The key padding mask is
 * kept alongside, so a padded prefill keeps masking its padding while decoding.
 */
public final class KvCache {
    private final int batch;
    private final int maxPositions;
    private final Map<String, Layer> layers = new LinkedHashMap<>();
    private int length;
    private int capacity;
    private boolean[][] keyValid;
    /** The encoder's outputs of an encoder-decoder model (cross-attention keys/values, encoder taps): one input's. */
    private final Map<String, Activation> encoder = new LinkedHashMap<>();

    /** Cached keys and values of one attention op. */
    static final class Layer {
        final int width;
        float[][] k;
        float[][] v;

        Layer(int batch, int width, int capacity) {
            this.width = width;
            this.k = new float[batch][capacity * width];
            this.v = new float[batch][capacity * width];
        }
    }

    public KvCache(int batch, int maxPositions) {
        if (batch < 1 || maxPositions < 1) throw new IllegalArgumentException("batch " + batch + ", positions "
                + maxPositions);
        this.batch = batch;
        this.maxPositions = maxPositions;
        this.capacity = Math.min(maxPositions, 64);
        this.keyValid = new boolean[batch][capacity];
    }

    public int batch() { return batch; }

    /** Positions already cached: the next token's position. */
    public int length() { return length; }

    /** Bytes held by the cached keys and values. */
    public long bytes() {
        long n = 0;
        for (Layer l : layers.values()) n += 2L * batch * (long) length * l.width * Float.BYTES;
        for (Activation a : encoder.values()) n += (long) a.data().length * Float.BYTES;
        return n;
    }

    /** Forgets every position (a new prompt reuses the storage). */
    public void clear() {
        length = 0;
        encoder.clear();
        for (boolean[] m : keyValid) Arrays.fill(m, false);
    }

    /** Opens a step of {@code in.seq()} new positions: room for them and their key mask. */
    void begin(Batch in) {
        if (in.batch() != batch) throw new IllegalArgumentException("cache holds " + batch + " sequences, step has "
                + in.batch());
        int needed = length + in.seq();
        if (needed > maxPositions) {
            throw AnewbException.usage("position " + (needed - 1) + " is beyond the model's context of " + maxPositions
                    + " positions");
        }
        ensureCapacity(needed);
        for (int b = 0; b < batch; b++) for (int t = 0; t < in.seq(); t++) keyValid[b][length
                + t] = in.mask()[b][t] == 1;
    }

    /** Stores one op's keys/values for the step's positions and returns the op's whole cache. */
    Layer write(String op, Activation k, Activation v) {
        Layer l = layers.computeIfAbsent(op, n -> new Layer(batch, k.channels(), capacity));
        if (l.width != k.channels() || v.channels() != l.width) throw new IllegalArgumentException(op
                + ": key width changed");
        int n = k.length(), w = l.width;
        for (int b = 0; b < batch; b++) {
            System.arraycopy(k.data(), b * n * w, l.k[b], length * w, n * w);
            System.arraycopy(v.data(), b * n * w, l.v[b], length * w, n * w);
        }
        return l;
    }

    /** Closes a step: its positions become part of the cache. Not called when a step fails, so it is retried cleanly.
     *
     */
    void commit(int newPositions) {
        length += newPositions;
    }

    boolean[] keyValid(int b) { return keyValid[b]; }

    /** True once the first step of an encoder-decoder model stored the encoder's outputs. */
    boolean hasEncoderValues() { return !encoder.isEmpty(); }

    Activation encoderValue(String name) { return encoder.get(name); }

    void putEncoderValue(String name, Activation a) {
        if (a.batch() != batch) throw new IllegalArgumentException("cache holds " + batch
                + " sequences, encoder output has " + a.batch());
        encoder.put(name, a);
    }

    private void ensureCapacity(int needed) {
        if (needed <= capacity) return;
        int cap = capacity;
        while (cap < needed) cap = Math.min(maxPositions, cap * 2);
        for (Layer l : layers.values()) {
            for (int b = 0; b < batch; b++) {
                l.k[b] = Arrays.copyOf(l.k[b], cap * l.width);
                l.v[b] = Arrays.copyOf(l.v[b], cap * l.width);
            }
        }
        for (int b = 0; b < batch; b++) keyValid[b] = Arrays.copyOf(keyValid[b], cap);
        capacity = cap;
    }
}
