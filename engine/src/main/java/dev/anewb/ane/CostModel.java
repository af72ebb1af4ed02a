package dev.anewb.ane;

/**
 * The latency formula of spec/ane-model.md with per-op-class throughput, in one place: the planner prices every
 * op with it, and the fit ({@link Calibration#fit}) re-prices saved plans with trial constants.
 *
 * <pre>
 * op on the ANE: max(mm / (P_mm·e_mm) + ew / (P·e_ew) + red / (P·e_red), bytes / BW) + per-op overhead
 * CPU hand-off:  cpu_handoff + bytes / BW
 * run:           Σ ops + evaluations · per-evaluation overhead
 * </pre>
 * P is the FP16 peak (the INT8 peak for W8A8 matmuls on chips that have it), BW the ANE's DRAM bandwidth
 * ({@link ChipProfile#dramBytesPerSecond}), bytes count stored INT8 weights times the INT8 read factor. A
 * calibrated profile scales P and BW by the user's factor; the fixed overheads stay.
 */
public final class CostModel {
    private CostModel() { }

    public static double latencyMs(OpWork w, ChipProfile chip) {
        CostConstants k = chip.constants();
        double s = chip.calibrationScale();
        double bytes = w.dramBytes() + (k.int8WeightReadFactor().value() - 1) * w.int8WeightBytes();
        double memory = bytes / (chip.dramBytesPerSecond() * s);
        if (w.cpuHandoff()) return k.cpuHandoffMs().value() + memory * 1e3;
        double peak = chip.fp16FlopsPerSecond() * s;
        double mmPeak = (w.int8Matmul() ? chip.int8OpsPerSecond() : chip.fp16FlopsPerSecond()) * s;
        double compute = w.matmulFlops() / (mmPeak * k.matmulEfficiency().value())
                + w.elementwiseFlops() / (peak * k.elementwiseEfficiency().value())
                + w.reductionFlops() / (peak * k.reductionEfficiency().value());
        return Math.max(compute, memory) * 1e3 + k.opOverheadMs().value();
    }

    /** A whole plan: its ops plus one overhead per evaluation (rule 8). */
    public static double runMs(Iterable<OpPlan> ops, int evaluations, ChipProfile chip) {
        double ms = evaluations * chip.constants().evaluationOverheadMs().value();
        for (OpPlan o : ops) ms += latencyMs(o.work(), chip);
        return ms;
    }
}
