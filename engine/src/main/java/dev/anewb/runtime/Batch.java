package dev.anewb.runtime;

import dev.anewb.AnewbException;

/**
 * Token inputs for one forward pass: {@code batch} sequences padded on the right to {@code seq}.
 * {@code mask[b][t]} is 1 for real tokens and 0 for padding (transformers' attention_mask).
 */
public record Batch(int batch, int seq, long[][] ids, long[][] typeIds, int[][] mask) {

    /** One sequence, no padding. */
    public static Batch of(long... ids) {
        int[] m = new int[ids.length];
        java.util.Arrays.fill(m, 1);
        return new Batch(1, ids.length, new long[][]{ids}, null, new int[][]{m});
    }

    /** Several sequences of different lengths, padded on the right with {@code padId}. */
    public static Batch padded(long[][] sequences, long padId) {
        if (sequences.length == 0) throw AnewbException.usage("no input sequences");
        int seq = 0;
        for (long[] s : sequences) seq = Math.max(seq, s.length);
        if (seq == 0) throw AnewbException.usage("empty input sequence");
        long[][] ids = new long[sequences.length][seq];
        int[][] mask = new int[sequences.length][seq];
        for (int b = 0; b < sequences.length; b++) {
            java.util.Arrays.fill(ids[b], padId);
            System.arraycopy(sequences[b], 0, ids[b], 0, sequences[b].length);
            for (int t = 0; t < sequences[b].length; t++) mask[b][t] = 1;
        }
        return new Batch(sequences.length, seq, ids, null, mask);
    }

    public int validTokens(int b) {
        int n = 0;
        for (int v : mask[b]) n += v;
        return n;
    }
}
