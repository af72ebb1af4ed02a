package dev.anewb.hub;

import dev.anewb.job.JobContext;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A child process holding a lock on a file until its stdin says "release" (or closes): {@code flock} alone (what
 * Python's filelock takes on Linux), {@code flock-unlink} (filelock 3.13+, which deletes the file as it releases),
 * {@code fcntl} (a FileChannel lock, what anewb took before) or {@code blob} (today's {@link BlobLock}). Prints
 * "locked" once it holds it.
 */
public final class LockHolder {
    public static void main(String[] args) throws Exception {
        String kind = args[0];
        Path file = Path.of(args[1]);
        Files.createDirectories(file.toAbsolutePath().getParent());
        AutoCloseable release;
        switch (kind) {
            case "flock", "flock-unlink" -> {
                int fd = PosixFlock.open(file);
                while (!PosixFlock.tryLock(fd, file)) Thread.sleep(20);
                release = () -> {
                    if (kind.equals("flock-unlink")) Files.deleteIfExists(file);
                    PosixFlock.unlockAndClose(fd);
                };
            }
            case "fcntl" -> {
                FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = ch.lock();
                release = () -> {
                    lock.release();
                    ch.close();
                };
            }
            case "blob" -> release = BlobLock.acquire(file, JobContext.NONE);
            default -> throw new IllegalArgumentException(kind);
        }
        System.out.println("locked");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        release.close();
        System.out.println("released");
        System.out.flush();
    }
}
