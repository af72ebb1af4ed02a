package dev.anewb.app.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.ane.PlanJson;
import dev.anewb.ane.PlanResult;
import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.AtomicFiles;
import dev.anewb.io.ByteSizes;
import dev.anewb.model.Conversion;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The report as files: {@code NAME.html} (drift per tap with a column per cause, the per-layer chart as inline SVG,
 * and the estimated ANE plan against its baseline), {@code NAME.json} and {@code NAME.csv} of the same numbers. All of
 * it comes from the content given (no screen is involved), so the report is the same whichever areas were opened.
 * Each file is written to a temp file and renamed.
 */
public final class ReportFiles {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportFiles() { }

    /** What the report describes; {@code plan} is null when the planner refused the settings. */
    public record Content(String model, Conversion conversion, List<String> texts, DriftReport report,
            PlanResult plan) { }

    /** Writes the three files into {@code dir}; returns them (html, json, csv). */
    public static List<Path> write(Path dir, String baseName, Content c) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        out.add(atomicWrite(dir.resolve(baseName + ".html"), html(c).getBytes(StandardCharsets.UTF_8)));
        out.add(atomicWrite(dir.resolve(baseName + ".json"), JSON.writeValueAsBytes(json(c))));
        out.add(atomicWrite(dir.resolve(baseName + ".csv"), csv(c.report()).getBytes(StandardCharsets.UTF_8)));
        return out;
    }

    static String csv(DriftReport r) {
        StringBuilder b = new StringBuilder("tap,sqnr_db,cosine,rel_l2,max_abs,growth_db");
        for (DriftReport.Cause cause : r.byCause().keySet()) b.append(",sqnr_db_").append(cause.label());
        b.append('\n');
        double[] growth = TapMetrics.growths(r.taps());
        for (int i = 0; i < r.taps().size(); i++) {
            TapMetrics t = r.taps().get(i);
            b.append(t.name()).append(',').append(t.exact() ? "inf" : num(t.sqnrDb())).append(',')
                    .append(num(t.cosine())).append(',').append(num(t.relL2())).append(',').append(num(t.maxAbs()))
                    .append(',');
            double g = growth[i];
            b.append(Double.isNaN(g) ? "" : num(g));
            for (List<TapMetrics> cause : r.byCause().values()) {
                TapMetrics c = cause.get(i);
                b.append(',').append(c.exact() ? "inf" : num(c.sqnrDb()));
            }
            b.append('\n');
        }
        return b.toString();
    }

    static ObjectNode json(Content c) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", c.model());
        root.put("conversion", DriftViewModel.describe(c.conversion()));
        root.set("conversion_settings", JSON.valueToTree(c.conversion()));
        ArrayNode texts = root.putArray("texts");
        c.texts().forEach(texts::add);
        ObjectNode task = root.putObject("task");
        c.report().task().forEach(task::put);
        root.set("taps", taps(c.report().taps()));
        ObjectNode causes = root.putObject("by_cause");
        c.report().byCause().forEach((cause, list) -> causes.set(cause.label(), taps(list)));
        if (c.plan() != null) root.set("plan_estimate", PlanJson.withCeiling(c.plan()));
        return root;
    }

    private static ArrayNode taps(List<TapMetrics> list) {
        ArrayNode a = JSON.createArrayNode();
        double[] growth = TapMetrics.growths(list);
        for (int i = 0; i < list.size(); i++) {
            TapMetrics t = list.get(i);
            ObjectNode n = a.addObject();
            n.put("tap", t.name());
            if (t.exact()) n.put("sqnr_db", "exact");
            else n.put("sqnr_db", t.sqnrDb());
            n.put("cosine", t.cosine());
            n.put("rel_l2", t.relL2());
            n.put("max_abs", t.maxAbs());
            double g = growth[i];
            if (!Double.isNaN(g)) n.put("growth_db", g);
        }
        return a;
    }

    static String html(Content c) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Drift report: ")
                .append(esc(c.model())).append("</title>\n")
                .append("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
                        + "table{border-collapse:collapse}"
                        + "td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}"
                        + "td:first-child,th:first-child{text-align:left}"
                        + "img{max-width:100%;border:1px solid #ddd}</style></head><body>\n");
        b.append("<h1>Drift report: ").append(esc(c.model())).append("</h1>\n");
        b.append("<p>Conversion: ").append(esc(DriftViewModel.describe(c.conversion()))).append("</p>\n");
        c.report().task().forEach((k, v) -> b.append("<p>").append(esc(k.replace('_', ' '))).append(": ")
                .append(String.format(Locale.ROOT, "%.6f", v)).append("</p>\n"));
        b.append("<p>Measured on:</p><ul>");
        c.texts().forEach(t -> b.append("<li>").append(esc(t)).append("</li>"));
        b.append("</ul>\n");
        b.append("<h2>Drift per layer (measured on the CPU)</h2>\n").append(DriftSvg.chart(c.report())).append('\n');
        b.append("<table><tr><th>tap</th><th>SQNR (dB)</th><th>cosine</th><th>rel. L2</th><th>max abs</th>"
                + "<th>growth (dB)</th>");
        for (DriftReport.Cause cause : c.report().byCause().keySet()) {
            b.append("<th>").append(esc(cause.label())).append(" only (dB)</th>");
        }
        b.append("</tr>\n");
        double[] growth = TapMetrics.growths(c.report().taps());
        for (int i = 0; i < c.report().taps().size(); i++) {
            TapMetrics t = c.report().taps().get(i);
            double g = growth[i];
            b.append("<tr><td>").append(esc(t.name())).append("</td><td>").append(t.sqnrText()).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.6f", t.cosine())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.3e", t.relL2()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.3e", t.maxAbs())).append("</td><td>")
                    .append(Double.isNaN(g) ? "" : String.format(Locale.ROOT, "%+.1f", g)).append("</td>");
            for (List<TapMetrics> cause : c.report().byCause().values()) {
                b.append("<td>").append(cause.get(i).sqnrText()).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
        plan(b, c.plan());
        b.append("</body></html>\n");
        return b.toString();
    }

    /**
     * The Memory area's plan in figures: optimized against baseline, labelled as estimates with their chip's sources.
     */
    private static void plan(StringBuilder b, PlanResult p) {
        b.append("<h2>Neural Engine plan (ESTIMATE)</h2>\n");
        if (p == null) {
            b.append("<p>No plan: the planner refused these settings (see the Memory area).</p>\n");
            return;
        }
        b.append("<p>").append(esc(p.label())).append(" · batch ").append(p.batch()).append(" · sequence ")
                .append(p.seq()).append(". Simulated, not measured; chip figures from: ")
                .append(esc(p.chip().sources()))
                .append("</p>\n<table><tr><th></th><th>optimized</th><th>baseline</th><th>ratio</th></tr>\n");
        row(b, "peak on-chip buffer", ByteSizes.format(p.optimized().peakSramBytes()),
                ByteSizes.format(p.baseline().peakSramBytes()), p.optimized().peakSramBytes(),
                p.baseline().peakSramBytes());
        row(b, "DRAM traffic", ByteSizes.format(p.optimized().dramBytes()), ByteSizes.format(p.baseline().dramBytes()),
                p.optimized().dramBytes(), p.baseline().dramBytes());
        row(b, "latency", String.format(Locale.ROOT, "%.3g ms", p.optimized().latencyMs()),
                String.format(Locale.ROOT, "%.3g ms", p.baseline().latencyMs()), p.optimized().latencyMs(),
                p.baseline().latencyMs());
        row(b, "energy", String.format(Locale.ROOT, "%.3g mJ", p.optimized().energyMj()),
                String.format(Locale.ROOT, "%.3g mJ", p.baseline().energyMj()), p.optimized().energyMj(),
                p.baseline().energyMj());
        b.append("</table>\n");
        if (!p.warnings().isEmpty()) {
            b.append("<p>").append(p.warnings().size()).append(" compatibility warnings (see the Memory area or "
                    + "<code>anewb plan</code>).</p>\n");
        }
    }

    private static void row(StringBuilder b, String what, String optimized, String baseline, double o, double base) {
        b.append("<tr><td>").append(what).append("</td><td>").append(optimized).append("</td><td>").append(baseline)
                .append("</td><td>").append(base == 0 ? "" : String.format(Locale.ROOT, "%.3g×", o / base))
                .append("</td></tr>\n");
    }

    private static String num(double v) { return Double.toString(v); }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Temp file in the same folder, then rename: a reader never sees half a report. */
    static Path atomicWrite(Path target, byte[] bytes) throws IOException {
        AtomicFiles.write(target, out -> out.write(bytes));
        return target;
    }
}
