package dev.anewb.drift;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TapMetricsGrowthTest {
    static TapMetrics t(String name, double sqnr) {
        return new TapMetrics(name, sqnr, 1, 0, 0, 1);
    }

    @Test
    void growthIsAgainstThePreviousLayerOutputOfTheSameStack() {
        double[] g = TapMetrics.growths(List.of(
                t("hidden_states.0", 60), t("layers.0.attn_out", 40), t("layers.0.mlp_out", 45),
                        t("hidden_states.1", 50),
                t("hidden_states.2", 44), t("sentence_embedding", 46)));
        assertTrue(Double.isNaN(g[0]));
        assertEquals(20, g[1], 1e-12);  // 60 − 40: what layer 0's attention cost
        assertEquals(15, g[2], 1e-12);  // 60 − 45
        assertEquals(10, g[3], 1e-12);  // 60 − 50
        assertEquals(6, g[4], 1e-12);   // 50 − 44
        assertEquals(-2, g[5], 1e-12);  // 44 − 46
    }

    @Test
    void aDecoderStackStartsAfresh() {
        double[] g = TapMetrics.growths(List.of(t("encoder_hidden_states.0", 66), t("encoder_hidden_states.1", 43),
                t("decoder_hidden_states.0", 71), t("decoder_hidden_states.1", 40), t("logits", 38)));
        assertEquals(23, g[1], 1e-12);
        assertTrue(Double.isNaN(g[2]), "the decoder does not continue the encoder's stack");
        assertEquals(31, g[3], 1e-12);
        assertEquals(2, g[4], 1e-12);
    }
}
