package dev.anewb.ane;

/**
 * How to plan beyond the conversion itself: planner-only choices that the converter does not apply. None are left:
 * W8A8 became a conversion setting ({@code Conversion.activations}), which the planner reads from the converted
 * graph's linears like every other setting. The parameter stays so that callers passing {@link #DEFAULT} keep
 * compiling.
 */
public record PlanOptions() {
    public static final PlanOptions DEFAULT = new PlanOptions();
}
