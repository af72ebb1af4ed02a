package dev.anewb.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.cli.AnewbCli;
import dev.anewb.io.AtomicFiles;
import dev.anewb.io.OnnxWeights;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Work killed with SIGKILL in the middle (a child JVM, {@link Process#destroyForcibly()}): the target is either
 * absent or the previous version, intact; what is left is only a hidden temp named as such, and the next write
 * of the same target deletes it.
 */
class InterruptedWorkTest {
    @TempDir Path tmp;

    static int cli(String... args) {
        CommandLine cl = AnewbCli.commandLine(List.of());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        if (rc != 0) System.err.println(err);
        return rc;
    }

    static Process child(String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** Polls (every ~1 ms) until a temp of target appears, then kills the child; fails if it finished first. */
    static long killWhenTempAppears(Process p, Path target) throws Exception {
        String prefix = "." + target.getFileName() + ".tmp-" + p.pid() + "-";
        Predicate<Path> isTemp = f -> f.getFileName().toString().startsWith(prefix);
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            boolean seen;
            try (Stream<Path> s = Files.list(target.toAbsolutePath().getParent())) {
                seen = s.anyMatch(isTemp);
            }
            if (seen) {
                assertTrue(p.isAlive(), "the child finished before it could be killed midway");
                long t0 = System.nanoTime();
                p.destroyForcibly().waitFor();
                return (System.nanoTime() - t0) / 1_000_000;
            }
            if (!p.isAlive()) throw new AssertionError("the child exited (" + p.exitValue()
                    + ") before its temp appeared");
            Thread.sleep(1);
        }
        p.destroyForcibly();
        throw new AssertionError("no temp for " + target + " within 120 s");
    }

    static List<String> leftovers(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void killedConversionLeavesThePreviousPackageIntact() throws Exception {
        Path out = tmp.resolve("bert.anepkg");
        String model = Fixtures.fixture("bert-tiny").toString();
        assertEquals(0, cli("convert", model, "--out", out.toString()));
        byte[] manifest = Files.readAllBytes(out.resolve("manifest.json")),
                weights = Files.readAllBytes(out.resolve("weights.safetensors"));

        Process p = child("dev.anewb.cli.AnewbCli", "convert", model, "--out", out.toString(), "--force",
                "--block-size", "64");
        killWhenTempAppears(p, out);

        assertArrayEquals(manifest, Files.readAllBytes(out.resolve("manifest.json")),
                "the previous package is untouched");
        assertArrayEquals(weights, Files.readAllBytes(out.resolve("weights.safetensors")));
        List<String> left = leftovers(tmp);
        assertTrue(left.stream().allMatch(n -> n.equals("bert.anepkg")
                || n.startsWith(".bert.anepkg.tmp-" + p.pid() + "-")), left.toString());
        assertTrue(left.size() > 1, "the killed conversion had a temp folder: " + left);

        // The next conversion of the same target removes the dead process's temp and replaces the package.
        assertEquals(0, cli("convert", model, "--out", out.toString(), "--force", "--block-size", "64"));
        assertEquals(List.of("bert.anepkg"), leftovers(tmp));
        JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        assertEquals(64, m.path("conversion").path("block_size").asInt());
    }

    @Test
    void killedExportLeavesThePreviousFileIntact() throws Exception {
        Path out = tmp.resolve("bert.onnx");
        String model = Fixtures.fixture("bert-tiny").toString();
        assertEquals(0, cli("export", model, "--onnx", out.toString()));
        byte[] before = Files.readAllBytes(out);

        Process p = child("dev.anewb.cli.AnewbCli", "export", model, "--onnx", out.toString(), "--force",
                "--block-size", "64");
        killWhenTempAppears(p, out);

        assertArrayEquals(before, Files.readAllBytes(out), "the previous ONNX file is untouched");
        assertTrue(leftovers(tmp).stream().allMatch(n -> n.equals("bert.onnx")
                || n.startsWith(".bert.onnx.tmp-" + p.pid() + "-")));
        assertEquals(0, cli("export", model, "--onnx", out.toString(), "--force", "--block-size", "64"));
        assertEquals(List.of("bert.onnx"), leftovers(tmp), "the stale temp was cleaned");
        try (OnnxWeights w = OnnxWeights.open(out)) {
            assertTrue(w.names().size() > 10);
        }
    }

    @Test
    void killedJsonWritesNeverLeaveAHalfFile() throws Exception {
        Path settings = tmp.resolve("settings.json");
        ObjectMapper json = new ObjectMapper();
        for (int round = 0; round < 3; round++) {
            Process p = child(SettingsWriterMain.class.getName(), settings.toString());
            killWhenTempAppears(p, settings);
            if (Files.exists(settings)) {
                JsonNode n = json.readTree(settings.toFile()); // throws on a half-written file
                assertEquals(100_000, n.path("recent").size());
            }
        }
        AtomicFiles.writeString(settings, "{}");
        assertEquals(List.of("settings.json"), leftovers(tmp),
                "stale temps of dead writers are cleaned on the next write");
    }
}
