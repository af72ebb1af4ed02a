package dev.anewb.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.ChipProfiles;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.Phase;
import dev.anewb.ane.PlanResult;
import dev.anewb.convert.Converter;
import dev.anewb.model.arch.Architectures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ViT and Whisper graphs from configs alone: build, convert (front ends stay float) and plan. */
class VisionAudioGraphsTest {
    static ModelGraph fromJson(String json) throws Exception {
        return Architectures.graph(Architectures.parseConfig(new ObjectMapper().readTree(json),
                Path.of("test config.json")),
                Architectures.GraphOptions.CONFIG_ONLY);
    }

    static final String VIT_64 = """
            {"model_type": "vit", "architectures": ["ViTModel"], "hidden_size": 384, "num_hidden_layers": 3,
             "num_attention_heads": 6,
             "intermediate_size": 1536, "image_size": 64, "patch_size": 16, "num_channels": 3, "hidden_act": "gelu"}""";

    @Test
    void largerVitBuildsConvertsAndPlans() throws Exception {
        ModelGraph g = fromJson(VIT_64);
        assertEquals(17, g.fixedLength(Axis.TOKENS)); // (64/16)^2 patches + CLS
        assertTrue(g.taps().containsKey("pooler_output") && g.taps().containsKey("hidden_states.3"));
        ModelGraph q = Converter.convert(g, Conversion.ORIGINAL.withInt8(true, 128, false)).graph();
        assertNull(q.weights().get("embeddings.patch_embeddings.projection.weight").quant(),
                "conv front end stays float");
        assertNotNull(q.weights().get("encoder.layer.0.attention.attention.query.weight").quant());
        // 6 projections per layer + the pooler dense
        assertEquals(6 * 3 + 1, q.weights().values().stream().filter(w -> w.quant() != null).count());
        PlanResult r = AnePlanner.plan(g, Conversion.ORIGINAL.withPrecision(Conversion.Precision.FP16),
                ChipProfiles.bundled().get("A17 Pro"), 1, 999, null);
        OpPlan patch = r.optimized().ops().stream().filter(o ->
                o.kind().equals("patch-embed")).findFirst().orElseThrow();
        // 16 patches × 384 outputs × 768 (3·16·16) multiply-adds, + bias, + positions
        assertEquals(2L * 16 * 768 * 384 + 16 * 384 + 17 * 384, patch.flops());
        assertTrue(patch.dramBytes() >= 3 * 64 * 64 * 2, "the image is read from DRAM");
        assertTrue(r.optimized().latencyMs() > 0);
    }

    @Test
    void vitRejectsImageSizesThatAreNotPatchMultiples() {
        assertThrows(AnewbException.class, () -> fromJson(VIT_64.replace("\"image_size\": 64", "\"image_size\": 60")));
    }

    static final String WHISPER = """
            {"model_type": "whisper", "d_model": 384, "encoder_layers": 4, "decoder_layers": 4,
             "encoder_attention_heads": 6,
             "decoder_attention_heads": 6, "encoder_ffn_dim": 1536, "decoder_ffn_dim": 1536, "vocab_size": 51865,
              "num_mel_bins": 80,
             "max_source_positions": 1500, "max_target_positions": 448}""";

    @Test
    void whisperConvertsAndPlansWithTheEncoderAxisAndCrossAttention(@TempDir Path dir) throws Exception {
        ModelGraph g = fromJson(WHISPER);
        ModelGraph q = Converter.convert(g, Conversion.ORIGINAL.withInt8(true, 128, false)).graph();
        assertNull(q.weights().get("model.encoder.conv1.weight").quant());
        assertNull(q.weights().get("model.encoder.conv2.weight").quant());
        assertNotNull(q.weights().get("model.decoder.layers.0.encoder_attn.k_proj.weight").quant());
        assertNotNull(q.weights().get("model.encoder.layers.3.fc2.weight").quant());
        assertNull(q.weights().get("model.decoder.embed_tokens.weight").quant(), "tied head stays float");

        PlanResult prefill = AnePlanner.plan(g, Conversion.ORIGINAL.withPrecision(Conversion.Precision.FP16),
                ChipProfiles.bundled().get("M1"), 1, 4, null);
        OpPlan conv2 = prefill.optimized().ops().stream().filter(o ->
                o.name().equals("encoder.conv2")).findFirst().orElseThrow();
        assertEquals(2L * 1500 * 384 * 3 * 384 + 1500 * 384, conv2.flops());
        OpPlan cross = prefill.optimized().ops().stream().filter(o ->
                o.kind().equals("cross-attention")).findFirst().orElseThrow();
        assertEquals((long) 6 * (4L * 4 * 1500 * 64 + 5L * 4 * 1500), cross.flops()); // 4 queries × 1500 encoder keys
        // decoding: the encoder is not re-run; the cross-attention still sees 1500 keys
        PlanResult decode = AnePlanner.plan(g, Conversion.ORIGINAL.withPrecision(Conversion.Precision.FP16),
                ChipProfiles.bundled().get("M1"), 1, 4, null, Phase.DECODE);
        assertTrue(decode.optimized().ops().stream().noneMatch(o -> o.name().startsWith("encoder.")));
        assertTrue(decode.optimized().latencyMs() < prefill.optimized().latencyMs());

    }
}
