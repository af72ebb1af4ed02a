package dev.anewb.testing;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Locates the project root (the folder holding {@code .mvn}) and the read-only reference fixtures in
 * {@code <root>/../shared/fixtures}. Missing fixtures skip a test on a developer machine but fail it in CI
 * (CI=true), so a broken checkout can never pass silently.
 */
public final class Fixtures {
    private Fixtures() { }

    public static Path root() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve(".mvn"))) return q;
        }
        throw new IllegalStateException("no project root (a folder with .mvn) above " + p);
    }

    public static Path shared() {
        return root().resolve("..").resolve("shared").normalize();
    }

    public static Path fixture(String name) {
        Path f = shared().resolve("fixtures").resolve(name);
        if (!Files.exists(f)) {
            String msg = "fixture missing: " + f + " (the shared/ folder must sit beside the project root)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError(msg);
            assumeTrue(false, msg);
        }
        return f;
    }
}
