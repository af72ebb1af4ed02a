package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.convert.ConvertedModel;
import dev.anewb.convert.Converter;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.OwnInputs;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a model for the ANE and write it as an .anepkg package folder.",
                "The package holds manifest.json (source, settings, per-tensor storage, drift on a built-in sample input),",
                "weights.safetensors (W.q / W.scale / W.zero_point, FP16 or FP32 for the rest),",
                "the FP32 reference taps of the sample, and the source's config/tokenizer files.",
                "Defaults: --quant int8 --block-size 128 --precision fp16 --layout bc1s, no chunking.",
                "Written to a temporary folder and renamed at the end: an interrupted conversion leaves nothing."})
final class ConvertCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin ConversionOptions conversion;

    @Option(names = "--out", required = true, paramLabel = "DIR.anepkg", description = "The package folder to write.")
    Path out;

    @Option(names = "--force", description = "Replace an existing package.")
    boolean force;

    @Override public Integer call() {
        Conversion c = conversion.toConversion(true, Conversion.Precision.FP16, Conversion.Layout.BC1S);
        ProgressPrinter progress = new ProgressPrinter("convert");
        try (ConvertedModel m = Converter.convert(model.model, c, progress.slice(0, 0.1))) {
            // own inputs first: --force must not look like the way to replace the model itself
            OwnInputs.of(m.source()).refuseOutput("--out", out);
            if (Files.exists(out) && !force) {
                throw AnewbException.usage(out + ": already exists (use --force to replace it)");
            }
            m.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            Path p = m.writePackage(out, force, null, progress.slice(0.1, 1));
            progress.done();
            var d = m.drift(m.sampleInput(), false, JobContext.NONE);
            TapMetrics last = d.lastHidden();
            System.out.printf(Locale.ROOT, "wrote %s (%s; last layer SQNR %s dB on the sample input)%n", p, ConversionOptions.describe(c),
                    last == null ? "-" : last.sqnrText());
        }
        return 0;
    }
}
