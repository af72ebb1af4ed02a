package dev.anewb.hub;

import java.nio.file.Path;
import java.util.List;

/**
 * A pulled (or, offline, found) snapshot: the commit a revision resolved to and the files now in the cache, and the
 * bytes of partial downloads the pull removed (left by interrupted pulls, of this or of older revisions).
 */
public record PullResult(String repoId, String revision, String commit, Path snapshot, List<PulledFile> files,
                         long removedPartialBytes) {
    public PullResult(String repoId, String revision, String commit, Path snapshot, List<PulledFile> files) {
        this(repoId, revision, commit, snapshot, files, 0);
    }

    /** {@code downloaded} is false when the blob was already in the cache. */
    public record PulledFile(String name, long size, String etag, boolean downloaded) { }

    public long downloadedBytes() {
        return files.stream().filter(PulledFile::downloaded).mapToLong(PulledFile::size).sum();
    }
}
