package dev.anewb.ane;

import java.util.ArrayList;
import java.util.List;

/**
 * The simulator's answer for one model, conversion, chip, batch and sequence length: the optimized plan and
 * the baseline (HF layout, batched heads with their copies, FP16, no quantization, no chunking), and their
 * ratios. Every figure is an ESTIMATE; {@link #label()} says so and names the chip's sources.
 */
public record PlanResult(ChipProfile chip, int batch, int seq, Phase phase, PlanOptions options, PlanTotals optimized,
                         PlanTotals baseline) {

    /** baseline / optimized: how many times faster the optimized plan is estimated to run. */
    public double speedup() { return baseline.latencyMs() / optimized.latencyMs(); }

    /** baseline / optimized peak DRAM footprint. */
    public double memoryReduction() { return (double) baseline.peakDramBytes() / optimized.peakDramBytes(); }

    public double dramTrafficReduction() { return (double) baseline.dramBytes() / optimized.dramBytes(); }

    public String label() {
        return "ESTIMATE (simulated, not measured) for " + chip.summary() + "; sources: " + chip.sources();
    }

    /** What would not stay on the ANE in the optimized plan. */
    public AneCeiling ceiling() { return optimized.ceiling(); }

    /** Every warning of the optimized plan, "op: text", without repeats of the same text. */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (OpPlan o : optimized.ops()) {
            for (String w : o.warnings()) {
                if (!seen.contains(w)) { seen.add(w); out.add(o.name() + ": " + w); }
            }
        }
        return out;
    }
}
