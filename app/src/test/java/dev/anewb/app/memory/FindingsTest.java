package dev.anewb.app.memory;

import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.ChipProfiles;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.PlanResult;
import dev.anewb.api.ModelSession;
import dev.anewb.io.BundledModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The planner's warnings as findings: one per rule, naming every op that breaks it (no toolkit). */
class FindingsTest {
    @Test void everyWarningOfTheSameRuleIsOneFindingWithItsOps() {
        try (ModelSession s = ModelSession.open(BundledModel.ID, JobContext.NONE)) {
            PlanResult p = AnePlanner.plan(s.model().graph(), Conversion.ANE_DEFAULT, ChipProfiles.bundled().get("A15"),
                    1, 128, null);
            List<MemoryViewModel.Finding> f = MemoryViewModel.findingsOf(p.optimized());
            long rule3 = p.optimized().ops().stream().filter(o -> o.warnings().stream()
                    .anyMatch(w -> w.startsWith("rule 3:"))).count();
            MemoryViewModel.Finding r3 = f.stream().filter(x -> x.rule().equals("rule 3")).findFirst().orElseThrow();
            assertEquals(rule3, r3.ops().size(), "every projection with block INT8, once");
            assertEquals(36, r3.ops().size(), "MiniLM: 6 layers × 6 projections");
            for (int i : r3.opIndices()) {
                OpPlan o = p.optimized().ops().get(i);
                assertTrue(r3.ops().contains(o.name()));
            }
            assertEquals("per-block INT8 is not native on the ANE", r3.title());
            assertEquals(f.size(), f.stream().map(MemoryViewModel.Finding::rule).distinct().count());
            int warnings = p.optimized().ops().stream().mapToInt(o -> o.warnings().size()).sum();
            assertEquals(warnings, f.stream().mapToInt(x -> x.ops().size()).sum(), "no warning lost or counted twice");
            assertTrue(r3.opsText().endsWith("and 33 more"), r3.opsText());
        }
    }

    @Test void titlesDropTheFiguresOfOneOp() {
        assertEquals("embedding lookups run on the CPU", MemoryViewModel.title(
                "rule 5: embedding lookups (gather) run on the CPU; the 1.5 MiB table is read there"));
    }
}
