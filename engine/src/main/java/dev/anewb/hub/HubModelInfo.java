package dev.anewb.hub;

import java.util.List;
import java.util.Optional;

/** A repository at one revision: its commit, files with sizes (and LFS sha256), model_type and access. */
public record HubModelInfo(String id, String commit, List<RepoFile> files, String modelType, List<String> tags,
                           boolean gated, boolean isPrivate) {
    /** A file of the repository; {@code lfsSha256} is null for files stored in git itself. */
    public record RepoFile(String name, long size, String blobId, String lfsSha256) {
        public boolean isLfs() { return lfsSha256 != null; }
    }

    public List<String> fileNames() { return files.stream().map(RepoFile::name).toList(); }

    public Optional<RepoFile> file(String name) { return files.stream().filter(f ->
            f.name().equals(name)).findFirst(); }
}
