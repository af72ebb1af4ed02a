package dev.anewb.model;

/**
 * An activation tensor in the graph: [batch, length(axis), channels] in Hugging Face order (B, S, C).
 * The converted layout (B, C, 1, S) is a property of the graph's {@link Conversion}, not of the value.
 */
public record Value(String name, Axis axis, int channels) { }
