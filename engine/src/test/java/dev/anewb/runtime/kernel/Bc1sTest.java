package dev.anewb.runtime.kernel;

import dev.anewb.quant.BlockQuantizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Vector API BC1S conv (8 channels × a lane group of positions, positions padded to whole vectors) gives
 * exactly the bits of the plain loop {@code acc[t] += W[o, i]·xT[i, t]} for i ascending, for FP32 and block-INT8
 * weights, sequence lengths below, at and past the vector length, channel counts that leave partial groups.
 */
class Bc1sTest {
    @Test
    void panelsGiveTheScalarLoopsBits() {
        for (int s : new int[]{1, 2, 3, 4, 5, 9, 16, 37}) {
            for (int out : new int[]{13, 40, 70}) {
                int c = 50, batch = 2;
                float[] x = MatmulKernelsTest.gaussian(batch * s * c, 100 + s, 1f);
                float[] wf = MatmulKernelsTest.gaussian(out * c, 200 + out, 0.1f);
                float[] bias = MatmulKernelsTest.gaussian(out, 300, 0.5f);
                LinearWeight[] weights = {LinearWeight.f32(wf.clone(), c),
                        LinearWeight.int8(new BlockQuantizer(32, false).quantize(wf, out, c))};
                for (LinearWeight w : weights) {
                    float[] y = new float[batch * s * out];
                    Bc1s.conv1x1(x, batch, s, c, w, bias, y);
                    float[] row = new float[c];
                    for (int b = 0; b < batch; b++) {
                        for (int o = 0; o < out; o++) {
                            w.row(o, row);
                            for (int t = 0; t < s; t++) {
                                float acc = 0f;
                                for (int i = 0; i < c; i++) acc += row[i] * x[(b * s + t) * c + i];
                                assertEquals(Float.floatToIntBits(acc + bias[o]),
                                        Float.floatToIntBits(y[(b * s + t) * out + o]),
                                        w.getClass().getSimpleName() + " s=" + s + " out=" + out + " b=" + b + " o="
                                                + o + " t=" + t);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The panel view of every form the Vector API kernels prepare agrees with its rows, zero past the last row. */
    @Test
    void panelsHoldTheRowsOfEveryWeightForm() {
        Assumptions.assumeTrue(KernelSelection.VECTOR, "panels are the Vector API kernels' form");
        int c = 50, out = 45, pw = MatmulVector.PW;
        float[] wf = MatmulKernelsTest.gaussian(out * c, 400, 0.1f);
        short[] h = new short[wf.length];
        for (int i = 0; i < wf.length; i++) h[i] = Float.floatToFloat16(wf[i]);
        LinearWeight[] forms = {LinearWeight.f32(wf.clone(), c), LinearWeight.f16(h, c),
                LinearWeight.int8(new BlockQuantizer(32, false).quantize(wf, out, c))};
        float[] row = new float[c], buf = new float[c * pw];
        for (LinearWeight w : forms) {
            for (int p = 0; p * pw < out; p++) {
                float[] panel = w.panel(p, buf);
                int off = w.panelOffset(p);
                for (int j = 0; j < pw; j++) {
                    int r = p * pw + j;
                    if (r < out) w.row(r, row);
                    for (int i = 0; i < c; i++) {
                        assertEquals(r < out ? row[i] : 0f, panel[off + i * pw + j], w.getClass().getSimpleName()
                                + " r=" + r + " c=" + i);
                    }
                }
            }
        }
    }
}
