package dev.anewb.drift;

import dev.anewb.model.Batch;
import dev.anewb.runtime.Activation;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The per-tap drift metrics of spec/drift.md, computed over valid positions only (attention_mask = 1).
 * The one implementation that CLI, UI and reports use.
 *
 * @param sqnrDb   10·log10(Σ ref² / Σ (conv − ref)²); +∞ when identical ("exact")
 * @param cosine   mean over tokens of cos(ref_t, conv_t)
 * @param relL2    ‖conv − ref‖ / ‖ref‖
 * @param maxAbs   max |conv − ref|
 * @param maxRef   max |ref| (for tolerance checks of the form diff ≤ tol · max(1, max|ref|))
 */
public record TapMetrics(String name, double sqnrDb, double cosine, double relL2, double maxAbs, double maxRef) {

    public boolean exact() { return Double.isInfinite(sqnrDb) && sqnrDb > 0; }

    /** Compares two activations of the same shape; pooled activations (length 1) have no padding. */
    public static TapMetrics of(String name, Activation ref, Activation conv, Batch batch) {
        if (ref.batch() != conv.batch() || ref.length() != conv.length() || ref.channels() != conv.channels()) {
            throw new IllegalArgumentException(name + ": shapes differ " + Arrays.toString(ref.shape()) + " vs "
                    + Arrays.toString(conv.shape()));
        }
        int c = ref.channels();
        double sig = 0, noise = 0, maxAbs = 0, maxRef = 0, cosSum = 0;
        int tokens = 0;
        float[] r = ref.data(), v = conv.data();
        for (int b = 0; b < ref.batch(); b++) {
            for (int t = 0; t < ref.length(); t++) {
                if (ref.length() > 1 && batch != null && ref.length() == batch.seq()
                        && batch.mask()[b][t] == 0) continue;
                int o = (b * ref.length() + t) * c;
                double dot = 0, nr = 0, nv = 0;
                for (int i = 0; i < c; i++) {
                    double a = r[o + i], x = v[o + i], d = x - a;
                    sig += a * a;
                    noise += d * d;
                    dot += a * x;
                    nr += a * a;
                    nv += x * x;
                    maxAbs = Math.max(maxAbs, Math.abs(d));
                    maxRef = Math.max(maxRef, Math.abs(a));
                }
                cosSum += (nr == 0 && nv == 0) ? 1 : dot / Math.sqrt(nr * nv);
                tokens++;
            }
        }
        double sqnr = noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(sig / noise);
        double rel = sig == 0 ? (noise == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(noise / sig);
        return new TapMetrics(name, sqnr, tokens == 0 ? 1 : cosSum / tokens, rel, maxAbs, maxRef);
    }

    /** SQNR(previous tap) − SQNR(this tap) in dB; NaN where either is exact. */
    public static double growth(TapMetrics previous, TapMetrics current) {
        if (previous == null || previous.exact() || current.exact()) return Double.NaN;
        return previous.sqnrDb() - current.sqnrDb();
    }

    private static final Pattern LAYER_OUTPUT = Pattern.compile("(.*hidden_states)\\.\\d+");

    /**
     * Growth per tap, the one rule every table uses: each tap is compared with the previous <em>layer output</em>
     * ({@code …hidden_states.i}) of its own stack, so a layer's sub-taps and the final outputs show what that layer
     * added, and the first tap of a stack (the embeddings, Whisper's first decoder state) has none (NaN): the
     * decoder does not continue the encoder's noise budget.
     */
    public static double[] growths(List<TapMetrics> taps) {
        double[] g = new double[taps.size()];
        TapMetrics previousOutput = null;
        String stack = null;
        for (int i = 0; i < taps.size(); i++) {
            TapMetrics t = taps.get(i);
            Matcher m = LAYER_OUTPUT.matcher(t.name());
            if (m.matches()) {
                boolean sameStack = m.group(1).equals(stack);
                g[i] = sameStack ? growth(previousOutput, t) : Double.NaN;
                previousOutput = t;
                stack = m.group(1);
            } else {
                g[i] = growth(previousOutput, t);
            }
        }
        return g;
    }

    /** The value shown to people: "exact" for +∞, else one decimal. */
    public String sqnrText() { return exact() ? "exact" : String.format(Locale.ROOT, "%.1f", sqnrDb); }
}
