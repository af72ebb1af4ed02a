package dev.anewb.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.AnewbException;
import dev.anewb.convert.coreml.CoreMlExporter;
import dev.anewb.convert.coreml.CoreMlOptions;
import dev.anewb.convert.coreml.CoreMlPreview;
import dev.anewb.drift.DriftAnalysis;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelCard;
import dev.anewb.io.OwnInputs;
import dev.anewb.io.SampleMedia;
import dev.anewb.io.TextInputs;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.LayerRange;
import dev.anewb.model.ModelGraph;
import dev.anewb.runtime.RunResult;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A model converted with one {@link Conversion}: its graph, and what can be done with it — run it, measure its drift
 * against the FP32 original, write it as a package. Made by {@link ModelSession#convert}, which owns the executors;
 * {@link #open} is the one call for Java users:
 * <pre>{@code
 * try (ConvertedModel m = ConvertedModel.open("bundled:all-MiniLM-L6-v2", Conversion.ANE_DEFAULT, JobContext.NONE)) {
 *     DriftReport d = m.drift(List.of("The neural engine runs transformers."), true, JobContext.NONE);
 *     m.writePackage(Path.of("minilm.anepkg"), false, null, JobContext.NONE);
 * }
 * }</pre>
 */
public final class ConvertedModel implements AutoCloseable {
    /** The built-in sample input the package manifest's drift summary is measured on. */
    public static final List<String> SAMPLE_TEXTS = List.of("The neural engine runs transformers faster than the CPU.",
            "Quantization reduces memory bandwidth, but it can hurt accuracy.");

    private final ModelSession session;
    private final Conversion conversion;
    /** Replaced only when INT8 activations are recalibrated on other sample texts. */
    private volatile ModelGraph graph;
    private final List<String> warnings;
    private boolean closesSession;
    private List<String> sampleTexts = SAMPLE_TEXTS;
    private boolean truncateSample;

    ConvertedModel(ModelSession session, Conversion conversion, ModelGraph graph, List<String> warnings) {
        this.session = session;
        this.conversion = conversion;
        this.graph = graph;
        this.warnings = warnings;
    }

    /** Loads a model and converts it; closing the result closes the model. */
    public static ConvertedModel open(String model, Conversion c, JobContext ctx) {
        ModelSession s = ModelSession.open(model, ctx.slice(0, 0.8));
        try {
            ConvertedModel m = s.convert(c);
            m.closesSession = true;
            return m;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    public ModelSession session() { return session; }

    /**
     * Measures the package's recorded drift on these texts instead of the built-in English sentences (a Chinese
     * model turns those into [UNK]s), and calibrates INT8 activations on them; {@code truncate} cuts texts past the
     * model's positions instead of refusing.
     */
    public ConvertedModel useSampleTexts(List<String> texts, boolean truncate) {
        if (texts.isEmpty()) throw AnewbException.usage("no sample texts given");
        synchronized (this) {
            this.sampleTexts = List.copyOf(texts);
            this.truncateSample = truncate;
        }
        // INT8 activations are calibrated on the sample input: these texts, from now on
        if (conversion.quantizesActivations() && !source().isPackage()) session.calibrateOn(sampleInput(), this);
        return this;
    }

    /** The graph with INT8 input scales calibrated on another sample ({@link ModelSession#calibrateOn}). */
    void recalibrated(ModelGraph g) {
        this.graph = g;
    }

    /** The texts the sample input is made of (text models with a tokenizer). */
    public synchronized List<String> sampleTexts() { return sampleTexts; }

    /**
     * Warnings about the sample texts, one line each: a text that is mostly the tokenizer's unknown token measures
     * drift on [UNK]s, which says little about the model.
     */
    public List<String> sampleWarnings() {
        if (!source().hasTokenizer() || graph.values().containsKey(ModelGraph.PIXEL_VALUES)
                || graph.values().containsKey(ModelGraph.INPUT_FEATURES)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        List<String> texts = sampleTexts();
        for (int i = 0; i < texts.size(); i++) {
            double unk = TextInputs.unknownShare(source().tokenizer(), texts.get(i));
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

    public LoadedModel source() { return session.model(); }

    public Conversion conversion() { return conversion; }

    /** The converted graph: weights record their storage, attention ops their chunk band. */
    public ModelGraph graph() { return graph; }

    /** Warnings of the conversion (e.g. a keep-FP16 pattern that matched nothing). */
    public List<String> warnings() { return warnings; }

    /** One forward pass of the converted model. */
    public RunResult run(Batch input, JobContext ctx) {
        return session.executor(conversion).run(input, ctx);
    }

    /** Drift of the converted model against the FP32 original on these texts (a padded batch). */
    public DriftReport drift(List<String> texts, boolean byCause, JobContext ctx) {
        return drift(TextInputs.batch(source().tokenizer(), texts), byCause, ctx);
    }

    public DriftReport drift(Batch input, boolean byCause, JobContext ctx) {
        return DriftAnalysis.measure(session, input, conversion, byCause, ctx);
    }

    /**
     * Drift over the blocks of {@code layers} (null: all), each tap of this conversion handed to {@code onTap} as soon
     * as it is measured; see {@link DriftAnalysis#measure(DriftAnalysis.Runs, Batch, Conversion, boolean, LayerRange,
     * JobContext, Consumer)}.
     */
    public DriftReport drift(Batch input, boolean byCause, LayerRange layers, JobContext ctx,
            Consumer<TapMetrics> onTap) {
        return DriftAnalysis.measure(session, input, conversion, byCause, layers, ctx, onTap);
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
            return SampleMedia.batch(source());
        }
        if (source().hasTokenizer()) return sampleTextBatch();
        long[] ids = new long[16];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7919L + 1) % graph.config().vocabSize();
        return Batch.of(ids);
    }

    private synchronized Batch sampleTextBatch() {
        int max = graph.config().maxPositions();
        if (max <= 0) return TextInputs.batch(source().tokenizer(), sampleTexts);
        TextInputs.Fitted f = TextInputs.fitting(source().tokenizer(), sampleTexts, max);
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
        OwnInputs.of(source()).refuseOutput("package", out);
        Batch sample = sampleInput();
        ctx.progress(0.02, "measuring drift on the sample input");
        DriftReport d = drift(sample, false, ctx.slice(0.02, 0.3));
        RunResult ref = session.reference(sample, ctx);
        // Whisper has a tokenizer, but its sample is audio with a decoder prefix, not the sample texts.
        boolean texts = sample.features().isEmpty() && source().hasTokenizer();
        return AnePackageWriter.write(source(), graph, warnings, sample, texts ? sampleTexts() : null, ref, d,
                planSummary, out,
                force, ctx.slice(0.3, 1.0));
    }

    /** What {@link #writeCoreMl} would write (size, ops, minimum OS, what runs off the ANE), without writing. */
    public CoreMlPreview coreMlPreview(CoreMlOptions options) {
        return CoreMlExporter.preview(graph, source().weights(), options);
    }

    /**
     * Writes the Core ML ML Program package of this conversion; its metadata records the drift measured on
     * {@link #sampleInput()} (a package source is exported as stored, without).
     */
    public CoreMlPreview writeCoreMl(Path out, CoreMlOptions options, JobContext ctx) {
        // a block size or an op Core ML cannot express, or the model's own folder as the target, is refused before
        // anything is measured or written
        OwnInputs.of(source()).refuseOutput("Core ML package", out);
        coreMlPreview(options);
        CoreMlOptions o = options.license().isEmpty() ? options.withLicense(ModelCard.license(source().folder()))
                : options;
        if (!source().isPackage()) {
            ctx.progress(0, "measuring drift on the sample input");
            TapMetrics last = drift(sampleInput(), false, ctx.slice(0, 0.25)).lastHidden();
            if (last != null) o = o.withDriftSummary(Map.of("last_layer_sqnr_db", last.sqnrText(), "sample",
                    "built-in sample input"));
        }
        return CoreMlExporter.export(graph, source().weights(), o, out, ctx.slice(0.25, 1));
    }

    /** Closes the model when {@link #open} loaded it; otherwise its session's owner closes it. */
    @Override public void close() {
        if (closesSession) session.close();
    }
}
