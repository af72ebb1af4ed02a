package dev.anewb.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The parts of a Hugging Face model card ({@code README.md}) the exporters record: the {@code license:} of its YAML
 * front matter (the block between the first two {@code ---} lines), as the Hub shows it.
 */
public final class ModelCard {
    private ModelCard() { }

    /** Cards larger than this are not read for their front matter. */
    static final long MAX_BYTES = 1 << 20;

    /**
     * The card's license ({@code apache-2.0}, {@code mit}, {@code llama3.2}, or {@code other} with its
     * {@code license_name}), or "" when the folder has no card, the card has no front matter or no license.
     */
    public static String license(Path folder) {
        if (folder == null) return "";
        Path card = folder.resolve("README.md");
        try {
            if (!Files.isRegularFile(card) || Files.size(card) > MAX_BYTES) return "";
            return license(Files.readString(card, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return ""; // a card that cannot be read says nothing about the license; the export goes on without it
        }
    }

    static String license(String card) {
        String[] lines = card.replace("\r\n", "\n").split("\n", -1);
        if (lines.length == 0 || !lines[0].strip().equals("---")) return "";
        String license = "", name = "";
        for (int i = 1; i < lines.length && !lines[i].strip().equals("---"); i++) {
            String l = lines[i];
            if (l.startsWith("license:")) license = scalar(l.substring("license:".length()));
            else if (l.startsWith("license_name:")) name = scalar(l.substring("license_name:".length()));
        }
        if (license.toLowerCase(Locale.ROOT).equals("other") && !name.isEmpty()) return "other (" + name + ")";
        return license;
    }

    /** A YAML plain or quoted scalar on one line, without a trailing comment; "" for a list or an empty value. */
    private static String scalar(String v) {
        String s = v.strip();
        if (s.startsWith("\"") && s.length() > 1 && s.indexOf('"', 1) > 0) return s.substring(1, s.indexOf('"', 1));
        if (s.startsWith("'") && s.length() > 1 && s.indexOf('\'', 1) > 0) return s.substring(1, s.indexOf('\'', 1));
        int hash = s.indexOf(" #");
        if (hash >= 0) s = s.substring(0, hash).strip();
        return s.startsWith("[") || s.startsWith("-") ? "" : s;
    }
}
