package dev.anewb.ane;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A {@link PlanResult} with exactly the keys of spec/cli.md ({@code anewb plan --json}). */
public final class PlanJson {
    private PlanJson() { }

    public static ObjectNode toJson(PlanResult r) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("chip", r.chip().name());
        root.set("optimized", totals(r.optimized()));
        root.set("baseline", totals(r.baseline()));
        return root;
    }

    /**
     * {@link #toJson} and what {@code anewb plan --json} adds to the spec's keys: the ANE ceiling (what would not stay
     * on the Neural Engine) and, for a profile calibrated on the user's measurement, that calibration.
     */
    public static ObjectNode withCeiling(PlanResult r) {
        ObjectNode root = toJson(r);
        root.set("ane_ceiling", ceilingJson(r.ceiling()));
        if (r.chip().calibration() != null) root.set("chip_calibration", calibrationJson(r.chip().calibration()));
        return root;
    }

    private static ObjectNode ceilingJson(AneCeiling c) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("ane_weight_bytes", c.aneWeightBytes());
        n.put("model_weight_limit_bytes", c.limitBytes());
        n.put("models", c.models());
        n.put("split_cost_ms", c.splitCostMs());
        n.put("off_ane_cost_ms", c.offAneCostMs());
        ArrayNode off = n.putArray("off_ane");
        for (AneCeiling.OffAne o : c.offAne()) {
            ObjectNode x = off.addObject();
            x.put("first_op", o.firstOp());
            x.put("last_op", o.lastOp());
            x.put("ops", o.ops());
            x.put("reason", o.reason());
            x.put("crossing_bytes", o.crossingBytes());
            x.put("handoff_ms", o.handoffMs());
        }
        ArrayNode lines = n.putArray("lines");
        c.lines().forEach(lines::add);
        return n;
    }

    private static ObjectNode calibrationJson(DeviceCalibration c) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("based_on", c.basedOn());
        n.put("workload", c.workload());
        n.put("measured_ms", c.measuredMs());
        n.put("estimated_ms", c.estimatedMs());
        n.put("estimated_before_ms", c.estimatedBeforeMs());
        n.put("scale", c.scale());
        return n;
    }

    static ObjectNode totals(PlanTotals t) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("latency_ms", t.latencyMs());
        n.put("peak_sram_bytes", t.peakSramBytes());
        n.put("dram_bytes", t.dramBytes());
        n.put("energy_mj", t.energyMj());
        n.put("peak_dram_bytes", t.peakDramBytes());
        ArrayNode ops = n.putArray("ops");
        for (OpPlan o : t.ops()) {
            ObjectNode op = ops.addObject();
            op.put("name", o.name());
            op.put("kind", o.kind());
            op.put("flops", o.flops());
            ObjectNode sram = op.putObject("sram_bytes");
            for (BufferKind k : BufferKind.values()) sram.put(k.key(), o.sram(k));
            op.put("spill_bytes", o.spillBytes());
            op.put("dram_bytes", o.dramBytes());
            op.put("latency_ms", o.latencyMs());
            op.put("on_ane", o.onAne());
            ArrayNode w = op.putArray("warnings");
            o.warnings().forEach(w::add);
        }
        return n;
    }
}
