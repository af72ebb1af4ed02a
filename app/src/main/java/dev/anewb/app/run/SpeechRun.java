package dev.anewb.app.run;

import dev.anewb.api.ConvertedModel;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.SampleInput;
import dev.anewb.app.session.Session;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.Job;
import dev.anewb.model.Batch;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelGraph;
import dev.anewb.runtime.Generator;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.scene.image.Image;

/**
 * The Run area for Whisper: a WAV file (or the built-in sample), its log-mel spectrogram as the encoder reads it,
 * and greedy decoding by the original and the converted model side by side from the config's decoder start token
 * ({@link SideBySideGeneration}), with their token agreement. A new input is prepared, shown and decoded at once.
 */
public final class SpeechRun {
    public static final int DEFAULT_MAX_NEW_TOKENS = 20;

    /** The prepared audio: what the encoder reads and how it looks. */
    public record Prepared(LoadedModel model, String description, Batch batch, Image spectrogram, int mels,
                           int frames, double seconds) { }

    private final Session session;
    private final ObjectProperty<SampleInput.Audio> input =
            new SimpleObjectProperty<>(this, "input", new SampleInput.Audio(null));
    private final IntegerProperty maxNewTokens =
            new SimpleIntegerProperty(this, "maxNewTokens", DEFAULT_MAX_NEW_TOKENS);
    private final ReadOnlyObjectWrapper<Prepared> prepared = new ReadOnlyObjectWrapper<>(this, "prepared");
    private final LatestJobScheduler<Prepared> scheduler;
    private final SideBySideGeneration decoding;

    public SpeechRun(Session session) {
        this.session = session;
        this.scheduler = new LatestJobScheduler<>(session.jobs(), "Prepare audio");
        this.decoding = new SideBySideGeneration(session.jobs(), "Decode audio");
        input.addListener((obs, old, now) -> prepare());
    }

    /** Reads and featurizes the chosen audio, then decodes it with both models. */
    public void prepare() {
        if (session.converted() == null) return;
        scheduler.request(this::job, p -> {
            prepared.set(p);
            decode();
        });
    }

    private Job<Prepared> job() {
        ConvertedModel converted = session.converted();
        if (converted == null) return null;
        LoadedModel model = converted.source();
        SampleInput.Audio in = input.get();
        return ctx -> {
            SampleInput.Prepared p = in.prepare(model);
            FeatureTensor f = p.batch().feature(ModelGraph.INPUT_FEATURES);
            int mels = (int) f.shape()[1], frames = (int) f.shape()[2];
            // Whisper's hop is 10 ms at 16 kHz: 3000 frames are its 30 s window.
            return new Prepared(model, p.description(), p.batch(), MediaPictures.spectrogram(f), mels, frames,
                    frames * 0.01);
        };
    }

    /** Greedy decoding of the prepared audio by both models; false when nothing is prepared yet. */
    public boolean decode() {
        ConvertedModel converted = session.converted();
        Prepared p = prepared.get();
        if (converted == null) return false;
        LoadedModel model = converted.source();
        if (p == null || p.model() != model) {
            // Features of another model (another mel count or window) do not apply: prepare them first.
            prepare();
            return false;
        }
        long[] prefix = p.batch().ids()[0];
        // The decoder's context bounds the tokens (the last new token is never fed back).
        int n = Math.max(0, Math.min(maxNewTokens.get(), model.config().maxPositions() - prefix.length + 1));
        decoding.start(new SideBySideGeneration.Request(converted.session()::executor,
                () -> converted.session().executor(converted.conversion()),
                () -> model.hasTokenizer() ? model.tokenizer() : null, () -> prefix, p.batch().features(), n,
                Generator.Sampling.GREEDY, null));
        return true;
    }

    public void cancel() {
        scheduler.cancel();
        decoding.cancel();
    }

    /** The audio to run; {@code new SampleInput.Audio(null)} is the built-in sample. */
    public ObjectProperty<SampleInput.Audio> inputProperty() { return input; }

    public IntegerProperty maxNewTokensProperty() { return maxNewTokens; }

    public ReadOnlyObjectProperty<Prepared> preparedProperty() { return prepared.getReadOnlyProperty(); }

    public ReadOnlyBooleanProperty preparingProperty() { return scheduler.computingProperty(); }

    public SideBySideGeneration decoding() { return decoding; }

}
