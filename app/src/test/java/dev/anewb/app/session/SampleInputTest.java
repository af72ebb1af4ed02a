package dev.anewb.app.session;

import dev.anewb.api.ModelLoader;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobContext;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Issue 17 #11, the app's side of --truncate: a sample text past the model's positions is cut and says so. */
class SampleInputTest {
    @Test
    void aSampleTextPastThePositionsIsCutAndTheDescriptionSaysSo() {
        try (LoadedModel m = ModelLoader.load(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE)) {
            String longText = String.join(" ", Collections.nCopies(600, "word"));
            SampleInput.Prepared p = new SampleInput.Texts(List.of(longText, "short")).prepare(m);
            assertEquals(512, p.batch().seq());
            assertEquals("2 texts · cut to 512 tokens (the longest had 602)", p.description());
            assertEquals("1 text", new SampleInput.Texts(List.of("short")).prepare(m).description());
        }
    }
}
