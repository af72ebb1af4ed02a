package dev.anewb.api;

import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class PerChannelAlternativeTest {
    @Test
    void perChannelIsTheSameConversionWithOneBlockPerRow() {
        try (LoadedModel m = ModelLoader.load(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE)) {
            Conversion c = Conversion.ANE_DEFAULT.withInt8(true, 32, false);
            ModelSession s = ModelSession.of(m);
            PerChannelAlternative alt = PerChannelAlternative.measure(s, c, JobContext.NONE);
            // A block of 4096 is wider than every row of bert-tiny (64 and 128): one block per row, computed
            // independently.
            ConvertedModel wide = s.convert(c.withInt8(true, 4096, false));
            assertEquals(wide.drift(wide.sampleInput(), false, JobContext.NONE).lastHidden().sqnrDb(),
                    alt.perChannelSqnrDb(), 1e-9);
            ConvertedModel b32 = s.convert(c);
            assertEquals(b32.drift(b32.sampleInput(), false, JobContext.NONE).lastHidden().sqnrDb(), alt.blockSqnrDb(),
                    1e-9);
            assertNotEquals(alt.blockSqnrDb(), alt.perChannelSqnrDb());
        }
    }
}
