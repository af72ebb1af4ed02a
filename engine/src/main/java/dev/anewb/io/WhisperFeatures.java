package dev.anewb.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelGraph;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The log-mel front end of transformers' {@code WhisperFeatureExtractor}: the waveform (16 kHz) is zero-padded or
 * truncated to {@code n_samples} (30 s), framed by a centered STFT (reflect padding of n_fft/2, periodic Hann
 * window, n_fft 400, hop 160), turned into a power spectrum, projected on Slaney-style mel filters (librosa
 * {@code mel(htk=False, norm="slaney")}, 0 to sr/2), then {@code log10(max(mel, 1e-10))}, floored at the maximum
 * − 8, and mapped by {@code (x + 4) / 4}. The last STFT frame is dropped, giving 3000 frames.
 *
 * <p>The DFT is direct: 201 bins of a 400-point real frame (400 = 2⁴·5², no power of two), with the twiddles
 * taken from one exact table of 400 angles, accumulated in double: accurate to ~1e-12 relative, and fast enough
 * (about 0.25 G multiply-adds per 30 s window).
 */
public final class WhisperFeatures {
    private final int nFft, hop, sampleRate, mels, nSamples;
    private final double[][] filters; // [mels][bins]
    private final double[] window;
    private final double[] cos, sin;

    public WhisperFeatures(int nFft, int hop, int sampleRate, int mels, int nSamples) {
        if (nFft < 2 || hop < 1 || sampleRate < 1 || mels < 1 || nSamples < nFft) {
            throw new AnewbException("invalid feature extractor settings: n_fft " + nFft + ", hop " + hop + ", rate "
                    + sampleRate + ", mels " + mels);
        }
        this.nFft = nFft;
        this.hop = hop;
        this.sampleRate = sampleRate;
        this.mels = mels;
        this.nSamples = nSamples;
        this.filters = melFilters(nFft / 2 + 1, mels, 0.0, sampleRate / 2.0, sampleRate);
        this.window = new double[nFft];
        this.cos = new double[nFft];
        this.sin = new double[nFft];
        for (int n = 0; n < nFft; n++) {
            window[n] = 0.5 - 0.5 * Math.cos(2 * Math.PI * n / nFft); // periodic Hann (np.hanning(n + 1)[:-1])
            cos[n] = Math.cos(2 * Math.PI * n / nFft);
            sin[n] = Math.sin(2 * Math.PI * n / nFft);
        }
    }

    /** transformers' defaults for an 80- or 128-bin Whisper. */
    public static WhisperFeatures defaults(int mels) {
        return new WhisperFeatures(400, 160, 16000, mels, 480000);
    }

    /**
     * From a model folder's {@code preprocessor_config.json}; without one, the documented defaults (n_fft 400, hop
     * 160, 16 kHz, 30 s) with {@code mels} from config.json, and a warning saying so.
     */
    public static WhisperFeatures forModel(Path folder, int mels, Consumer<String> warn) {
        Path f = folder == null ? null : folder.resolve("preprocessor_config.json");
        if (f == null || !Files.isRegularFile(f)) {
            warn.accept((folder == null ? "model" : folder.toString())
                    + ": no preprocessor_config.json; using WhisperFeatureExtractor's defaults"
                    + " (n_fft 400, hop 160, 16 kHz, 30 s, " + mels + " mel bins)");
            return defaults(mels);
        }
        JsonNode j;
        try {
            j = new ObjectMapper().readTree(f.toFile());
        } catch (IOException e) {
            throw AnewbException.file(f, "not valid JSON (" + e.getMessage() + ")", e);
        }
        int size = j.path("feature_size").asInt(mels);
        if (size != mels) throw AnewbException.file(f, "feature_size " + size + " but config.json's num_mel_bins is "
                + mels);
        int rate = j.path("sampling_rate").asInt(16000);
        int hop = j.path("hop_length").asInt(160);
        int nSamples = j.path("n_samples").asInt(j.path("chunk_length").asInt(30) * rate);
        if (j.path("dither").asDouble(0) != 0) warn.accept(f + ": dither " + j.path("dither").asDouble()
                + " ignored (features are computed without dither)");
        return new WhisperFeatures(j.path("n_fft").asInt(400), hop, rate, mels, nSamples);
    }

    public int sampleRate() { return sampleRate; }

    public int frames() { return nSamples / hop; }

    /** {@code input_features} [1, mels, frames] of one waveform at {@link #sampleRate()}. */
    public FeatureTensor extract(float[] waveform) {
        float[] x = new float[nSamples];
        System.arraycopy(waveform, 0, x, 0, Math.min(waveform.length, nSamples));
        int frames = frames(), bins = nFft / 2 + 1, half = nFft / 2;
        double[][] logMel = new double[frames][];
        IntStream.range(0, frames).parallel().forEach(t -> {
            double[] frame = new double[nFft];
            for (int n = 0; n < nFft; n++) frame[n] = x[reflect(t * hop + n - half, nSamples)] * window[n];
            double[] power = new double[bins];
            for (int k = 0; k < bins; k++) {
                double re = 0, im = 0;
                int idx = 0;
                for (int n = 0; n < nFft; n++) {
                    re += frame[n] * cos[idx];
                    im -= frame[n] * sin[idx];
                    idx += k;
                    if (idx >= nFft) idx -= nFft;
                }
                power[k] = re * re + im * im;
            }
            double[] out = new double[mels];
            for (int m = 0; m < mels; m++) {
                double s = 0;
                double[] f = filters[m];
                for (int k = 0; k < bins; k++) s += f[k] * power[k];
                out[m] = Math.log10(Math.max(s, 1e-10));
            }
            logMel[t] = out;
        });
        double max = Double.NEGATIVE_INFINITY;
        for (double[] r : logMel) for (double v : r) max = Math.max(max, v);
        float[] data = new float[mels * frames];
        for (int m = 0; m < mels; m++) {
            for (int t = 0; t < frames; t++) data[m * frames + t] = (float) ((Math.max(logMel[t][m], max - 8.0) + 4.0)
                    / 4.0);
        }
        return new FeatureTensor(new long[]{1, mels, frames}, data);
    }

    /** numpy's "reflect" padding (the edge sample is not repeated). */
    private static int reflect(int i, int n) {
        while (i < 0 || i >= n) {
            if (i < 0) i = -i;
            if (i >= n) i = 2 * (n - 1) - i;
        }
        return i;
    }

    /** The graph input name these features feed. */
    public static String inputName() { return ModelGraph.INPUT_FEATURES; }

    /**
     * transformers' {@code mel_filter_bank(norm="slaney", mel_scale="slaney")}: triangular filters between mel
     * points equally spaced from fMin to fMax, each scaled by 2 / (its width in Hz). Returns [mels][bins].
     */
    static double[][] melFilters(int bins, int mels, double fMin, double fMax, int sampleRate) {
        double melMin = hzToMel(fMin), melMax = hzToMel(fMax);
        double[] f = new double[mels + 2];
        for (int i = 0; i < mels + 2; i++) f[i] = melToHz(melMin + (melMax - melMin) * i / (mels + 1));
        double[] fft = new double[bins];
        for (int k = 0; k < bins; k++) fft[k] = (double) (sampleRate / 2) * k / (bins - 1);
        double[][] out = new double[mels][bins];
        for (int m = 0; m < mels; m++) {
            double enorm = 2.0 / (f[m + 2] - f[m]);
            for (int k = 0; k < bins; k++) {
                double down = (fft[k] - f[m]) / (f[m + 1] - f[m]);
                double up = (f[m + 2] - fft[k]) / (f[m + 2] - f[m + 1]);
                out[m][k] = Math.max(0, Math.min(down, up)) * enorm;
            }
        }
        return out;
    }

    private static final double MIN_LOG_HZ = 1000.0, MIN_LOG_MEL = 15.0, LOGSTEP = 27.0 / Math.log(6.4);

    static double hzToMel(double hz) {
        return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) * LOGSTEP : 3.0 * hz / 200.0;
    }

    static double melToHz(double mel) {
        return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp((mel - MIN_LOG_MEL) / LOGSTEP) : 200.0 * mel / 3.0;
    }
}
