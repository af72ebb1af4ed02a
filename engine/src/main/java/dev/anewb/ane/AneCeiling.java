package dev.anewb.ane;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What of a planned model would not stay on the Neural Engine, and what that costs (ESTIMATES): weights beyond
 * the largest model Core ML is known to place on the ANE (the chip's {@code model_weight_limit_mb}: 1 GB per
 * model on iOS, 2 GiB on macOS), which force the model to be split into several Core ML models, one evaluation
 * each; and the ops Core ML runs elsewhere (rules 1, 4, 5), each stretch of them costing two hand-offs and its
 * tensors through DRAM. The CPU/GPU time of those ops is not modeled.
 *
 * @param aneWeightBytes   stored weights of the ops that run on the ANE (the CPU's embedding tables excluded)
 * @param limit            the chip's per-model weight limit with its source
 * @param models           how many Core ML models the ANE part needs (1 when it fits)
 * @param splitCostMs      the extra evaluations and boundary tensors of the split, included in the plan's latency
 * @param offAne           stretches of consecutive ops that run off the ANE
 * @param offAneCostMs     their hand-offs and DRAM crossings (not in the plan's latency, except the embedding's)
 */
public record AneCeiling(long aneWeightBytes, Figure limit, long limitBytes, int models, double splitCostMs,
                         List<OffAne> offAne, double offAneCostMs) {

    /** A stretch of ops Core ML runs off the ANE. */
    public record OffAne(String firstOp, String lastOp, int ops, String reason, long crossingBytes, double handoffMs) {
        public String label() {
            return (ops == 1 ? firstOp : firstOp + " .. " + lastOp + " (" + ops + " ops)") + ": " + reason;
        }
    }

    public AneCeiling {
        offAne = List.copyOf(offAne);
    }

    /** True when all weights fit one model and every op runs on the ANE except the embedding gather (rule 5). */
    public boolean allOnAne() {
        return models == 1 && offAne.stream().allMatch(o -> o.reason().startsWith("rule 5"));
    }

    /** Human lines for the CLI and the Memory area, each with its source. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        String w = AnePlanner.fmtBytes(aneWeightBytes), lim = AnePlanner.fmtBytes(limitBytes);
        if (models == 1) {
            out.add("weights on the ANE " + w + " of at most " + lim + " per Core ML model (" + limit.confidence()
                    + ": " + limit.source() + ")");
        } else {
            out.add(String.format(Locale.ROOT, "weights on the ANE %s exceed %s per Core ML model (%s: %s): split into "
                    + "%d models, +%.2f ms for %d more evaluations and their boundary tensors (included in the "
                    + "latency); unsplit, Core ML would not place the model on the ANE", w, lim, limit.confidence(),
                    limit.source(), models, splitCostMs, models - 1));
        }
        for (OffAne o : offAne) {
            String where = o.reason().startsWith("rule 5") ? " (in the latency)"
                    : " (not in the latency; its CPU/GPU time is not modeled)";
            out.add(String.format(Locale.ROOT, "off the ANE: %s; %s crosses through DRAM, %.3f ms of hand-offs%s",
                    o.label(), AnePlanner.fmtBytes(o.crossingBytes()), o.handoffMs(), where));
        }
        return out;
    }
}
