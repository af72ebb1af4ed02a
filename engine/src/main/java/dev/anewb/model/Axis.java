package dev.anewb.model;

/** The sequence axis of an activation: its length is bound when a graph runs or is planned. */
public enum Axis {
    /** The main input's tokens (text tokens, image patches + CLS, decoder tokens). */
    TOKENS,
    /** The encoder's frames in an encoder-decoder model (Whisper: 1500). */
    ENCODER,
    /** One vector per sequence (pooler output, sentence embedding). */
    POOLED
}
