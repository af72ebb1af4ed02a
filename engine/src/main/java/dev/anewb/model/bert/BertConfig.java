package dev.anewb.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.model.ModelConfig;

/** config.json of BERT-family encoders (BertModel, sentence-transformers MiniLM). */
public record BertConfig(String architecture, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                         int vocabSize, int maxPositions, int typeVocabSize, String activation, float layerNormEps,
                         int padTokenId, JsonNode raw) implements ModelConfig {
    @Override public String modelType() { return "bert"; }
}
