package dev.anewb.fuzz;

import dev.anewb.AnewbException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bounded mutation fuzzing of every reader of untrusted files, seeded from the fixtures. Each try must parse or
 * throw {@link AnewbException} within {@code anewb.fuzz.ms} (default 5000) ms. The normal suite runs
 * {@code anewb.fuzz.tries} (default 150) tries per reader with a fixed seed; a longer run:
 * {@code ./mvnw -pl engine test -Dtest=ReaderFuzzTest -Danewb.fuzz.tries=20000 -Danewb.fuzz.seed=$RANDOM
 * -Danewb.test.xmx=768m}.
 * A failing input is saved under {@code target/fuzz-failures/} and becomes a regression test.
 */
class ReaderFuzzTest {
    static final List<String> READERS = ReaderTargets.NAMES;
    private static final ExecutorService WORKER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-worker");
        t.setDaemon(true);
        return t;
    });

    @AfterAll static void stop() { WORKER.shutdownNow(); }

    /** Long runs keep each input in {@code target/fuzz-failures/last-READER.bin} until the next one (set by the tries
     * count).
     */
    static final boolean KEEP_LAST = Integer.getInteger("anewb.fuzz.tries", 150) > 1000;

    static Path lastInput(String reader) throws IOException {
        Path dir = Files.createDirectories(Path.of("target", "fuzz-failures"));
        return dir.resolve("last-" + reader + ".bin");
    }

    static final Pattern AT_LIMITS = Pattern.compile(
            "beyond what any model has|beyond what the simulator counts|declares \\d+x\\d+ pixels");

    @ParameterizedTest
    @FieldSource("READERS")
    void parsesOrRefusesWithAMessage(String reader) throws Exception {
        ReaderTargets.Target target = ReaderTargets.get(reader);
        // The harness must reach the reader's real work: every unmutated seed parses.
        for (byte[] seed : target.seeds()) target.run(seed);
        int tries = Integer.getInteger("anewb.fuzz.tries", 150);
        // The tokenizer goes through native code and costs ~20 ms a try: fewer tries keep the suite short.
        if (reader.equals("tokenizer")) tries = Math.max(1, tries / 3);
        long budgetMs = Long.getLong("anewb.fuzz.ms", 5000);
        long seed = Long.getLong("anewb.fuzz.seed", 11L) * 31 + reader.hashCode();
        Random rnd = new Random(seed);
        Mutator.Choices choices = new Mutator.Choices() {
            @Override public int pick(int bound) { return rnd.nextInt(bound); }
            @Override public long anyLong() { return rnd.nextLong(); }
        };
        int refused = 0, atLimits = 0;
        List<String> samples = new ArrayList<>();
        long slowest = 0, start = System.nanoTime();
        for (int i = 0; i < tries; i++) {
            byte[] input = Mutator.mutate(target.seeds(), choices);
            // A crash in native code (the tokenizer library) ends the JVM before any catch: keep the input on disk
            // first.
            if (KEEP_LAST) Files.write(lastInput(reader), input);
            long t0 = System.nanoTime();
            Future<?> f = WORKER.submit(() -> { target.run(input); return null; });
            try {
                f.get(budgetMs, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof AnewbException)) failWith(reader, i, input, e.getCause());
                if (e.getCause().getMessage().contains("\n")) failWith(reader, i, input,
                        new AssertionError("message of several lines: " + e.getCause().getMessage()));
                if (samples.size() < 4) samples.add(e.getCause().getMessage().replace(target.folder().toString(),
                        "DIR"));
                // issue 17: the size ceilings of config.json, the planner's 64-bit bound, the image pixel limit
                if (AT_LIMITS.matcher(e.getCause().getMessage()).find()) atLimits++;
                refused++;
            } catch (TimeoutException e) {
                f.cancel(true);
                failWith(reader, i, input, new AssertionError("took more than " + budgetMs + " ms"));
            }
            slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
        }
        System.out.printf("fuzz %-11s %6d tries in %6d ms: %d refused with a message (%d at a size limit), %d parsed,"
                + " slowest %d ms (seed %d)%n", reader, tries, (System.nanoTime() - start) / 1_000_000, refused,
                        atLimits,
                tries - refused, slowest, seed);
        samples.forEach(m -> System.out.println("    e.g. " + (m.length() > 200 ? m.substring(0, 200) + "…" : m)));
    }

    private static void failWith(String reader, int i, byte[] input, Throwable t) throws IOException {
        Path dir = Path.of("target", "fuzz-failures");
        Files.createDirectories(dir);
        Path saved = dir.resolve(reader + "-" + i + ".bin");
        Files.write(saved, input);
        fail(reader + " try " + i + " threw " + t + " instead of an AnewbException; input saved to "
                + saved.toAbsolutePath(), t);
    }
}
