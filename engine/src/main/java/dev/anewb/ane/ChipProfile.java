package dev.anewb.ane;

import dev.anewb.AnewbException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One Neural Engine as the planner sees it (spec/ane-model.md chip table). Every figure carries its source
 * and confidence; {@link #sources()} is what a table or chart prints next to an estimate.
 *
 * @param topsBasis             "FP16" or "INT8": what Apple's TOPS figure counts
 * @param int8ActivationSpeedup true from A17 Pro / M4 on: W8A8 runs faster than FP16 (rule 1)
 * @param bufferMb              the on-chip buffer the planner fits working sets into
 * @param bufferOverridden      true when --sram-mb replaced the profile's figure for this run
 */
public record ChipProfile(String name, Figure aneCores, Figure peakTops, String topsBasis, Figure fp16Tflops,
                          boolean int8ActivationSpeedup, Figure dramGbPerS, Figure bufferMb, String notes,
                          CostConstants constants, boolean bufferOverridden) {

    /** FP16 operations per second at 100% efficiency: compute is FP16 (rule 1). */
    public double fp16FlopsPerSecond() { return fp16Tflops.value() * 1e12; }

    public double dramBytesPerSecond() { return dramGbPerS.value() * 1e9; }

    /** The on-chip buffer in bytes (MB here means 2^20 bytes, as the spec's MiB examples do). */
    public long bufferBytes() { return Math.round(bufferMb.value() * (1 << 20)); }

    /** The same chip with the buffer replaced for one run (--sram-mb). */
    public ChipProfile withBufferMb(double mb) {
        if (!(mb > 0)) throw AnewbException.usage("--sram-mb must be positive, got " + mb);
        return new ChipProfile(name, aneCores, peakTops, topsBasis, fp16Tflops, int8ActivationSpeedup, dramGbPerS,
                new Figure(mb, "set for this run (--sram-mb)", "?"), notes, constants, true);
    }

    public ChipProfile withConstants(CostConstants c) {
        return new ChipProfile(name, aneCores, peakTops, topsBasis, fp16Tflops, int8ActivationSpeedup, dramGbPerS, bufferMb,
                notes, c, bufferOverridden);
    }

    /** One line per figure: "peak 15.8 TOPS (A): Apple (A15 Bionic, 2021)". */
    public List<String> figureLines() {
        List<String> out = new ArrayList<>();
        out.add("peak " + peakTops.label() + " TOPS (" + topsBasis + " basis): " + peakTops.source());
        out.add("FP16 compute " + fp16Tflops.label() + " TFLOPS: " + fp16Tflops.source());
        out.add("DRAM " + dramGbPerS.label() + " GB/s: " + dramGbPerS.source());
        out.add("buffer " + bufferMb.label() + " MB: " + bufferMb.source());
        out.add("efficiency " + constants.efficiency().label() + ": " + constants.efficiency().source());
        out.add("per-op overhead " + constants.opOverheadMs().label() + " ms: " + constants.opOverheadMs().source());
        out.add("per-evaluation overhead " + constants.evaluationOverheadMs().label() + " ms: " + constants.evaluationOverheadMs().source());
        out.add("energy " + constants.energyPjPerFlop().label() + " pJ/FLOP, " + constants.energyPjPerDramByte().label()
                + " pJ/DRAM byte, " + constants.energyPjPerSramByte().label() + " pJ/buffer byte (community estimates)");
        return out;
    }

    /** The short source list for a label: distinct sources of the chip's own figures. */
    public String sources() {
        Set<String> s = new LinkedHashSet<>();
        for (Figure f : List.of(peakTops, fp16Tflops, dramGbPerS, bufferMb)) s.add(f.source());
        return String.join("; ", s);
    }

    /** "A15: 15.8 TFLOPS FP16 (A), 34.1 GB/s (D), 4 MB buffer (?)" */
    public String summary() {
        return name + ": " + fp16Tflops.label() + " TFLOPS FP16, " + dramGbPerS.label() + " GB/s DRAM, "
                + bufferMb.label() + " MB buffer";
    }
}
