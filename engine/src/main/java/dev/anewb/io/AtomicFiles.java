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
