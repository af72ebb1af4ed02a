package dev.anewb.app.export;

import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.model.Conversion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ReportFilesTest {
    @TempDir Path dir;

    @Test void writesHtmlJsonAndCsvOfTheSameTable() throws Exception {
        DriftReport r = new DriftReport(List.of(new TapMetrics("hidden_states.0", Double.POSITIVE_INFINITY, 1, 0, 0, 1),
                new TapMetrics("hidden_states.1", 40, 0.9999, 0.01, 0.05, 2),
                new TapMetrics("hidden_states.2", 37.5, 0.9998, 0.013, 0.06, 2)),
                Map.of("sentence_embedding_cosine", 0.99987), Map.of());
        var content = new ReportFiles.Content("m", Conversion.ANE_DEFAULT, List.of("a <b>"), r, new byte[]{1, 2, 3});
        List<Path> files = ReportFiles.write(dir, "m-drift", content);
        assertEquals(List.of("m-drift.html", "m-drift.json", "m-drift.csv"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        String csv = Files.readString(files.get(2));
        assertEquals("tap,sqnr_db,cosine,rel_l2,max_abs,growth_db", csv.lines().findFirst().orElseThrow());
        assertTrue(csv.contains("hidden_states.0,inf,"), csv);
        assertTrue(csv.contains("hidden_states.2,37.5,0.9998,0.013,0.06,2.5"), "growth = 40 − 37.5:\n" + csv);
        String html = Files.readString(files.get(0));
        assertTrue(html.contains("data:image/png;base64,AQID"), "chart embedded");
        assertTrue(html.contains("a &lt;b&gt;"), "texts escaped");
        assertTrue(Files.readString(files.get(1)).contains("\"sentence_embedding_cosine\" : 0.99987"));
        try (var s = Files.list(dir)) {
            assertEquals(3, s.count(), "no temp files left behind");
        }
    }
}
