package dev.anewb.hub;

import dev.anewb.job.JobCancelledException;
import dev.anewb.job.JobContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 #16: the blob lock (an fcntl lock) did not exclude Python's filelock (flock), so both downloaded the same
 * blob at once. Two processes of ours, one holding each kind of lock, against BlobLock in this one.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "flock is the POSIX lock; Windows has one kind of file lock")
public class BlobLockTest {
    @TempDir Path tmp;

    /** A child JVM holding {@code kind} on {@code file}; returns once it says "locked". */
    public static Process hold(String kind, Path file) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), kind, file.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("locked", out.readLine(), kind + " holder did not start");
        return p;
    }

    public static void release(Process p) throws Exception {
        try (OutputStream in = p.getOutputStream()) {
            in.write("release\n".getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    }

    /** A context cancelled after {@code millis}: acquire must have waited that long, not returned. */
    static JobContext cancelAfter(long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        return new JobContext() {
            @Override public void progress(double fraction, String message) { }
            @Override public boolean isCancelled() { return System.nanoTime() > end; }
        };
    }

    @Test
    void pythonsKindOfLockFlockExcludesUs() throws Exception {
        Path lock = tmp.resolve(".locks/models--a--b/e1.lock");
        Process python = hold("flock", lock);
        try {
            assertNull(BlobLock.tryAcquire(lock), "held by another process's flock");
            assertThrows(JobCancelledException.class, () -> BlobLock.acquire(lock, cancelAfter(300)));
        } finally {
            release(python);
        }
        try (BlobLock l = BlobLock.acquire(lock, cancelAfter(5000))) {
            assertNotNull(l);
        }
    }

    @Test
    void anOlderAnewbsFcntlLockExcludesUs() throws Exception {
        Path lock = tmp.resolve("e2.lock");
        Process old = hold("fcntl", lock);
        try {
            assertNull(BlobLock.tryAcquire(lock), "held by another process's fcntl lock");
        } finally {
            release(old);
        }
        try (BlobLock l = BlobLock.tryAcquire(lock)) {
            assertNotNull(l);
        }
    }

    @Test
    void ourLockExcludesBothKinds() throws Exception {
        Path lock = tmp.resolve("e3.lock");
        Process ours = hold("blob", lock);
        try {
            int fd = PosixFlock.open(lock);
            try {
                assertTrue(!PosixFlock.tryLock(fd, lock), "a Python-style flock must fail while we hold the blob");
            } finally {
                PosixFlock.close(fd);
            }
            try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE)) {
                FileLock l = ch.tryLock();
                assertNull(l, "an fcntl lock must fail while we hold the blob");
            }
        } finally {
            release(ours);
        }
    }

    /** The check behind re-opening: a descriptor of a deleted lock file has no links left. */
    @Test
    void aDeletedLockFileHasNoLinks() throws Exception {
        Path lock = Files.writeString(tmp.resolve("e5.lock"), "");
        int fd = PosixFlock.open(lock);
        try {
            assertEquals(1, PosixFlock.links(fd));
            Files.delete(lock);
            assertEquals(0, PosixFlock.links(fd));
            assertTrue(PosixFlock.tryLock(fd, lock), "flock on the deleted file succeeds: why links are checked");
        } finally {
            PosixFlock.unlockAndClose(fd);
        }
    }

    /**
     * filelock 3.13+ deletes the lock file as it releases. A waiter that opened the old file must not settle for a
     * lock on the deleted inode: it re-opens, and then holds the lock on the file others will open.
     */
    @Test
    void aLockFileDeletedOnReleaseIsOpenedAgain() throws Exception {
        Path lock = tmp.resolve("e4.lock");
        Process python = hold("flock-unlink", lock);
        // the lock is released by the thread that took it: the waiter holds it until the checks are done
        CountDownLatch locked = new CountDownLatch(1), checked = new CountDownLatch(1);
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
            try (BlobLock l = BlobLock.acquire(lock, cancelAfter(20_000))) {
                locked.countDown();
                checked.await(30, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(300); // the waiter has opened the file and polls it
        release(python);
        assertTrue(locked.await(20, TimeUnit.SECONDS), "the waiter got the lock");
        try {
            assertTrue(Files.exists(lock), "locked on a file that exists");
            Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    LockHolder.class.getName(), "flock", lock.toString()).start();
            try {
                assertTrue(!other.waitFor(700, TimeUnit.MILLISECONDS) && other.isAlive(),
                        "another flock on the path waits for us");
            } finally {
                other.destroyForcibly().waitFor();
            }
        } finally {
            checked.countDown();
        }
        waiter.get(20, TimeUnit.SECONDS);
    }
}
