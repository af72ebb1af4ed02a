package dev.anewb.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs {@code anewb gui --self-test DIR} in a fresh JVM, the way a user or CI does: this JVM's toolkit may
 * already be running for other tests, and the command must start (and stop) its own.
 */
class SelfTestCommandTest {
    private static final List<String> AREAS = List.of("model", "drift", "memory", "layout", "weights", "run", "export");

    @TempDir Path dir;

    @Test void rendersEveryAreaAndTheDarkThemeAt1280x800() throws Exception {
        Path out = dir.resolve("shots");
        Result r = anewb("gui", "--self-test", out.toString());
        assertEquals(0, r.exit, r.output);
        List<String> expected = new ArrayList<>(AREAS);
        expected.add("model-dark");
        for (String name : expected) {
            Path png = out.resolve(name + ".png");
            assertTrue(r.output.contains(png.toAbsolutePath().toString()), "prints " + png + ":\n" + r.output);
            assertTrue(Files.size(png) > 10_000, png + " is too small to hold a rendered window");
            BufferedImage image = ImageIO.read(png.toFile());
            assertEquals(1280, image.getWidth(), name);
            assertEquals(800, image.getHeight(), name);
        }
        // Light and dark must differ where the background shows (centre of the header bar).
        int light = ImageIO.read(out.resolve("model.png").toFile()).getRGB(640, 5);
        int dark = ImageIO.read(out.resolve("model-dark.png").toFile()).getRGB(640, 5);
        assertTrue(luminance(light) > luminance(dark) + 0.3, "dark header must be darker than the light one");
    }

    @Test void failsWithAMessageWhenItCannotWrite() throws Exception {
        Path blocker = Files.writeString(dir.resolve("not-a-folder"), "x");
        Result r = anewb("gui", "--self-test", blocker.resolve("shots").toString());
        assertNotEquals(0, r.exit);
        assertTrue(r.output.contains("self-test failed"), r.output);
    }

    @Test void refusesASizeOrThemeItCannotRead() throws Exception {
        Result size = anewb("gui", "--self-test", dir.resolve("shots").toString(), "--size", "960by600");
        assertEquals(2, size.exit, size.output);
        assertTrue(size.output.contains("--size \"960by600\" is not WIDTHxHEIGHT"), size.output);
        Result theme = anewb("gui", "--self-test", dir.resolve("shots").toString(), "--theme", "sepia");
        assertEquals(2, theme.exit, theme.output);
        assertTrue(theme.output.contains("neither light nor dark"), theme.output);
        assertFalse(Files.exists(dir.resolve("shots")), "nothing rendered");
    }

    private static double luminance(int rgb) {
        return (0.2126 * ((rgb >> 16) & 255) + 0.7152 * ((rgb >> 8) & 255) + 0.0722 * (rgb & 255)) / 255;
    }

    private record Result(int exit, String output) { }

    private Result anewb(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                // Config dir inside the temp folder: the self-test must not need (or touch) the user's settings.
                "-Danewb.config.dir=" + dir.resolve("config"),
                "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] bytes = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "self-test hung");
        return new Result(p.exitValue(), new String(bytes));
    }
}
