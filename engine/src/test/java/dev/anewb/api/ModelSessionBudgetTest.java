package dev.anewb.api;

import dev.anewb.io.BundledModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.runtime.Executor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The session keeps the executors of recent conversions, but not past its budget of prepared weights: a 1B model's
 * INT8 codes per block size would otherwise fill the heap after a few slider moves.
 */
class ModelSessionBudgetTest {
    @Test void executorsBeyondTheBudgetAreDroppedEldestFirst() {
        try (ModelSession s = ModelSession.open(BundledModel.ID, JobContext.NONE)) {
            Conversion b32 = Conversion.ANE_DEFAULT.withInt8(true, 32, false);
            Conversion b64 = Conversion.ANE_DEFAULT.withInt8(true, 64, false);
            var input = s.convert(b32).sampleInput();
            Executor first = s.executor(b32);
            first.run(input, JobContext.NONE);
            assertSame(first, s.executor(b32), "within the budget an executor is kept");
            long one = first.preparedWeightBytes();
            assertTrue(one > 0, "a pass prepares the weights");

            s.preparedBudget(one + one / 2);
            Executor second = s.executor(b64);
            second.run(input, JobContext.NONE);
            assertSame(first, s.executor(b32), "one executor's weights fit; the new one has prepared nothing yet");
            assertSame(second, s.executor(b64));
            Executor third = s.executor(Conversion.ANE_DEFAULT.withInt8(true, 128, false));
            assertNotSame(first, s.executor(b32), "two prepared executors exceed it: the eldest was dropped");
            assertNotNull(third);
            // the dropped conversion still measures, on a new executor: drift is the same number
            List<String> text = List.of("The neural engine.");
            double a = s.convert(b32).drift(text, false, JobContext.NONE).lastHidden().sqnrDb();
            s.preparedBudget(Long.MAX_VALUE);
            double b = s.convert(b32).drift(text, false, JobContext.NONE).lastHidden().sqnrDb();
            assertEquals(a, b);
        }
    }
}
