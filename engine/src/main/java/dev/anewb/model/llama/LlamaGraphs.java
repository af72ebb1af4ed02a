package dev.anewb.model.llama;

import dev.anewb.model.GraphBuilder;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightRole;

import java.util.function.Predicate;

/**
 * The Llama family (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM) as a graph with transformers' names:
 * RMSNorm before attention and MLP, rotary embeddings applied to q and k inside the attention op, grouped-query
 * attention, SwiGLU MLP {@code down(silu(gate(x)) · up(x))}, final norm, tied or untied head. Taps as
 * transformers reports them: {@code hidden_states.0} the token embeddings, the last after the final norm.
 */
public final class LlamaGraphs {
    private LlamaGraphs() { }

    /** @param hasWeight decides between {@code model.}-prefixed names (…ForCausalLM) and bare ones (LlamaModel) */
    public static ModelGraph llama(LlamaConfig c, Predicate<String> hasWeight) {
        String p = !hasWeight.test("model.embed_tokens.weight") && hasWeight.test("embed_tokens.weight") ? ""
                : "model.";
        GraphBuilder g = new GraphBuilder(c);
        int h = c.hiddenSize(), nh = c.numHeads(), nkv = c.numKvHeads(), hd = c.headDim();
        String x = g.embed("hidden.0", p + "embed_tokens.weight", null, 0, null);
        g.tap("hidden_states.0", x);
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int i = 0; i < c.numLayers(); i++) {
            String w = p + "layers." + i + ".";
            String l = "layers." + i + ".";
            String a = g.norm(l + "input_norm", i, x, w + "input_layernorm.weight", null, c.rmsNormEps(), true);
            String q = g.linear(l + "q", i, a, w + "self_attn.q_proj", nh * hd, c.qkvBias());
            String k = g.linear(l + "k", i, a, w + "self_attn.k_proj", nkv * hd, c.qkvBias());
            String v = g.linear(l + "v", i, a, w + "self_attn.v_proj", nkv * hd, c.qkvBias());
            String ctx = g.attention(l + "context", i, q, k, v, nh, nkv, hd, true, true, c.rope(), scale, false);
            String ao = g.linear(l + "attn_out", i, ctx, w + "self_attn.o_proj", h, c.outBias());
            String r1 = g.add(l + "attn_residual", i, ao, x);
            String m = g.norm(l + "post_attention_norm", i, r1, w + "post_attention_layernorm.weight", null,
                    c.rmsNormEps(), true);
            String gate = g.linear(l + "mlp_gate", i, m, w + "mlp.gate_proj", c.intermediateSize(), c.mlpBias());
            String act = g.activation(l + "mlp_act", i, gate, c.activation());
            String up = g.linear(l + "mlp_up", i, m, w + "mlp.up_proj", c.intermediateSize(), c.mlpBias());
            String prod = g.mul(l + "mlp_gated", i, act, up);
            String down = g.linear(l + "mlp_out", i, prod, w + "mlp.down_proj", h, c.mlpBias());
            x = g.add("hidden." + (i + 1), i, down, r1);
            g.tap(l + "attn_out", ao).tap(l + "mlp_out", down);
            if (i < c.numLayers() - 1) g.tap("hidden_states." + (i + 1), x);
        }
        x = g.norm("final_norm", -1, x, p + "norm.weight", null, c.rmsNormEps(), true);
        g.tap("hidden_states." + c.numLayers(), x);
        String head = c.tieWordEmbeddings() ? p + "embed_tokens.weight" : "lm_head.weight";
        g.tap("logits", g.linear("logits", -1, x, head, null, c.vocabSize(), false, WeightRole.HEAD));
        return g.build();
    }
}
