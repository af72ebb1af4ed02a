package dev.anewb.io;

import dev.anewb.model.Batch;
import dev.anewb.model.TextTokenizer;

import java.util.List;

/** Texts → a padded token batch, as transformers' tokenizer(texts, padding=True) gives it. */
public final class TextInputs {
    private TextInputs() { }

    public static Batch batch(TextTokenizer tokenizer, List<String> texts) {
        return batch(tokenizer.encodeBatch(texts, true, 0));
    }

    /**
     * A padded batch of texts, each cut to at most {@code maxTokens} (special tokens kept, as transformers'
     * {@code truncation=True, max_length=maxTokens} does), with each text's token count before the cut.
     */
    public record Fitted(Batch batch, int[] lengths, int maxTokens) {
        /** True when a text was longer than {@code maxTokens} and was cut. */
        public boolean truncated() {
            for (int l : lengths) if (l > maxTokens) return true;
            return false;
        }
    }

    /** {@link #batch}, cut to {@code maxTokens} per text where a text is longer (usually the model's positions). */
    public static Fitted fitting(TextTokenizer tokenizer, List<String> texts, int maxTokens) {
        List<TextTokenizer.Encoding> full = tokenizer.encodeBatch(texts, true, 0);
        int[] lengths = new int[full.size()];
        boolean cut = false;
        for (int i = 0; i < lengths.length; i++) {
            long valid = 0;
            for (long m : full.get(i).attentionMask()) valid += m;
            lengths[i] = (int) valid;
            cut |= valid > maxTokens;
        }
        Batch b = cut ? batch(tokenizer.encodeBatch(texts, true, maxTokens)) : batch(full);
        return new Fitted(b, lengths, maxTokens);
    }

    /**
     * The share of a text's own tokens (special tokens left out) that are the unknown token: near 1 for Chinese text
     * through an English WordPiece vocabulary, 0 for a tokenizer without one (byte-level BPE never fails).
     */
    public static double unknownShare(TextTokenizer tokenizer, String text) {
        Long unk = tokenizer.unknownId();
        if (unk == null) return 0;
        TextTokenizer.Encoding e = tokenizer.encode(text);
        int own = 0, unknown = 0;
        for (int i = 0; i < e.length(); i++) {
            if (e.offsets()[i][1] <= e.offsets()[i][0]) continue; // added by the post-processor
            own++;
            if (e.ids()[i] == unk) unknown++;
        }
        return own == 0 ? 0 : unknown / (double) own;
    }

    private static Batch batch(List<TextTokenizer.Encoding> enc) {
        int b = enc.size(), s = enc.getFirst().length();
        long[][] ids = new long[b][];
        long[][] types = new long[b][];
        int[][] mask = new int[b][s];
        for (int i = 0; i < b; i++) {
            ids[i] = enc.get(i).ids();
            types[i] = enc.get(i).typeIds();
            for (int t = 0; t < s; t++) mask[i][t] = (int) enc.get(i).attentionMask()[t];
        }
        return new Batch(b, s, ids, types, mask);
    }
}
