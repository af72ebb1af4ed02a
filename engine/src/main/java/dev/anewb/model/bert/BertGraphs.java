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
        String x = g.embed("embeddings.sum", "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", 0,
                "embeddings.token_type_embeddings.weight");
        x = g.layerNorm("hidden.0", -1, x, "embeddings.LayerNorm", c.layerNormEps());
        g.tap("hidden_states.0", x);
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            String l = "layers." + i + ".";
            String q = g.linear(l + "q", i, x, p + "attention.self.query", h, true);
            String k = g.linear(l + "k", i, x, p + "attention.self.key", h, true);
            String v = g.linear(l + "v", i, x, p + "attention.self.value", h, true);
            String ctx = g.attention(l + "context", i, q, k, v, heads_, heads_, hd, false, true, null, scale, false);
            String ao = g.linear(l + "attn_out", i, ctx, p + "attention.output.dense", h, true);
            String r1 = g.add(l + "attn_residual", i, ao, x);
            String h1 = g.layerNorm(l + "attn_norm", i, r1, p + "attention.output.LayerNorm", c.layerNormEps());
            String up = g.linear(l + "mlp_up", i, h1, p + "intermediate.dense", c.intermediateSize(), true);
            String act = g.activation(l + "mlp_act", i, up, c.activation());
            String down = g.linear(l + "mlp_out", i, act, p + "output.dense", h, true);
            String r2 = g.add(l + "mlp_residual", i, down, h1);
            x = g.layerNorm("hidden." + (i + 1), i, r2, p + "output.LayerNorm", c.layerNormEps());
            g.tap(l + "attn_out", ao).tap(l + "mlp_out", down).tap("hidden_states." + (i + 1), x);
        }
        finishEncoder(g, x, h, heads);
        return g.build();
    }

    public static ModelGraph distilbert(DistilBertConfig c, Heads heads) {
        GraphBuilder g = new GraphBuilder(c);
        int h = c.hiddenSize(), nh = c.numHeads(), hd = c.headDim();
        float eps = DistilBertConfig.LAYER_NORM_EPS;
        String x = g.embed("embeddings.sum", "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", 0, null);
        x = g.layerNorm("hidden.0", -1, x, "embeddings.LayerNorm", eps);
        g.tap("hidden_states.0", x);
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "transformer.layer." + i + ".";
            String l = "layers." + i + ".";
            String q = g.linear(l + "q", i, x, p + "attention.q_lin", h, true);
            String k = g.linear(l + "k", i, x, p + "attention.k_lin", h, true);
            String v = g.linear(l + "v", i, x, p + "attention.v_lin", h, true);
            String ctx = g.attention(l + "context", i, q, k, v, nh, nh, hd, false, true, null, scale, false);
            String ao = g.linear(l + "attn_out", i, ctx, p + "attention.out_lin", h, true);
            String r1 = g.add(l + "attn_residual", i, ao, x);
            String h1 = g.layerNorm(l + "attn_norm", i, r1, p + "sa_layer_norm", eps);
            String up = g.linear(l + "mlp_up", i, h1, p + "ffn.lin1", c.intermediateSize(), true);
            String act = g.activation(l + "mlp_act", i, up, c.activation());
            String down = g.linear(l + "mlp_out", i, act, p + "ffn.lin2", h, true);
            String r2 = g.add(l + "mlp_residual", i, down, h1);
            x = g.layerNorm("hidden." + (i + 1), i, r2, p + "output_layer_norm", eps);
            g.tap(l + "attn_out", ao).tap(l + "mlp_out", down).tap("hidden_states." + (i + 1), x);
        }
        finishEncoder(g, x, h, new Heads(false, heads.sentenceEmbedding()));
        return g.build();
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
