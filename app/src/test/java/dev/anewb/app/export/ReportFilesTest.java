package dev.anewb.app.export;

import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.ChipProfiles;
import dev.anewb.ane.PlanResult;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ReportFilesTest {
    @TempDir Path dir;

    @Test void writesHtmlJsonAndCsvOfTheSameTable() throws Exception {
        List<TapMetrics> taps = List.of(new TapMetrics("hidden_states.0", Double.POSITIVE_INFINITY, 1, 0, 0, 1),
                new TapMetrics("hidden_states.1", 40, 0.9999, 0.01, 0.05, 2),
                new TapMetrics("hidden_states.2", 37.5, 0.9998, 0.013, 0.06, 2));
        List<TapMetrics> quant = List.of(new TapMetrics("hidden_states.0", Double.POSITIVE_INFINITY, 1, 0, 0, 1),
                new TapMetrics("hidden_states.1", 41, 0.9999, 0.01, 0.05, 2),
                new TapMetrics("hidden_states.2", 38.25, 0.9998, 0.013, 0.06, 2));
        Map<DriftReport.Cause, List<TapMetrics>> byCause = new EnumMap<>(DriftReport.Cause.class);
        byCause.put(DriftReport.Cause.QUANTIZATION, quant);
        byCause.put(DriftReport.Cause.ALL, taps);
        DriftReport r = new DriftReport(taps, Map.of("sentence_embedding_cosine", 0.99987), byCause);
        ModelGraph g = Architectures.graph(Architectures.readConfig(Fixtures.fixture("bert-tiny")
                .resolve("config.json")),
                Architectures.GraphOptions.CONFIG_ONLY);
        PlanResult plan = AnePlanner.plan(g, Conversion.ANE_DEFAULT, ChipProfiles.bundled().all().get("A15"), 1, 128,
                null);
        var content = new ReportFiles.Content("m", Conversion.ANE_DEFAULT, List.of("a <b>"), r, plan);
        List<Path> files = ReportFiles.write(dir, "m-drift", content);
        assertEquals(List.of("m-drift.html", "m-drift.json", "m-drift.csv"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        String csv = Files.readString(files.get(2));
        assertEquals("tap,sqnr_db,cosine,rel_l2,max_abs,growth_db,sqnr_db_quantization,sqnr_db_all",
                csv.lines().findFirst().orElseThrow());
        assertTrue(csv.contains("hidden_states.0,inf,"), csv);
        assertTrue(csv.contains("hidden_states.2,37.5,0.9998,0.013,0.06,2.5,38.25,37.5"),
                "growth = 40 − 37.5, then each cause:\n" + csv);
        String html = Files.readString(files.get(0));
        assertTrue(html.contains("<svg") && html.contains("quantization only"), "the chart, a line per cause");
        assertTrue(html.contains("<th>quantization only (dB)</th>") && html.contains("<td>38.3</td>"),
                "per-cause column");
        assertTrue(html.contains("Neural Engine plan (ESTIMATE)") && html.contains(plan.label())
                && html.contains(String.format(Locale.ROOT, "%.3g ms", plan.optimized().latencyMs())), "the plan");
        assertTrue(html.contains("a &lt;b&gt;"), "texts escaped");
        String json = Files.readString(files.get(1));
        assertTrue(json.contains("\"sentence_embedding_cosine\" : 0.99987"));
        assertTrue(json.contains("\"plan_estimate\""), "plan in the JSON");
        try (var s = Files.list(dir)) {
            assertEquals(3, s.count(), "no temp files left behind");
        }
    }
}
