package dev.anewb.hub;

import dev.anewb.AnewbException;

import java.util.regex.Pattern;

/**
 * The Hub's own rules for the names that become paths in the cache: repository ids as {@code huggingface_hub}'s
 * {@code validate_repo_id} checks them, revisions as git ref names ({@code git check-ref-format}) or commits, and
 * repository file names as git paths. Checked before a name is used, so that {@code org/name@../../x} or a
 * listing's {@code a/../../.bashrc} never reach the file system; {@link HfCache} checks containment as well.
 */
public final class HubNames {
    private HubNames() { }

    /** One part of an id: word characters, '-' and '.', starting and ending with a word character. */
    private static final Pattern ID_PART = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?");
    private static final int MAX_NAME = 96;
    private static final int MAX_REVISION = 255;

    /** {@code org/name} by huggingface_hub's rules (plus the namespace this tool requires). */
    public static boolean isRepoId(String id) {
        if (id == null) return false;
        int slash = id.indexOf('/');
        if (slash < 0 || slash != id.lastIndexOf('/')) return false;
        String org = id.substring(0, slash), name = id.substring(slash + 1);
        return ID_PART.matcher(org).matches() && ID_PART.matcher(name).matches() && name.length() <= MAX_NAME
                && !id.contains("--") && !id.contains("..") && !id.endsWith(".git");
    }

    public static String requireRepoId(String id) {
        if (!isRepoId(id)) {
            throw AnewbException.usage("'" + printable(id) + "' is not a Hub repository id: org/name of letters,"
                    + " digits, '-', '_' and '.' (not at either end), name at most 96 characters, no '--' or '..'");
        }
        return id;
    }

    /** A branch, tag (git ref name rules) or commit; {@code refs/pr/1} is valid, {@code ../x} is not. */
    public static boolean isRevision(String rev) {
        if (rev == null || rev.isEmpty() || rev.length() > MAX_REVISION || rev.equals("@")) return false;
        if (rev.startsWith("/") || rev.endsWith("/") || rev.endsWith(".") || rev.contains("//") || rev.contains("..")
                || rev.contains("@{")) {
            return false;
        }
        for (int i = 0; i < rev.length(); i++) {
            char c = rev.charAt(i);
            if (c < 0x20 || c == 0x7f || " ~^:?*[\\".indexOf(c) >= 0) return false;
        }
        for (String part : rev.split("/")) {
            if (part.startsWith(".") || part.endsWith(".lock")) return false;
        }
        return true;
    }

    public static String requireRevision(String rev) {
        if (!isRevision(rev)) {
            throw AnewbException.usage("revision '" + printable(rev) + "' is not a branch, tag or commit name"
                    + " (git ref rules: no '..', no part starting with '.', no spaces or ~^:?*[\\ characters,"
                    + " no leading or trailing '/')");
        }
        return rev;
    }

    /**
     * A file name from a repository listing: a relative git path, '/'-separated, without empty, '.' or '..' parts,
     * backslashes or control characters.
     *
     * @param source what listed the name (repo@revision), named in the message
     */
    public static String requireFileName(String name, String source) {
        boolean ok = name != null && !name.isEmpty() && name.length() <= 4096 && !name.startsWith("/")
                && name.indexOf('\\') < 0;
        if (ok) {
            for (int i = 0; i < name.length() && ok; i++) ok = name.charAt(i) >= 0x20 && name.charAt(i) != 0x7f;
            for (String part : name.split("/", -1)) {
                ok &= !part.isEmpty() && !part.equals(".") && !part.equals("..") && !part.equals(".git");
            }
        }
        if (!ok) {
            throw new AnewbException(source + ": the Hub lists a file '" + printable(name)
                    + "' that is not a plain relative path; refusing it");
        }
        return name;
    }

    /** A name as it may be printed on one line. */
    private static String printable(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.length() > 200 ? b.substring(0, 200) + "…" : b.toString();
    }
}
