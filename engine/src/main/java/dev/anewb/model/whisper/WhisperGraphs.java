package dev.anewb.model.whisper;

import dev.anewb.model.Axis;
import dev.anewb.model.GraphBuilder;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.WeightRole;

import java.util.function.Predicate;

/**
 * Whisper as one graph: encoder (conv1 k3 p1 + GELU, conv2 k3 s2 p1 + GELU, + embed_positions, pre-LN layers,
 * layer_norm) and decoder (embed_tokens + learned positions, pre-LN layers with causal self-attention and
 * cross-attention over the encoder states, layer_norm, proj_out tied to embed_tokens). Taps follow transformers'
 * {@code encoder_hidden_states.i} / {@code decoder_hidden_states.i}: entry 0 is the embedding output, entry i the
 * output of layer i − 1, except that the last entry is taken after the final layer_norm, as
 * transformers reports it (the whisper-tiny fixture agrees).
 *
 * <p>Attention projections: q, v and out have biases, k has none (WhisperAttention). Cross-attention keys and
 * values come from the ENCODER axis and are never chunked.
 */
public final class WhisperGraphs {
    private WhisperGraphs() { }

    public static ModelGraph whisper(WhisperConfig c, Predicate<String> hasWeight) {
        String p = hasWeight.test("model.encoder.conv1.weight") || !hasWeight.test("encoder.conv1.weight") ? "model."
                : "";
        GraphBuilder g = new GraphBuilder(c);
        int d = c.hiddenSize(), frames = c.inputFrames(), src = c.maxSourcePositions();
        float eps = WhisperConfig.LAYER_NORM_EPS;
        g.input(ModelGraph.INPUT_FEATURES, Axis.FEATURES, frames);
        g.fixedLength(Axis.FEATURES, c.numMelBins()).fixedLength(Axis.FRAMES, frames).fixedLength(Axis.ENCODER, src);
        g.tap(ModelGraph.INPUT_FEATURES, ModelGraph.INPUT_FEATURES);

        // ---- encoder ----
        String e = p + "encoder.";
        g.weight(e + "conv1.weight", WeightRole.CONV, false, d, c.numMelBins(), 3);
        g.weight(e + "conv1.bias", WeightRole.BIAS, false, d);
        g.weight(e + "conv2.weight", WeightRole.CONV, false, d, d, 3);
        g.weight(e + "conv2.bias", WeightRole.BIAS, false, d);
        g.weight(e + "embed_positions.weight", WeightRole.EMBEDDING, false, src, d);
        String x = g.op(new Op.Conv1d("encoder.conv1", -1, ModelGraph.INPUT_FEATURES, "encoder.conv1", e
                + "conv1.weight", e + "conv1.bias",
                c.numMelBins(), d, 3, 1, 1, true), Axis.FRAMES, d);
        x = g.activation("encoder.conv1_act", -1, x, "gelu");
        x = g.op(new Op.Conv1d("encoder.conv2", -1, x, "encoder.conv2", e + "conv2.weight", e + "conv2.bias", d, d, 3,
                2, 1, false), Axis.ENCODER, d);
        x = g.activation("encoder.conv2_act", -1, x, "gelu");
        x = g.op(new Op.AddPositions("encoder.hidden.0", -1, x, "encoder.hidden.0", e + "embed_positions.weight"),
                Axis.ENCODER, d);
        g.tap("encoder_hidden_states.0", x);
        for (int i = 0; i < c.encoderLayers(); i++) {
            String w = e + "layers." + i + ".";
            String l = "encoder.layers." + i + ".";
            String a = g.layerNorm(l + "ln_attn", i, x, w + "self_attn_layer_norm", eps);
            String ao = attention(g, c, l, i, a, a, w + "self_attn.", c.encoderHeads(), false, false);
            String r1 = g.add(l + "attn_residual", i, ao, x);
            x = mlp(g, c, l, i, r1, w, c.encoderFfn(), "encoder.hidden." + (i + 1));
            g.tap(l + "attn_out", ao);
            if (i < c.encoderLayers() - 1) g.tap("encoder_hidden_states." + (i + 1), x);
        }
        String enc = g.layerNorm("encoder.last_hidden_state", -1, x, e + "layer_norm", eps);
        g.tap("encoder_hidden_states." + c.encoderLayers(), enc);

        // ---- decoder ----
        String dp = p + "decoder.";
        String tokens = dp + "embed_tokens.weight";
        // embed() registers the position table as [maxPositions, d] = max_target_positions rows.
        String y = g.embed("decoder.hidden.0", tokens, dp + "embed_positions.weight", 0, null);
        g.tap("decoder_hidden_states.0", y);
        for (int j = 0; j < c.decoderLayers(); j++) {
            int layer = c.encoderLayers() + j;
            String w = dp + "layers." + j + ".";
            String l = "decoder.layers." + j + ".";
            String a = g.layerNorm(l + "ln_self", layer, y, w + "self_attn_layer_norm", eps);
            String so = attention(g, c, l + "self_", layer, a, a, w + "self_attn.", c.decoderHeads(), true, false);
            String r1 = g.add(l + "self_residual", layer, so, y);
            String b = g.layerNorm(l + "ln_cross", layer, r1, w + "encoder_attn_layer_norm", eps);
            String co = attention(g, c, l + "cross_", layer, b, enc, w + "encoder_attn.", c.decoderHeads(), false,
                    true);
            String r2 = g.add(l + "cross_residual", layer, co, r1);
            y = mlp(g, c, l, layer, r2, w, c.decoderFfn(), "decoder.hidden." + (j + 1));
            g.tap(l + "self_attn_out", so).tap(l + "cross_attn_out", co);
            if (j < c.decoderLayers() - 1) g.tap("decoder_hidden_states." + (j + 1), y);
        }
        y = g.layerNorm("decoder.last_hidden_state", -1, y, dp + "layer_norm", eps);
        g.tap("decoder_hidden_states." + c.decoderLayers(), y);
        // proj_out shares embed_tokens (tie_word_embeddings); an untied checkpoint has its own proj_out.weight.
        boolean tied = c.raw() == null || !c.raw().has("tie_word_embeddings")
                || c.raw().get("tie_word_embeddings").asBoolean(true);
        String head = tied || !hasWeight.test("proj_out.weight") ? tokens : "proj_out.weight";
        g.tap("logits", g.linear("logits", -1, y, head, null, c.vocabSize(), false, WeightRole.HEAD));
        return g.build();
    }

    /** WhisperAttention: q (bias), k (no bias), v (bias) projections, attention, out_proj (bias). */
    private static String attention(GraphBuilder g, WhisperConfig c, String l, int layer, String queries, String keys,
            String w,
                                    int heads, boolean causal, boolean cross) {
        int d = c.hiddenSize(), hd = d / heads;
        String q = g.linear(l + "q", layer, queries, w + "q_proj", d, true);
        String k = g.linear(l + "k", layer, keys, w + "k_proj", d, false);
        String v = g.linear(l + "v", layer, keys, w + "v_proj", d, true);
        String ctx = g.attention(l + "context", layer, q, k, v, heads, heads, hd, causal, !cross && causal, null,
                (float) (1.0 / Math.sqrt(hd)), cross);
        return g.linear(l + "attn_out", layer, ctx, w + "out_proj", d, true);
    }

    private static String mlp(GraphBuilder g, WhisperConfig c, String l, int layer, String x, String w, int ffn,
            String output) {
        String m = g.layerNorm(l + "ln_mlp", layer, x, w + "final_layer_norm", WhisperConfig.LAYER_NORM_EPS);
        String up = g.linear(l + "mlp_up", layer, m, w + "fc1", ffn, true);
        String act = g.activation(l + "mlp_act", layer, up, c.activation());
        String down = g.linear(l + "mlp_out", layer, act, w + "fc2", c.hiddenSize(), true);
        g.tap(l + "mlp_out", down);
        return g.add(output, layer, down, x);
    }
}
