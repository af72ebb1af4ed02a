package dev.anewb.model;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The typed view of a {@code config.json} that every reader of the graph needs. Each architecture has its
 * own record (BertConfig, DistilBertConfig, ...) made by {@link ConfigLoader}; {@link #raw()} keeps the file.
 */
public interface ModelConfig {
    /** {@code model_type} as transformers names it ("bert", "distilbert", "gpt2", "llama", "vit", "whisper"). */
    String modelType();

    /** The transformers class the graph reproduces, e.g. "BertModel". */
    String architecture();

    int hiddenSize();

    int numLayers();

    int numHeads();

    /** Key/value heads (grouped-query attention); equals {@link #numHeads()} where the model has no GQA. */
    default int numKvHeads() { return numHeads(); }

    default int headDim() { return hiddenSize() / numHeads(); }

    int intermediateSize();

    /** Vocabulary size; 0 for models without one (ViT). */
    int vocabSize();

    /** Positions the model can see; the longest sequence it accepts. */
    int maxPositions();

    /** The activation function name as transformers spells it. */
    String activation();

    /** True for decoders that generate text with a KV cache. */
    default boolean isCausal() { return false; }

    /** The config.json as read. */
    JsonNode raw();
}
