package dev.anewb;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The tool's version, filtered in from the Maven project at build time. */
public final class Version {
    private Version() { }

    public static String get() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) return "dev";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            return "dev";
        }
    }
}
