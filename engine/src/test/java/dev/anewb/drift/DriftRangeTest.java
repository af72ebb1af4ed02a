package dev.anewb.drift;

import dev.anewb.AnewbException;
import dev.anewb.api.ModelSession;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.LayerRange;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Drift of a range of blocks: starts from the original's hidden state, converts only those blocks, streams its taps.
 *
 */
class DriftRangeTest {
    @Test
    void aRangeStartsFromTheOriginalAndReportsOnlyItsBlocks() {
        Path dir = Fixtures.fixture("llama-tiny");
        try (SafetensorsFile w = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            ModelGraph g = Architectures.graph(Architectures.readConfig(dir.resolve("config.json")),
                    new Architectures.GraphOptions(w::contains, false));
            assertEquals(2, g.layerCount());
            ModelSession s = ModelSession.of(g, w);
            Batch b = Batch.of(3, 17, 42, 99, 7, 250, 11, 5);
            Conversion int8 = Conversion.ORIGINAL.withInt8(true, 32, false);

            List<TapMetrics> streamed = new ArrayList<>();
            DriftReport whole = s.convert(int8).drift(b, false, new LayerRange(0, 1), JobContext.NONE, streamed::add);
            DriftReport plain = s.convert(int8).drift(b, false, JobContext.NONE);
            assertEquals(plain.taps(), whole.taps(), "the range of every block is the whole model");
            assertEquals(plain.taps(), streamed, "every tap streamed, in order, with the final numbers");

            DriftReport second = s.convert(int8).drift(b, false, new LayerRange(1, 1), JobContext.NONE, null);
            List<String> names = second.taps().stream().map(TapMetrics::name).toList();
            assertEquals("hidden_states.1", names.getFirst());
            assertTrue(names.stream().allMatch(n -> n.startsWith("hidden_states.") || n.startsWith("layers.1.")
                    || n.equals("logits")),
                    names.toString());
            assertTrue(second.taps().getFirst().exact(), "block 1 starts from the original's hidden state");
            // Only block 1 is converted, so its output drifts less than when block 0's error comes with it.
            TapMetrics h2 = second.taps().stream().filter(t ->
                    t.name().equals("hidden_states.2")).findFirst().orElseThrow();
            TapMetrics h2whole = plain.taps().stream().filter(t ->
                    t.name().equals("hidden_states.2")).findFirst().orElseThrow();
            assertTrue(h2.sqnrDb() > h2whole.sqnrDb(), h2.sqnrText() + " vs " + h2whole.sqnrText());

            AnewbException e = assertThrows(AnewbException.class, () -> g.layers(1, 2));
            assertTrue(e.getMessage().contains("0-1"), e.getMessage());
        }
    }
}
