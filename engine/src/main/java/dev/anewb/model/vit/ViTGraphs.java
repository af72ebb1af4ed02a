package dev.anewb.model.vit;

import dev.anewb.model.Axis;
import dev.anewb.model.GraphBuilder;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.WeightRole;

import java.util.function.Predicate;

/**
 * ViT as a graph with transformers' weight names and taps. {@code hidden_states.0} is the patch embedding with
 * CLS and positions; {@code hidden_states.i} the output of layer i − 1. transformers' ViTEncoder collects its
 * hidden states before ViTModel's final {@code layernorm}, so the last one is the raw last-layer output (the
 * vit-tiny fixture agrees); {@code last_hidden_state} is after the norm and feeds the pooler (dense + tanh on CLS).
 */
public final class ViTGraphs {
    private ViTGraphs() { }

    /** @param hasWeight decides the {@code vit.} prefix (ViTForImageClassification) and whether there is a pooler */
    public static ModelGraph vit(ViTConfig c, Predicate<String> hasWeight) {
        String p = hasWeight.test("vit.embeddings.cls_token") && !hasWeight.test("embeddings.cls_token") ? "vit." : "";
        GraphBuilder g = new GraphBuilder(c);
        int h = c.hiddenSize(), nh = c.numHeads(), hd = c.headDim(), tokens = c.maxPositions();
        g.input(ModelGraph.PIXEL_VALUES, Axis.FEATURES, c.imageHeight() * c.imageWidth());
        g.fixedLength(Axis.FEATURES, c.channels());
        g.fixedLength(Axis.TOKENS, tokens);
        g.tap(ModelGraph.PIXEL_VALUES, ModelGraph.PIXEL_VALUES);
        String e = p + "embeddings.";
        g.weight(e + "patch_embeddings.projection.weight", WeightRole.CONV, false, h, c.channels(), c.patch(),
                c.patch());
        g.weight(e + "patch_embeddings.projection.bias", WeightRole.BIAS, false, h);
        g.weight(e + "cls_token", WeightRole.OTHER, false, 1, 1, h);
        g.weight(e + "position_embeddings", WeightRole.EMBEDDING, false, 1, tokens, h);
        String x = g.op(new Op.PatchEmbed("hidden.0", ModelGraph.PIXEL_VALUES, "hidden.0", e
                + "patch_embeddings.projection.weight",
                e + "patch_embeddings.projection.bias", e + "cls_token", e + "position_embeddings", c.channels(),
                        c.patch(),
                c.imageHeight(), c.imageWidth(), h), Axis.TOKENS, h);
        g.tap("hidden_states.0", x);
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int i = 0; i < c.numLayers(); i++) {
            String w = p + "encoder.layer." + i + ".";
            String l = "layers." + i + ".";
            String a = g.layerNorm(l + "ln_before", i, x, w + "layernorm_before", c.layerNormEps());
            String q = g.linear(l + "q", i, a, w + "attention.attention.query", h, c.qkvBias());
            String k = g.linear(l + "k", i, a, w + "attention.attention.key", h, c.qkvBias());
            String v = g.linear(l + "v", i, a, w + "attention.attention.value", h, c.qkvBias());
            String ctx = g.attention(l + "context", i, q, k, v, nh, nh, hd, false, false, null, scale, false);
            String ao = g.linear(l + "attn_out", i, ctx, w + "attention.output.dense", h, true);
            String r1 = g.add(l + "attn_residual", i, ao, x);
            String m = g.layerNorm(l + "ln_after", i, r1, w + "layernorm_after", c.layerNormEps());
            String up = g.linear(l + "mlp_up", i, m, w + "intermediate.dense", c.intermediateSize(), true);
            String act = g.activation(l + "mlp_act", i, up, c.activation());
            String down = g.linear(l + "mlp_out", i, act, w + "output.dense", h, true);
            x = g.add("hidden." + (i + 1), i, down, r1);
            g.tap(l + "attn_out", ao).tap(l + "mlp_out", down).tap("hidden_states." + (i + 1), x);
        }
        String last = g.layerNorm("last_hidden_state", -1, x, p + "layernorm", c.layerNormEps());
        g.tap("last_hidden_state", last);
        if (hasWeight.test(p + "pooler.dense.weight")) {
            String cls = g.takeFirst("pooler.cls", -1, last);
            String dense = g.linear("pooler.dense", -1, cls, p + "pooler.dense", c.poolerSize(), true);
            g.tap("pooler_output", g.activation("pooler_output", -1, dense, c.poolerAct()));
        }
        return g.build();
    }
}
