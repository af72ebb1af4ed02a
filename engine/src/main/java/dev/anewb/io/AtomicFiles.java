package dev.anewb.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Temporary files beside their target, for write-then-rename. Unlike {@link Files#createTempFile} they get
 * the user's normal permissions (umask), since the renamed file is the user's output, not a private scratch file.
 */
public final class AtomicFiles {
    private AtomicFiles() { }

    /** Writes a file's content to a stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /**
     * Writes {@code target} through a temporary sibling and a rename, so a reader (or a crash) never sees half
     * a file; the temporary file is removed when anything fails.
     */
    public static void write(Path target, Content content) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path tmp = tempBeside(target);
        try {
            try (java.io.OutputStream out = Files.newOutputStream(tmp)) {
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
            Files.move(from, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
            Files.move(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Creates an empty hidden file {@code .NAME.RANDOM.tmp} in the target's folder. */
    public static Path tempBeside(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        for (int i = 0; ; i++) {
            Path p = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return Files.createFile(p);
            } catch (FileAlreadyExistsException e) {
                if (i > 100) throw e;
            }
        }
    }
}
