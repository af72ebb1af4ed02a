package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.TextInputs;
import dev.anewb.runtime.Batch;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Inputs a forward pass takes: texts (a padded batch) or token ids. */
public final class InputOptions {
    @Option(names = "--text", paramLabel = "STR", description = "Input text; repeat for a padded batch.")
    public List<String> texts = new ArrayList<>();

    @Option(names = "--ids", paramLabel = "1,2,3", split = ",", description = "Token ids (no tokenizer applied).")
    public List<Long> ids = new ArrayList<>();

    public boolean isEmpty() { return texts.isEmpty() && ids.isEmpty(); }

    /** The batch for this model; texts go through the model's own tokenizer with special tokens added. */
    public Batch toBatch(LoadedModel model) {
        if (!texts.isEmpty() && !ids.isEmpty()) throw AnewbException.usage("give either --text or --ids, not both");
        if (!ids.isEmpty()) {
            long[] a = ids.stream().mapToLong(Long::longValue).toArray();
            return Batch.of(a);
        }
        if (texts.isEmpty()) throw AnewbException.usage("no input: give --text STR or --ids 1,2,3");
        return TextInputs.batch(model.tokenizer(), texts);
    }
}
