package dev.anewb.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.Op;

/**
 * config.json of the Llama family: Llama (SmolLM, TinyLlama), Mistral and Qwen2 share one graph and differ in
 * these fields.
 *
 * @param modelType      "llama", "mistral" or "qwen2"
 * @param qkvBias        q/k/v projections have biases (Qwen2 always; Llama with attention_bias)
 * @param outBias        o_proj has a bias (Llama with attention_bias; never Qwen2)
 * @param mlpBias        gate/up/down have biases (Llama mlp_bias)
 * @param slidingWindow  Mistral/Qwen2 sliding-window attention span, 0 when the model attends to all positions
 */
public record LlamaConfig(String modelType, String architecture, int hiddenSize, int numLayers, int numHeads,
        int numKvHeads,
                          int headDim, int intermediateSize, int vocabSize, int maxPositions, String activation,
                          float rmsNormEps, Op.Rope rope, boolean qkvBias, boolean outBias, boolean mlpBias,
                          boolean tieWordEmbeddings, int slidingWindow, JsonNode raw) implements ModelConfig {
    @Override public boolean isCausal() { return true; }
}
