package dev.anewb.app.export;

import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's per-layer drift chart as inline SVG: SQNR (dB) of every tap, one line for the whole conversion and one
 * per cause alone, as the Drift area draws them. Plain text, so it is drawn off the FX thread and exactly the same
 * whether or not the Drift area was ever shown. Exact taps (no error) sit at the top of the scale.
 */
final class DriftSvg {
    private static final int W = 880, H = 360, LEFT = 56, RIGHT = 150, TOP = 16, BOTTOM = 84;
    private static final String[] COLOURS = {"#1f6feb", "#d1242f", "#9a6700", "#8250df", "#1a7f37"};

    private DriftSvg() { }

    static String chart(DriftReport r) {
        Map<String, List<TapMetrics>> series = new LinkedHashMap<>();
        series.put("all changes", r.taps());
        r.byCause().forEach((cause, taps) -> {
            if (cause != DriftReport.Cause.ALL) series.put(cause.label() + " only", taps);
        });
        int n = r.taps().size();
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (List<TapMetrics> s : series.values()) {
            for (TapMetrics t : s) {
                if (t.exact() || !Double.isFinite(t.sqnrDb())) continue;
                lo = Math.min(lo, t.sqnrDb());
                hi = Math.max(hi, t.sqnrDb());
            }
        }
        if (!Double.isFinite(lo)) {
            lo = 0;
            hi = 100;
        }
        lo = Math.floor(lo / 10) * 10;
        hi = Math.max(lo + 10, Math.ceil(hi / 10) * 10);
        double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"system-ui,sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"SQNR per "
                        + "layer\">%n", W, H));
        for (double v = lo; v <= hi + 1e-9; v += 10) {
            double y = TOP + ph * (hi - v) / (hi - lo);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>%n", LEFT, LEFT + pw, y, y, LEFT - 6,
                            y + 4, v));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" "
                + "text-anchor=\"middle\">SQNR (dB)</text>%n", TOP + ph / 2, TOP + ph / 2));
        for (int i = 0; i < n; i++) {
            double x = n == 1 ? LEFT + pw / 2 : LEFT + pw * i / (n - 1);
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" transform=\"rotate(-45 %.1f %d)\" "
                    + "text-anchor=\"end\">%s</text>%n", x, H - BOTTOM + 14, x, H - BOTTOM + 14,
                    ReportFiles.esc(r.taps().get(i).name())));
        }
        int k = 0;
        for (Map.Entry<String, List<TapMetrics>> e : series.entrySet()) {
            String colour = COLOURS[k % COLOURS.length];
            List<String> points = new ArrayList<>();
            for (int i = 0; i < e.getValue().size(); i++) {
                TapMetrics t = e.getValue().get(i);
                double v = t.exact() || !Double.isFinite(t.sqnrDb()) ? hi : Math.min(hi, Math.max(lo, t.sqnrDb()));
                double x = n == 1 ? LEFT + pw / 2 : LEFT + pw * i / (n - 1);
                points.add(String.format(Locale.ROOT, "%.1f,%.1f", x, TOP + ph * (hi - v) / (hi - lo)));
            }
            b.append(String.format(Locale.ROOT,
                    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"%s\"/>%n",
                    colour, k == 0 ? "2.5" : "1.5", String.join(" ", points)));
            double ly = TOP + 14 + 16 * k;
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    + "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">%s</text>%n", W - RIGHT + 10.0, W - RIGHT + 30.0,
                    ly - 4, ly - 4, colour, W - RIGHT + 36.0, ly, ReportFiles.esc(e.getKey())));
            k++;
        }
        return b.append("</svg>").toString();
    }
}
