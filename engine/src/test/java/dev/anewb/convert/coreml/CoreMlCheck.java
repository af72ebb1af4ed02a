package dev.anewb.convert.coreml;

import dev.anewb.testing.Fixtures;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code ../shared/tools/coreml/coreml-check} as a process: coremltools' own package loader and type inference
 * ({@code validate}) and a numpy interpreter of the program ({@code run}). Tests that need it skip when the tool is
 * absent on a developer machine and fail in CI (CI=true).
 */
final class CoreMlCheck {
    private CoreMlCheck() { }

    /** One finished run: exit code and everything it printed. */
    record Result(int exit, String output) {
        String lastLine() {
            List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "" : lines.getLast();
        }
    }

    static Path tool() {
        Path t = Fixtures.shared().resolve("tools/coreml/coreml-check");
        if (!Files.isExecutable(t)) {
            String msg = "coreml-check missing: " + t;
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError(msg);
            assumeTrue(false, msg);
        }
        return t;
    }

    /** Validates packages; fails the test with the tool's last line unless it says RESULT: OK for each. */
    static String validate(Path... packages) {
        List<String> args = new ArrayList<>(List.of("validate"));
        for (Path p : packages) args.add(p.toString());
        Result r = call(args);
        long ok = r.output.lines().filter(l -> l.strip().equals("RESULT: OK")).count();
        if (r.exit != 0 || ok != packages.length) fail("coreml-check validate failed (exit " + r.exit + "): "
                + r.lastLine() + "\n" + r.output);
        return r.output;
    }

    /** Runs a package on named .npy inputs; returns its outputs by name. */
    static Map<String, NumpyArrays.Array> run(Path pkg, Map<String, Path> inputs, Path out) throws IOException {
        List<String> args = new ArrayList<>(List.of("run", pkg.toString()));
        for (var e : inputs.entrySet()) {
            args.add("--input");
            args.add(e.getKey() + "=" + e.getValue());
        }
        args.add("--out");
        args.add(out.toString());
        Result r = call(args);
        if (r.exit != 0) fail("coreml-check run failed (exit " + r.exit + "): " + r.lastLine() + "\n" + r.output);
        return NumpyArrays.readNpz(out);
    }

    /** One job of a {@link #batch}: validate {@code pkg}, or run it on {@code inputs} (FILE.npy or OUT.npz#NAME). */
    record Job(Path pkg, Map<String, String> inputs, Path out) {
        static Job validate(Path pkg) { return new Job(pkg, null, null); }

        static Job run(Path pkg, Map<String, String> inputs, Path out) { return new Job(pkg, inputs, out); }

        boolean isValidate() { return inputs == null; }
    }

    /**
     * Runs the jobs in order in one process ({@code coreml-check python} with the test's batch script calling
     * {@code validate.validate} and {@code mil_run.main}, the functions the two commands call), so coremltools is
     * imported once rather than per package. Fails the test with every failed job's last line.
     */
    static List<Result> batch(List<Job> jobs, Path scratch) throws IOException {
        Path script = scratch.resolve("coreml_batch.py");
        try (var in = CoreMlCheck.class.getResourceAsStream("coreml_batch.py")) {
            Files.write(script, in.readAllBytes());
        }
        StringBuilder json = new StringBuilder("[");
        for (Job j : jobs) {
            if (json.length() > 1) json.append(',');
            String kind = j.isValidate() ? "validate" : "run";
            json.append("{\"kind\":\"").append(kind).append("\",\"package\":").append(quote(j.pkg().toString()));
            if (!j.isValidate()) {
                json.append(",\"out\":").append(quote(j.out().toString())).append(",\"inputs\":{");
                int n = 0;
                for (var e : j.inputs().entrySet()) {
                    json.append(n++ > 0 ? "," : "").append(quote(e.getKey())).append(':').append(quote(e.getValue()));
                }
                json.append('}');
            }
            json.append('}');
        }
        Path jobFile = Files.writeString(scratch.resolve("coreml-jobs.json"), json.append(']').toString());
        Result all = call(List.of("python", script.toString(), tool().getParent().toString(), jobFile.toString()));
        List<Result> results = new ArrayList<>();
        String[] parts = all.output.split("=== JOB \\d+ EXIT ");
        for (int i = 1; i < parts.length; i++) {
            int nl = parts[i].indexOf('\n');
            results.add(new Result(Integer.parseInt(parts[i].substring(0, nl).strip()), parts[i].substring(nl + 1)));
        }
        if (results.size() != jobs.size()) fail("coreml-check batch ran " + results.size() + " of " + jobs.size()
                + " jobs:\n" + all.output);
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            Result r = results.get(i);
            Job j = jobs.get(i);
            boolean valid = !j.isValidate() || r.output.lines().anyMatch(l -> l.strip().equals("RESULT: OK"));
            if (r.exit != 0 || !valid) {
                failed.add((j.isValidate() ? "validate " : "run ") + j.pkg().getFileName() + " (exit " + r.exit + "): "
                        + r.lastLine());
            }
        }
        if (!failed.isEmpty()) fail(String.join("\n", failed));
        return results;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static Result call(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool().toString());
        cmd.addAll(args);
        try {
            Path log = Files.createTempFile("coreml-check", ".log");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                if (!p.waitFor(10, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    fail("coreml-check timed out: " + cmd);
                }
                return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
