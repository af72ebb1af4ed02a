package dev.anewb.ane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * file's shape, and may override single figures of a bundled chip, add chips, or change the constants. A user
 * chip with {@code "based_on": "A15"} takes every figure it does not give from that chip; a profile calibrated
 * on the user's measurement ({@link #saveCalibrated}) is written that way.
 */
public final class ChipProfiles {
    public static final String RESOURCE = "/dev/anewb/ane/chips.json";
    public static final String USER_FILE = "chips.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CHIP_KEYS = List.of("ane_cores", "peak_tops", "tops_basis", "fp16_tflops",
            "int8_activation_speedup", "dram_gb_per_s", "ane_gb_per_s", "buffer_mb", "model_weight_limit_mb", "notes",
            "based_on", "calibration");

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
        ObjectNode user = readUser(userFile);
        for (Iterator<String> it = user.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!List.of("about", "constants", "chips").contains(f)) {
                throw AnewbException.file(userFile, "unknown key \"" + f
                        + "\" (expected \"chips\" and/or \"constants\")");
            }
        }
        merge(tree, user);
        return parse(tree, userFile);
    }

    private static ObjectNode readUser(Path userFile) {
        JsonNode user;
        try {
            user = JSON.readTree(userFile.toFile());
        } catch (JsonProcessingException e) {
            throw AnewbException.file(userFile, "not valid JSON (" + e.getOriginalMessage()
                    + "); fix or remove this chip profile file");
        } catch (IOException e) {
            throw AnewbException.file(userFile, "cannot read chip profiles (" + e.getMessage() + ")");
        }
        if (user == null || !user.isObject()) {
            throw AnewbException.file(userFile,
                    "chip profiles must be a JSON object with \"chips\" and/or \"constants\"");
        }
        return (ObjectNode) user;
    }

    public static Path userConfigDir() {
        String dir = System.getProperty("anewb.config.dir");
        if (dir != null && !dir.isBlank()) return Path.of(dir);
        return Path.of(System.getProperty("user.home"), ".config", "anewb");
    }

    /**
     * Saves chip {@code name} calibrated on the user's measurement into {@code userFile} (created when missing;
     * everything else in it is kept): {@code {"based_on": BASE, "calibration": {...}}}, so the profile follows the
     * bundled figures of its base chip and only the calibration is the user's. Written to a temporary file first.
     */
    public static void saveCalibrated(Path userFile, String name, DeviceCalibration c) {
        if (name == null || name.isBlank()) throw AnewbException.usage("--save-profile needs a name");
        if (!name.equals(name.strip()) || name.length() > 64 || name.chars().anyMatch(Character::isISOControl)) {
            throw AnewbException.usage("profile name \"" + name + "\" must be 1-64 characters without control "
                    + "characters or surrounding spaces");
        }
        ObjectNode root = Files.exists(userFile) ? readUser(userFile) : JsonNodeFactory.instance.objectNode();
        ObjectNode chipsNode = root.get("chips") instanceof ObjectNode o ? o : root.putObject("chips");
        // A chip of another spelling ("a15" for "A15") is the same profile: write under the existing key.
        String key = name;
        for (Iterator<String> it = bundledTree().path("chips").fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (normalize(k).equals(normalize(name))) key = k;
        }
        for (Iterator<String> it = chipsNode.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (normalize(k).equals(normalize(name))) key = k;
        }
        // Keep the user's other overrides of this chip; replace only its base and calibration.
        ObjectNode chip = chipsNode.get(key) instanceof ObjectNode o ? o : JsonNodeFactory.instance.objectNode();
        chip.remove(List.of("based_on", "calibration"));
        if (!normalize(key).equals(normalize(c.basedOn()))) chip.put("based_on", c.basedOn());
        ObjectNode cal = chip.putObject("calibration");
        ObjectNode scale = cal.putObject("scale");
        scale.put("value", c.scale());
        scale.put("source", "your measurement: " + c.workload() + String.format(Locale.ROOT, " took %.3f ms (Xcode "
                + "performance report median); the uncalibrated estimate was %.3f ms", c.measuredMs(),
                c.estimatedBeforeMs()));
        scale.put("confidence", "E");
        cal.put("workload", c.workload());
        cal.put("measured_ms", c.measuredMs());
        cal.put("estimated_ms", c.estimatedMs());
        cal.put("estimated_before_ms", c.estimatedBeforeMs());
        chipsNode.set(key, chip);
        try {
            Files.createDirectories(userFile.toAbsolutePath().getParent());
            Path tmp = userFile.resolveSibling(userFile.getFileName() + ".tmp");
            JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), root);
            Files.move(tmp, userFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw AnewbException.file(userFile, "cannot write chip profiles (" + AnewbException.reason(e) + ")", e);
        }
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

    /** Every profile with other constants (a trial of the fit, or a leave-one-out refit). */
    public ChipProfiles withConstants(CostConstants c) {
        Map<String, ChipProfile> out = new LinkedHashMap<>();
        for (Map.Entry<String, ChipProfile> e : chips.entrySet()) out.put(e.getKey(), e.getValue().withConstants(c));
        return new ChipProfiles(out, c, userFile);
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
        String cs = "constants";
        CostConstants constants = new CostConstants(figure(c, "matmul_efficiency", where, cs),
                figure(c, "elementwise_efficiency", where, cs), figure(c, "reduction_efficiency", where, cs),
                figure(c, "evaluation_overhead_ms", where, cs), figure(c, "bandwidth_utilization", where, cs),
                figure(c, "int8_weight_read_factor", where, cs), figure(c, "op_overhead_ms", where, cs),
                figure(c, "cpu_handoff_ms", where, cs), figure(c, "energy_pj_per_flop", where, cs),
                figure(c, "energy_pj_per_dram_byte", where, cs), figure(c, "energy_pj_per_sram_byte", where, cs),
                figure(c, "baseline_score_last_axis", where, cs));
        for (Figure f : List.of(constants.matmulEfficiency(), constants.elementwiseEfficiency(),
                constants.reductionEfficiency(), constants.bandwidthUtilization())) {
            if (!(f.value() > 0 && f.value() <= 1)) {
                throw new AnewbException(where + ": the efficiencies and bandwidth_utilization must be in (0, 1]");
            }
        }
        Map<String, ChipProfile> chips = new LinkedHashMap<>();
        JsonNode list = tree.path("chips");
        if (!list.isObject() || list.isEmpty()) throw new AnewbException(where + ": no \"chips\" object");
        for (Iterator<Map.Entry<String, JsonNode>> it = list.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            String ctx = "chip \"" + name + "\"";
            JsonNode n = resolveBase(list, name, e.getValue(), where);
            for (Iterator<String> keys = n.fieldNames(); keys.hasNext(); ) {
                String k = keys.next();
                if (!CHIP_KEYS.contains(k))
                        throw new AnewbException(where + ": " + ctx + ": unknown key \"" + k + "\"");
            }
            String basis = n.path("tops_basis").asText("");
            if (!basis.equals("FP16") && !basis.equals("INT8")) {
                throw new AnewbException(where + ": " + ctx + ": tops_basis must be \"FP16\" or \"INT8\"");
            }
            Figure limit = n.has("model_weight_limit_mb") ? figure(n, "model_weight_limit_mb", where, ctx)
                    : new Figure(1024, "default: the file gives no model_weight_limit_mb; iOS's 1GB per model "
                    + "(Anemll/Anemll README) is assumed", "?");
            ChipProfile p = new ChipProfile(name, figure(n, "ane_cores", where, ctx),
                    figure(n, "peak_tops", where, ctx), basis,
                    figure(n, "fp16_tflops", where, ctx), n.path("int8_activation_speedup").asBoolean(false),
                    figure(n, "dram_gb_per_s", where, ctx),
                            n.has("ane_gb_per_s") ? figure(n, "ane_gb_per_s", where, ctx) : null,
                    figure(n, "buffer_mb", where, ctx), limit, n.path("notes").asText(""), constants, false,
                    calibration(n, name, where, ctx));
            for (Figure f : List.of(p.fp16Tflops(), p.dramGbPerS(), p.bufferMb(), p.modelWeightLimitMb())) {
                if (!(f.value() > 0)) throw new AnewbException(where + ": " + ctx + ": figures must be positive");
            }
            if (p.aneGbPerS() != null && !(p.aneGbPerS().value() > 0)) {
                throw new AnewbException(where + ": " + ctx + ": figures must be positive");
            }
            chips.put(name, p);
        }
        return new ChipProfiles(chips, constants, userFile);
    }

    /** A chip's node with the figures of its {@code based_on} chip filled in (one level: a base has no base). */
    private static JsonNode resolveBase(JsonNode chips, String name, JsonNode node, String where) {
        if (!node.has("based_on")) return node;
        String base = node.path("based_on").asText("");
        JsonNode baseNode = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = chips.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (normalize(e.getKey()).equals(normalize(base))) baseNode = e.getValue();
        }
        if (baseNode == null || baseNode.has("based_on") || normalize(base).equals(normalize(name))) {
            throw new AnewbException(where + ": chip \"" + name
                    + "\": based_on \"" + base + "\" is not a chip with its own figures");
        }
        ObjectNode merged = baseNode.deepCopy();
        merged.remove("calibration");
        merge(merged, (ObjectNode) node);
        merged.put("based_on", base);
        return merged;
    }

    private static DeviceCalibration calibration(JsonNode chip, String name, String where, String ctx) {
        JsonNode cal = chip.get("calibration");
        if (cal == null) return null;
        String c = ctx + ".calibration";
        Figure scale = figure(cal, "scale", where, c);
        double measured = cal.path("measured_ms").asDouble(Double.NaN),
                estimated = cal.path("estimated_ms").asDouble(Double.NaN),
                before = cal.path("estimated_before_ms").asDouble(Double.NaN);
        if (!(scale.value() > 0 && measured > 0 && estimated > 0 && before > 0)) {
            throw new AnewbException(where + ": " + c
                    + ": scale, measured_ms, estimated_ms and estimated_before_ms must be positive numbers");
        }
        String base = chip.path("based_on").asText(name);
        return new DeviceCalibration(scale.value(), base, cal.path("workload").asText("your model"),
                measured, estimated, before);
    }

    private static Figure figure(JsonNode parent, String key, String where, String ctx) {
        JsonNode f = parent.get(key);
        if (f == null || !f.isObject()) throw new AnewbException(where + ": " + ctx + ": missing figure \"" + key
                + "\" ({\"value\", \"source\", \"confidence\"})");
        JsonNode v = f.get("value");
        if (v == null || !v.isNumber()) throw new AnewbException(where + ": " + ctx + "." + key
                + ": \"value\" must be a number");
        String source = f.path("source").asText("");
        if (source.isBlank()) throw new AnewbException(where + ": " + ctx + "." + key
                + ": every figure needs a \"source\"");
        String conf = f.path("confidence").asText("");
        if (!List.of("A", "D", "E", "L", "?").contains(conf)) {
            throw new AnewbException(where + ": " + ctx + "." + key
                    + ": confidence must be one of A, D, E, L, ? (got \"" + conf + "\")");
        }
        return new Figure(v.asDouble(), source, conf);
    }
}
