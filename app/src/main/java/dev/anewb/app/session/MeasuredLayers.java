package dev.anewb.app.session;

import dev.anewb.model.LayerRange;
import dev.anewb.model.ModelGraph;

/**
 * Which layers the areas measure by default: every layer, except in a large model (over a billion parameters and
 * more than {@link #LARGE_MODEL_LAYERS} layers), where a slider move converts and runs only the first
 * {@link #LARGE_MODEL_LAYERS}. Drift's default range; Sweep and Graph measure the same.
 */
public final class MeasuredLayers {
    /** Models above this many parameters measure their first layers unless asked for more. */
    public static final long LARGE_MODEL_PARAMETERS = 1_000_000_000L;
    /** How many layers a large model measures by default. */
    public static final int LARGE_MODEL_LAYERS = 4;

    private MeasuredLayers() { }

    public static boolean large(ModelGraph g) {
        return g.parameterCount() > LARGE_MODEL_PARAMETERS && g.layerCount() > LARGE_MODEL_LAYERS;
    }

    /** The layers measured by default: null (all) for most models, the first {@link #LARGE_MODEL_LAYERS} else. */
    public static LayerRange byDefault(ModelGraph g) {
        return large(g) ? new LayerRange(0, LARGE_MODEL_LAYERS - 1) : null;
    }
}
