package dev.anewb.model.gpt2;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.model.ModelConfig;

/**
 * config.json of GPT-2 ({@code GPT2LMHeadModel}, {@code GPT2Model}).
 *
 * @param scaleAttnWeights           divide scores by √headDim (GPT-2 default true)
 * @param scaleByInverseLayerIdx     also divide layer i's scores by i + 1
 * @param tieWordEmbeddings          lm_head is wte (GPT-2 default true)
 */
public record GPT2Config(String architecture, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                         int vocabSize, int maxPositions, String activation, float layerNormEps,
                                 boolean scaleAttnWeights,
                         boolean scaleByInverseLayerIdx, boolean tieWordEmbeddings,
                                 JsonNode raw) implements ModelConfig {
    @Override public String modelType() { return "gpt2"; }

    @Override public boolean isCausal() { return true; }
}
