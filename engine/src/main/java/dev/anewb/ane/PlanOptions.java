package dev.anewb.ane;

/**
 * How to plan beyond the conversion itself: planner-only choices that the converter does not (yet) apply.
 *
 * @param int8Activations W8A8: activations entering projections are INT8 (static per-tensor, as coremltools'
 *                        {@code linear_quantize_activations} makes them); on chips with the faster INT8×INT8 path
 *                        (A17 Pro, M4 and later) those matmuls run at the INT8 rate, elsewhere only their input
 *                        traffic halves and the plan warns
 */
public record PlanOptions(boolean int8Activations) {
    public static final PlanOptions DEFAULT = new PlanOptions(false);
}
