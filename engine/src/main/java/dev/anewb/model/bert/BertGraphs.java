package dev.anewb.model.bert;

import dev.anewb.model.GraphBuilder;
import dev.anewb.model.ModelGraph;

/**
 * BertModel and DistilBertModel as graphs, with transformers' weight names and taps: {@code hidden_states.0}
 * is the embedding LayerNorm output, {@code hidden_states.i} the output of layer i; {@code layers.i.attn_out}
 * and {@code layers.i.mlp_out} are the attention output projection and the MLP down projection (before the
 * residual add).
 */
public final class BertGraphs {
    private BertGraphs() { }

    /** Options that depend on the files present rather than on config.json. */
    public record Heads(boolean pooler, boolean sentenceEmbedding) { }

    public static ModelGraph bert(BertConfig c, Heads heads) {
        GraphBuilder g = new GraphBuilder(c);
        int h = c.hiddenSize(), heads_ = c.numHeads(), hd = c.headDim();
        String x = g.embed("embeddings.sum", "embeddings.word_embeddings.weight",
                "embeddings.position_embeddings.weight", 0,
                "embeddings.token_type_embeddings.weight");
        x = g.layerNorm("hidden.0", -1, x, "embeddings.LayerNorm", c.layerNormEps());
        g.tap("hidden_states.0", x);
        for (int i = 0; i < c.numLayers(); i++) {
            x = postLnLayer(g, i, x, BERT_NAMES.at("encoder.layer." + i + "."), h, heads_, hd, c.intermediateSize(),
                    c.activation(),
                    c.layerNormEps());
        }
        finishEncoder(g, x, h, heads);
        return g.build();
    }

    public static ModelGraph distilbert(DistilBertConfig c, Heads heads) {
        GraphBuilder g = new GraphBuilder(c);
        int h = c.hiddenSize(), nh = c.numHeads(), hd = c.headDim();
        float eps = DistilBertConfig.LAYER_NORM_EPS;
        String x = g.embed("embeddings.sum", "embeddings.word_embeddings.weight",
                "embeddings.position_embeddings.weight", 0, null);
        x = g.layerNorm("hidden.0", -1, x, "embeddings.LayerNorm", eps);
        g.tap("hidden_states.0", x);
        for (int i = 0; i < c.numLayers(); i++) {
            x = postLnLayer(g, i, x, DISTILBERT_NAMES.at("transformer.layer." + i + "."), h, nh, hd,
                    c.intermediateSize(), c.activation(), eps);
        }
        finishEncoder(g, x, h, new Heads(false, heads.sentenceEmbedding()));
        return g.build();
    }

    /** Where one encoder layer's weights live, relative to the layer's prefix. */
    record LayerNames(String prefix, String q, String k, String v, String out, String attnNorm, String up, String down,
            String outNorm) {
        LayerNames at(String layerPrefix) {
            return new LayerNames(layerPrefix, q, k, v, out, attnNorm, up, down, outNorm);
        }

        String w(String name) { return prefix + name; }
    }

    static final LayerNames BERT_NAMES = new LayerNames("", "attention.self.query", "attention.self.key",
            "attention.self.value",
            "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
                    "output.LayerNorm");
    static final LayerNames DISTILBERT_NAMES = new LayerNames("", "attention.q_lin", "attention.k_lin",
            "attention.v_lin",
            "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm");

    /**
     * One post-LayerNorm encoder layer (BERT and DistilBERT alike): attention with the padding mask, residual,
     * LayerNorm, MLP, residual, LayerNorm; taps attn_out, mlp_out and hidden_states.{i+1}. Returns the layer output.
     */
    private static String postLnLayer(GraphBuilder g, int i, String x, LayerNames n, int h, int heads, int hd,
            int intermediate,
                                      String activation, float eps) {
        String l = "layers." + i + ".";
        float scale = (float) (1.0 / Math.sqrt(hd));
        String q = g.linear(l + "q", i, x, n.w(n.q()), h, true);
        String k = g.linear(l + "k", i, x, n.w(n.k()), h, true);
        String v = g.linear(l + "v", i, x, n.w(n.v()), h, true);
        String ctx = g.attention(l + "context", i, q, k, v, heads, heads, hd, false, true, null, scale, false);
        String ao = g.linear(l + "attn_out", i, ctx, n.w(n.out()), h, true);
        String r1 = g.add(l + "attn_residual", i, ao, x);
        String h1 = g.layerNorm(l + "attn_norm", i, r1, n.w(n.attnNorm()), eps);
        String up = g.linear(l + "mlp_up", i, h1, n.w(n.up()), intermediate, true);
        String act = g.activation(l + "mlp_act", i, up, activation);
        String down = g.linear(l + "mlp_out", i, act, n.w(n.down()), h, true);
        String r2 = g.add(l + "mlp_residual", i, down, h1);
        String out = g.layerNorm("hidden." + (i + 1), i, r2, n.w(n.outNorm()), eps);
        g.tap(l + "attn_out", ao).tap(l + "mlp_out", down).tap("hidden_states." + (i + 1), out);
        return out;
    }

    private static void finishEncoder(GraphBuilder g, String last, int h, Heads heads) {
        if (heads.pooler()) {
            String first = g.takeFirst("pooler.first", -1, last);
            String dense = g.linear("pooler.dense", -1, first, "pooler.dense", h, true);
            g.tap("pooler_output", g.activation("pooler_output", -1, dense, "tanh"));
        }
        if (heads.sentenceEmbedding()) {
            g.tap("sentence_embedding", g.meanPool("sentence_embedding", last, true));
        }
    }
}
