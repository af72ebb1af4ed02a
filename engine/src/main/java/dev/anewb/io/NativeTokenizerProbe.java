package dev.anewb.io;

import dev.anewb.AnewbException;
import dev.anewb.model.TextTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Loads a {@code tokenizer.json} in a child JVM before this process hands it to the native {@code tokenizers}
 * library: a Rust panic there does not throw, it aborts the whole JVM (found by fuzzing; {@link HfTokenizer}
 * refuses the shapes we know in Java first, this catches the ones we do not). The child loads the file, encodes a
 * handful of texts (plain, accented, CJK, emoji, empty, long, a pair batch with padding and truncation) and exits;
 * if it dies, the file is refused here with a message naming it, and the workbench keeps running.
 *
 * <p>Each content (SHA-256) is probed once: remembered for the life of the process and, after a clean exit, with
 * an empty marker file in {@code ~/.cache/anewb/tokenizer-probe/} so the next run does not pay the ~1 s again. The
 * bundled model's tokenizer is trusted. {@code -Danewb.tokenizerProbe=off} skips probing (the child itself runs
 * with it off); when no {@code java} executable sits in {@code java.home/bin} the probe is skipped with a warning
 * rather than refusing every tokenizer.
 */
public final class NativeTokenizerProbe {
    public static final String PROPERTY = "anewb.tokenizerProbe";
    /** The child's exit code when loading failed with a Java exception: the parent raises the same error itself. */
    static final int EXIT_JAVA_ERROR = 3;
    static final long TIMEOUT_SECONDS = 120;

    private static final Set<String> PROBED = ConcurrentHashMap.newKeySet();
    private static volatile String bundledHash;
    private static final System.Logger LOG = System.getLogger("dev.anewb.io.tokenizer");

    /** The class whose main the child runs; tests substitute one that dies like a native panic. */
    static volatile String childMain = NativeTokenizerProbe.class.getName();

    private NativeTokenizerProbe() { }

    /** Returns when {@code json} (read from {@code path}) loads in a child JVM; throws an {@link AnewbException} when
     * the child dies.
     */
    static void check(Path path, String json) {
        if ("off".equalsIgnoreCase(System.getProperty(PROPERTY, "on").trim())) return;
        String hash = sha256(json);
        if (PROBED.contains(hash) || hash.equals(bundledHash())) return;
        Path marker = markerDir();
        if (marker != null && Files.exists(marker.resolve(hash))) {
            PROBED.add(hash);
            return;
        }
        Path java = Path.of(System.getProperty("java.home"), "bin",
                System.getProperty("os.name", "").startsWith("Windows") ? "java.exe" : "java");
        if (!Files.isExecutable(java)) {
            LOG.log(System.Logger.Level.WARNING, "no " + java + " to probe " + path
                    + " in a child process; loading it directly");
            return;
        }
        Outcome outcome = run(path, java);
        int code = outcome.code();
        if (code != 0 && code != EXIT_JAVA_ERROR) {
            throw AnewbException.file(path,
                    "makes the Hugging Face tokenizers library abort a test process (exit code " + code
                    + outcome.lastLine() + "); not loaded here, where it would end the workbench");
        }
        PROBED.add(hash);
        if (code == 0 && marker != null) {
            try {
                Files.createDirectories(marker);
                Path tmp = Files.createTempFile(marker, hash, ".tmp");
                Files.move(tmp, marker.resolve(hash), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | RuntimeException e) {
                // only the next run's ~1 s is lost
            }
        }
    }

    /** The child's exit code and ", last output: …" for the message. */
    private record Outcome(int code, String lastLine) { }

    private static Outcome run(Path path, Path java) {
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx512m", "-XX:TieredStopAtLevel=1", "-Xss4m",
                "-Djava.awt.headless=true",
                "-D" + PROPERTY + "=off"));
        for (String p : new String[]{"DJL_CACHE_DIR", "ENGINE_CACHE_DIR", "ai.djl.offline", "OPT_OUT_TRACKING",
                "java.io.tmpdir", "user.home"}) {
            String v = System.getProperty(p);
            if (v != null) cmd.add("-D" + p + "=" + v);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), childMain, path.toAbsolutePath().toString()));
        Path log = null;
        Process process = null;
        try {
            log = Files.createTempFile("anewb-tokenizer-probe", ".log");
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (!process.waitFor(50, TimeUnit.MILLISECONDS)) {
                if (System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw AnewbException.file(path, "did not load in a test process within " + TIMEOUT_SECONDS
                            + " s; not loaded here");
                }
            }
            return new Outcome(process.exitValue(), lastLine(log));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CancellationException("cancelled while probing " + path);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot start a process to probe " + path + " (" + e.getMessage()
                    + "); loading it directly");
            return new Outcome(0, "");
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a temp file left behind
                }
            }
        }
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log,
                    StandardCharsets.UTF_8).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (lines.isEmpty()) return "";
            String l = lines.getLast();
            return ", last output: " + (l.length() > 300 ? l.substring(0, 300) + "…" : l);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static Path markerDir() {
        String home = System.getProperty("user.home");
        return home == null || home.isEmpty() ? null : Path.of(home, ".cache", "anewb", "tokenizer-probe");
    }

    private static String bundledHash() {
        String h = bundledHash;
        if (h == null) {
            try (InputStream in = BundledModel.tokenizerResource().openStream()) {
                h = sha256(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                h = "-";
            }
            bundledHash = h;
        }
        return h;
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The child: load, exercise, exit 0; a Java exception exits {@value #EXIT_JAVA_ERROR}; a native panic aborts. */
    public static void main(String[] args) {
        try (HfTokenizer t = HfTokenizer.open(Path.of(args[0]))) {
            for (String text : List.of("Hello, world!", "Ünïcödé façade — naïve", "日本語のテキスト", "emoji 🙂👍🏽", "",
                    "a ".repeat(600))) {
                TextTokenizer.Encoding e = t.encode(text);
                t.decode(e.ids(), false);
            }
            t.encodeBatch(List.of("first text", "a second, longer text"), true, 8);
        } catch (Throwable e) {
            System.err.println(e);
            System.exit(EXIT_JAVA_ERROR);
        }
        System.exit(0);
    }
}
