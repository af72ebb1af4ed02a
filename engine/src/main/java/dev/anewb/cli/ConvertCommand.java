package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.OwnInputs;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a model for the ANE and write it as an .anepkg package folder.",
                "The package holds manifest.json (source, settings, per-tensor storage, drift on a built-in sample "
                        + "input),",
                "weights.safetensors (W.q / W.scale / W.zero_point, FP16 or FP32 for the rest),",
                "the FP32 reference taps of the sample, and the source's config/tokenizer files.",
                "The sample is two English sentences unless --text / --texts-file give the model's own language.",
                "Defaults: --quant int8 --block-size 128 --precision fp16 --layout bc1s, no chunking.",
                "Written to a temporary folder and renamed at the end: an interrupted conversion leaves nothing."})
final class ConvertCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin ConversionOptions conversion;

    @Option(names = "--out", required = true, paramLabel = "DIR.anepkg", description = "The package folder to write.")
    Path out;

    @Option(names = "--force", description = "Replace an existing package.")
    boolean force;

    @Option(names = "--text", paramLabel = "STR", description = "A sample text the recorded drift is measured on"
            + " (repeatable; default: two built-in English sentences).")
    List<String> texts = new ArrayList<>();

    @Option(names = "--texts-file", paramLabel = "FILE", description = "Sample texts, one per line (UTF-8; blank lines"
            + " skipped), added to --text.")
    Path textsFile;

    @Option(names = "--truncate", description = "Cut sample texts longer than the model's positions to its first N"
            + " tokens (special tokens kept) instead of refusing them.")
    boolean truncate;

    /** The most sample texts a file may give: the sample is one padded batch, run several times while converting. */
    static final int MAX_TEXTS = 256;

    private List<String> sampleTexts() {
        List<String> all = new ArrayList<>(texts);
        if (textsFile != null) {
            try {
                if (!Files.isRegularFile(textsFile)) throw AnewbException.file(textsFile, "no such file");
                if (Files.size(textsFile) > 16L << 20) throw AnewbException.file(textsFile, "is larger than 16 MB");
                for (String line : Files.readAllLines(textsFile, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) all.add(line.strip());
                }
            } catch (CharacterCodingException e) {
                throw AnewbException.file(textsFile, "is not valid UTF-8 text", e);
            } catch (IOException e) {
                throw AnewbException.file(textsFile, "cannot read (" + AnewbException.reason(e) + ")", e);
            }
            if (all.size() == texts.size()) throw AnewbException.file(textsFile, "holds no text (every line is blank)");
        }
        if (all.size() > MAX_TEXTS) {
            throw AnewbException.usage(all.size() + " sample texts; at most " + MAX_TEXTS + " make one sample batch");
        }
        return all;
    }

    @Override public Integer call() {
        Conversion c = conversion.toConversion(true, Conversion.Precision.FP16, Conversion.Layout.BC1S);
        List<String> sample = sampleTexts();
        ProgressPrinter progress = new ProgressPrinter("convert");
        try (ConvertedModel m = ConvertedModel.open(model.model, c, progress.slice(0, 0.1))) {
            // own inputs first: --force must not look like the way to replace the model itself
            OwnInputs.of(m.source(), textsFile).refuseOutput("--out", out);
            if (!sample.isEmpty()) {
                if (!m.source().hasTokenizer()) {
                    throw AnewbException.usage(m.source().displayName() + " has no tokenizer.json: --text and"
                            + " --texts-file need one");
                }
                m.useSampleTexts(sample, truncate);
            }
            if (Files.exists(out) && !force) {
                throw AnewbException.usage(out + ": already exists (use --force to replace it)");
            }
            m.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            m.sampleWarnings().forEach(w -> System.err.println("anewb: warning: " + w));
            Path p = m.writePackage(out, force, null, progress.slice(0.1, 1));
            progress.done();
            var d = m.drift(m.sampleInput(), false, JobContext.NONE);
            TapMetrics last = d.lastHidden();
            System.out.printf(Locale.ROOT, "wrote %s (%s; last layer SQNR %s dB on the sample input)%n", p,
                    ConversionOptions.describe(c),
                    last == null ? "-" : last.sqnrText());
        }
        return 0;
    }
}
