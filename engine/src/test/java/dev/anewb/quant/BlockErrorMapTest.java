package dev.anewb.quant;

import dev.anewb.model.TensorData;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class BlockErrorMapTest {
    @Test void errorsMatchTheRoundTripAndStayWithinHalfAStep() {
        int rows = 3, k = 20;
        float[] w = new float[rows * k];
        Random rnd = new Random(7);
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        Int8BlockWeight q = new BlockQuantizer(8, false).quantize(w, rows, k);
        BlockErrorMap m = BlockErrorMap.of(w, q);
        assertEquals(3, m.blocksPerRow(), "20 inputs in blocks of 8: 8, 8, 4");
        float[] back = q.dequantize();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < 3; j++) {
                double max = 0, sum = 0;
                int n = 0;
                for (int i = j * 8; i < Math.min(k, j * 8 + 8); i++, n++) {
                    double d = Math.abs(w[r * k + i] - back[r * k + i]);
                    max = Math.max(max, d);
                    sum += d * d;
                }
                assertEquals(max, m.maxAbs()[r * 3 + j], 1e-7);
                assertEquals(Math.sqrt(sum / n), m.rms()[r * 3 + j], 1e-6);
                // Rounding to the nearest step: at most half a (FP16-rounded) scale, plus float slack.
                assertTrue(max <= q.scale(r, j) * 0.5 + 1e-6, "block " + r + "," + j);
            }
        }
    }

    @Test void transposedStorageMeasuresTheSameWeight() {
        int rows = 4, k = 16;
        float[] w = new float[rows * k];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i * 0.37);
        float[] stored = new float[w.length];
        for (int r = 0; r < rows; r++) for (int i = 0; i < k; i++) stored[i * rows + r] = w[r * k + i];
        BlockQuantizer bq = new BlockQuantizer(8, true);
        BlockErrorMap direct = BlockErrorMap.of(w, bq.quantize(w, rows, k));
        WeightInfo info = new WeightInfo("c_attn.weight", new long[]{k, rows}, WeightRole.PROJECTION, true, null);
        BlockErrorMap viaTensor = BlockErrorMap.of(TensorData.ofFloats("c_attn.weight", stored, k, rows), info, bq);
        assertArrayEquals(direct.maxAbs(), viaTensor.maxAbs());
        assertEquals(rows, viaTensor.rows());
    }
}
