package dev.anewb.runtime;

import dev.anewb.AnewbException;
import dev.anewb.convert.Converter;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBudgetTest {
    static ModelGraph bertTiny() {
        return Architectures.graph(Architectures.readConfig(Fixtures.fixture("bert-tiny").resolve("config.json")),
                Architectures.GraphOptions.CONFIG_ONLY);
    }

    @Test
    void countsProjectionsAsFloat32OrInt8Codes() {
        ModelGraph g = bertTiny();
        // bert-tiny: per layer q,k,v,o 64x64 + up 128x64 + down 64x128, 2 layers, + pooler 64x64 (embeddings stay
        // mapped)
        long params = 2 * (4 * 64 * 64 + 2 * 128 * 64) + 64 * 64;
        assertEquals(4 * params, MemoryBudget.weightHeapBytes(g));
        ModelGraph q = Converter.convert(g, Conversion.ORIGINAL.withInt8(true, 32, false)).graph();
        // codes + (FP16 scale + INT8 zero point) per block of 32; the pooler is a projection too
        long blocks = 2 * (4 * 64 * 2 + 128 * 2 + 64 * 4) + 64 * 2;
        assertEquals(params + 3 * blocks, MemoryBudget.weightHeapBytes(q));
    }

    @Test
    void refusesWithAMessageThatSaysWhatToDo() {
        // Float weights that do not fit stay in the mapped file (no heap); INT8 codes are made on the heap.
        ModelGraph q = Converter.convert(bertTiny(), Conversion.ORIGINAL.withInt8(true, 32, false)).graph();
        AnewbException e = assertThrows(AnewbException.class, () -> MemoryBudget.check(q, "bert-tiny", 100_000));
        assertTrue(e.getMessage().contains("bert-tiny") && e.getMessage().contains("-Xmx"), e.getMessage());
        assertDoesNotThrow(() -> MemoryBudget.check(q, "bert-tiny", 1L << 30));
    }

    @Test
    void floatWeightsTooLargeToPackAreReadFromTheMappedFile() {
        ModelGraph g = bertTiny();
        long panels = 4L * (2 * (4 * 64 * 64 + 2 * 128 * 64) + 64 * 64);
        assertTrue(MemoryBudget.packsFloatWeights(g, 4 * panels));
        assertFalse(MemoryBudget.packsFloatWeights(g, 4 * panels - 1), "more than a quarter of the heap");
        assertEquals(0, MemoryBudget.weightHeapBytes(g, false));
        assertDoesNotThrow(() -> MemoryBudget.check(g, "bert-tiny", 100_000));
    }
}
