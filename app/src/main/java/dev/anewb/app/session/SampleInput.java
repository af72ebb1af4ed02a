package dev.anewb.app.session;

import dev.anewb.AnewbException;
import dev.anewb.api.ModelSession;
import dev.anewb.cli.InputOptions;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.TextInputs;
import dev.anewb.io.WavReader;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * An input both models are run on, as the user chose it: texts, an image file or a WAV file, or the engine's
 * built-in sample image or audio ({@code file == null}). {@link #prepare} turns it into the {@link Batch} the
 * engine runs, with the same code the CLI's {@code --text}/{@code --image}/{@code --audio} use, so the Drift area,
 * the Run area and the CLI measure the same tensors for the same file.
 */
public sealed interface SampleInput {
    /** Texts (text encoders and language models); never empty. */
    record Texts(List<String> texts) implements SampleInput {
        public Texts {
            texts = List.copyOf(texts);
            if (texts.isEmpty()) throw new IllegalArgumentException("no texts");
        }
    }

    /** An image (PNG or JPEG) for a vision model; null file = the built-in sample image. */
    record Image(Path file) implements SampleInput { }

    /** A WAV file for Whisper; null file = the built-in sample audio. */
    record Audio(Path file) implements SampleInput { }

    /** The input with its batch and a short description ("speech.wav · 3.2 s"). */
    record Prepared(SampleInput input, Batch batch, String description) { }

    /** The built-in sample of a model of this kind. */
    static SampleInput defaultFor(ModelKind kind, List<String> texts) {
        return switch (kind) {
            case VISION -> new Image(null);
            case SPEECH -> new Audio(null);
            case TEXT_ENCODER, LANGUAGE_MODEL -> new Texts(texts);
        };
    }

    /** Whether this input fits a model of {@code kind}. */
    default boolean fits(ModelKind kind) {
        return switch (this) {
            case Texts t -> kind == ModelKind.TEXT_ENCODER || kind == ModelKind.LANGUAGE_MODEL;
            case Image i -> kind == ModelKind.VISION;
            case Audio a -> kind == ModelKind.SPEECH;
        };
    }

    /**
     * Reads, decodes and preprocesses the input for {@code model}: a user error (an unreadable file, a text input
     * for an image model) is an {@link AnewbException} naming the file. Off the FX thread.
     */
    default Prepared prepare(LoadedModel model) {
        ModelKind kind = ModelKind.of(model);
        if (!fits(kind)) {
            throw AnewbException.usage(model.displayName() + " does not take " + describeKind() + " input");
        }
        return switch (this) {
            case Texts t -> {
                TextInputs.Fitted f = fit(model, t.texts());
                yield new Prepared(this, f.batch(), describe(t.texts(), f));
            }
            case Image i when i.file() == null -> new Prepared(this, builtIn(model),
                    "built-in sample image (gradient and checkerboard)");
            case Image i -> {
                InputOptions o = new InputOptions();
                o.image = i.file();
                yield new Prepared(this, o.toBatch(model), i.file().getFileName().toString());
            }
            case Audio a when a.file() == null -> new Prepared(this, builtIn(model),
                    "built-in sample audio (220→2200 Hz chirp and a 440 Hz tone) · 3.0 s");
            case Audio a -> {
                // The duration the user recorded, before Whisper pads or cuts to its 30 s window.
                double seconds = WavReader.read(a.file()).seconds();
                InputOptions o = new InputOptions();
                o.audio = a.file();
                yield new Prepared(this, o.toBatch(model),
                        a.file().getFileName() + " · " + String.format(Locale.ROOT, "%.1f s", seconds));
            }
        };
    }

    /**
     * Texts as the model can take them: cut to its positions, as transformers' truncation=True does (the CLI's
     * --truncate), instead of an error on a long sample text.
     */
    static TextInputs.Fitted fit(LoadedModel model, List<String> texts) {
        int max = model.config().maxPositions();
        return TextInputs.fitting(model.tokenizer(), texts, max > 0 ? max : Integer.MAX_VALUE);
    }

    /** "1 text", "2 texts", with the cut when there was one: "1 text · cut to 512 tokens (was 600)". */
    static String describe(List<String> texts, TextInputs.Fitted f) {
        String d = texts.size() == 1 ? "1 text" : texts.size() + " texts";
        if (!f.truncated()) return d;
        int longest = 0;
        for (int l : f.lengths()) longest = Math.max(longest, l);
        return d + " · cut to " + f.maxTokens() + " tokens (the longest had " + longest + ")";
    }

    private String describeKind() {
        return switch (this) {
            case Texts t -> "text";
            case Image i -> "image";
            case Audio a -> "audio";
        };
    }

    /** The engine's built-in sample (the one the package manifest's drift summary uses). */
    private static Batch builtIn(LoadedModel model) {
        return ModelSession.of(model).convert(Conversion.ORIGINAL).sampleInput();
    }
}
