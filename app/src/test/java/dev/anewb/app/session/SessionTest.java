package dev.anewb.app.session;

import dev.anewb.app.settings.Settings;
import dev.anewb.io.ModelInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SessionTest {
    @Test void headerNamesTypeAndParameters() {
        ModelInfo i = new ModelInfo("all-MiniLM-L6-v2", "bert", "BertModel", 22_565_376, 6, 12, 12, 384, 1536, 30522,
                512, "F32", 0, List.of());
        assertEquals("BERT · 22.6M params", Session.headerDetails(i));
    }

    @Test void recentModelsAreMostRecentFirstWithoutDuplicatesAndCapped() {
        Settings s = Settings.defaults();
        for (int i = 0; i < 12; i++) s = s.withRecentModel("m" + i);
        s = s.withRecentModel("m5");
        assertEquals(Settings.MAX_RECENT, s.recentModels().size());
        assertEquals(List.of("m5", "m11", "m10", "m9", "m8", "m7", "m6", "m4"), s.recentModels());
    }
}
