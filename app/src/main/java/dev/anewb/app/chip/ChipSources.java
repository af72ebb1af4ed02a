package dev.anewb.app.chip;

import dev.anewb.ane.ChipProfile;
import dev.anewb.ane.CostConstants;
import dev.anewb.ane.DeviceCalibration;
import dev.anewb.ane.Figure;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every figure behind a simulated number, as the sources popover lists it: the chip's own figures and the
 * cost-model constants, each with its value, unit, confidence letter and source text from chips.json.
 */
public final class ChipSources {
    /** One figure: "DRAM bandwidth · 34 GB/s · D · LPDDR4X x64-bit…". */
    public record Row(String figure, String value, String unit, String confidence, String source) { }

    /** What the confidence letters mean (spec/ane-model.md). */
    public static final String CONFIDENCE_LEGEND =
            "A Apple's stated figure · D derived · E community estimate · L low confidence · ? unknown (a documented "
                    + "default you can change)";

    private ChipSources() { }

    public static List<Row> rows(ChipProfile chip) {
        List<Row> out = new ArrayList<>();
        add(out, "ANE cores", chip.aneCores(), "");
        add(out, "Peak (" + chip.topsBasis() + " basis)", chip.peakTops(), "TOPS");
        add(out, "FP16 compute", chip.fp16Tflops(), "TFLOPS");
        add(out, "SoC DRAM bandwidth", chip.dramGbPerS(), "GB/s");
        if (chip.aneGbPerS() != null) add(out, "ANE bandwidth (measured)", chip.aneGbPerS(), "GB/s");
        add(out, "On-chip buffer" + (chip.bufferOverridden() ? " (your override)" : ""), chip.bufferMb(), "MB");
        add(out, "Largest model on the ANE", chip.modelWeightLimitMb(), "MB");
        if (chip.calibration() != null) {
            DeviceCalibration c = chip.calibration();
            add(out, "Your calibration", new Figure(c.scale(), c.label(), "E"), "x throughput");
        }
        CostConstants k = chip.constants();
        add(out, "Matmul efficiency", k.matmulEfficiency(), "of peak");
        add(out, "Elementwise efficiency", k.elementwiseEfficiency(), "of peak");
        add(out, "Reduction efficiency", k.reductionEfficiency(), "of peak");
        if (chip.aneGbPerS() == null) add(out, "ANE share of SoC bandwidth", k.bandwidthUtilization(), "");
        add(out, "Per-op overhead", k.opOverheadMs(), "ms");
        add(out, "Per-evaluation overhead", k.evaluationOverheadMs(), "ms");
        add(out, "INT8 weight reads", k.int8WeightReadFactor(), "x");
        add(out, "CPU hand-off", k.cpuHandoffMs(), "ms");
        add(out, "Energy per FLOP", k.energyPjPerFlop(), "pJ");
        add(out, "Energy per DRAM byte", k.energyPjPerDramByte(), "pJ");
        add(out, "Energy per buffer byte", k.energyPjPerSramByte(), "pJ");
        add(out, "Baseline score last axis", k.baselineScoreLastAxis(), "elements");
        return out;
    }

    private static void add(List<Row> out, String name, Figure f, String unit) {
        out.add(new Row(name, number(f.value()), unit, f.confidence(), f.source()));
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /** "ESTIMATE · A15 (buffer 4 MB ?)": the one-line caption every simulated figure carries. */
    public static String caption(ChipProfile chip) {
        return "estimate · " + chip.name() + " · buffer " + number(chip.bufferMb().value()) + " MB ("
                + chip.bufferMb().confidence() + ")";
    }
}
