package dev.anewb.model;

import dev.anewb.AnewbException;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Inputs for one forward pass. Token inputs: {@code batch} sequences padded on the right to {@code seq};
 * {@code mask[b][t]} is 1 for real tokens and 0 for padding (transformers' attention_mask). For an
 * encoder-decoder model (Whisper) the ids are the decoder's ({@code decoder_input_ids}).
 *
 * <p>{@code features} holds the named float inputs of vision and audio models ({@code pixel_values},
 * {@code input_features}); graph ops read them by value name. Text models leave it empty. A vision-only input
 * (ViT) has no ids: {@code ids} is null and {@code seq} is the model's token count (patches + CLS), all valid.
 */
public record Batch(int batch, int seq, long[][] ids, long[][] typeIds, int[][] mask, Map<String,
        FeatureTensor> features) {

    public Batch {
        features = features == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(features));
    }

    /** Token inputs only (every text model). */
    public Batch(int batch, int seq, long[][] ids, long[][] typeIds, int[][] mask) {
        this(batch, seq, ids, typeIds, mask, Map.of());
    }

    /** One sequence, no padding. */
    public static Batch of(long... ids) {
        int[] m = new int[ids.length];
        Arrays.fill(m, 1);
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
            Arrays.fill(ids[b], padId);
            System.arraycopy(sequences[b], 0, ids[b], 0, sequences[b].length);
            for (int t = 0; t < sequences[b].length; t++) mask[b][t] = 1;
        }
        return new Batch(sequences.length, seq, ids, null, mask);
    }

    /** Float inputs only (ViT): {@code tokens} positions per sequence, all valid. */
    public static Batch ofFeatures(int tokens, Map<String, FeatureTensor> features) {
        if (features.isEmpty()) throw AnewbException.usage("no input features");
        int b = features.values().iterator().next().batch();
        int[][] mask = new int[b][tokens];
        for (int[] m : mask) Arrays.fill(m, 1);
        return new Batch(b, tokens, null, null, mask, features);
    }

    /** The same tokens with these named float inputs added (Whisper: decoder ids + input_features). */
    public Batch withFeatures(Map<String, FeatureTensor> more) {
        Map<String, FeatureTensor> all = new LinkedHashMap<>(features);
        all.putAll(more);
        return new Batch(batch, seq, ids, typeIds, mask, all);
    }

    public FeatureTensor feature(String name) {
        FeatureTensor f = features.get(name);
        if (f == null) throw AnewbException.usage("this model needs the input \"" + name + "\"" + hint(name));
        return f;
    }

    private static String hint(String name) {
        return switch (name) {
            case "pixel_values" -> " (give --image FILE)";
            case "input_features" -> " (give --audio FILE)";
            default -> "";
        };
    }

    /** The same ids, type ids, mask and float inputs, value for value (a record's equals compares arrays by identity).
     *
     */
    public boolean sameContent(Batch o) {
        if (o == this) return true;
        if (batch != o.batch || seq != o.seq || !Arrays.deepEquals(ids, o.ids) || !Arrays.deepEquals(typeIds, o.typeIds)
                || !Arrays.deepEquals(mask, o.mask) || !features.keySet().equals(o.features.keySet())) {
            return false;
        }
        for (var e : features.entrySet()) {
            FeatureTensor f = e.getValue(), g = o.features.get(e.getKey());
            if (!Arrays.equals(f.shape(), g.shape()) || !Arrays.equals(f.data(), g.data())) return false;
        }
        return true;
    }

    /** A hash consistent with {@link #sameContent}. */
    public int contentHash() {
        int h = 31 * Arrays.deepHashCode(ids) + Arrays.deepHashCode(mask);
        for (var e : features.entrySet()) h = 31 * h + e.getKey().hashCode() + Arrays.hashCode(e.getValue().data());
        return h;
    }

    public int validTokens(int b) {
        int n = 0;
        for (int v : mask[b]) n += v;
        return n;
    }
}
