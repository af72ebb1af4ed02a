package dev.anewb.convert.coreml;

import dev.anewb.AnewbException;

import java.util.Map;

/**
 * How a converted model becomes a Core ML package; the conversion itself (layout, precision, INT8, chunking) comes
 * from the model's {@link dev.anewb.model.Conversion}.
 *
 * @param sequence     the token sequence length of text models (vision and audio models have their own fixed length)
 * @param minimumOs    the deployment target to declare, or null for the lowest the program's ops allow; an explicit
 *                     target below what the ops need is refused
 * @param fp16Io       FP16 inputs and outputs instead of FP32 ones cast at the boundary
 * @param force        replace an existing package
 * @param driftSummary optional measured drift, recorded in the model's user-defined metadata (may be empty)
 */
public record CoreMlOptions(Sequence sequence, CoreMlTarget minimumOs, boolean fp16Io, boolean force, Map<String, String> driftSummary) {
    /** Sequence length of the ANE default export. */
    public static final int DEFAULT_SEQUENCE = 128;

    public static final CoreMlOptions DEFAULT = new CoreMlOptions(Sequence.fixed(DEFAULT_SEQUENCE), null, false, false, Map.of());

    public CoreMlOptions {
        driftSummary = driftSummary == null ? Map.of() : Map.copyOf(driftSummary);
    }

    public CoreMlOptions withSequence(Sequence s) { return new CoreMlOptions(s, minimumOs, fp16Io, force, driftSummary); }

    public CoreMlOptions withMinimumOs(CoreMlTarget t) { return new CoreMlOptions(sequence, t, fp16Io, force, driftSummary); }

    public CoreMlOptions withFp16Io(boolean on) { return new CoreMlOptions(sequence, minimumOs, on, force, driftSummary); }

    public CoreMlOptions withForce(boolean on) { return new CoreMlOptions(sequence, minimumOs, fp16Io, on, driftSummary); }

    public CoreMlOptions withDriftSummary(Map<String, String> d) { return new CoreMlOptions(sequence, minimumOs, fp16Io, force, d); }

    /**
     * The sequence axis of text inputs: one fixed length, or a range {@code [min, max]} (Core ML's RangeDim) whose
     * default shape has {@code length} positions.
     */
    public record Sequence(int length, int min, int max) {
        public Sequence {
            if (min < 1 || length < min || length > max) {
                throw AnewbException.usage("sequence length " + length + " with range " + min + ".." + max
                        + ": need 1 ≤ min ≤ length ≤ max");
            }
        }

        public static Sequence fixed(int length) {
            if (length < 1) throw AnewbException.usage("sequence length " + length + " must be at least 1");
            return new Sequence(length, length, length);
        }

        /** A RangeDim of {@code min..max} positions; the default shape takes {@code max}. */
        public static Sequence range(int min, int max) {
            if (min < 1 || max < min) throw AnewbException.usage("sequence range " + min + ".." + max + ": need 1 ≤ MIN ≤ MAX");
            return new Sequence(max, min, max);
        }

        /** Parses "N" or "MIN..MAX". */
        public static Sequence parse(String s) {
            try {
                int dots = s.indexOf("..");
                if (dots < 0) return fixed(Integer.parseInt(s.strip()));
                return range(Integer.parseInt(s.substring(0, dots).strip()), Integer.parseInt(s.substring(dots + 2).strip()));
            } catch (NumberFormatException e) {
                throw AnewbException.usage("sequence \"" + s + "\": expected N or MIN..MAX");
            }
        }

        public boolean flexible() { return min != max; }
    }
}
