package dev.anewb.hub;

import dev.anewb.AnewbException;
import dev.anewb.job.JobCancelledException;
import dev.anewb.job.JobContext;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One blob's download into {@code {blob}.incomplete}, renamed to the blob once whole and verified. A partial
 * file left by an earlier run, or by a dropped connection in this one, is resumed with {@code Range}. The body
 * is read through a queue polled every 100 ms, so a cancel or a stalled server is noticed promptly. The caller
 * holds the blob's lock.
 */
final class BlobDownload {
    static final int ATTEMPTS = 5;
    /** A server that sends nothing for this long is treated as a dropped connection (and the download resumed). */
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final HubClient client;
    private final String label;
    private final String file;
    private final URI location;
    private final Path incomplete;
    private final Path blob;
    private final long expectedSize;
    private final String expectedSha256;
    private final PullProgress progress;
    private final JobContext ctx;
    private MessageDigest digest;

    /**
     * @param label          what error messages name (the resolve URL, which never carries a CDN signature)
     * @param expectedSize   bytes, or negative when unknown
     * @param expectedSha256 for LFS files; null for files stored in git (huggingface_hub does not verify those either)
     */
    BlobDownload(HubClient client, String label, String file, URI location, Path incomplete, Path blob,
            long expectedSize, String expectedSha256,
                 PullProgress progress, JobContext ctx) {
        this.client = client;
        this.label = label;
        this.file = file;
        this.location = location;
        this.incomplete = incomplete;
        this.blob = blob;
        this.expectedSize = expectedSize;
        this.expectedSha256 = expectedSha256;
        this.progress = progress;
        this.ctx = ctx;
    }

    void run() throws IOException {
        Files.createDirectories(incomplete.getParent());
        long have = Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0;
        if (expectedSize >= 0 && have > expectedSize) {
            Files.delete(incomplete);
            have = 0;
        }
        if (have > 0) progress.advanced(file, have, false, have, expectedSize);
        for (int attempt = 1; ; attempt++) {
            primeDigest(have);
            if (expectedSize >= 0 && have == expectedSize) break;
            Exception failure;
            try {
                have = transfer(have);
                if (expectedSize < 0 || have == expectedSize) break;
                failure = new IOException("the connection closed after " + have + " of " + expectedSize + " bytes");
            } catch (IOException | HubUnreachableException e) {
                failure = e;
            }
            if (attempt >= ATTEMPTS) {
                throw new AnewbException(label + ": download failed after " + ATTEMPTS + " attempts ("
                        + failure.getMessage()
                        + "); pull again to resume from "
                                + PullProgress.bytes(Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0),
                                        failure);
            }
            pause(250L * attempt);
            have = Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0;
        }
        verify(have);
        HfCache.moveReplacing(incomplete, blob);
    }

    private void verify(long have) throws IOException {
        if (expectedSize >= 0 && have != expectedSize) {
            Files.deleteIfExists(incomplete);
            throw new AnewbException(label + ": got " + have + " bytes, expected " + expectedSize
                    + "; the partial download was deleted");
        }
        if (digest == null) return;
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(expectedSha256)) {
            Files.deleteIfExists(incomplete);
            progress.restarted(have);
            throw new AnewbException(label + ": sha256 mismatch (expected " + expectedSha256 + ", got " + actual
                    + "): the download is corrupt and was deleted, not cached; pull again");
        }
    }

    /** One GET from {@code from} to the end (or until the connection drops); returns the file's length afterwards. */
    private long transfer(long from) throws IOException {
        URI uri = location;
        for (int hops = 0; hops < 10; hops++) {
            HttpRequest.Builder get = client.request(uri).GET().header("Accept-Encoding", "identity");
            if (from > 0) get.header("Range", "bytes=" + from + "-");
            HttpResponse<InputStream> r = client.send(get, HttpResponse.BodyHandlers.ofInputStream(), ctx);
            int status = r.statusCode();
            if (status >= 300 && status < 400 && r.headers().firstValue("Location").isPresent()) {
                r.body().close();
                // the token is re-decided per hop by client.request: a CDN on another host never sees it
                uri = uri.resolve(r.headers().firstValue("Location").get());
                continue;
            }
            if (status == 416) {
                r.body().close();
                restartFromZero(from);
                throw new IOException("the server would not resume at byte " + from + "; starting the file again");
            }
            if (status < 200 || status >= 300) {
                r.body().close();
                client.requireOk(r, null, null, null);
            }
            long start = 0;
            if (status == 206) {
                Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
                start = m.matches() ? Long.parseLong(m.group(1)) : -1;
            }
            if (start != from) {
                // a 200 to a Range request (or a range we did not ask for): the body is the whole file
                if (status == 206) {
                    r.body().close();
                    restartFromZero(from);
                    throw new IOException("the server answered a different range than bytes=" + from + "-");
                }
                restartFromZero(from);
                from = 0;
            }
            return copyBody(r.body(), from);
        }
        throw new IOException("too many redirects from " + location);
    }

    private void restartFromZero(long had) throws IOException {
        progress.restarted(had);
        Files.deleteIfExists(incomplete);
        primeDigest(0);
    }

    private long copyBody(InputStream body, long from) throws IOException {
        BodyPump pump = new BodyPump(body);
        Thread.ofVirtual().name("anewb-download-" + file).start(pump);
        try (FileChannel out = FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            out.truncate(from);
            out.position(from);
            long pos = from;
            long lastData = System.nanoTime();
            while (true) {
                if (ctx.isCancelled()) throw new JobCancelledException();
                Object item;
                try {
                    item = pump.queue.poll(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new JobCancelledException();
                }
                if (item == null) {
                    if (System.nanoTime() - lastData > STALL_NANOS) throw new IOException("no data for "
                            + TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS) + " s");
                    continue;
                }
                if (item == BodyPump.END) return pos;
                if (item instanceof IOException e) throw e;
                ByteBuffer chunk = (ByteBuffer) item;
                if (digest != null) digest.update(chunk.duplicate());
                int n = chunk.remaining();
                while (chunk.hasRemaining()) out.write(chunk);
                pos += n;
                lastData = System.nanoTime();
                progress.advanced(file, n, true, pos, expectedSize);
            }
        } finally {
            pump.stop();
        }
    }

    /** Re-reads what is already on disk into the digest, so the digest always matches the file it will verify. */
    private void primeDigest(long have) throws IOException {
        if (expectedSha256 == null) return;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        if (have == 0) return;
        try (InputStream in = Files.newInputStream(incomplete)) {
            byte[] buf = new byte[1 << 16];
            long left = have;
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                digest.update(buf, 0, n);
                left -= n;
            }
        }
    }

    private void pause(long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < end) {
            ctx.checkCancelled();
            try {
                Thread.sleep(Math.min(50, millis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JobCancelledException();
            }
        }
    }

    /**
     * Reads the response body on its own (virtual) thread into a small bounded queue; the downloading thread
     * polls it, so it never blocks in a read it cannot leave. Closing the stream aborts the exchange.
     */
    private static final class BodyPump implements Runnable {
        static final Object END = new Object();
        final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>(16);
        private final InputStream body;
        private volatile boolean stopped;

        BodyPump(InputStream body) {
            this.body = body;
        }

        @Override public void run() {
            try (body) {
                while (!stopped) {
                    byte[] buf = new byte[1 << 16];
                    int n = body.read(buf);
                    if (n < 0) {
                        put(END);
                        return;
                    }
                    if (n > 0) put(ByteBuffer.wrap(buf, 0, n));
                }
            } catch (IOException e) {
                if (!stopped) put(e);
            }
        }

        private void put(Object item) {
            try {
                while (!stopped && !queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    // the downloader is writing; wait for room (or for a stop)
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void stop() {
            stopped = true;
            queue.clear();
            try {
                body.close();
            } catch (IOException ignored) {
                // closing an aborted exchange can fail; the connection is discarded either way
            }
        }
    }
}
