package dev.anewb.model;

import dev.anewb.AnewbException;

/** Transformer blocks {@code from} to {@code to}, both included: the part of a model a drift measurement covers. */
public record LayerRange(int from, int to) {
    public LayerRange {
        if (from < 0 || to < from) throw AnewbException.usage("layers " + from + "-" + to
                + ": expected FROM-TO with 0 <= FROM <= TO");
    }

    /** "3" or "0-3". */
    public static LayerRange parse(String text) {
        String s = text.trim();
        try {
            int dash = s.indexOf('-');
            if (dash < 0) {
                int l = Integer.parseInt(s);
                return new LayerRange(l, l);
            }
            return new LayerRange(Integer.parseInt(s.substring(0, dash).trim()),
                    Integer.parseInt(s.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw AnewbException.usage("--layers " + text + ": expected a layer or a range FROM-TO, e.g. 0-3");
        }
    }

    /** True when the range is every block of {@code graph}. */
    public boolean coversAll(ModelGraph graph) {
        return from == 0 && to >= graph.layerCount() - 1;
    }

    /** The blocks before this range and the range itself: what a reference run needs to reach its end. */
    public LayerRange prefix() {
        return new LayerRange(0, to);
    }

    @Override public String toString() {
        return from == to ? String.valueOf(from) : from + "-" + to;
    }
}
