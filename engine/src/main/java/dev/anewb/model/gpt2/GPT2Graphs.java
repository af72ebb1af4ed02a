package dev.anewb.model.gpt2;

import dev.anewb.model.GraphBuilder;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightRole;

import java.util.function.Predicate;

/**
 * GPT-2 as a graph with transformers' weight names and taps. {@code hidden_states.0} is wte + wpe,
 * {@code hidden_states.i} the output of block i − 1, except that the last one is taken after {@code ln_f}, as
 * transformers' output_hidden_states reports it; {@code logits} from the (normally tied) head.
 *
 * <p>Conv1D weights are stored [in, out] ({@code storedTransposed}); the fused {@code c_attn} runs as one
 * projection whose output is sliced into q, k and v, so the converter quantizes the stored weight as one tensor
 * with blocks along its input dimension, exactly as the references do.
 */
public final class GPT2Graphs {
    private GPT2Graphs() { }

    /**
     * @param hasWeight which tensors the files hold: decides between {@code transformer.}-prefixed names
     *                  (GPT2LMHeadModel) and bare ones (GPT2Model as published for "gpt2")
     */
    public static ModelGraph gpt2(GPT2Config c, Predicate<String> hasWeight) {
        String p = !hasWeight.test("transformer.wte.weight") && hasWeight.test("wte.weight") ? "" : "transformer.";
        GraphBuilder g = new GraphBuilder(c);
        int h = c.hiddenSize(), nh = c.numHeads(), hd = c.headDim();
        String x = g.embed("hidden.0", p + "wte.weight", p + "wpe.weight", 0, null);
        g.tap("hidden_states.0", x);
        for (int i = 0; i < c.numLayers(); i++) {
            String w = p + "h." + i + ".";
            String l = "layers." + i + ".";
            String a = g.layerNorm(l + "ln_1", i, x, w + "ln_1", c.layerNormEps());
            String qkv = conv1d(g, l + "qkv", i, a, w + "attn.c_attn", 3 * h);
            String q = g.slice(l + "q", i, qkv, 0, h);
            String k = g.slice(l + "k", i, qkv, h, 2 * h);
            String v = g.slice(l + "v", i, qkv, 2 * h, 3 * h);
            double scale = c.scaleAttnWeights() ? 1.0 / Math.sqrt(hd) : 1.0;
            if (c.scaleByInverseLayerIdx()) scale /= i + 1;
            String ctx = g.attention(l + "context", i, q, k, v, nh, nh, hd, true, true, null, (float) scale, false);
            String ao = conv1d(g, l + "attn_out", i, ctx, w + "attn.c_proj", h);
            String r1 = g.add(l + "attn_residual", i, ao, x);
            String m = g.layerNorm(l + "ln_2", i, r1, w + "ln_2", c.layerNormEps());
            String up = conv1d(g, l + "mlp_up", i, m, w + "mlp.c_fc", c.intermediateSize());
            String act = g.activation(l + "mlp_act", i, up, c.activation());
            String down = conv1d(g, l + "mlp_out", i, act, w + "mlp.c_proj", h);
            x = g.add("hidden." + (i + 1), i, down, r1);
            g.tap(l + "attn_out", ao).tap(l + "mlp_out", down);
            if (i < c.numLayers() - 1) g.tap("hidden_states." + (i + 1), x);
        }
        x = g.layerNorm("final_norm", -1, x, p + "ln_f", c.layerNormEps());
        g.tap("hidden_states." + c.numLayers(), x);
        String head = c.tieWordEmbeddings() ? p + "wte.weight" : "lm_head.weight";
        g.tap("logits", g.linear("logits", -1, x, head, null, c.vocabSize(), false, WeightRole.HEAD));
        return g.build();
    }

    /** A GPT-2 Conv1D: weight stored [in, out], bias [out]. */
    private static String conv1d(GraphBuilder g, String output, int layer, String input, String prefix, int out) {
        return g.linear(output, layer, input, prefix + ".weight", prefix + ".bias", out, true, WeightRole.PROJECTION);
    }
}
