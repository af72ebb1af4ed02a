package dev.anewb.app.session;

import dev.anewb.api.ModelSession;
import dev.anewb.io.BundledModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Axis;
import dev.anewb.model.ModelGraph;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** One naming scheme: taps and ops of every stack map to their layer, and taps come in the order ops run. */
class GraphNamesTest {
    private static final Path WHISPER = Path.of("../../shared/fixtures/whisper-tiny");

    @Test void tapsAndOpsBelongToTheirLayerInTheirStack() {
        assertNull(GraphNames.layerOf("hidden_states.0"), "the embeddings are no layer");
        assertEquals(new GraphNames.Layer("", 0), GraphNames.layerOf("hidden_states.1"));
        assertEquals(new GraphNames.Layer("", 5), GraphNames.layerOf("layers.5.mlp_out"));
        assertEquals(new GraphNames.Layer("", 11), GraphNames.layerOf("layers.11.q"));
        assertEquals(new GraphNames.Layer("", 2), GraphNames.layerOf("hidden.3"), "the op making hidden_states.3");
        assertEquals(new GraphNames.Layer("encoder", 1), GraphNames.layerOf("encoder_hidden_states.2"));
        assertEquals(new GraphNames.Layer("decoder", 0), GraphNames.layerOf("decoder.layers.0.cross_attn_out"));
        assertNull(GraphNames.layerOf("sentence_embedding"));
        assertNull(GraphNames.layerOf("logits"));
        GraphNames.Layer dec1 = new GraphNames.Layer("decoder", 1);
        assertEquals("decoder_hidden_states.2", dec1.outputTap());
        assertEquals("decoder.layers.1.", dec1.prefix());
        assertEquals("decoder layer 1", dec1.label());
    }

    @Test void shortLabelsUseTheOpsNumbering() {
        assertEquals("emb", GraphNames.shortLabel("hidden_states.0"));
        assertEquals("L0", GraphNames.shortLabel("hidden_states.1"));
        assertEquals("L3 attn", GraphNames.shortLabel("layers.3.attn_out"));
        assertEquals("enc emb", GraphNames.shortLabel("encoder_hidden_states.0"));
        assertEquals("dec L1", GraphNames.shortLabel("decoder_hidden_states.2"));
        assertEquals("dec L0 cross_attn", GraphNames.shortLabel("decoder.layers.0.cross_attn_out"));
        assertTrue(GraphNames.isLayerOutput("decoder_hidden_states.2"));
        assertFalse(GraphNames.isLayerOutput("layers.0.attn_out"));
        assertFalse(GraphNames.isLayerOutput("xhidden_states.1"));
    }

    @Test void whisperTapsComeInTheOrderTheirOpsRun() {
        try (ModelSession s = ModelSession.open(WHISPER.toString(), JobContext.NONE)) {
            ModelGraph g = s.model().graph();
            List<String> order = GraphNames.tapOrder(g);
            // the graph's own map lists a layer's MLP before its attention; the ops run attention first
            assertTrue(order.indexOf("encoder.layers.0.attn_out") < order.indexOf("encoder.layers.0.mlp_out"));
            assertTrue(order.indexOf("decoder.layers.0.self_attn_out")
                    < order.indexOf("decoder.layers.0.cross_attn_out"));
            assertTrue(order.indexOf("decoder.layers.0.cross_attn_out") < order.indexOf("decoder.layers.0.mlp_out"));
            assertTrue(order.indexOf("encoder_hidden_states.2") < order.indexOf("decoder_hidden_states.0"));
            Map<String, String> ops = GraphNames.opOfWeight(g);
            assertEquals("encoder.layers.1.q", ops.get("model.encoder.layers.1.self_attn.q_proj.weight"));
        }
    }

    @Test void weightsAreNamedByTheOpThatReadsThem() {
        try (ModelSession s = ModelSession.open(BundledModel.ID, JobContext.NONE)) {
            Map<String, String> ops = GraphNames.opOfWeight(s.model().graph());
            assertEquals("layers.0.q", ops.get("encoder.layer.0.attention.self.query.weight"));
            assertEquals("layers.5.mlp_out", ops.get("encoder.layer.5.output.dense.weight"));
            assertEquals("hidden.1", GraphNames.opOfTap(s.model().graph(), "hidden_states.1"));
            assertEquals("layers.0.attn_out", GraphNames.opOfTap(s.model().graph(), "layers.0.attn_out"));
        }
    }

    @Test void thePlannedLengthIsWhatThePlannerCanPlan() {
        try (ModelSession s = ModelSession.open(WHISPER.toString(), JobContext.NONE)) {
            PlanLength l = PlanLength.of(s.model().graph(), 128);
            assertEquals(64, l.planned(), "no model is planned past its context (the CLI refuses it)");
            assertTrue(l.caption().contains("encoder 1500 frames"), l.caption());
        }
        try (ModelSession s = ModelSession.open("../../shared/fixtures/vit-tiny", JobContext.NONE)) {
            PlanLength l = PlanLength.of(s.model().graph(), 128);
            assertEquals(s.model().graph().fixedLength(Axis.TOKENS), l.planned());
            assertTrue(l.caption().startsWith("seq " + l.planned() + " ("), l.caption());
        }
        try (ModelSession s = ModelSession.open(BundledModel.ID, JobContext.NONE)) {
            assertEquals(new PlanLength(128, 128, ""), PlanLength.of(s.model().graph(), 128));
            assertEquals(512, PlanLength.of(s.model().graph(), 4096).planned());
        }
    }
}
