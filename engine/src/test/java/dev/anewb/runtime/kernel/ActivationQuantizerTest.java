package dev.anewb.runtime.kernel;

import dev.anewb.model.Op;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** W8A8's fake quantization and scale against closed forms and coremltools' own numbers. */
class ActivationQuantizerTest {
    @Test
    void fakeQuantizationIsTheQuantizeDequantizePairInClosedForm() {
        float s = 0.0262451171875f; // an FP16 scale
        // ties go to even (numpy's around): 2.5 → 2, 3.5 → 4, −2.5 → −2
        assertEquals(2 * s, ActivationQuantizer.fakeQuantize(2.5f * s, s));
        assertEquals(4 * s, ActivationQuantizer.fakeQuantize(3.5f * s, s));
        assertEquals(-2 * s, ActivationQuantizer.fakeQuantize(-2.5f * s, s));
        // the int8 range of Core ML's quantize: −128 is reachable below the calibrated −127·s, 127 is the top
        assertEquals(127 * s, ActivationQuantizer.fakeQuantize(1000 * s, s));
        assertEquals(-128 * s, ActivationQuantizer.fakeQuantize(-1000 * s, s));
        assertEquals(-128 * s, ActivationQuantizer.fakeQuantize(-127.6f * s, s));
        assertEquals(0f, ActivationQuantizer.fakeQuantize(0.49f * s, s));
        // every value against the definition in double: the nearest multiple of s in [−128s, 127s]
        Random r = new Random(7);
        float[] x = new float[4096], y = new float[x.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 40 * s);
        ActivationQuantizer.fakeQuantize(x, x.length, s, false, y);
        for (int i = 0; i < x.length; i++) {
            double q = Math.max(-128, Math.min(127, Math.rint((double) x[i] / s)));
            assertEquals(q * s, y[i], 0, "x = " + x[i]);
            // never more than half a step off inside the range
            if (Math.abs(x[i]) < 127 * s) assertEquals(x[i], y[i], s / 2 + 1e-9);
        }
    }

    @Test
    void fp16RoundsTheDequantizedValueOnce() {
        float s = 0.0999755859375f; // FP16 0x2E66: 127·s needs more than FP16's 11 significant bits
        float[] x = {127 * s, -101 * s, 3 * s}, y = new float[3];
        ActivationQuantizer.fakeQuantize(x, 3, s, true, y);
        for (int i = 0; i < 3; i++) assertEquals(Fp16.round(Math.round(x[i] / s) * s), y[i]);
        assertEquals(Fp16.round(127 * s), y[0]);
        assertEquals(127 * s, ActivationQuantizer.fakeQuantize(x[0], s)); // exact in float32
    }

    /**
     * The scale from a calibrated range, against the scales coremltools 9.1 computes for [rmin, rmax]
     * ({@code optimize/_utils.py quantize_weight_by_dtype}, LINEAR_SYMMETRIC int8, FP16, 0 → 1; run with
     * coreml-check python), max|x| being max(|rmin|, |rmax|).
     */
    @Test
    void scaleIsCoremltoolsOwn() {
        double[][] cases = {{3.3333, 0.0262451171875}, {7.77, 0.061187744140625}, {0, 1}, {1e-9, 1},
            {0.1, 0.0007872581481933594}, {12.34567, 0.09716796875}, {300.1, 2.361328125}};
        for (double[] c : cases) {
            // ranges come from float activations
            assertEquals(c[1], Op.InputQuant.calibrated((float) c[0]).scale(), 0, "max|x| = " + c[0]);
        }
        // coremltools doubles the range in FP16 first and overflows above 32752; the range saturates at FP16's max
        assertEquals(Fp16.round(65504f / 127), Op.InputQuant.calibrated(1e6).scale());
        assertThrows(IllegalArgumentException.class, () -> Op.InputQuant.calibrated(Double.NaN));
    }
}
