package dev.anewb.ane;

import dev.anewb.model.Conversion;

import java.util.List;

/**
 * One planned configuration (optimized or baseline) of one model on one chip: its ops and the run totals.
 * All figures are ESTIMATES (spec/ane-model.md).
 *
 * @param peakSramBytes   largest buffer occupancy of any op (never above the buffer)
 * @param peakDramBytes   stored weights + the largest set of tensors held in DRAM at once
 * @param weightBytes     stored bytes of every weight (embeddings included)
 * @param evaluations     ANE evaluations per run: 1, or the Core ML models a split needs ({@link AneCeiling})
 * @param ceiling         what would not stay on the ANE, and its cost
 */
public record PlanTotals(Conversion conversion, List<OpPlan> ops, double latencyMs, long peakSramBytes, long dramBytes,
                         double energyMj, long peakDramBytes, long flops, long weightBytes, long spillBytes,
                         int evaluations, AneCeiling ceiling) {
    public PlanTotals {
        ops = List.copyOf(ops);
    }

    public OpPlan op(String name) {
        for (OpPlan o : ops) if (o.name().equals(name)) return o;
        throw new IllegalArgumentException("no planned op " + name);
    }

    /** The run's latency priced on {@code chip} (other constants, same plan): what a fit re-evaluates. */
    public double latencyMs(ChipProfile chip) { return CostModel.runMs(ops, evaluations, chip); }

    public long sram(BufferKind kind) {
        long m = 0;
        for (OpPlan o : ops) m = Math.max(m, o.sram(kind));
        return m;
    }
}
