package dev.anewb.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.model.ModelConfig;

/** config.json of DistilBERT (its own key names: dim, n_layers, n_heads, hidden_dim). LayerNorm eps is fixed at 1e-12
 * in transformers.
 */
public record DistilBertConfig(String architecture, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                               int vocabSize, int maxPositions, String activation, int padTokenId, JsonNode raw)
        implements ModelConfig {
    public static final float LAYER_NORM_EPS = 1e-12f;

    @Override public String modelType() { return "distilbert"; }
}
