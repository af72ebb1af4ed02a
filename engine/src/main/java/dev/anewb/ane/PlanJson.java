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
