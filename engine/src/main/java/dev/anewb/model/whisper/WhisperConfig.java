package dev.anewb.model.whisper;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.model.ModelConfig;

/**
 * config.json of Whisper ({@code WhisperForConditionalGeneration}): a conv front end and pre-LN encoder over
 * {@code maxSourcePositions} frames (30 s), and a pre-LN decoder with cross-attention and a head tied to the
 * token embedding. Layers are numbered encoder first (0..E−1), then decoder (E..E+D−1), so {@link #numLayers()}
 * counts both.
 */
public record WhisperConfig(String architecture, int hiddenSize, int encoderLayers, int decoderLayers, int encoderHeads,
                            int decoderHeads, int encoderFfn, int decoderFfn, int vocabSize, int maxSourcePositions,
                            int maxTargetPositions, int numMelBins, String activation,
                                    JsonNode raw) implements ModelConfig {
    @Override public String modelType() { return "whisper"; }

    @Override public int numLayers() { return encoderLayers + decoderLayers; }

    @Override public int numHeads() { return encoderHeads; }

    @Override public int intermediateSize() { return encoderFfn; }

    /** The decoder's context (decoder_input_ids positions). */
    @Override public int maxPositions() { return maxTargetPositions; }

    /** The decoder generates text with a KV cache. */
    @Override public boolean isCausal() { return true; }

    /** Mel frames the encoder takes: conv2 halves them to {@link #maxSourcePositions()}. */
    public int inputFrames() { return 2 * maxSourcePositions; }

    /** transformers' layer-norm epsilon for Whisper (nn.LayerNorm default). */
    public static final float LAYER_NORM_EPS = 1e-5f;
}
