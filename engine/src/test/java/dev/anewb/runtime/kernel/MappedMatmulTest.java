package dev.anewb.runtime.kernel;

import dev.anewb.model.DType;
import dev.anewb.model.TensorData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Projections read straight from stored F32/F16/BF16 bytes agree with a double-precision dot of the decoded values
 * (and FP16-rounded weights with Fp16.round of them), for token counts through the 4-token blocks and their remainder,
 * both kernel families, and rows not a multiple of the vector width.
 */
class MappedMatmulTest {
    private static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @CsvSource({"BF16,1,false", "BF16,7,false", "BF16,9,true", "F16,5,false", "F16,4,true", "F32,3,false",
            "F32,12,true"})
    void agreesWithADoubleDotOfTheStoredValues(DType dtype, int tokens, boolean fp16) {
        int rows = 37, k = 203;
        SplittableRandom r = new SplittableRandom(dtype.ordinal() * 31L + tokens);
        MemorySegment seg = Arena.ofAuto().allocate((long) rows * k * dtype.bytes());
        float[] decoded = new float[rows * k];
        for (int i = 0; i < decoded.length; i++) {
            float v = (float) (r.nextGaussian() * 0.05);
            switch (dtype) {
                case BF16 -> {
                    short b = (short) (Float.floatToRawIntBits(v) >>> 16);
                    seg.set(LE_SHORT, 2L * i, b);
                    decoded[i] = Float.intBitsToFloat((b & 0xffff) << 16);
                }
                case F16 -> {
                    short h = Float.floatToFloat16(v);
                    seg.set(LE_SHORT, 2L * i, h);
                    decoded[i] = Float.float16ToFloat(h);
                }
                default -> {
                    seg.set(LE_FLOAT, 4L * i, v);
                    decoded[i] = v;
                }
            }
            if (fp16) decoded[i] = Fp16.round(decoded[i]);
        }
        TensorData w = new TensorData("w", dtype, new long[]{rows, k}, seg);
        float[] x = new float[tokens * k], bias = new float[rows];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < rows; i++) bias[i] = (float) r.nextGaussian();
        float[] vector = new float[tokens * rows], scalar = new float[tokens * rows];
        MappedMatmul.matmul(x, tokens, w, fp16, bias, vector, true);
        MappedMatmul.matmul(x, tokens, w, fp16, bias, scalar, false);
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < rows; o++) {
                double d = bias[o];
                for (int c = 0; c < k; c++) d += (double) decoded[o * k + c] * x[t * k + c];
                assertEquals(d, vector[t * rows + o], 1e-4, "vector t" + t + " r" + o);
                assertEquals(d, scalar[t * rows + o], 1e-4, "scalar t" + t + " r" + o);
            }
        }
        float[] row = new float[k];
        MappedMatmul.row(w, 5, fp16, row);
        float[] expected = new float[k];
        System.arraycopy(decoded, 5 * k, expected, 0, k);
        assertArrayEquals(expected, row, "row 5 exactly as stored (and rounded)");
    }
}
