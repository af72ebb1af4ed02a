package dev.anewb.convert.coreml;

import dev.anewb.AnewbException;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;
import dev.anewb.quant.BlockQuantizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.StringJoiner;
import java.util.TreeSet;

/**
 * The INT8 block sizes Core ML can express for a model. {@code constexpr_blockwise_shift_scale} derives the block
 * size as input channels ÷ scales per row, so every block must be whole: a size B works for a projection with k
 * input channels when B divides k, or when B ≥ k (one block per row: per-channel). The conversion panel shows
 * {@link #describe()} while a size outside this set is selected; the exporter refuses such a size with it.
 *
 * @param channelCounts  the input channel counts of the quantized projections, ascending
 * @param dividing       the valid sizes below the largest channel count, from
 *                       {@value BlockQuantizer#MIN_BLOCK_SIZE} up
 * @param perChannelFrom every size from this one up is per-channel for every projection (the largest channel count)
 */
public record CoreMlBlockSizes(List<Integer> channelCounts, List<Integer> dividing, int perChannelFrom) {
    public CoreMlBlockSizes {
        channelCounts = List.copyOf(channelCounts);
        dividing = List.copyOf(dividing);
    }

    /**
     * The valid sizes for a graph's projections: those with an INT8 scheme in a converted graph, every projection
     * (role PROJECTION, what the converter quantizes) in an original one.
     */
    public static CoreMlBlockSizes of(ModelGraph graph) {
        boolean converted = !graph.conversion().isOriginal() && graph.conversion().int8();
        TreeSet<Integer> ks = new TreeSet<>();
        for (WeightInfo w : graph.weights().values()) {
            if (converted ? w.quant() != null : w.role() == WeightRole.PROJECTION) ks.add((int) w.shape()[1]);
        }
        return of(ks);
    }

    static CoreMlBlockSizes of(SortedSet<Integer> ks) {
        if (ks.isEmpty()) return new CoreMlBlockSizes(List.of(), List.of(), BlockQuantizer.MIN_BLOCK_SIZE);
        int max = ks.last();
        List<Integer> ok = new ArrayList<>();
        for (int b = BlockQuantizer.MIN_BLOCK_SIZE; b < max; b++) if (fits(b, ks)) ok.add(b);
        return new CoreMlBlockSizes(new ArrayList<>(ks), ok, Math.max(max, BlockQuantizer.MIN_BLOCK_SIZE));
    }

    private static boolean fits(int b, Iterable<Integer> ks) {
        for (int k : ks) if (b < k && k % b != 0) return false;
        return true;
    }

    /** True when Core ML can express block size {@code b} for every projection. */
    public boolean valid(int b) {
        return b >= perChannelFrom || dividing.contains(b);
    }

    /** The valid size nearest to {@code b} (the smaller one on a tie). */
    public int nearest(int b) {
        if (valid(b)) return b;
        int best = perChannelFrom;
        for (int d : dividing) {
            int distance = Math.abs(d - b), bestDistance = Math.abs(best - b);
            if (distance < bestDistance || distance == bestDistance && d < best) best = d;
        }
        return best;
    }

    /** "8, 16, 32, 64, 128, 192 or ≥ 1536 (per-channel)". */
    public String describe() {
        StringJoiner j = new StringJoiner(", ");
        for (int d : dividing) j.add(String.valueOf(d));
        String per = "≥ " + perChannelFrom + " (per-channel)";
        return dividing.isEmpty() ? per : j + " or " + per;
    }

    /** The one-line refusal for a size Core ML cannot express. */
    AnewbException refusal(String weight, int block, int k) {
        return AnewbException.usage("block size " + block + " does not divide the " + k + " input channels of " + weight
                + ", and Core ML needs whole blocks: valid block sizes for this model are " + describe());
    }
}
