package dev.anewb.app.drift;

import dev.anewb.drift.TapMetrics;
import dev.anewb.model.Conversion;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The Drift area's pure rules (no toolkit). */
class DriftViewModelTest {
    @Test void tapsBelongToLayers() {
        assertEquals(-1, DriftViewModel.layerOf("hidden_states.0"), "embeddings are no layer");
        assertEquals(0, DriftViewModel.layerOf("hidden_states.1"));
        assertEquals(5, DriftViewModel.layerOf("layers.5.mlp_out"));
        assertEquals(11, DriftViewModel.layerOf("layers.11.attn_out"));
        assertEquals(-1, DriftViewModel.layerOf("sentence_embedding"));
    }

    @Test void configurationsReadInAFewWords() {
        assertEquals("INT8 b128 · FP16 · BC1S", DriftViewModel.describe(Conversion.ANE_DEFAULT));
        assertEquals("INT8 b32 sym · FP32 · HF · chunk 64/16", DriftViewModel.describe(
                Conversion.ORIGINAL.withInt8(true, 32, true).withChunking(64, 16)));
    }

    @Test void metricsFormatExactAndFiniteValues() {
        TapMetrics exact = new TapMetrics("t", Double.POSITIVE_INFINITY, 1, 0, 0, 1);
        TapMetrics m = new TapMetrics("t", 35.64, 0.9998, 0.0166, 0.0399, 3);
        assertEquals("exact", DriftMetric.SQNR.format(exact));
        assertEquals("35.6 dB", DriftMetric.SQNR.format(m));
        assertEquals(0.0166, DriftMetric.REL_L2.of(m));
        assertEquals("0.999800", DriftMetric.COSINE.format(m));
    }
}
