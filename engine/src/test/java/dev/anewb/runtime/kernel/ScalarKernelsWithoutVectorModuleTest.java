package dev.anewb.runtime.kernel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM started without {@code --add-modules jdk.incubator.vector} must still run every kernel (the scalar family,
 * and say so), and compute what the Vector API kernels compute. Runs the CLI in child JVMs on the bundled MiniLM.
 */
class ScalarKernelsWithoutVectorModuleTest {
    static final String IDS = "101,7592,1010,2088,999,1996,15756,3194,102";

    @Test
    void scalarJvmRunsMiniLmAndAgreesWithTheVectorJvm() throws Exception {
        String bench = cli(false, "bench", "bundled:all-MiniLM-L6-v2", "--seq", "8", "--runs", "1", "--warmup", "0",
                "--json");
        assertTrue(bench.contains("scalar kernels (module jdk.incubator.vector not present"), bench);

        List<Double> scalar = firstValues(cli(false, "run", "bundled:all-MiniLM-L6-v2", "--ids", IDS));
        List<Double> vector = firstValues(cli(true, "run", "bundled:all-MiniLM-L6-v2", "--ids", IDS));
        assertEquals(vector.size(), scalar.size());
        assertTrue(scalar.size() >= 8, "taps printed: " + scalar.size() / 4);
        // Printed to 5 decimals; the two kernel families differ only in float32 summation order.
        for (int i = 0; i < scalar.size(); i++) assertEquals(vector.get(i), scalar.get(i), 2e-5
                * Math.max(1, Math.abs(vector.get(i))) + 1e-5, "value " + i);
    }

    private static List<Double> firstValues(String runOutput) {
        List<Double> values = new ArrayList<>();
        Matcher line = Pattern.compile("\\[([-0-9., ]+), \\.\\.\\.\\]").matcher(runOutput);
        while (line.find()) for (String v : line.group(1).split(",")) values.add(Double.parseDouble(v.trim()));
        return values;
    }

    private static String cli(boolean vectorModule, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (vectorModule) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-cp",
                System.getProperty("java.class.path"), "dev.anewb.cli.AnewbCli"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child JVM did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
