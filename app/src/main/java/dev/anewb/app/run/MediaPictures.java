package dev.anewb.app.run;

import dev.anewb.io.ImagePreprocessor;
import dev.anewb.model.FeatureTensor;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;

/**
 * The model's actual inputs as pictures, each drawn into one {@link WritableImage}: the preprocessed image
 * (pixel_values de-normalised back to 8-bit RGB, so the user sees what the model sees after resizing) and the
 * log-mel spectrogram (one pixel per frame and mel bin, low mel bins at the bottom). Safe off the FX thread:
 * the images are not shown yet while they are written.
 */
public final class MediaPictures {
    /** Viridis at 9 evenly spaced stops (matplotlib's values), interpolated linearly. */
    private static final int[] VIRIDIS =
            {0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80, 0x5EC962, 0xADDC30, 0xFDE725};

    private MediaPictures() { }

    /** pixel_values [1, 3, H, W] → an H×W RGB image: x·std + mean, divided by the rescale factor, clipped to 0..255. */
    public static WritableImage pixelValues(FeatureTensor px, ImagePreprocessor pre) {
        long[] s = px.shape();
        int h = (int) s[2], w = (int) s[3], plane = h * w;
        float[] d = px.data();
        int[] argb = new int[plane];
        for (int i = 0; i < plane; i++) {
            int rgb = 0xFF000000;
            for (int c = 0; c < 3; c++) {
                double v = d[c * plane + i];
                if (pre.doNormalize()) v = v * pre.std()[c] + pre.mean()[c];
                if (pre.doRescale()) v = v / pre.rescaleFactor();
                int b = (int) Math.round(Math.max(0, Math.min(255, v)));
                rgb |= b << (16 - 8 * c);
            }
            argb[i] = rgb;
        }
        WritableImage img = new WritableImage(w, h);
        img.getPixelWriter().setPixels(0, 0, w, h, PixelFormat.getIntArgbInstance(), argb, 0, w);
        return img;
    }

    /**
     * input_features [1, mels, frames] → a frames×mels image (time to the right, mel bin 0 at the bottom), viridis from
     * min to max.
     */
    public static WritableImage spectrogram(FeatureTensor features) {
        long[] s = features.shape();
        int mels = (int) s[1], frames = (int) s[2];
        float[] d = features.data();
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < mels * frames; i++) {
            min = Math.min(min, d[i]);
            max = Math.max(max, d[i]);
        }
        float range = max > min ? max - min : 1;
        int[] argb = new int[mels * frames];
        for (int m = 0; m < mels; m++) {
            int row = (mels - 1 - m) * frames;
            for (int t = 0; t < frames; t++) argb[row + t] = viridis((d[m * frames + t] - min) / range);
        }
        WritableImage img = new WritableImage(frames, mels);
        img.getPixelWriter().setPixels(0, 0, frames, mels, PixelFormat.getIntArgbInstance(), argb, 0, frames);
        return img;
    }

    /** The colour of {@code x} in [0, 1] as opaque ARGB. */
    static int viridis(double x) {
        double p = Math.max(0, Math.min(1, x)) * (VIRIDIS.length - 1);
        int i = Math.min(VIRIDIS.length - 2, (int) p);
        double f = p - i;
        int a = VIRIDIS[i], b = VIRIDIS[i + 1], out = 0xFF000000;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int ca = (a >> shift) & 0xFF, cb = (b >> shift) & 0xFF;
            out |= ((int) Math.round(ca + (cb - ca) * f)) << shift;
        }
        return out;
    }
}
