package dev.anewb.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.AnewbException;
import dev.anewb.drift.DriftAnalysis;
import dev.anewb.drift.DriftReport;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.OwnInputs;
import dev.anewb.io.TextInputs;
import dev.anewb.job.JobContext;
import dev.anewb.model.ModelGraph;
import dev.anewb.runtime.Batch;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A model and its converted graph: the one entry point the CLI, the app and Java users share.
 * <pre>{@code
 * try (ConvertedModel m = Converter.convert("bundled:all-MiniLM-L6-v2", Conversion.ANE_DEFAULT, JobContext.NONE)) {
 *     DriftReport d = m.drift(List.of("The neural engine runs transformers."), true, JobContext.NONE);
 *     m.writePackage(Path.of("minilm.anepkg"), false, JobContext.NONE);
 * }
 * }</pre>
 */
public final class ConvertedModel implements AutoCloseable {
    /** The built-in sample input the package manifest's drift summary is measured on. */
    public static final List<String> SAMPLE_TEXTS = List.of("The neural engine runs transformers faster than the CPU.",
            "Quantization reduces memory bandwidth, but it can hurt accuracy.");

    private final LoadedModel source;
    private final ModelGraph graph;
    private final List<String> warnings;
    private DriftAnalysis analysis;
    private Executor executor;

    private final boolean ownsSource;
    private List<String> sampleTexts = SAMPLE_TEXTS;
    private boolean truncateSample;

    /**
     * Measures the package's recorded drift on these texts instead of the built-in English sentences (a Chinese
     * model turns those into [UNK]s); {@code truncate} cuts texts past the model's positions instead of refusing.
     */
    public synchronized ConvertedModel useSampleTexts(List<String> texts, boolean truncate) {
        if (texts.isEmpty()) throw AnewbException.usage("no sample texts given");
        this.sampleTexts = List.copyOf(texts);
        this.truncateSample = truncate;
        return this;
    }

    /** The texts the sample input is made of (text models with a tokenizer). */
    public synchronized List<String> sampleTexts() { return sampleTexts; }

    /**
     * Warnings about the sample texts, one line each: a text that is mostly the tokenizer's unknown token measures
     * drift on [UNK]s, which says little about the model.
     */
    public List<String> sampleWarnings() {
        if (!source.hasTokenizer() || graph.values().containsKey(ModelGraph.PIXEL_VALUES)
                || graph.values().containsKey(ModelGraph.INPUT_FEATURES)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        List<String> texts = sampleTexts();
        for (int i = 0; i < texts.size(); i++) {
            double unk = TextInputs.unknownShare(source.tokenizer(), texts.get(i));
            if (unk > 0.5) {
                out.add(String.format(Locale.ROOT, "sample text %d is %.0f%% unknown tokens for this tokenizer"
                        + " (\"%s\"): its drift says little about the model; give texts in the model's language with"
                        + " --text or --texts-file", i + 1, 100 * unk, abbreviate(texts.get(i))));
            }
        }
        return out;
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() > 40 ? one.substring(0, 40) + "…" : one;
    }

    ConvertedModel(LoadedModel source, ModelGraph graph, List<String> warnings, boolean ownsSource) {
        this.ownsSource = ownsSource;
        this.source = source;
        this.graph = graph;
        this.warnings = warnings;
    }

    public LoadedModel source() { return source; }

    /** The converted graph (its {@code conversion()} holds every setting). */
    public ModelGraph graph() { return graph; }

    /** Warnings of the conversion (e.g. a keep-FP16 pattern that matched nothing). */
    public List<String> warnings() { return warnings; }

    /** One forward pass of the converted model. */
    public synchronized RunResult run(Batch input, JobContext ctx) {
        if (executor == null) executor = new Executor(graph, source.weights());
        return executor.run(input, ctx);
    }

    /** Drift of the converted model against the FP32 original on these texts (a padded batch). */
    public DriftReport drift(List<String> texts, boolean byCause, JobContext ctx) {
        return drift(TextInputs.batch(source.tokenizer(), texts), byCause, ctx);
    }

    public synchronized DriftReport drift(Batch input, boolean byCause, JobContext ctx) {
        if (analysis == null) analysis = new DriftAnalysis(source.graph(), source.weights());
        return analysis.measure(input, graph.conversion(), byCause, ctx);
    }

    /**
     * The built-in sample the package manifest's drift is measured on, for every architecture: for ViT and Whisper
     * the deterministic image or audio (with the decoder start token) of {@link SampleMedia}, the one such sample the
     * drift and convert commands use; for text models the sample texts when there is a tokenizer, else a fixed id
     * sequence.
     */
    public Batch sampleInput() {
        if (graph.values().containsKey(ModelGraph.PIXEL_VALUES)
                || graph.values().containsKey(ModelGraph.INPUT_FEATURES)) {
            return SampleMedia.batch(source);
        }
        if (source.hasTokenizer()) return sampleTextBatch();
        long[] ids = new long[16];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7919L + 1) % graph.config().vocabSize();
        return Batch.of(ids);
    }

    private synchronized Batch sampleTextBatch() {
        int max = graph.config().maxPositions();
        if (max <= 0) return TextInputs.batch(source.tokenizer(), sampleTexts);
        TextInputs.Fitted f = TextInputs.fitting(source.tokenizer(), sampleTexts, max);
        if (f.truncated() && !truncateSample) {
            int longest = 0;
            for (int l : f.lengths()) longest = Math.max(longest, l);
            throw AnewbException.usage("a sample text is " + longest + " tokens long, more than the model's " + max
                    + " positions; add --truncate to keep the first " + max);
        }
        return f.batch();
    }

    /** Writes the {@code .anepkg} with its drift summary on {@link #sampleInput()} (and plan totals when given). */
    public Path writePackage(Path out, boolean force, JsonNode planSummary, JobContext ctx) {
        // before the drift is measured: a package must never replace the model it is made from
        OwnInputs.of(source).refuseOutput("package", out);
        Batch sample = sampleInput();
        ctx.progress(0.02, "measuring drift on the sample input");
        DriftReport d = drift(sample, false, ctx.slice(0.02, 0.3));
        RunResult ref = analysis.reference(sample, ctx);
        // Whisper has a tokenizer, but its sample is audio with a decoder prefix, not the sample texts.
        boolean texts = sample.features().isEmpty() && source.hasTokenizer();
        return AnePackage.write(source, graph, warnings, sample, texts ? sampleTexts() : null, ref, d, planSummary, out,
                force,
                ctx.slice(0.3, 1.0));
    }

    /** Closes the source model when this object loaded it ({@link Converter#convert(String, dev.anewb.model.Conversion, JobContext)}). */
    @Override public void close() {
        if (ownsSource) source.close();
    }
}
