package dev.anewb.runtime;

import dev.anewb.model.TextTokenizer;

import java.util.Arrays;

/**
 * Turns generated token ids into text pieces that are safe to print as they come. A token can hold part of a
 * UTF-8 character (byte-level BPE, byte fallback), and some tokenizers change earlier text once more tokens
 * follow (SentencePiece's leading space), so the whole sequence is decoded each time and only the new stable
 * suffix is emitted; while the text ends in U+FFFD (an incomplete character) nothing is emitted.
 *
 * <p>The prompt is decoded with the generated ids so that a first generated token's leading space survives; the
 * emitted text is what follows the prompt's own decoding.
 */
public final class StreamingDetokenizer {
    private static final char REPLACEMENT = '\uFFFD';

    private final TextTokenizer tokenizer;
    private long[] ids;
    private int count;
    private final String promptText;
    private final StringBuilder emitted = new StringBuilder();

    public StreamingDetokenizer(TextTokenizer tokenizer, long[] prompt) {
        this.tokenizer = tokenizer;
        this.ids = Arrays.copyOf(prompt, prompt.length + 16);
        this.count = prompt.length;
        this.promptText = tokenizer.decode(prompt, true);
    }

    /** Adds one generated id; returns the newly stable text (often empty). */
    public String push(long id) {
        if (count == ids.length) ids = Arrays.copyOf(ids, ids.length * 2);
        ids[count++] = id;
        String text = current();
        if (!text.isEmpty() && text.charAt(text.length() - 1) == REPLACEMENT) return "";
        return take(text);
    }

    /** Everything not yet emitted, incomplete characters included: the sequence has ended. */
    public String finish() {
        return take(current());
    }

    /** All text emitted so far. */
    public String text() { return emitted.toString(); }

    private String current() {
        String full = tokenizer.decode(Arrays.copyOf(ids, count), true);
        // Normally the prompt's decoding is a prefix; if a tokenizer rewrites it, keep the part past its length.
        return full.startsWith(promptText) ? full.substring(promptText.length())
                : full.substring(Math.min(full.length(), commonPrefix(full, promptText)));
    }

    /** The part of {@code text} past what was emitted; printed text cannot be taken back, so a rewrite of it is
     * skipped.
     */
    private String take(String text) {
        String delta;
        if (text.startsWith(emitted.toString())) delta = text.substring(emitted.length());
        else delta = text.length() > emitted.length() ? text.substring(emitted.length()) : "";
        emitted.append(delta);
        return delta;
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length()), i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) i++;
        return i;
    }
}
