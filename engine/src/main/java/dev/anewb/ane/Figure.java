package dev.anewb.ane;

import java.util.Set;

/**
 * One figure of a chip profile or of the cost model, with where it comes from (spec/ane-model.md):
 * confidence A Apple's stated figure, D derived, E community estimate, L low confidence, ? unknown (a
 * documented default the user can change).
 */
public record Figure(double value, String source, String confidence) {
    public Figure {
        if (!Set.of("A", "D", "E", "L", "?").contains(confidence)) {
            throw new IllegalArgumentException("confidence must be one of A, D, E, L, ?: " + confidence);
        }
    }

    public Figure withValue(double v, String newSource, String newConfidence) {
        return new Figure(v, newSource, newConfidence);
    }

    /** "15.8 (A)" */
    public String label() {
        String v = value == Math.rint(value) && Math.abs(value) < 1e9 ? Long.toString((long) value)
                : Double.toString(value);
        return v + " (" + confidence + ")";
    }
}
