package dev.anewb.ane;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The estimate for one dispatched op (a graph op, or a layout copy the baseline inserts): FLOPs, on-chip
 * buffer occupancy by kind (never above the buffer), bytes re-streamed because the working set was tiled,
 * DRAM bytes, latency and energy. All figures are ESTIMATES from shapes and a chip profile.
 *
 * @param work       FLOPs per op class and DRAM bytes, as {@link CostModel} prices them
 * @param tiles      1 when the working set fits the buffer, else how many pieces it was cut into
 * @param dramScratchBytes bytes the op materializes in DRAM while it runs (spilled scores and probabilities)
 */
public record OpPlan(String name, String kind, int layer, OpWork work, Map<BufferKind, Long> sramBytes, long tiles,
                     long spillBytes, long dramScratchBytes, double latencyMs, double energyMj,
                     boolean onAne, List<String> warnings) {

    public OpPlan {
        EnumMap<BufferKind, Long> m = new EnumMap<>(BufferKind.class);
        for (BufferKind k : BufferKind.values()) m.put(k, sramBytes.getOrDefault(k, 0L));
        sramBytes = Collections.unmodifiableMap(m);
        warnings = List.copyOf(warnings);
    }

    public long flops() { return work.flops(); }

    public long dramBytes() { return work.dramBytes(); }

    public long sramTotal() {
        long s = 0;
        for (long v : sramBytes.values()) s += v;
        return s;
    }

    public long sram(BufferKind k) { return sramBytes.get(k); }
}
