package dev.anewb.app.run;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Run area's times: warm passes for a fast model (their median), the first pass alone for a slow one. */
class RunTimingTest {
    @Test
    void aFastModelIsTimedByTheMedianOfItsWarmPasses() {
        long[] warm = {9_000_000L, 3_000_000L, 5_000_000L, 4_000_000L, 7_000_000L};
        AtomicInteger calls = new AtomicInteger();
        long t = RunViewModel.warmNanos(40_000_000L, () -> warm[calls.getAndIncrement()]);
        assertEquals(RunViewModel.WARM_PASSES, calls.get());
        assertEquals(5_000_000L, t);
    }

    @Test
    void aSlowModelIsTimedOnceAndNotRunAgain() {
        AtomicInteger calls = new AtomicInteger();
        long first = RunViewModel.WARM_BUDGET_NANOS;
        assertEquals(first, RunViewModel.warmNanos(first, () -> { calls.incrementAndGet(); return 1L; }));
        assertEquals(0, calls.get());
    }

    @Test
    void warmPassesStopAtTheBudget() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        RunViewModel.warmNanos(1_000_000L, () -> {
            calls.incrementAndGet();
            try {
                Thread.sleep(RunViewModel.WARM_BUDGET_NANOS / 1_000_000L / 2 + 20);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return 1L;
        });
        assertEquals(2, calls.get(), "each pass takes over half the budget: two fit, not five");
    }
}
