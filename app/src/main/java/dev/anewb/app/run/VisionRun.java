package dev.anewb.app.run;

import dev.anewb.api.ConvertedModel;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.ConversionNames;
import dev.anewb.app.session.SampleInput;
import dev.anewb.app.session.Session;
import dev.anewb.io.ImagePreprocessor;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.Job;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelGraph;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.scene.image.Image;

import java.util.Map;

/**
 * The Run area for vision transformers: an image (a file or the built-in sample), the preprocessed image the
 * model actually sees, and both models' outputs compared by the engine's task metrics (CLS cosine of the last
 * hidden state, pooler cosine where the model has a pooler), with each model's forward-pass time.
 */
public final class VisionRun {
    /**
     * @param task      the engine's task metrics ({@code cls_cosine}, {@code pooler_cosine})
     * @param inputSize "224×224": the preprocessed image's size
     */
    public record Outcome(String description, Image preview, String inputSize, Map<String, Double> task,
                          CpuTiming original, CpuTiming converted, Pinned pinned) {
        public double clsCosine() { return task.getOrDefault("cls_cosine", Double.NaN); }
        public long originalNanos() { return original.medianNanos(); }
        public long convertedNanos() { return converted.medianNanos(); }
    }

    /** The pinned configuration on the same image: its task metrics and time. */
    public record Pinned(String name, Map<String, Double> task, CpuTiming time) { }

    private final Session session;
    private final ObjectProperty<SampleInput.Image> input =
            new SimpleObjectProperty<>(this, "input", new SampleInput.Image(null));
    private final ReadOnlyObjectWrapper<Outcome> outcome = new ReadOnlyObjectWrapper<>(this, "outcome");
    private final LatestJobScheduler<Outcome> scheduler;

    public VisionRun(Session session) {
        this.session = session;
        this.scheduler = new LatestJobScheduler<>(session.jobs(), "Run image");
        input.addListener((obs, old, now) -> run());
        session.pinnedProperty().addListener((obs, old, now) -> run());
    }

    /** Runs the chosen image through both models (debounced; the latest request wins). */
    public void run() {
        if (session.converted() == null || !session.canMeasureDrift()) return;
        scheduler.request(this::job, outcome::set);
    }

    private Job<Outcome> job() {
        ConvertedModel converted = session.converted();
        if (converted == null || !session.canMeasureDrift()) return null;
        LoadedModel model = converted.source();
        Conversion pinnedConversion = session.pinnedProperty().get();
        SampleInput.Image in = input.get();
        return ctx -> {
            ConvertedModel pinned = session.convertedFor(pinnedConversion);
            SampleInput.Prepared p = in.prepare(model);
            Batch batch = p.batch();
            FeatureTensor px = batch.feature(ModelGraph.PIXEL_VALUES);
            int h = (int) px.shape()[2], w = (int) px.shape()[3];
            ImagePreprocessor preprocessor = ImagePreprocessor.forModel(model.folder(), h, w, m -> { });
            Image preview = MediaPictures.pixelValues(px, preprocessor);
            // The reference run is cached per batch, so measure() below reuses it and runs only the converted model.
            RunResult ref = converted.session().reference(batch, ctx.slice(0, 0.3));
            RunResult conv = converted.run(batch, ctx.slice(0.3, 0.6));
            Map<String, Double> task = converted.drift(batch, false, ctx.slice(0.6, 1)).task();
            // Warm passes, as for text: the cached reference's time may be a cold first pass from long ago.
            Executor original = converted.session().executor();
            CpuTiming refTime = warmTimingOf(ref.nanos(), original, batch, ctx);
            CpuTiming convTime =
                    RunViewModel.warmTiming(conv.nanos(), () -> converted.run(batch, ctx.slice(1, 1)).nanos());
            Pinned pin = null;
            if (pinned != null && !pinned.conversion().equals(converted.conversion())) {
                Map<String, Double> pinnedTask = pinned.drift(batch, false, ctx.slice(1, 1)).task();
                CpuTiming t = RunViewModel.warmTiming(pinned.run(batch, ctx.slice(1, 1)).nanos(),
                        () -> pinned.run(batch, ctx.slice(1, 1)).nanos());
                pin = new Pinned(ConversionNames.describe(pinned.conversion()), pinnedTask, t);
            }
            return new Outcome(p.description(), preview, w + "×" + h, task, refTime, convTime, pin);
        };
    }

    private static CpuTiming warmTimingOf(long first, Executor original, Batch batch, JobContext ctx) {
        if (original == null) return CpuTiming.once(first);
        return RunViewModel.warmTiming(first, () -> {
            synchronized (original) { return original.run(batch, ctx.slice(1, 1)).nanos(); }
        });
    }

    /** The image to run; {@code new SampleInput.Image(null)} is the built-in sample. */
    public ObjectProperty<SampleInput.Image> inputProperty() { return input; }

    public ReadOnlyObjectProperty<Outcome> outcomeProperty() { return outcome.getReadOnlyProperty(); }

    public ReadOnlyBooleanProperty computingProperty() { return scheduler.computingProperty(); }

    public void cancel() { scheduler.cancel(); }
}
