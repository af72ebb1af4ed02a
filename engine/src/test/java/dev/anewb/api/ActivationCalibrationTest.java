package dev.anewb.api;

import dev.anewb.drift.DriftReport;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * W8A8's calibration on bert-tiny: every INT8 input scale is max|x| / 127 (rounded to FP16 as coremltools rounds it)
 * of that projection's input in the FP32 original's run on the sample input, over the positions attention_mask
 * keeps; the same scales in every conversion of the session; other sample texts recalibrate.
 */
class ActivationCalibrationTest {
    static final Conversion W8A8 = Conversion.ANE_DEFAULT.withActivations(Conversion.Activations.INT8);

    @Test
    void scalesAreTheFp32RangesOfTheSampleInput() {
        try (ModelSession s = ModelSession.open(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE)) {
            ConvertedModel m = s.convert(W8A8);
            Batch sample = m.sampleInput();
            assertEquals(ConvertedModel.SAMPLE_TEXTS.size(), sample.batch());
            assertTrue(hasPadding(sample), "the two sample texts differ in length: the padding must be skipped");
            ModelGraph original = s.original();
            // q, k and v read hidden_states.i, the pooler the first position of the last one: from the taps
            RunResult ref = new Executor(original, s.model().weights()).run(sample, JobContext.NONE);
            Map<String, Double> expectedMax = new HashMap<>();
            int layers = original.config().numLayers();
            for (int i = 0; i < layers; i++) {
                double max = maxAbs(ref.tap("hidden_states." + i), sample, false);
                for (String p : List.of("q", "k", "v")) expectedMax.put("layers." + i + "." + p, max);
            }
            expectedMax.put("pooler.dense", maxAbs(first(ref.tap("hidden_states." + layers)), sample, false));
            // the rest read values no tap reports: observed in another FP32 run
            Set<String> inner = new HashSet<>();
            Map<String, String> inputOf = new HashMap<>();
            for (Op op : m.graph().ops()) {
                if (op instanceof Op.Linear l && l.inputQuant() != null && !expectedMax.containsKey(l.name())) {
                    inner.add(l.input());
                    inputOf.put(l.name(), l.input());
                }
            }
            Map<String, Double> innerMax = new HashMap<>();
            new Executor(original, s.model().weights()).run(sample, inner,
                    (v, a) -> innerMax.put(v, maxAbs(a, sample, false)), JobContext.NONE);
            inputOf.forEach((op, value) -> expectedMax.put(op, innerMax.get(value)));

            int checked = 0;
            for (Op op : m.graph().ops()) {
                if (!(op instanceof Op.Linear l) || l.inputQuant() == null) continue;
                double max = expectedMax.get(l.name());
                float scale = l.inputQuant().scale();
                assertEquals(Op.InputQuant.calibrated(max).scale(), scale, 0, l.name());
                // max|x| / 127 within the FP16 rounding of the range and of the scale
                assertEquals(max / 127, scale, max / 127 * 0x1p-10, l.name());
                checked++;
            }
            assertEquals(6 * layers + 1, checked, "six projections per layer and the pooler");
            // the same scales in the activations-only conversion drift attributes the cause with
            ConvertedModel only = s.convert(Conversion.ORIGINAL.withActivations(Conversion.Activations.INT8));
            assertEquals(scales(m.graph()), scales(only.graph()));
            // and the calibration run, kept as the sample's FP32 reference, is the original's run
            assertArrayEquals(ref.tap("hidden_states." + layers).data(), s.reference(sample, JobContext.NONE)
                    .tap("hidden_states." + layers).data());
        }
    }

    @Test
    void otherSampleTextsRecalibrateEveryW8a8ConversionOfTheSession() {
        try (ModelSession s = ModelSession.open(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE)) {
            ConvertedModel m = s.convert(W8A8);
            Map<String, Float> before = scales(m.graph());
            m.useSampleTexts(List.of("A quick brown fox jumps over the lazy dog near the river bank."), false);
            Map<String, Float> after = scales(m.graph());
            assertNotEquals(before, after);
            assertTrue(s.convert(W8A8) == m, "the recalibrated model stays the session's");
            assertEquals(after, scales(s.convert(Conversion.ORIGINAL.withActivations(Conversion.Activations.INT8))
                    .graph()));
            // the run uses the new scales: drift of the activations alone is measured with them
            DriftReport d = m.drift(m.sampleInput(), true, JobContext.NONE);
            assertTrue(d.byCause().containsKey(DriftReport.Cause.ACTIVATIONS));
            // q of layer 0 reads hidden_states.0 of the new text
            RunResult ref = s.reference(m.sampleInput(), JobContext.NONE);
            assertEquals(Op.InputQuant.calibrated(maxAbs(ref.tap("hidden_states.0"), m.sampleInput(), false)).scale(),
                    after.get("layers.0.q"), 0);
        }
    }

    /** A padded position's values are never read: its range must not widen the scale. */
    @Test
    void paddedPositionsAreNotCalibratedOn() {
        Batch b = new Batch(2, 3, new long[][]{{1, 2, 3}, {4, 5, 0}}, null, new int[][]{{1, 1, 1}, {1, 1, 0}});
        float[] x = new float[2 * 3 * 2];
        for (int i = 0; i < x.length; i++) x[i] = i % 3 - 1.5f;
        x[(3 + 2) * 2 + 1] = -1000; // sequence 1, position 2: padding
        assertEquals(1.5, ActivationRanges.maxAbs(new Activation(2, 3, 2, x), b), 0);
        // a value of another length (pooled, an encoder's frames) has no padding
        assertEquals(1000, ActivationRanges.maxAbs(new Activation(2, 1, 6, x), b), 0);
    }

    static Map<String, Float> scales(ModelGraph g) {
        Map<String, Float> s = new HashMap<>();
        for (Op op : g.ops()) {
            if (op instanceof Op.Linear l && l.inputQuant() != null) s.put(l.name(), l.inputQuant().scale());
        }
        return s;
    }

    static boolean hasPadding(Batch b) {
        for (int[] row : b.mask()) for (int v : row) if (v == 0) return true;
        return false;
    }

    /** max |x| in double over the positions attention_mask keeps (or all of them). */
    static double maxAbs(Activation a, Batch in, boolean withPadding) {
        double max = 0;
        for (int b = 0; b < a.batch(); b++) {
            for (int t = 0; t < a.length(); t++) {
                if (!withPadding && a.length() == in.seq() && in.mask()[b][t] == 0) continue;
                for (int c = 0; c < a.channels(); c++) max = Math.max(max, Math.abs(a.get(b, t, c)));
            }
        }
        return max;
    }

    static Activation first(Activation a) {
        float[] y = new float[a.batch() * a.channels()];
        for (int b = 0; b < a.batch(); b++) {
            System.arraycopy(a.data(), b * a.length() * a.channels(), y, b * a.channels(), a.channels());
        }
        return new Activation(a.batch(), 1, a.channels(), y);
    }
}
