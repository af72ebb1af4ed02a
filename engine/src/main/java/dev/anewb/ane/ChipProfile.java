package dev.anewb.ane;

import dev.anewb.AnewbException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One Neural Engine as the planner sees it (spec/ane-model.md chip table). Every figure carries its source
 * and confidence; {@link #sources()} is what a table or chart prints next to an estimate.
 *
 * @param topsBasis             "FP16" or "INT8": what Apple's TOPS figure counts
 * @param int8ActivationSpeedup true from A17 Pro / M4 on: W8A8 runs faster than FP16 (rule 1)
 * @param dramGbPerS            the SoC's DRAM bandwidth (Apple's figure or derived from the memory type)
 * @param aneGbPerS             the bandwidth the ANE was measured to reach (anemll-bench), or null
 * @param bufferMb              the on-chip buffer the planner fits working sets into
 * @param modelWeightLimitMb    the largest weight file Core ML places on the ANE as one model
 * @param bufferOverridden      true when --sram-mb replaced the profile's figure for this run
 * @param calibration           the user's own measurement this profile was calibrated on, or null
 */
public record ChipProfile(String name, Figure aneCores, Figure peakTops, String topsBasis, Figure fp16Tflops,
                          boolean int8ActivationSpeedup, Figure dramGbPerS, Figure aneGbPerS, Figure bufferMb,
                          Figure modelWeightLimitMb, String notes, CostConstants constants, boolean bufferOverridden,
                          DeviceCalibration calibration) {

    /** FP16 operations per second at 100% efficiency: compute is FP16 (rule 1). */
    public double fp16FlopsPerSecond() { return fp16Tflops.value() * 1e12; }

    /** INT8×INT8 operations per second: the INT8-basis TOPS on chips that run them faster, else the FP16 rate. */
    public double int8OpsPerSecond() {
        return int8ActivationSpeedup && topsBasis.equals("INT8") ? peakTops.value() * 1e12 : fp16FlopsPerSecond();
    }

    /** True when the ANE's bandwidth on this chip was measured (else it is a share of the SoC figure). */
    public boolean aneBandwidthMeasured() { return aneGbPerS != null; }

    /** The DRAM bandwidth the planner gives the ANE: the measured figure, else the fitted share of the SoC's. */
    public double dramBytesPerSecond() {
        return aneBandwidthMeasured() ? aneGbPerS.value() * 1e9
                : dramGbPerS.value() * 1e9 * constants.bandwidthUtilization().value();
    }

    /** The calibration factor of the user's measurement (1 when uncalibrated). */
    public double calibrationScale() { return calibration == null ? 1 : calibration.scale(); }

    /** The on-chip buffer in bytes (MB here means 2^20 bytes, as the spec's MiB examples do). */
    public long bufferBytes() { return Math.round(bufferMb.value() * (1 << 20)); }

    /** The per-model weight limit in bytes (MB = 2^20 bytes: the ANE compiler's 2147483648 is 2048 MB). */
    public long modelWeightLimitBytes() { return Math.round(modelWeightLimitMb.value() * (1 << 20)); }

    /** The same chip with the buffer replaced for one run (--sram-mb). */
    public ChipProfile withBufferMb(double mb) {
        if (!(mb > 0)) throw AnewbException.usage("--sram-mb must be positive, got " + mb);
        return new ChipProfile(name, aneCores, peakTops, topsBasis, fp16Tflops, int8ActivationSpeedup, dramGbPerS,
                aneGbPerS, new Figure(mb, "set for this run (--sram-mb)", "?"), modelWeightLimitMb, notes, constants,
                true, calibration);
    }

    public ChipProfile withConstants(CostConstants c) {
        return new ChipProfile(name, aneCores, peakTops, topsBasis, fp16Tflops, int8ActivationSpeedup, dramGbPerS,
                aneGbPerS, bufferMb, modelWeightLimitMb, notes, c, bufferOverridden, calibration);
    }

    /** The same chip as if its ANE bandwidth had not been measured (leave-one-out of a bandwidth row). */
    public ChipProfile withoutAneBandwidth() {
        return new ChipProfile(name, aneCores, peakTops, topsBasis, fp16Tflops, int8ActivationSpeedup, dramGbPerS,
                null, bufferMb, modelWeightLimitMb, notes, constants, bufferOverridden, calibration);
    }

    public ChipProfile withCalibration(DeviceCalibration c) {
        return new ChipProfile(name, aneCores, peakTops, topsBasis, fp16Tflops, int8ActivationSpeedup, dramGbPerS,
                aneGbPerS, bufferMb, modelWeightLimitMb, notes, constants, bufferOverridden, c);
    }

    /** "64.18 GB/s measured on the ANE (E)" or "0.5 x 34.1 GB/s SoC (fitted share, L)" */
    public String bandwidthLabel() {
        if (aneBandwidthMeasured()) return aneGbPerS.label() + " GB/s measured on the ANE";
        Figure u = constants.bandwidthUtilization();
        return u.label() + " x " + dramGbPerS.label() + " GB/s SoC = " + fmt(dramBytesPerSecond() / 1e9) + " GB/s";
    }

    /** One line per figure: "peak 15.8 TOPS (A): Apple (A15 Bionic, 2021)". */
    public List<String> figureLines() {
        CostConstants k = constants;
        List<String> out = new ArrayList<>();
        if (calibration != null) out.add(calibration.label() + " (based on " + calibration.basedOn() + ")");
        out.add("peak " + peakTops.label() + " TOPS (" + topsBasis + " basis): " + peakTops.source());
        out.add("FP16 compute " + fp16Tflops.label() + " TFLOPS: " + fp16Tflops.source());
        out.add("SoC DRAM " + dramGbPerS.label() + " GB/s: " + dramGbPerS.source());
        if (aneBandwidthMeasured()) out.add("ANE bandwidth " + aneGbPerS.label() + " GB/s: " + aneGbPerS.source());
        else out.add("ANE bandwidth " + bandwidthLabel() + ": no measurement for this chip; "
                + k.bandwidthUtilization().source());
        out.add("buffer " + bufferMb.label() + " MB: " + bufferMb.source());
        out.add("largest model on the ANE " + modelWeightLimitMb.label() + " MB of weights: "
                + modelWeightLimitMb.source());
        out.add("efficiency matmul " + k.matmulEfficiency().label() + ", elementwise "
                + k.elementwiseEfficiency().label() + ", reduction " + k.reductionEfficiency().label() + ": "
                + k.matmulEfficiency().source());
        out.add("per-evaluation overhead " + k.evaluationOverheadMs().label() + " ms: "
                + k.evaluationOverheadMs().source());
        out.add("per-op overhead " + k.opOverheadMs().label() + " ms: " + k.opOverheadMs().source());
        out.add("INT8 weight reads x" + k.int8WeightReadFactor().label() + ": " + k.int8WeightReadFactor().source());
        out.add("energy " + k.energyPjPerFlop().label() + " pJ/FLOP, " + k.energyPjPerDramByte().label()
                + " pJ/DRAM byte, " + k.energyPjPerSramByte().label() + " pJ/buffer byte (community estimates)");
        return out;
    }

    /** The short source list for a label: distinct sources of the chip's own figures. */
    public String sources() {
        Set<String> s = new LinkedHashSet<>();
        List<Figure> figures = new ArrayList<>(List.of(peakTops, fp16Tflops, dramGbPerS));
        if (aneGbPerS != null) figures.add(aneGbPerS);
        figures.add(bufferMb);
        for (Figure f : figures) s.add(f.source());
        return String.join("; ", s);
    }

    /** "A15: 15.8 (D) TFLOPS FP16, 17.05 GB/s ANE DRAM (0.5 x 34.1 SoC), 24 (L) MB buffer" */
    public String summary() {
        String bw = aneBandwidthMeasured() ? aneGbPerS.label() + " GB/s ANE DRAM (measured)"
                : fmt(dramBytesPerSecond() / 1e9) + " GB/s ANE DRAM (" + constants.bandwidthUtilization().label()
                + " x " + dramGbPerS.label() + " SoC)";
        return name + ": " + fp16Tflops.label() + " TFLOPS FP16, " + bw + ", " + bufferMb.label() + " MB buffer"
                + (calibration == null ? "" : "; " + calibration.label());
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
