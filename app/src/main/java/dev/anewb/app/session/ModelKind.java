package dev.anewb.app.session;

import dev.anewb.io.LoadedModel;
import dev.anewb.model.ModelGraph;

/** What a model takes and gives, which decides the Run area's form and the conversion panel's sample input. */
public enum ModelKind {
    /** Text encoders (BERT, MiniLM): texts in, embeddings out. */
    TEXT_ENCODER,
    /** Causal language models (GPT-2, Llama family): a prompt in, generated text out. */
    LANGUAGE_MODEL,
    /** Vision transformers: an image in ({@code pixel_values}). */
    VISION,
    /** Whisper: audio in ({@code input_features}), decoded tokens out. */
    SPEECH;

    /** The kind of {@code model}'s graph; null for none. */
    public static ModelKind of(LoadedModel model) {
        if (model == null) return null;
        ModelGraph g = model.graph();
        if (g.values().containsKey(ModelGraph.PIXEL_VALUES)) return VISION;
        if (g.values().containsKey(ModelGraph.INPUT_FEATURES)) return SPEECH;
        return g.config().isCausal() ? LANGUAGE_MODEL : TEXT_ENCODER;
    }
}
