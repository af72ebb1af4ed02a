package dev.anewb.ane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The chip profiles: the bundled {@code chips.json} (every chip of spec/ane-model.md with per-figure source
 * and confidence) merged with the user's own file, figure by figure. The user file lives in the config folder:
 * the {@code anewb.config.dir} system property when set, else {@code ~/.config/anewb}; it has the bundled
 * file's shape, and may override single figures of a bundled chip, add chips, or change the constants.
 */
public final class ChipProfiles {
    public static final String RESOURCE = "/dev/anewb/ane/chips.json";
    public static final String USER_FILE = "chips.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, ChipProfile> chips;
    private final CostConstants constants;
    private final Path userFile;

    private ChipProfiles(Map<String, ChipProfile> chips, CostConstants constants, Path userFile) {
        this.chips = Collections.unmodifiableMap(chips);
        this.constants = constants;
        this.userFile = userFile;
    }

    /** Bundled profiles merged with the user's file when it exists. */
    public static ChipProfiles load() {
        return load(userConfigDir().resolve(USER_FILE));
    }

    /** Bundled profiles only (tests, reproducible reports). */
    public static ChipProfiles bundled() {
        return parse(bundledTree(), null);
    }

    /** Bundled profiles merged with {@code userFile} when it exists. */
    public static ChipProfiles load(Path userFile) {
        ObjectNode tree = bundledTree();
        if (userFile == null || !Files.exists(userFile)) return parse(tree, null);
        JsonNode user;
        try {
            user = JSON.readTree(userFile.toFile());
        } catch (JsonProcessingException e) {
            throw AnewbException.file(userFile, "not valid JSON (" + e.getOriginalMessage() + "); fix or remove this chip profile file");
        } catch (IOException e) {
            throw AnewbException.file(userFile, "cannot read chip profiles (" + e.getMessage() + ")");
        }
        if (user == null || !user.isObject()) throw AnewbException.file(userFile, "chip profiles must be a JSON object with \"chips\" and/or \"constants\"");
        for (Iterator<String> it = user.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!List.of("about", "constants", "chips").contains(f)) {
                throw AnewbException.file(userFile, "unknown key \"" + f + "\" (expected \"chips\" and/or \"constants\")");
            }
        }
        merge(tree, (ObjectNode) user);
        return parse(tree, userFile);
    }

    public static Path userConfigDir() {
        String dir = System.getProperty("anewb.config.dir");
        if (dir != null && !dir.isBlank()) return Path.of(dir);
        return Path.of(System.getProperty("user.home"), ".config", "anewb");
    }

    /** Chip names in file order. */
    public List<String> names() { return List.copyOf(chips.keySet()); }

    public Map<String, ChipProfile> all() { return chips; }

    public CostConstants constants() { return constants; }

    /** The user file merged in, or null. */
    public Path userFile() { return userFile; }

    /** A chip by name; case, spaces and hyphens are ignored ("a17-pro" finds "A17 Pro"). */
    public ChipProfile get(String name) {
        String key = normalize(name);
        for (ChipProfile c : chips.values()) if (normalize(c.name()).equals(key)) return c;
        throw AnewbException.usage("unknown chip \"" + name + "\"; known chips: " + String.join(", ", chips.keySet()));
    }

    private static String normalize(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT).replaceAll("[\\s_-]", "");
    }

    private static ObjectNode bundledTree() {
        try (InputStream in = ChipProfiles.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
            return (ObjectNode) JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Objects merge key by key; anything else replaces. */
    private static void merge(ObjectNode into, ObjectNode from) {
        for (Iterator<Map.Entry<String, JsonNode>> it = from.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = into.get(e.getKey());
            if (existing instanceof ObjectNode eo && e.getValue() instanceof ObjectNode fo) merge(eo, fo);
            else into.set(e.getKey(), e.getValue().deepCopy());
        }
    }

    private static ChipProfiles parse(ObjectNode tree, Path userFile) {
        String where = userFile == null ? "bundled chips.json" : userFile + " (merged over the bundled chips.json)";
        JsonNode c = tree.path("constants");
        CostConstants constants = new CostConstants(
                figure(c, "efficiency", where, "constants"), figure(c, "op_overhead_ms", where, "constants"),
                figure(c, "evaluation_overhead_ms", where, "constants"), figure(c, "cpu_handoff_ms", where, "constants"),
                figure(c, "energy_pj_per_flop", where, "constants"), figure(c, "energy_pj_per_dram_byte", where, "constants"),
                figure(c, "energy_pj_per_sram_byte", where, "constants"), figure(c, "baseline_score_last_axis", where, "constants"));
        if (!(constants.efficiency().value() > 0 && constants.efficiency().value() <= 1)) {
            throw new AnewbException(where + ": constants.efficiency must be in (0, 1]");
        }
        Map<String, ChipProfile> chips = new LinkedHashMap<>();
        JsonNode list = tree.path("chips");
        if (!list.isObject() || list.isEmpty()) throw new AnewbException(where + ": no \"chips\" object");
        for (Iterator<Map.Entry<String, JsonNode>> it = list.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode n = e.getValue();
            String ctx = "chip \"" + name + "\"";
            String basis = n.path("tops_basis").asText("");
            if (!basis.equals("FP16") && !basis.equals("INT8")) {
                throw new AnewbException(where + ": " + ctx + ": tops_basis must be \"FP16\" or \"INT8\"");
            }
            ChipProfile p = new ChipProfile(name, figure(n, "ane_cores", where, ctx), figure(n, "peak_tops", where, ctx), basis,
                    figure(n, "fp16_tflops", where, ctx), n.path("int8_activation_speedup").asBoolean(false),
                    figure(n, "dram_gb_per_s", where, ctx), figure(n, "buffer_mb", where, ctx), n.path("notes").asText(""),
                    constants, false);
            for (Figure f : List.of(p.fp16Tflops(), p.dramGbPerS(), p.bufferMb())) {
                if (!(f.value() > 0)) throw new AnewbException(where + ": " + ctx + ": figures must be positive");
            }
            chips.put(name, p);
        }
        return new ChipProfiles(chips, constants, userFile);
    }

    private static Figure figure(JsonNode parent, String key, String where, String ctx) {
        JsonNode f = parent.get(key);
        if (f == null || !f.isObject()) throw new AnewbException(where + ": " + ctx + ": missing figure \"" + key + "\" ({\"value\", \"source\", \"confidence\"})");
        JsonNode v = f.get("value");
        if (v == null || !v.isNumber()) throw new AnewbException(where + ": " + ctx + "." + key + ": \"value\" must be a number");
        String source = f.path("source").asText("");
        if (source.isBlank()) throw new AnewbException(where + ": " + ctx + "." + key + ": every figure needs a \"source\"");
        String conf = f.path("confidence").asText("");
        if (!List.of("A", "D", "E", "L", "?").contains(conf)) {
            throw new AnewbException(where + ": " + ctx + "." + key + ": confidence must be one of A, D, E, L, ? (got \"" + conf + "\")");
        }
        return new Figure(v.asDouble(), source, conf);
    }
}
