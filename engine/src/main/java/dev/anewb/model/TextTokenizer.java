package dev.anewb.model;

import java.util.List;

/** Text ↔ token ids, with the conventions of Hugging Face {@code transformers} (see {@link HfTokenizer}). */
public interface TextTokenizer extends AutoCloseable {
    /**
     * One encoded text.
     *
     * @param offsets [start, end) per token in code points of the input (Python string indices); (0, 0) for
     *                special tokens added by the post-processor and for padding
     */
    record Encoding(long[] ids, String[] tokens, int[][] offsets, long[] typeIds, long[] attentionMask) {
        public int length() { return ids.length; }
    }

    /** Special tokens added by the post-processor, no padding, no truncation. */
    Encoding encode(String text);

    /**
     * @param pad        pad every encoding to the longest in the batch (attention mask 0 on padding)
     * @param truncateTo truncate each to at most this many tokens including special tokens; 0 = no truncation
     */
    List<Encoding> encodeBatch(List<String> texts, boolean pad, int truncateTo);

    String decode(long[] ids, boolean skipSpecial);

    /** The id of the unknown token ([UNK], &lt;unk&gt;), or null when there is none (byte-level BPE). */
    default Long unknownId() { return null; }

    /** Embedding rows the ids can address: highest id in the vocabulary or the added tokens, plus one. */
    int vocabSize();

    /** The id of a token string, or -1 when it is not in the vocabulary. */
    long tokenToId(String token);

    /** The token string of an id, or null when no token has that id. */
    String idToToken(long id);

    @Override void close();
}
