package dev.anewb.ane;

import java.util.ArrayList;
import java.util.List;

/**
 * Chunked attention over {@code n} positions with window W and overlap O (spec/chunked-attention.md): query
 * blocks of S = W − O positions, each seeing W keys. One chunk's scores per head are S × W elements; W ≥ n
 * (or W = 0, chunking off) is full attention, n × n.
 *
 * @param queryBlock queries per chunk (S, or n for full attention)
 * @param keyWindow  keys per chunk the buffer holds (W, or n)
 * @param chunks     query blocks: ceil(n / S)
 * @param scorePairs (query, key) pairs actually computed, summed over chunks, clipped to [0, n)
 */
public record ChunkPlan(long n, int window, int overlap, long queryBlock, long keyWindow, long chunks, long scorePairs) {

    public static ChunkPlan of(long n, int window, int overlap, boolean causal) {
        if (window <= 0 || window >= n) return new ChunkPlan(n, window, overlap, n, n, 1, n * n);
        if (overlap < 0 || overlap >= window) {
            throw dev.anewb.AnewbException.usage("chunk overlap must satisfy 0 <= O < W (got W=" + window + ", O=" + overlap + ")");
        }
        long s = window - overlap;
        long chunks = (n + s - 1) / s;
        long pairs = 0;
        for (long k = 0; k < chunks; k++) {
            long q0 = k * s, q1 = Math.min((k + 1) * s, n);
            long k0 = causal ? k * s - overlap : k * s - overlap / 2;
            long k1 = causal ? (k + 1) * s : (k + 1) * s + (overlap + 1) / 2;
            k0 = Math.max(0, k0);
            k1 = Math.min(n, k1);
            pairs += (q1 - q0) * (k1 - k0);
        }
        return new ChunkPlan(n, window, overlap, s, window, chunks, pairs);
    }

    public boolean full() { return chunks == 1 && queryBlock == n; }

    /** Elements of one chunk's scores for one head: S × W (n × n when full). */
    public long scoreElementsPerHeadChunk() { return queryBlock * keyWindow; }

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
}
