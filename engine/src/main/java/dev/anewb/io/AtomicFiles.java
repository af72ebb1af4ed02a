package dev.anewb.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Temporary files and folders beside their target, for write-then-rename. Unlike {@link Files#createTempFile} they get
 * the user's normal permissions (umask), since the renamed file is the user's output, not a private scratch file.
 *
 * <p>They are named {@code .NAME.tmp-PID-X}: hidden, marked as temporary, and carrying the id of the process that
 * writes them, so that a later write of the same target can delete what a killed process left behind
 * ({@link #cleanStale}) without touching a write still in progress in another process.
 */
public final class AtomicFiles {
    private AtomicFiles() { }

    /** Writes a file's content to a stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code target} through a temporary sibling and a rename, so a reader (or a crash) never sees half
     * a file; the temporary file is removed when anything fails.
     */
    public static void write(Path target, Content content) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path tmp = tempBeside(target);
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                content.writeTo(out);
            }
            moveReplacing(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Atomic rename where the file system offers one, a plain replacing move otherwise. */
    public static void moveReplacing(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Moves a finished temporary folder into place ({@link #tempFolderBeside}). An existing target (the caller checked
     * it may be replaced) is moved aside first, under a temporary name of this process so that the next write cleans
     * it up if we are killed here, and deleted after; it is moved back if the rename fails.
     */
    public static void replaceFolder(Path tmp, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            old = target.resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-old"
                    + Long.toHexString(System.nanoTime()));
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            if (old != null) Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            throw e;
        }
        if (old != null) deleteTree(old);
    }

    private static final Pattern TEMP = Pattern.compile("\\.tmp-(\\d+)-[0-9a-z]+$");

    /** Creates an empty hidden file {@code .NAME.tmp-PID-RANDOM} in the target's folder. */
    public static Path tempBeside(Path target) throws IOException {
        cleanStale(target);
        for (int i = 0; ; i++) {
            try {
                return Files.createFile(tempName(target));
            } catch (FileAlreadyExistsException e) {
                if (i > 100) throw e;
            }
        }
    }

    /** Creates an empty hidden folder {@code .NAME.tmp-PID-RANDOM} in the target's folder. */
    public static Path tempFolderBeside(Path target) throws IOException {
        cleanStale(target);
        for (int i = 0; ; i++) {
            try {
                return Files.createDirectory(tempName(target));
            } catch (FileAlreadyExistsException e) {
                if (i > 100) throw e;
            }
        }
    }

    private static Path tempName(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        return dir.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
    }

    /** Writes text to target through a temporary sibling, forced to disk, then renamed over it. */
    public static void writeString(Path target, String text) throws IOException {
        Path tmp = tempBeside(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            moveReplacing(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Deletes the temporary files and folders of {@code target} whose writer is gone: its process has exited, or
     * its id now belongs to a process started after the temp was last modified (the id was reused). Best effort.
     */
    public static void cleanStale(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        String prefix = "." + target.getFileName() + ".tmp-";
        if (dir == null || !Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                // exactly PREFIX + PID-HEX, so that "a.anepkg" never cleans "a.anepkg.x"'s temps
                Matcher m = TEMP.matcher(p.getFileName().toString());
                if (!m.find() || m.start() != prefix.length() - ".tmp-".length()) continue;
                if (isStale(Long.parseLong(m.group(1)), Files.getLastModifiedTime(p).toInstant())) deleteTree(p);
            }
        } catch (IOException | RuntimeException ignored) {
            // cleaning up after someone else is never worth failing this write
        }
    }

    static boolean isStale(long pid, Instant lastModified) {
        if (pid == ProcessHandle.current().pid()) return false; // ours: another thread of this process may be writing
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return true;
        Optional<Instant> started = h.get().info().startInstant();
        return started.isPresent() && started.get().isAfter(lastModified);
    }

    /** Deletes a file or folder tree, best effort. */
    public static void deleteTree(Path p) {
        if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // best effort: what is left is hidden and named as temporary
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
