package dev.anewb.io;

import dev.anewb.model.Batch;
import dev.anewb.model.TextTokenizer;

import java.util.List;

/** Texts → a padded token batch, as transformers' tokenizer(texts, padding=True) gives it. */
public final class TextInputs {
    private TextInputs() { }

    public static Batch batch(TextTokenizer tokenizer, List<String> texts) {
        List<TextTokenizer.Encoding> enc = tokenizer.encodeBatch(texts, true, 0);
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
