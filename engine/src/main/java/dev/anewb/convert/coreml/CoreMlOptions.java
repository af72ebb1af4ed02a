package dev.anewb.convert.coreml;

import dev.anewb.AnewbException;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * How a converted model becomes a Core ML package; the conversion itself (layout, precision, INT8, chunking) comes
 * from the model's {@link dev.anewb.model.Conversion}.
 *
 * @param sequence     the token sequence length of text models (vision and audio models have their own length)
 * @param minimumOs    the deployment target to declare, or null for the lowest the program's ops allow; an
 *                     explicit target below what the ops need is refused
 * @param fp16Io       FP16 inputs and outputs instead of FP32 ones cast at the boundary
 * @param force        replace an existing package
 * @param driftSummary optional measured drift, recorded in the model's user-defined metadata (may be empty)
 * @param kvCache      0 for a plain forward pass; else a decoder's step after a KV cache of this many positions,
 *                     explicit inputs ({@code past_key_i}, {@code past_value_i}), with the step's own keys and
 *                     values as outputs ({@code new_key_i}, {@code new_value_i}); {@code sequence} is then the
 *                     step's new tokens
 * @param decoder      an encoder-decoder model's (Whisper's) decoder, reading each layer's cross-attention keys and
 *                     values as inputs; false: its encoder, which also outputs them
 * @param license      the source model's license as its model card names it, recorded as the package's license
 *                     ("" when unknown)
 */
public record CoreMlOptions(Sequence sequence, CoreMlTarget minimumOs, boolean fp16Io, boolean force,
                            Map<String, String> driftSummary, int kvCache, boolean decoder, String license) {
    /** Sequence length of the ANE default export. */
    public static final int DEFAULT_SEQUENCE = 128;

    public static final CoreMlOptions DEFAULT =
            new CoreMlOptions(Sequence.fixed(DEFAULT_SEQUENCE), null, false, false, Map.of());

    public CoreMlOptions {
        driftSummary = driftSummary == null ? Map.of() : Map.copyOf(driftSummary);
        license = license == null ? "" : license;
        if (kvCache < 0) throw AnewbException.usage("KV cache of " + kvCache + " positions");
    }

    /** A plain forward pass (no KV cache), an encoder-decoder model's encoder. */
    public CoreMlOptions(Sequence sequence, CoreMlTarget minimumOs, boolean fp16Io, boolean force,
                         Map<String, String> driftSummary) {
        this(sequence, minimumOs, fp16Io, force, driftSummary, 0, false, "");
    }

    public CoreMlOptions withSequence(Sequence s) {
        return new CoreMlOptions(s, minimumOs, fp16Io, force, driftSummary, kvCache, decoder, license);
    }

    public CoreMlOptions withMinimumOs(CoreMlTarget t) {
        return new CoreMlOptions(sequence, t, fp16Io, force, driftSummary, kvCache, decoder, license);
    }

    public CoreMlOptions withFp16Io(boolean on) {
        return new CoreMlOptions(sequence, minimumOs, on, force, driftSummary, kvCache, decoder, license);
    }

    public CoreMlOptions withForce(boolean on) {
        return new CoreMlOptions(sequence, minimumOs, fp16Io, on, driftSummary, kvCache, decoder, license);
    }

    public CoreMlOptions withDriftSummary(Map<String, String> d) {
        return new CoreMlOptions(sequence, minimumOs, fp16Io, force, d, kvCache, decoder, license);
    }

    public CoreMlOptions withLicense(String l) {
        return new CoreMlOptions(sequence, minimumOs, fp16Io, force, driftSummary, kvCache, decoder, l);
    }

    /** A decoding step of {@code newTokens} tokens after a KV cache of {@code cachePositions} positions. */
    public CoreMlOptions withKvCache(int cachePositions, int newTokens) {
        if (cachePositions < 1) {
            throw AnewbException.usage("a KV cache needs at least 1 position, not " + cachePositions);
        }
        return new CoreMlOptions(Sequence.fixed(newTokens), minimumOs, fp16Io, force, driftSummary, cachePositions,
                decoder, license);
    }

    /** An encoder-decoder model's decoder (true) or encoder (false, the default). */
    public CoreMlOptions withDecoder(boolean on) {
        return new CoreMlOptions(sequence, minimumOs, fp16Io, force, driftSummary, kvCache, on, license);
    }

    /**
     * The sequence axis of text inputs: one fixed length; a range {@code [min, max]} (Core ML's RangeDim); or a list
     * of lengths (enumerated shapes, the form the Neural Engine runs). The default shape has {@code length} positions.
     *
     * @param sizes the enumerated lengths, ascending; empty for a fixed length or a range
     */
    public record Sequence(int length, int min, int max, List<Integer> sizes) {
        public Sequence {
            sizes = List.copyOf(sizes);
            if (min < 1 || length < min || length > max) {
                throw AnewbException.usage("sequence length " + length + " with range " + min + ".." + max
                        + ": need 1 ≤ min ≤ length ≤ max");
            }
        }

        public static Sequence fixed(int length) {
            if (length < 1) throw AnewbException.usage("sequence length " + length + " must be at least 1");
            return new Sequence(length, length, length, List.of());
        }

        /** A RangeDim of {@code min..max} positions; the default shape takes {@code max}. */
        public static Sequence range(int min, int max) {
            if (min < 1 || max < min) {
                throw AnewbException.usage("sequence range " + min + ".." + max + ": need 1 ≤ MIN ≤ MAX");
            }
            return new Sequence(max, min, max, List.of());
        }

        /** Enumerated lengths; the default shape takes the longest. */
        public static Sequence enumerated(int... lengths) {
            TreeSet<Integer> s = new TreeSet<>();
            for (int n : lengths) {
                if (n < 1) throw AnewbException.usage("sequence length " + n + " must be at least 1");
                s.add(n);
            }
            if (s.size() < 2) return fixed(s.isEmpty() ? 0 : s.first());
            return new Sequence(s.last(), s.first(), s.last(), List.copyOf(s));
        }

        /** Parses "N", "MIN..MAX" or "N1,N2,...". */
        public static Sequence parse(String s) {
            try {
                int dots = s.indexOf("..");
                if (dots >= 0) {
                    int min = Integer.parseInt(s.substring(0, dots).strip());
                    return range(min, Integer.parseInt(s.substring(dots + 2).strip()));
                }
                if (s.contains(",")) {
                    String[] parts = s.split(",");
                    int[] n = new int[parts.length];
                    for (int i = 0; i < n.length; i++) n[i] = Integer.parseInt(parts[i].strip());
                    return enumerated(n);
                }
                return fixed(Integer.parseInt(s.strip()));
            } catch (NumberFormatException e) {
                throw AnewbException.usage("sequence \"" + s + "\": expected N, MIN..MAX or N1,N2,...");
            }
        }

        public boolean flexible() { return min != max; }

        /** "128", "8..256" or "16,32,64". */
        public String text() {
            if (!sizes.isEmpty()) return String.join(",", sizes.stream().map(String::valueOf).toList());
            return flexible() ? min + ".." + max : String.valueOf(length);
        }
    }
}
