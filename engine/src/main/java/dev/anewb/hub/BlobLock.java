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
 * The lock around one blob's download, on {@code .locks/models--org--name/{etag}.lock} where huggingface_hub takes
 * its own: an {@code flock} on Linux and macOS, the kind Python's filelock takes there ({@link PosixFlock}), plus the
 * {@link FileChannel} lock earlier versions of this tool took (an {@code fcntl} lock; on Windows the only kind, and
 * the one Python's msvcrt lock meets), so that neither Python nor an older anewb downloads the blob beside us. An
 * in-process lock comes first, because a JVM may hold a FileChannel lock only once. Waiting polls the job's cancel
 * flag.
 */
final class BlobLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock threadLock;
    private final int fd;
    private final FileChannel channel;
    private final FileLock fileLock;

    private BlobLock(ReentrantLock threadLock, int fd, FileChannel channel, FileLock fileLock) {
        this.threadLock = threadLock;
        this.fd = fd;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    /** Waits for the lock, polling {@code ctx}'s cancel flag every 100 ms. */
    static BlobLock acquire(Path lockFile, JobContext ctx) throws IOException {
        ReentrantLock threadLock = threadLock(lockFile);
        try {
            while (!threadLock.tryLock(100, TimeUnit.MILLISECONDS)) ctx.checkCancelled();
            while (true) {
                BlobLock l = tryFileLocks(threadLock, lockFile);
                if (l != null) return l;
                ctx.checkCancelled();
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (threadLock.isHeldByCurrentThread()) threadLock.unlock();
            throw new JobCancelledException();
        } catch (IOException | RuntimeException e) {
            if (threadLock.isHeldByCurrentThread()) threadLock.unlock();
            throw e;
        }
    }

    /** The lock if nobody holds it, else null at once (cleaning up another download's leftovers must not wait). */
    static BlobLock tryAcquire(Path lockFile) throws IOException {
        ReentrantLock threadLock = threadLock(lockFile);
        if (!threadLock.tryLock()) return null;
        try {
            BlobLock l = tryFileLocks(threadLock, lockFile);
            if (l == null) threadLock.unlock();
            return l;
        } catch (IOException | RuntimeException e) {
            threadLock.unlock();
            throw e;
        }
    }

    private static ReentrantLock threadLock(Path lockFile) {
        return IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
    }

    /** One attempt at both file locks (the in-process lock is held); null when another process holds either. */
    private static BlobLock tryFileLocks(ReentrantLock threadLock, Path lockFile) throws IOException {
        Files.createDirectories(lockFile.toAbsolutePath().getParent());
        int fd = -1;
        if (PosixFlock.SUPPORTED) {
            fd = PosixFlock.open(lockFile);
            if (!PosixFlock.tryLock(fd, lockFile)) {
                PosixFlock.close(fd);
                return null;
            }
            // filelock 3.13+ unlinks the file when it releases: a lock on the unlinked inode excludes nobody
            if (PosixFlock.links(fd) == 0) {
                PosixFlock.unlockAndClose(fd);
                return null;
            }
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                if (fd >= 0) PosixFlock.unlockAndClose(fd);
                return null;
            }
            return new BlobLock(threadLock, fd, channel, lock);
        } catch (IOException | RuntimeException e) {
            if (channel != null) channel.close();
            if (fd >= 0) PosixFlock.unlockAndClose(fd);
            throw e;
        }
    }

    @Override public void close() throws IOException {
        try {
            // Like filelock 3.9 and earlier, the lock file stays (3.13+ unlinks it and re-checks links on acquire).
            // The fcntl lock goes first: closing any descriptor of the file would drop it anyway.
            fileLock.release();
            channel.close();
        } finally {
            if (fd >= 0) PosixFlock.unlockAndClose(fd);
            threadLock.unlock();
        }
    }
}
