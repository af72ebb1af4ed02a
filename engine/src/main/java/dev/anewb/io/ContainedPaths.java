package dev.anewb.io;

import dev.anewb.AnewbException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Keeps names read from untrusted files (an index.json's shard names, an ONNX external-data location, a Hub
 * listing's file names and ETags) and symlinks inside a model folder inside that folder, so that a downloaded
 * model cannot make the tool read or overwrite {@code ~/.ssh/...} or {@code /etc/passwd}.
 */
public final class ContainedPaths {
    private ContainedPaths() { }

    /**
     * {@code root/relative}, refusing absolute names and names whose {@code ..} segments leave root.
     *
     * @param source the file the name was read from, named in the message
     */
    public static Path resolveInside(Path root, String relative, Path source, String what) {
        if (relative == null || relative.isEmpty() || relative.indexOf('\0') >= 0) {
            throw AnewbException.file(source, what + " has an empty or invalid name");
        }
        Path base = root.toAbsolutePath().normalize();
        Path p;
        try {
            Path rel = base.getFileSystem().getPath(relative);
            if (rel.isAbsolute() || relative.startsWith("/") || relative.startsWith("\\")) {
                throw AnewbException.file(source, what + " '" + relative + "' is an absolute path; only names inside "
                        + base + " are allowed");
            }
            p = base.resolve(rel).normalize();
        } catch (InvalidPathException e) {
            throw AnewbException.file(source, what + " '" + relative + "' is not a valid file name");
        }
        if (!p.startsWith(base) || p.equals(base)) {
            throw AnewbException.file(source, what + " '" + relative + "' points outside " + base);
        }
        return p;
    }

    /**
     * The folder whose inside a model's files may link to: the folder itself, or for a Hugging Face cache snapshot
     * ({@code models--org--name/snapshots/COMMIT}) the repository folder, whose {@code blobs/} the snapshot's
     * relative symlinks point into.
     */
    public static Path trustRoot(Path folder) {
        Path f = folder.toAbsolutePath().normalize();
        Path parent = f.getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("snapshots")) {
            Path repo = parent.getParent();
            if (repo != null && repo.getFileName() != null
                    && repo.getFileName().toString().startsWith("models--")) return repo;
        }
        return f;
    }

    /**
     * Refuses {@code file} when it exists and, after following symlinks, lies outside {@code root} (after following
     * root's own symlinks: a folder that is itself a link is the user's choice).
     */
    public static void requireRealInside(Path root, Path file) {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return;
        Path realRoot, real;
        try {
            realRoot = root.toRealPath();
        } catch (IOException e) {
            throw AnewbException.file(root, "cannot resolve the folder (" + e.getMessage() + ")");
        }
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            throw AnewbException.file(file, "is a broken link or cannot be resolved (" + e.getMessage() + ")");
        }
        if (!real.startsWith(realRoot)) {
            throw AnewbException.file(file, "is a link to " + real + ", outside the model folder " + realRoot
                    + "; refusing to follow it");
        }
    }

    /** A file name component safe to use in the cache (an ETag or commit): no separators, no "..". */
    public static String requireSimpleName(String name, String what, String source) {
        if (name == null || name.isEmpty() || name.length() > 256 || !name.matches("[A-Za-z0-9._-]+")
                || name.equals(".") || name.contains("..")) {
            throw new AnewbException(source + ": " + what + " '" + name
                    + "' is not a plain file name; refusing to use it in the cache");
        }
        return name;
    }
}
