package dev.anewb.app.jobs;

import dev.anewb.AnewbException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Failures reach the user, except those of a job that was cancelled, even after it had already thrown. */
@ExtendWith(ApplicationExtension.class)
class FxJobsTest {
    private final FxJobs jobs = new FxJobs();

    @AfterEach void close() { jobs.close(); }

    @Test void aFailureIsKeptForTheUser(FxRobot robot) throws Exception {
        robot.interact(() -> jobs.submit("Measure", ctx -> {
            throw AnewbException.usage("broken input");
        }, null));
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> jobs.running().isEmpty());
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(List.of("Measure: broken input"),
                jobs.failures().stream().map(f -> f.title() + ": " + f.message()).toList());
    }

    @Test void aJobCancelledAfterItThrewIsNotReportedAsFailed(FxRobot robot) throws Exception {
        CountDownLatch threw = new CountDownLatch(1);
        robot.interact(() -> {
            JobView<Object> view = jobs.submit("Measure", ctx -> {
                threw.countDown();
                throw AnewbException.usage("state that no longer fits together");
            }, null);
            // The FX thread is busy while the worker throws: the failure is on its way when the cancel comes, as
            // when a new model's conversion replaces a measurement begun for the old one.
            try {
                assertTrue(threw.await(10, TimeUnit.SECONDS));
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            view.cancel();
        });
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> jobs.running().isEmpty());
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(List.of(), List.copyOf(jobs.failures()));
    }
}
