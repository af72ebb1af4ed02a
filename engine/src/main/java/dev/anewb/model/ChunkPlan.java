package dev.anewb.model;

import dev.anewb.AnewbException;

import java.util.ArrayList;
import java.util.List;

/**
 * Chunked attention with window {@code W} and overlap {@code O} (spec/chunked-attention.md). Query block
 * {@code b} holds positions {@code [b·S, min((b+1)·S, n))} with {@code S = W − O}; it sees keys
 * <ul>
 *   <li>encoder (bidirectional): {@code [b·S − floor(O/2), (b+1)·S + ceil(O/2))} clipped to {@code [0, n)};</li>
 *   <li>decoder (causal): {@code [b·S − O, (b+1)·S)} clipped to {@code [0, n)}, with the causal mask inside.</li>
 * </ul>
 * Chunking off, or {@code W ≥ n}, is one block covering everything: exactly full attention.
 */
public final class ChunkPlan {
    private final int length;
    private final int window;
    private final int overlap;
    private final boolean causal;
    private final boolean chunked;
    /** Query block size S = W − O when chunked; n when full. */
    private final int stride;

    private ChunkPlan(int length, int window, int overlap, boolean causal, boolean chunked) {
        this.length = length;
        this.window = window;
        this.overlap = overlap;
        this.causal = causal;
        this.chunked = chunked;
        this.stride = chunked ? window - overlap : Math.max(length, 1);
    }

    /**
     * The plan for a sequence of {@code n} positions. {@code window ≤ 0} means chunking off; {@code window ≥ n}
     * is full attention too (the spec's equivalence).
     *
     * @throws AnewbException (usage) for a negative overlap, or an overlap not smaller than a positive window
     */
    public static ChunkPlan of(int n, int window, int overlap, boolean causal) {
        if (n < 0) throw new IllegalArgumentException("sequence length " + n);
        if (overlap < 0) throw AnewbException.usage("attention overlap " + overlap
                + " is negative; it must be 0 or more and less than the window");
        if (window <= 0) return full(n, causal);
        if (overlap >= window) {
            throw AnewbException.usage("attention overlap " + overlap + " must be less than the window " + window
                    + " (each chunk advances by window − overlap positions)");
        }
        return window >= n ? new ChunkPlan(n, window, overlap, causal, false)
                : new ChunkPlan(n, window, overlap, causal, true);
    }

    /**
     * Like {@link #of} for a caller that asked for chunking explicitly, where a window below 1 is a mistake
     * rather than "off".
     *
     * @throws AnewbException (usage) when the window is below 1, the overlap negative or not below the window
     */
    public static ChunkPlan chunked(int n, int window, int overlap, boolean causal) {
        if (window < 1) throw AnewbException.usage("attention window " + window
                + " is too small: chunked attention needs a window of at least 1 position");
        return of(n, window, overlap, causal);
    }

    /** Full attention over {@code n} positions (causal or bidirectional). */
    public static ChunkPlan full(int n, boolean causal) {
        if (n < 0) throw new IllegalArgumentException("sequence length " + n);
        return new ChunkPlan(n, 0, 0, causal, false);
    }

    /** Sequence length n. */
    public int length() { return length; }

    /** The window W as given (0 when chunking is off). */
    public int window() { return window; }

    public int overlap() { return overlap; }

    public boolean causal() { return causal; }

    /** False when this plan is one block of full attention (chunking off or W ≥ n). */
    public boolean isChunked() { return chunked; }

    /** Query block size: S = W − O when chunked, n otherwise. */
    public int queryBlockSize() { return chunked ? stride : length; }

    /** Number of query blocks: ceil(n / S); 1 for full attention over n ≥ 1 positions, 0 for n = 0. */
    public int blocks() {
        return length == 0 ? 0 : (length - 1) / stride + 1;
    }

    /** First query position of block {@code block}. */
    public int queryStart(int block) {
        checkBlock(block);
        return (int) ((long) block * stride);
    }

    /** One past the last query position of block {@code block}. */
    public int queryEnd(int block) {
        checkBlock(block);
        return (int) Math.min((long) (block + 1) * stride, length);
    }

    /** First key position block {@code block} attends to. */
    public int keyStart(int block) {
        checkBlock(block);
        if (!chunked) return 0;
        long start = (long) block * stride - (causal ? overlap : overlap / 2);
        return (int) Math.max(0, start);
    }

    /** One past the last key position block {@code block} attends to (before the causal mask). */
    public int keyEnd(int block) {
        checkBlock(block);
        if (!chunked) return length;
        long end = (long) (block + 1) * stride + (causal ? 0 : (overlap + 1) / 2);
        return (int) Math.min(length, end);
    }

    /** The query block containing {@code position}. */
    public int blockOf(int position) {
        if (position < 0 || position >= length) throw new IndexOutOfBoundsException("position " + position
                + " outside [0, " + length + ")");
        return position / stride;
    }

    /**
     * First key of the block containing {@code position}: what a new token at {@code position} sees during
     * incremental decoding, so that prefill and decode agree.
     */
    public int keyStartFor(int position) { return keyStart(blockOf(position)); }

    /** One past the last key of the block containing {@code position} (the causal mask further limits it to ≤
     * position).
     */
    public int keyEndFor(int position) { return keyEnd(blockOf(position)); }

    /** Whether {@code query} may attend to {@code key}: inside its block's key range and, when causal, not in the
     * future.
     */
    public boolean allowed(int query, int key) {
        if (key < 0 || key >= length) return false;
        int block = blockOf(query);
        return key >= keyStart(block) && key < keyEnd(block) && (!causal || key <= query);
    }

    /**
     * Attention scores one head holds for one chunk, as the spec counts them: S × W when chunked (the encoder's
     * key range S + floor(O/2) + ceil(O/2) and the decoder's S + O both equal W), n × n for full attention.
     */
    public long scoreElementsPerHeadPerChunk() {
        return chunked ? (long) stride * window : fullScoreElements();
    }

    /** Scores of full attention for one head: n × n. */
    public long fullScoreElements() {
        return (long) length * length;
    }

    /** Queries per chunk: S when chunked, n for full attention. */
    public long queryBlock() { return queryBlockSize(); }

    /** Keys one chunk's score buffer holds: W when chunked, n for full attention. */
    public long keyWindow() { return chunked ? window : length; }

    /** Number of chunks (query blocks). */
    public long chunks() { return blocks(); }

    public boolean full() { return !chunked; }

    /**
     * (query, key) pairs actually scored, summed over chunks, key ranges clipped to [0, n) (the causal mask
     * inside a range is applied to the scores, not skipped, so it does not reduce the count).
     */
    public long scorePairs() {
        long pairs = 0;
        for (int b = 0; b < blocks(); b++) pairs += (long) (queryEnd(b) - queryStart(b)) * (keyEnd(b) - keyStart(b));
        return pairs;
    }

    /** A (W, O) setting and the score bytes per head per chunk it gives. */
    public record Setting(int window, int overlap, long scoreBytes) { }

    /**
     * Every (W, O) with W &lt; n whose per-head chunk scores take exactly {@code targetBytes} at
     * {@code elementBytes} per score: S·W·elementBytes = target with S = W − O ≥ 1. Empty when none does.
     */
    public static List<Setting> settingsForScoreBytes(long n, long targetBytes, int elementBytes) {
        List<Setting> out = new ArrayList<>();
        if (targetBytes % elementBytes != 0) return out;
        long elements = targetBytes / elementBytes;
        for (long w = 1; w < n; w++) {
            if (elements % w != 0) continue;
            long s = elements / w;
            if (s >= 1 && s <= w) out.add(new Setting((int) w, (int) (w - s), targetBytes));
        }
        return out;
    }

    private void checkBlock(int block) {
        if (block < 0 || block >= blocks()) throw new IndexOutOfBoundsException("block " + block + " outside [0, "
                + blocks() + ")");
    }

    @Override
    public String toString() {
        return chunked
                ? "ChunkPlan[n=" + length + ", W=" + window + ", O=" + overlap + ", S=" + stride + ", "
                        + (causal ? "causal" : "encoder") + ", " + blocks() + " blocks]"
                : "ChunkPlan[n=" + length + ", full, " + (causal ? "causal" : "encoder") + "]";
    }
}
