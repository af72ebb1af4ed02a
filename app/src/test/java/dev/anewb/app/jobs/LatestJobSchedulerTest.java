package dev.anewb.app.jobs;

import dev.anewb.job.Job;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** Latest wins, with what a job streams: its partial results arrive in order, a superseded job's never do. */
@ExtendWith(ApplicationExtension.class)
class LatestJobSchedulerTest {
    private final FxJobs jobs = new FxJobs();

    @AfterEach void close() { jobs.close(); }

    @Test void partialsArriveInOrderAndOnlyFromTheLatestRequest(FxRobot robot) throws Exception {
        LatestJobScheduler<String> s = new LatestJobScheduler<>(jobs, "test");
        List<String> partials = new CopyOnWriteArrayList<>();
        List<String> results = new CopyOnWriteArrayList<>();
        CountDownLatch firstStarted = new CountDownLatch(1), release = new CountDownLatch(1);
        robot.interact(() -> {
            // the first job sends one partial, then waits until a newer request has replaced it
            s.request((Consumer<String> sink) -> (Job<String>) ctx -> {
                sink.accept("old 1");
                firstStarted.countDown();
                release.await(10, TimeUnit.SECONDS);
                sink.accept("old 2");
                return "old";
            }, partials::add, results::add);
            assertTrue(s.isComputing(), "an idle scheduler starts at once");
        });
        assertTrue(firstStarted.await(10, TimeUnit.SECONDS));
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(List.of("old 1"), partials, "while it is the latest, its partials are shown");
        robot.interact(() -> s.request((Consumer<String> sink) -> (Job<String>) ctx -> {
            for (int i = 1; i <= 3; i++) sink.accept("new " + i);
            return "new";
        }, partials::add, results::add));
        release.countDown();
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> !s.isComputing());
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(List.of("old 1", "new 1", "new 2", "new 3"), partials);
        assertEquals(List.of("new"), results, "the replaced job's result is dropped");
    }

    @Test void aBusySchedulerDebouncesToTheLastRequest(FxRobot robot) throws Exception {
        LatestJobScheduler<Integer> s = new LatestJobScheduler<>(jobs, "test");
        List<Integer> built = new CopyOnWriteArrayList<>(), results = new CopyOnWriteArrayList<>();
        robot.interact(() -> {
            for (int i = 0; i < 5; i++) {
                int n = i;
                s.request(() -> {
                    built.add(n);
                    return ctx -> n;
                }, results::add);
            }
        });
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> !s.isComputing());
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(List.of(0, 4), built, "the first starts at once, the rest wait and only the last is built");
        assertEquals(List.of(4), results);
    }
}
