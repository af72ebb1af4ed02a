package dev.anewb.hub;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code flock(2)} on a file descriptor of our own, through the foreign function API: the lock Python's
 * {@code filelock} (and so {@code huggingface_hub}) takes on Linux and macOS. Java's {@code FileLock} is an
 * {@code fcntl} record lock there, which the kernel keeps apart from {@code flock}: the two never exclude each other,
 * so a Java lock alone let Python and us download the same blob at once.
 */
final class PosixFlock {
    private PosixFlock() { }

    private static final boolean MAC = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("mac");
    static final boolean SUPPORTED = !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private static final int O_RDWR = 2, O_CREAT = MAC ? 0x200 : 0x40, O_CLOEXEC = MAC ? 0x1000000 : 0x80000;
    private static final int LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    /** EWOULDBLOCK (= EAGAIN): another open file description holds the lock. */
    private static final int EWOULDBLOCK = MAC ? 35 : 11, EINTR = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** {@code int open(const char *path, int flags, ...)}: the mode is the first variadic argument. */
    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle FLOCK = handle("flock", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = handle("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static MethodHandle handle(String name, FunctionDescriptor fd, Linker.Option... options) {
        if (!SUPPORTED) return null;
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, options);
    }

    /** Opens (creating) {@code file} read-write, as filelock does; the descriptor is closed on exec. */
    static int open(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment name = arena.allocateFrom(file.toAbsolutePath().toString());
            int fd = (int) OPEN.invokeExact(state, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (fd < 0) {
                throw new IOException(file + ": cannot open the lock file (errno " + (int) ERRNO.get(state, 0L) + ")");
            }
            return fd;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(file + ": open failed: " + t, t);
        }
    }

    /** {@code flock(fd, LOCK_EX | LOCK_NB)}: true when taken, false when another holder has it. */
    static boolean tryLock(int fd, Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            while (true) {
                int r = (int) FLOCK.invokeExact(state, fd, LOCK_EX | LOCK_NB);
                if (r == 0) return true;
                int errno = (int) ERRNO.get(state, 0L);
                if (errno == EWOULDBLOCK) return false;
                if (errno != EINTR) throw new IOException(file + ": flock failed (errno " + errno + ")");
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(file + ": flock failed: " + t, t);
        }
    }

    /** Unlocks and closes; closing alone would release the lock too, unlocking first says so. */
    static void unlockAndClose(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) FLOCK.invokeExact(arena.allocate(CALL_STATE), fd, LOCK_UN);
            int closed = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // nothing to do: the kernel drops the lock when the descriptor or the process goes away
        }
    }

    static void close(int fd) {
        try {
            int closed = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // best effort, as for any close
        }
    }

    /**
     * Links to the file {@code fd} is open on, 0 once it was unlinked: filelock 3.13+ deletes the lock file when it
     * releases, so a descriptor opened just before is locked on a file nobody else will ever open again.
     */
    static long links(int fd) throws IOException {
        Path self = Files.isDirectory(Path.of("/proc/self/fd")) ? Path.of("/proc/self/fd", Integer.toString(fd))
                : Path.of("/dev/fd", Integer.toString(fd));
        return ((Number) Files.getAttribute(self, "unix:nlink")).longValue();
    }
}
