package dev.anewb.app.memory;

import dev.anewb.app.shell.AreaViewModel;

import java.util.List;

/** State of the Memory area. Until models load it only describes what the area will hold. */
public final class MemoryViewModel extends AreaViewModel {
    public MemoryViewModel(dev.anewb.app.session.Session session) {
        super("Memory",
                "How the model uses the Neural Engine's memory on a chosen chip profile: on-chip SRAM occupancy per op, DRAM traffic when tensors spill, and the latency and energy the planner estimates.",
                List.of("SRAM occupancy timeline over the ops",
                        "DRAM reads and writes per op",
                        "Latency and energy estimates, with the chip profile they come from"),
                "Load a model, or just its config.json, to plan it.");
    }
}
