package dev.anewb.hub;

import java.net.URI;

/**
 * What a {@code HEAD} on {@code resolve/{rev}/{file}} says, read before a CDN redirect loses it: the commit
 * ({@code X-Repo-Commit}), the normalised etag ({@code X-Linked-Etag} for LFS files, else {@code ETag}), the size
 * ({@code X-Linked-Size}, else {@code Content-Length}) and where to download from.
 */
public record HubFileMetadata(String commit, String etag, long size, URI location, boolean lfs) {
    /** huggingface_hub's etag normalisation: drop a weak {@code W/} prefix and the quotes. */
    public static String normalizeEtag(String etag) {
        if (etag == null) return null;
        String e = etag.trim();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e.isEmpty() ? null : e;
    }
}
