package dev.anewb.app.run;

import dev.anewb.AnewbException;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Token ids typed in place of text, for a model without a tokenizer.json (a random-weight one from
 * {@code anewb synth}, a folder with the weights only), as the CLI's {@code --ids}: whole numbers separated by spaces
 * or commas, each inside the vocabulary.
 */
final class TokenIds {
    /** Why the fields take ids, under them. */
    static final String NOTE = "This model has no tokenizer.json: type token ids (whole numbers separated by spaces "
            + "or commas), as the CLI's --ids. They start as the id sequence Drift measures on.";

    private TokenIds() { }

    /** The ids {@code text} lists; a usage error names the first word that is no id or lies outside the vocabulary. */
    static long[] parse(String text, int vocabSize) {
        String trimmed = text.replaceAll("^[\\s,]+|[\\s,]+$", "");
        if (trimmed.isEmpty()) throw AnewbException.usage("Type token ids: this model has no tokenizer.json.");
        String[] parts = trimmed.split("[\\s,]+");
        long[] ids = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            long id;
            try {
                id = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                throw AnewbException.usage("This model has no tokenizer.json: type token ids (whole numbers "
                        + "separated by spaces or commas); \"" + parts[i] + "\" is not one.");
            }
            if (id < 0 || id >= vocabSize) {
                throw AnewbException.usage("Token id " + id + " is outside the vocabulary (0.." + (vocabSize - 1)
                        + ").");
            }
            ids[i] = id;
        }
        return ids;
    }

    /** "1 7920 15839 …": ids as the fields show them. */
    static String format(long[] ids) {
        return Arrays.stream(ids).mapToObj(Long::toString).collect(Collectors.joining(" "));
    }
}
