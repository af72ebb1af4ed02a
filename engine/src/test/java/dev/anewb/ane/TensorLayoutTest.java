package dev.anewb.ane;

import dev.anewb.model.ChunkPlan;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TensorLayoutTest {
    static final long MIB = 1L << 20;

    @Test void lastAxisOfSevenFp16ElementsOccupiesOne64ByteRow() {
        // 7 × 2 B = 14 B used, ceil(14/64)·64 = 64 B allocated per row; 3 rows → 192 B, 150 B of padding
        TensorLayout t = new TensorLayout("x", "", new long[]{3, 7}, 2, TensorLayout.Grouping.NONE,
                TensorLayout.Grouping.NONE);
        assertEquals(14, t.rowBytesUsed());
        assertEquals(64, t.rowBytesAllocated());
        assertEquals(192, t.bytesAllocated());
        assertEquals(150, t.paddingBytes());
        assertArrayEquals(new long[]{64, 2}, t.strides());
    }

    @Test void bc1sStridesAndHeadOwnership() {
        // (B=2, C=768, 1, S=100) FP16: row = 200 B → 256 B; stride of the singleton axis = 256, of C = 256, of B =
        // 768·256
        TensorLayout t = TensorLayout.activationBc1s("x", 2, 100, 768, 2, 64, 12);
        assertArrayEquals(new long[]{768L * 256, 256, 256, 2}, t.strides());
        assertEquals(2L * 768 * 256, t.bytesAllocated());
        assertEquals(0, t.rowOwner(63));    // channel 63 → head 0
        assertEquals(1, t.rowOwner(64));    // channel 64 → head 1
        assertEquals(0, t.rowOwner(768));   // batch 1, channel 0 → head 0
    }

    @Test void singletonLastAxisCosts32TimesAtFp16() {
        // (1, 12, 128, 128, 1) FP16: every score in its own 64-byte row → 32× the 2-byte element
        TensorLayout t = TensorLayout.scores("s", "", 1, 12, 128, 128, 2, 1);
        assertEquals(12L * 128 * 128 * 2, t.bytesUsed());
        assertEquals(12L * 128 * 128 * 64, t.bytesAllocated());
        assertEquals(32.0, t.wasteFactor(), 1e-12);
    }

    @Test void fullAttentionOf2048TokensFp32OneHeadIs16MiB() {
        // 2048 × 2048 × 4 B = 16 777 216 B = 16 MiB
        assertEquals(16 * MIB, TensorLayout.scores("s", "", 1, 1, 2048, 2048, 4, 2048).bytesAllocated());
        ChunkPlan full = ChunkPlan.of(Math.toIntExact(2048), 0, 0, false);
        assertEquals(16 * MIB, full.scoreElementsPerHeadPerChunk() * 4);
    }

    @Test void window512Overlap128Is0_75MiB() {
        // S = 512 − 128 = 384; 384 × 512 × 4 B = 786 432 B = 0.75 MiB; ceil(2048/384) = 6 chunks
        ChunkPlan c = ChunkPlan.of(Math.toIntExact(2048), 512, 128, false);
        assertEquals(384, c.queryBlock());
        assertEquals(6, c.chunks());
        assertEquals(3 * MIB / 4, c.scoreElementsPerHeadPerChunk() * 4);
        assertEquals(3 * MIB / 4, TensorLayout.scores("s", "", 1, 1, 384, 512, 4, 512).bytesAllocated());
    }

    @Test void windowAtLeastNIsFullAttention() {
        ChunkPlan c = ChunkPlan.of(Math.toIntExact(300), 512, 128, false);
        assertEquals(300L * 300, c.scorePairs());
        assertEquals(1, c.chunks());
    }

    @Test void encoderChunkPairsFollowTheBandRule() {
        // n = 10, W = 4, O = 2 → S = 2, blocks k = 0..4, keys [2k − 1, 2k + 3) clipped to [0, 10):
        // k0 [0,3) 3 keys, k1..k3 4 keys, k4 [7,10) 3 keys → 2·(3 + 4 + 4 + 4 + 3) = 36 pairs
        assertEquals(36, ChunkPlan.of(Math.toIntExact(10), 4, 2, false).scorePairs());
        // causal: keys [2k − 2, 2k + 2): k0 [0,2) 2, k1..k4 4 each → 2·(2 + 16) = 36
        assertEquals(36, ChunkPlan.of(Math.toIntExact(10), 4, 2, true).scorePairs());
    }

    @Test void settingsThatTake2048TokenScoresFrom16MiBTo2_5MiB() {
        // FP32 scores per head per chunk: S·W·4 = 2.5 MiB → S·W = 655 360 = 2^17·5 with S ≤ W < 2048:
        // (S, W) = (640, 1024) → O = 384, and (512, 1280) → O = 768; (320, 2048) is full attention (W ≥ n)
        List<ChunkPlan.Setting> s = ChunkPlan.settingsForScoreBytes(2048, 5 * MIB / 2, 4);
        assertEquals(List.of(new ChunkPlan.Setting(1024, 384, 5 * MIB / 2),
                new ChunkPlan.Setting(1280, 768, 5 * MIB / 2)), s);
    }

    @Test void int8BlockStorageIs8Plus24OverBBitsPerWeight() {
        // 768 × 768, B = 32: 1 B codes + (2 + 1) B per 32 weights → 8 + 24/32 = 8.75 bits
        WeightStorage b32 = new WeightStorage(WeightStorage.Format.INT8_BLOCK, 768, 768, 32);
        assertEquals(768L * 768 + 3L * 768 * 24, b32.totalBytes());
        assertEquals(8.75, b32.bitsPerWeight(), 1e-12);
        WeightStorage b128 = new WeightStorage(WeightStorage.Format.INT8_BLOCK, 768, 768, 128);
        assertEquals(8 + 24.0 / 128, b128.bitsPerWeight(), 1e-12);
        // per-channel alternative: one block per row of 768 → 8 + 24/768 = 8.03125 bits
        assertEquals(8 + 24.0 / 768, b32.perChannelAlternative().bitsPerWeight(), 1e-12);
    }
}
