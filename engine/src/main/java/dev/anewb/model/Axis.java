package dev.anewb.model;

/** The sequence axis of an activation: its length is bound when a graph runs or is planned. */
public enum Axis {
    /** The main input's tokens (text tokens, image patches + CLS, decoder tokens). */
    TOKENS,
    /** The encoder's frames in an encoder-decoder model (Whisper: 1500). */
    ENCODER,
    /** One vector per sequence (pooler output, sentence embedding). */
    POOLED,
    /**
     * The rows of a channels-first float input, fixed by the model: image channels of {@code pixel_values}
     * (the value's channels are H·W), mel bins of {@code input_features} (channels are frames).
     */
    FEATURES,
    /** Input frames before a strided front end (Whisper's conv1 output: 3000 frames, ENCODER is half that). */
    FRAMES
}
