package dev.anewb.model;

import dev.anewb.AnewbException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ChunkPlanTest {

    /** Asserts every block's query and key ranges: rows of {queryStart, queryEnd, keyStart, keyEnd}. */
    private static void assertBlocks(ChunkPlan plan, int[][] expected) {
        assertEquals(expected.length, plan.blocks(), plan.toString());
        for (int b = 0; b < expected.length; b++) {
            int[] actual = {plan.queryStart(b), plan.queryEnd(b), plan.keyStart(b), plan.keyEnd(b)};
            assertArrayEquals(expected[b], actual, plan + " block " + b);
        }
    }

    /**
     * n = 10, W = 4, O = 2 → S = 2, ceil(10/2) = 5 blocks, queries [2b, 2b+2).
     * Encoder: floor(O/2) = ceil(O/2) = 1 → keys [2b − 1, 2b + 3) clipped to [0, 10):
     * [0,3) [1,5) [3,7) [5,9) [7,10).
     */
    @Test
    void encoderEvenOverlap() {
        assertBlocks(ChunkPlan.of(10, 4, 2, false), new int[][]{
                {0, 2, 0, 3}, {2, 4, 1, 5}, {4, 6, 3, 7}, {6, 8, 5, 9}, {8, 10, 7, 10}});
    }

    /** Same n, W, O, causal: keys [2b − 2, 2b + 2) clipped: [0,2) [0,4) [2,6) [4,8) [6,10). */
    @Test
    void causalEvenOverlap() {
        assertBlocks(ChunkPlan.of(10, 4, 2, true), new int[][]{
                {0, 2, 0, 2}, {2, 4, 0, 4}, {4, 6, 2, 6}, {6, 8, 4, 8}, {8, 10, 6, 10}});
    }

    /**
     * n = 10, W = 5, O = 3 → S = 2. Encoder: floor(3/2) = 1, ceil(3/2) = 2 → keys [2b − 1, 2b + 4):
     * [0,4) [1,6) [3,8) [5,10) [7,10). Causal: [2b − 3, 2b + 2): [0,2) [0,4) [1,6) [3,8) [5,10).
     */
    @Test
    void oddOverlapSplitsFloorBeforeCeilAfter() {
        assertBlocks(ChunkPlan.of(10, 5, 3, false), new int[][]{
                {0, 2, 0, 4}, {2, 4, 1, 6}, {4, 6, 3, 8}, {6, 8, 5, 10}, {8, 10, 7, 10}});
        assertBlocks(ChunkPlan.of(10, 5, 3, true), new int[][]{
                {0, 2, 0, 2}, {2, 4, 0, 4}, {4, 6, 1, 6}, {6, 8, 3, 8}, {8, 10, 5, 10}});
    }

    /**
     * n = 7, W = 4, O = 1 → S = 3, ceil(7/3) = 3 blocks, the last one short: [0,3) [3,6) [6,7).
     * Encoder: floor(1/2) = 0, ceil(1/2) = 1 → keys [3b, 3b + 4): [0,4) [3,7) [6,7).
     * Causal: [3b − 1, 3b + 3): [0,3) [2,6) [5,7).
     */
    @Test
    void lengthNotAMultipleOfTheStride() {
        assertBlocks(ChunkPlan.of(7, 4, 1, false), new int[][]{{0, 3, 0, 4}, {3, 6, 3, 7}, {6, 7, 6, 7}});
        assertBlocks(ChunkPlan.of(7, 4, 1, true), new int[][]{{0, 3, 0, 3}, {3, 6, 2, 6}, {6, 7, 5, 7}});
    }

    @Test
    void noOverlapIsBlockDiagonal() {
        // n = 6, W = 2, O = 0 → S = 2: queries and keys coincide, [0,2) [2,4) [4,6).
        assertBlocks(ChunkPlan.of(6, 2, 0, false), new int[][]{{0, 2, 0, 2}, {2, 4, 2, 4}, {4, 6, 4, 6}});
    }

    @Test
    void windowAtLeastLengthOrOffIsOneFullBlock() {
        for (ChunkPlan plan : new ChunkPlan[]{ChunkPlan.of(10, 10, 3, false), ChunkPlan.of(10, 64, 8, true),
                ChunkPlan.of(10, 0, 0, false), ChunkPlan.of(10, -1, 0, true), ChunkPlan.full(10, false)}) {
            assertFalse(plan.isChunked(), plan.toString());
            assertBlocks(plan, new int[][]{{0, 10, 0, 10}});
            assertEquals(100, plan.scoreElementsPerHeadPerChunk());
        }
    }

    @Test
    void allowedIsBandAndCausal() {
        ChunkPlan encoder = ChunkPlan.of(10, 4, 2, false);
        // position 5 is in block 2 (queries [4,6)), keys [3,7)
        assertFalse(encoder.allowed(5, 2));
        assertTrue(encoder.allowed(5, 3));
        assertTrue(encoder.allowed(5, 6));
        assertFalse(encoder.allowed(5, 7));
        assertEquals(3, encoder.keyStartFor(5));
        assertEquals(7, encoder.keyEndFor(5));
        ChunkPlan causal = ChunkPlan.of(10, 4, 2, true);
        // position 5: block 2, keys [2,6), and ≤ 5
        assertFalse(causal.allowed(5, 1));
        assertTrue(causal.allowed(5, 2));
        assertTrue(causal.allowed(5, 5));
        assertFalse(causal.allowed(4, 5)); // same block, but in the future of query 4
        assertEquals(2, causal.keyStartFor(5));
        assertFalse(causal.allowed(5, 10));
        assertFalse(causal.allowed(5, -1));
        ChunkPlan fullCausal = ChunkPlan.full(10, true);
        assertTrue(fullCausal.allowed(9, 0));
        assertFalse(fullCausal.allowed(0, 1));
    }

    /** spec/chunked-attention.md: n = 2048 FP32 one head = 2048²·4 B = 16 MiB; W = 512, O = 128 → S = 384, 384·512·4 B
     * = 0.75 MiB.
     */
    @Test
    void memoryFiguresFromTheSpec() {
        ChunkPlan full = ChunkPlan.of(2048, 0, 0, false);
        assertEquals(2048L * 2048, full.fullScoreElements());
        assertEquals(16L << 20, full.scoreElementsPerHeadPerChunk() * 4);
        ChunkPlan chunked = ChunkPlan.of(2048, 512, 128, false);
        assertEquals(384, chunked.queryBlockSize());
        assertEquals(6, chunked.blocks()); // ceil(2048 / 384) = 6
        assertEquals(384L * 512, chunked.scoreElementsPerHeadPerChunk());
        assertEquals(0.75 * (1 << 20), chunked.scoreElementsPerHeadPerChunk() * 4.0);
        assertEquals(2048L * 2048, chunked.fullScoreElements());
        // an interior block's key range is exactly W long in both modes: S + floor(O/2) + ceil(O/2) = S + O = W
        assertEquals(512, chunked.keyEnd(2) - chunked.keyStart(2));
        ChunkPlan causal = ChunkPlan.of(2048, 512, 128, true);
        assertEquals(512, causal.keyEnd(2) - causal.keyStart(2));
    }

    @Test
    void userMistakesAreUsageErrors() {
        AnewbException overlapTooBig = assertThrows(AnewbException.class, () -> ChunkPlan.of(100, 16, 16, false));
        assertEquals(AnewbException.Kind.USAGE, overlapTooBig.kind());
        assertTrue(overlapTooBig.getMessage().contains("less than the window"), overlapTooBig.getMessage());
        assertEquals(AnewbException.Kind.USAGE,
                assertThrows(AnewbException.class, () -> ChunkPlan.of(100, 16, -1, false)).kind());
        AnewbException noWindow = assertThrows(AnewbException.class, () -> ChunkPlan.chunked(100, 0, 0, true));
        assertEquals(AnewbException.Kind.USAGE, noWindow.kind());
        assertTrue(noWindow.getMessage().contains("at least 1"), noWindow.getMessage());
        // a valid explicit request chunks
        assertTrue(ChunkPlan.chunked(100, 1, 0, true).isChunked());
        assertEquals(100, ChunkPlan.chunked(100, 1, 0, true).blocks());
    }

    @Test
    void emptySequenceHasNoBlocks() {
        assertEquals(0, ChunkPlan.of(0, 4, 1, false).blocks());
        assertEquals(0, ChunkPlan.full(0, true).blocks());
    }
}
