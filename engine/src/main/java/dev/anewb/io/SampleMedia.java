package dev.anewb.io;

import dev.anewb.model.Axis;
import dev.anewb.model.Batch;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.vit.ViTConfig;
import dev.anewb.model.whisper.WhisperConfig;

import java.util.Map;

/**
 * Built-in sample inputs for vision and audio models, the counterpart of the sample sentences: deterministic, so
 * drift numbers are reproducible. The image is a colour gradient with a checkerboard (edges and smooth areas);
 * the audio is 3 s of a 220 → 2200 Hz chirp with a 440 Hz tone, at 16 kHz; the decoder prefix is the
 * config's decoder_start_token_id.
 */
public final class SampleMedia {
    private SampleMedia() { }

    public static Batch batch(LoadedModel source) {
        ModelGraph g = source.graph();
        if (source.config() instanceof ViTConfig c) {
            int h = c.imageHeight(), w = c.imageWidth();
            int[] hwc = new int[h * w * 3];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3;
                    boolean check = ((x / Math.max(1, w / 8)) + (y / Math.max(1, h / 8))) % 2 == 0;
                    hwc[o] = 255 * x / Math.max(1, w - 1);
                    hwc[o + 1] = 255 * y / Math.max(1, h - 1);
                    hwc[o + 2] = check ? 200 : 40;
                }
            }
            var pre = ImagePreprocessor.forModel(source.folder(), h, w, m ->
                    System.err.println("anewb: warning: " + m));
            var px = pre.pixelValues(ImagePreprocessor.resize(new ImagePreprocessor.Rgb(h, w, hwc), pre.height(),
                    pre.width(), pre.resample()));
            return Batch.ofFeatures(g.fixedLength(Axis.TOKENS), Map.of(ModelGraph.PIXEL_VALUES, px));
        }
        WhisperConfig c = (WhisperConfig) source.config();
        WhisperFeatures fe = WhisperFeatures.forModel(source.folder(), c.numMelBins(), m ->
                System.err.println("anewb: warning: " + m));
        int rate = fe.sampleRate(), n = 3 * rate;
        float[] wave = new float[n];
        for (int i = 0; i < n; i++) {
            double t = i / (double) rate;
            double chirp = Math.sin(2 * Math.PI * (220 * t + (2200 - 220) / 6.0 * t * t)); // 220 Hz → 2200 Hz over 3 s
            wave[i] = (float) (0.3 * chirp + 0.2 * Math.sin(2 * Math.PI * 440 * t));
        }
        long start = c.raw() == null ? 50258 : c.raw().path("decoder_start_token_id").asLong(50258);
        return Batch.of(start).withFeatures(Map.of(ModelGraph.INPUT_FEATURES, fe.extract(wave)));
    }
}
