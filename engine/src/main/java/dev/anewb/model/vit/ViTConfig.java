package dev.anewb.model.vit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.model.ModelConfig;

/**
 * config.json of ViT ({@code ViTModel}, {@code ViTForImageClassification}): a pre-LN encoder over
 * {@code (imageHeight / patch) · (imageWidth / patch)} patches plus the CLS token.
 *
 * @param poolerSize output width of the pooler dense (transformers' {@code pooler_output_size}, default hidden)
 */
public record ViTConfig(String architecture, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
        String activation,
                        float layerNormEps, int imageHeight, int imageWidth, int patch, int channels, boolean qkvBias,
                                int poolerSize,
                        String poolerAct, JsonNode raw) implements ModelConfig {
    @Override public String modelType() { return "vit"; }

    @Override public int vocabSize() { return 0; }

    public int patches() { return (imageHeight / patch) * (imageWidth / patch); }

    /** Tokens the encoder sees: one per patch and the CLS token. */
    @Override public int maxPositions() { return patches() + 1; }
}
