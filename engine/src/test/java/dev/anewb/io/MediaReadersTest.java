package dev.anewb.io;

import dev.anewb.AnewbException;
import dev.anewb.model.FeatureTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WAV round trips, resampling, image decoding and the errors users see for bad files. */
public class MediaReadersTest {

    /** Writes a WAV with the given encoding; {@code samples[c][i]} in [-1, 1]. */
    public static byte[] wav(int format, int bits, int rate, float[][] samples) {
        int ch = samples.length, n = samples[0].length, bytes = bits / 8;
        ByteBuffer b = ByteBuffer.allocate(44 + n * ch * bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + n * ch * bytes).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) format).putShort((short) ch).putInt(rate)
                .putInt(rate * ch * bytes).putShort((short) (ch * bytes)).putShort((short) bits);
        b.put("data".getBytes()).putInt(n * ch * bytes);
        for (int i = 0; i < n; i++) {
            for (float[] c : samples) {
                float v = c[i];
                switch (bits) {
                    case 16 -> b.putShort((short) Math.round(v * 32767));
                    case 24 -> {
                        int s = Math.round(v * 8388607);
                        b.put((byte) s).put((byte) (s >> 8)).put((byte) (s >> 16));
                    }
                    default -> b.putFloat(v);
                }
            }
        }
        return b.array();
    }

    static float[] sine(int n, double hz, int rate, double amp) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (amp * Math.sin(2 * Math.PI * hz * i / rate));
        return x;
    }

    @Test
    void pcm16Float32And24BitStereoRoundTrip(@TempDir Path dir) throws IOException {
        float[] l = sine(800, 440, 8000, 0.5), r = sine(800, 1000, 8000, -0.25);
        for (int[] enc : new int[][]{{1, 16}, {3, 32}, {1, 24}}) {
            Path f = dir.resolve("s" + enc[1] + ".wav");
            Files.write(f, wav(enc[0], enc[1], 8000, new float[][]{l, r}));
            WavReader.Audio a = WavReader.read(f);
            assertEquals(8000, a.sampleRate());
            assertEquals(2, a.channels());
            assertEquals(800, a.samples().length);
            double tol = enc[1] == 16 ? 1.0 / 32767 : enc[1] == 24 ? 1.0 / 8388607 : 1e-7;
            for (int i = 0; i < 800; i++) assertEquals((l[i] + r[i]) / 2, a.samples()[i], tol, a.encoding()
                    + " sample " + i);
        }
    }

    /** Frequency of the strongest DFT bin over [lo, hi] Hz in 1 Hz steps. */
    static double peakHz(float[] x, int rate, int lo, int hi) {
        double best = -1;
        int bestHz = -1;
        for (int hz = lo; hz <= hi; hz++) {
            double re = 0, im = 0;
            for (int i = 0; i < x.length; i++) {
                re += x[i] * Math.cos(2 * Math.PI * hz * i / rate);
                im += x[i] * Math.sin(2 * Math.PI * hz * i / rate);
            }
            double p = re * re + im * im;
            if (p > best) { best = p; bestHz = hz; }
        }
        return bestHz;
    }

    @Test
    void resamplingTo16kKeepsTheFrequencyAndAmplitude(@TempDir Path dir) throws IOException {
        for (int rate : new int[]{8000, 44100}) {
            Path f = dir.resolve(rate + ".wav");
            float[] x = sine(rate / 2, 440, rate, 0.5); // 0.5 s
            Files.write(f, wav(1, 16, rate, new float[][]{x, x}));
            WavReader.Audio a = WavReader.read16k(f);
            assertEquals(16000, a.sampleRate());
            assertEquals(8000, a.samples().length, 1);
            assertEquals(440, peakHz(a.samples(), 16000, 300, 600), 1.0, rate + " Hz");
            float max = 0;
            for (int i = 2000; i < 6000; i++) max = Math.max(max, Math.abs(a.samples()[i])); // away from the edges
            assertEquals(0.5, max, 0.01, rate + " Hz amplitude");
        }
        // Downsampling removes what the new rate cannot hold: 7.9 kHz at 44.1 kHz is above the 0.95 * 8 kHz cutoff
        // band.
        float[] high = sine(22050, 7900, 44100, 0.5);
        float[] y = WavReader.resample(high, 44100, 16000);
        double energy = 0;
        for (int i = 1000; i < 7000; i++) energy += y[i] * y[i];
        assertTrue(Math.sqrt(energy / 6000) < 0.05, "alias energy " + Math.sqrt(energy / 6000));
    }

    @Test
    void truncatedAndUnsupportedWavFilesAreClearErrors(@TempDir Path dir) throws IOException {
        byte[] ok = wav(1, 16, 16000, new float[][]{sine(1000, 440, 16000, 0.5)});
        Path cut = dir.resolve("cut.wav");
        Files.write(cut, Arrays.copyOf(ok, 300));
        AnewbException e = assertThrows(AnewbException.class, () -> WavReader.read(cut));
        assertTrue(e.getMessage().contains("cut.wav") && e.getMessage().contains("truncated"), e.getMessage());

        byte[] alaw = wav(1, 16, 16000, new float[][]{sine(100, 440, 16000, 0.5)});
        ByteBuffer.wrap(alaw).order(ByteOrder.LITTLE_ENDIAN).putShort(20, (short) 6);
        Path a = dir.resolve("alaw.wav");
        Files.write(a, alaw);
        e = assertThrows(AnewbException.class, () -> WavReader.read(a));
        assertTrue(e.getMessage().contains("A-law"), e.getMessage());

        Path text = dir.resolve("notes.wav");
        Files.writeString(text, "not audio at all");
        e = assertThrows(AnewbException.class, () -> WavReader.read(text));
        assertTrue(e.getMessage().contains("notes.wav") && e.getMessage().contains("RIFF"), e.getMessage());
    }

    @Test
    void pngAndJpegWrittenByImageIoDecode(@TempDir Path dir) throws IOException {
        BufferedImage img = new BufferedImage(20, 12, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 12; y++) for (int x = 0; x < 20; x++) img.setRGB(x, y, (x * 12) << 16 | (y * 20) << 8 | 77);
        Path png = dir.resolve("a.png"), jpg = dir.resolve("a.jpg");
        ImageIO.write(img, "png", png.toFile());
        ImageIO.write(img, "jpeg", jpg.toFile());
        ImagePreprocessor.Rgb p = ImagePreprocessor.decode(png);
        assertEquals(12, p.height());
        assertEquals(20, p.width());
        assertArrayEquals(new int[]{5 * 12, 3 * 20, 77},
                Arrays.copyOfRange(p.hwc(), (3 * 20 + 5) * 3, (3 * 20 + 5) * 3 + 3));
        ImagePreprocessor.Rgb j = ImagePreprocessor.decode(jpg);
        assertEquals(20, j.width());
        int[] px = Arrays.copyOfRange(j.hwc(), (3 * 20 + 5) * 3, (3 * 20 + 5) * 3 + 3);
        for (int c = 0; c < 3; c++) assertEquals(p.hwc()[(3 * 20 + 5) * 3 + c], px[c], 12, "JPEG is lossy but close");

        FeatureTensor t = ImagePreprocessor.defaults(16, 16).pixelValues(png);
        assertArrayEquals(new long[]{1, 3, 16, 16}, t.shape());

        Path notImage = dir.resolve("x.png");
        Files.writeString(notImage, "hello");
        AnewbException e = assertThrows(AnewbException.class, () -> ImagePreprocessor.decode(notImage));
        assertTrue(e.getMessage().contains("x.png") && e.getMessage().contains("PNG or JPEG"), e.getMessage());
    }

    @Test
    void pilResamplingMatchesHandComputedWeights() {
        // 2x downscale with PIL's antialiased bilinear: support 2 input pixels, weights 1/8, 3/8, 3/8, 1/8.
        int[] row = {0, 80, 160, 240, 40, 120, 200, 8};
        int[] hwc = new int[8 * 3];
        for (int x = 0; x < 8; x++) for (int c = 0; c < 3; c++) hwc[x * 3 + c] = row[x];
        ImagePreprocessor.Rgb out = ImagePreprocessor.resize(new ImagePreprocessor.Rgb(1, 8, hwc), 1, 4, 2);
        // output 1: inputs 1..4 → (80 + 3·160 + 3·240 + 40) / 8 = 165
        assertEquals(165, out.hwc()[3]);
        // output 0: inputs 0..2 (clipped at the edge), weights 3/8, 3/8, 1/8 renormalised → (0·3 + 80·3 + 160) / 7 =
        // 57.1 → 57
        assertEquals(57, out.hwc()[0]);
        // bicubic upscale of a constant image stays constant; same size is the identity
        int[] flat = new int[5 * 5 * 3];
        Arrays.fill(flat, 99);
        ImagePreprocessor.Rgb up = ImagePreprocessor.resize(new ImagePreprocessor.Rgb(5, 5, flat), 9, 7, 3);
        for (int v : up.hwc()) assertEquals(99, v);
        ImagePreprocessor.Rgb same = new ImagePreprocessor.Rgb(5, 5, flat);
        assertTrue(ImagePreprocessor.resize(same, 5, 5, 3) == same);
    }
}
