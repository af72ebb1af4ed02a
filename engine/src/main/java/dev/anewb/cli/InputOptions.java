package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.io.ImagePreprocessor;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.TextInputs;
import dev.anewb.io.WavReader;
import dev.anewb.io.WhisperFeatures;
import dev.anewb.model.Axis;
import dev.anewb.model.Batch;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.vit.ViTConfig;
import dev.anewb.model.whisper.WhisperConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Inputs a forward pass takes: texts (a padded batch) or token ids; an image for vision models; audio (and the
 * decoder's prefix ids) for Whisper. What the model's graph reads decides which are required.
 */
public final class InputOptions {
    @Option(names = "--text", paramLabel = "STR", description = "Input text; repeat for a padded batch.")
    public List<String> texts = new ArrayList<>();

    @Option(names = "--ids", paramLabel = "1,2,3", split = ",", description = "Token ids (no tokenizer applied).")
    public List<Long> ids = new ArrayList<>();

    @Option(names = "--image", paramLabel = "FILE",
            description = "Image (PNG or JPEG) for vision models (ViT), preprocessed as preprocessor_config.json says.")
    public Path image;

    @Option(names = "--audio", paramLabel = "FILE",
            description = "WAV audio (PCM 8/16/24/32-bit or float, any rate: resampled to 16 kHz) for Whisper.")
    public Path audio;

    @Option(names = "--decoder-ids", paramLabel = "1,2,3", split = ",",
            description = "Whisper decoder prefix ids (default: the config's decoder_start_token_id).")
    public List<Long> decoderIds = new ArrayList<>();

    @Option(names = "--truncate", description = {"Cut texts (and --ids) longer than the model's positions to its first"
            + " N tokens, as transformers' truncation=True does (special tokens kept); without it they are refused."})
    public boolean truncate;

    public boolean isEmpty() { return texts.isEmpty() && ids.isEmpty() && image == null && audio == null
            && decoderIds.isEmpty(); }

    /** The batch for this model; texts go through the model's own tokenizer with special tokens added. */
    public Batch toBatch(LoadedModel model) {
        ModelGraph g = model.graph();
        if (g.values().containsKey(ModelGraph.PIXEL_VALUES)) return imageBatch(model);
        if (g.values().containsKey(ModelGraph.INPUT_FEATURES)) return audioBatch(model);
        if (image != null || audio != null || !decoderIds.isEmpty()) {
            throw AnewbException.usage(model.displayName()
                    + " is a text model: --image, --audio and --decoder-ids do not apply");
        }
        if (!texts.isEmpty() && !ids.isEmpty()) throw AnewbException.usage("give either --text or --ids, not both");
        int max = model.config().maxPositions();
        if (!ids.isEmpty()) {
            long[] a = ids.stream().mapToLong(Long::longValue).toArray();
            if (max > 0 && a.length > max) {
                if (!truncate) throw tooLong(a.length + " ids", max);
                warn(a.length + " ids cut to the model's " + max + " positions (--truncate)");
                a = Arrays.copyOf(a, max);
            }
            return Batch.of(a);
        }
        if (texts.isEmpty()) throw AnewbException.usage("no input: give --text STR or --ids 1,2,3");
        if (max <= 0) return TextInputs.batch(model.tokenizer(), texts);
        TextInputs.Fitted f = TextInputs.fitting(model.tokenizer(), texts, max);
        for (int i = 0; i < f.lengths().length; i++) {
            if (f.lengths()[i] <= max) continue;
            String which = (texts.size() == 1 ? "the text is " : "text " + (i + 1) + " is ") + f.lengths()[i]
                    + " tokens";
            if (!truncate) throw tooLong(which + " long", max);
            warn(which + "; cut to the model's " + max + " positions (--truncate)");
        }
        return f.batch();
    }

    private static AnewbException tooLong(String what, int max) {
        return AnewbException.usage(what + ", more than the model's " + max + " positions; add --truncate to keep"
                + " the first " + max);
    }

    private static void warn(String w) {
        System.err.println("anewb: warning: " + w);
    }

    private Batch imageBatch(LoadedModel model) {
        if (image == null) throw AnewbException.usage(model.displayName()
                + " is a vision model: give --image FILE (PNG or JPEG)");
        if (!texts.isEmpty() || !ids.isEmpty() || audio != null || !decoderIds.isEmpty()) {
            throw AnewbException.usage(model.displayName() + " takes only --image");
        }
        ViTConfig c = (ViTConfig) model.config();
        ImagePreprocessor pre = ImagePreprocessor.forModel(model.folder(), c.imageHeight(), c.imageWidth(),
                InputOptions::warn);
        FeatureTensor px = pre.pixelValues(image);
        if (px.shape()[2] != c.imageHeight() || px.shape()[3] != c.imageWidth()) {
            throw AnewbException.file(image, "preprocessed to " + px.shape()[2] + "x" + px.shape()[3]
                    + " but the model's image_size is "
                    + c.imageHeight() + "x" + c.imageWidth() + " (position embeddings are not interpolated)");
        }
        return Batch.ofFeatures(model.graph().fixedLength(Axis.TOKENS), Map.of(ModelGraph.PIXEL_VALUES, px));
    }

    private Batch audioBatch(LoadedModel model) {
        if (audio == null) throw AnewbException.usage(model.displayName()
                + " is a speech model: give --audio FILE.wav");
        if (!texts.isEmpty() || image != null) throw AnewbException.usage(model.displayName()
                + " takes --audio and --decoder-ids (or --ids)");
        if (!ids.isEmpty() && !decoderIds.isEmpty()) throw AnewbException.usage("give either --decoder-ids or --ids, "
                + "not both");
        WhisperConfig c = (WhisperConfig) model.config();
        WhisperFeatures fe = WhisperFeatures.forModel(model.folder(), c.numMelBins(), InputOptions::warn);
        WavReader.Audio a = WavReader.read(audio);
        float[] samples = a.sampleRate() == fe.sampleRate() ? a.samples()
                : WavReader.resample(a.samples(), a.sampleRate(), fe.sampleRate());
        double seconds = samples.length / (double) fe.sampleRate(), window = fe.frames() * 160.0 / fe.sampleRate();
        if (samples.length > fe.frames() * 160L) warn(audio + ": " + String.format(Locale.ROOT, "%.1f", seconds)
                + " s of audio; only the first "
                + (int) window + " s are used (one Whisper window)");
        FeatureTensor features = fe.extract(samples);
        List<Long> prefix = !decoderIds.isEmpty() ? decoderIds : ids;
        long[] dec = prefix.isEmpty() ? new long[]{c.raw().path("decoder_start_token_id").asLong(50258)}
                : prefix.stream().mapToLong(Long::longValue).toArray();
        return Batch.of(dec).withFeatures(Map.of(ModelGraph.INPUT_FEATURES, features));
    }
}
