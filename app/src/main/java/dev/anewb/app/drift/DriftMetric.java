package dev.anewb.app.drift;

import dev.anewb.drift.TapMetrics;

import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The per-tap metric the Drift chart plots (spec/drift.md), with its axis label and number format. */
public enum DriftMetric {
    SQNR("SQNR (dB)", TapMetrics::sqnrDb, "%.1f dB"),
    COSINE("cosine (1 = identical)", TapMetrics::cosine, "%.6f"),
    REL_L2("rel. L2 (‖conv − ref‖ / ‖ref‖)", TapMetrics::relL2, "%.2e"),
    MAX_ABS("max |conv − ref|", TapMetrics::maxAbs, "%.3e");

    private final String axisLabel;
    private final ToDoubleFunction<TapMetrics> value;
    private final String format;

    DriftMetric(String axisLabel, ToDoubleFunction<TapMetrics> value, String format) {
        this.axisLabel = axisLabel;
        this.value = value;
        this.format = format;
    }

    public String axisLabel() { return axisLabel; }

    public double of(TapMetrics m) { return value.applyAsDouble(m); }

    /** The value as the tooltip and table show it; SQNR of identical tensors reads "exact". */
    public String format(TapMetrics m) {
        if (this == SQNR) return m.exact() ? "exact" : m.sqnrText() + " dB";
        return String.format(Locale.ROOT, format, of(m));
    }

    @Override public String toString() {
        return switch (this) {
            case SQNR -> "SQNR";
            case COSINE -> "Cosine";
            case REL_L2 -> "Rel. L2";
            case MAX_ABS -> "Max abs";
        };
    }
}
