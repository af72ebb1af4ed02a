package dev.anewb.hub;

import dev.anewb.job.JobCancelledException;
import dev.anewb.job.JobContext;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lock around one blob's download: the {@code .locks/…/{etag}.lock} file locked with {@link FileChannel}
 * (other processes), plus an in-process lock, because a JVM may hold a file lock only once and two threads
 * pulling the same model must still take turns. Waiting polls the job's cancel flag.
 */
final class BlobLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock threadLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private BlobLock(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
        this.threadLock = threadLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    static BlobLock acquire(Path lockFile, JobContext ctx) throws IOException {
        ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
        try {
            while (!threadLock.tryLock(100, TimeUnit.MILLISECONDS)) ctx.checkCancelled();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobCancelledException();
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(lockFile.getParent());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            while ((lock = channel.tryLock()) == null) {
                ctx.checkCancelled();
                Thread.sleep(100);
            }
            return new BlobLock(threadLock, channel, lock);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(channel);
            threadLock.unlock();
            throw new JobCancelledException();
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            threadLock.unlock();
            throw e;
        }
    }

    private static void closeQuietly(FileChannel c) {
        try {
            if (c != null) c.close();
        } catch (IOException ignored) {
            // closing releases the lock; nothing else to do
        }
    }

    @Override public void close() throws IOException {
        try {
            // like huggingface_hub's filelock, the lock file stays: deleting it would race with a waiting process
            fileLock.release();
            channel.close();
        } finally {
            threadLock.unlock();
        }
    }
}
