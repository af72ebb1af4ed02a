package dev.anewb.io;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.model.TextTokenizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@code tokenizer.json} run by the Rust {@code tokenizers} library through DJL, configured to behave like
 * {@code transformers}' default call: special tokens added by the post-processor, and the file's own padding and
 * truncation settings NOT applied (the bundled MiniLM file pads to 128) unless a batch asks for them.
 *
 * <p>Only tokenizer.json is used: DJL's path-based loader also reads a tokenizer_config.json beside it and then
 * lower-cases / strips accents / prefixes a space in Java before the Rust tokenizer sees the text, which shifts
 * offsets away from what transformers reports. We load from the JSON text instead, so no such rewriting happens.
 *
 * <p>Native library: DJL's tokenizers jar carries libtokenizers for linux-x86_64/aarch64, osx-aarch64 and win-x86_64
 * and copies it on first use to {@code <ENGINE_CACHE_DIR or DJL_CACHE_DIR or ~/.djl.ai>/tokenizers/<version>-...};
 * when the home folder is not writable DJL itself falls back to {@code java.io.tmpdir/.djl.ai}. It would download a
 * library only for a platform missing from the jar; we switch DJL to offline mode so that case fails at once
 * instead of trying the network, and opt out of DJL's usage reporting (it calls home on EC2 otherwise).
 * DJL's own read-only-home fallback only looks at {@code Files.isWritable(user.home)} (and in a probe with an
 * unusable user.home it still used that path), so unless the user set a cache dir we try to create
 * {@code ~/.djl.ai} ourselves and point DJL_CACHE_DIR at a per-user temp folder when that fails.
 */
public final class HfTokenizer implements TextTokenizer {
    static {
        setIfAbsent("ai.djl.offline", "DJL_OFFLINE", "true");
        setIfAbsent("OPT_OUT_TRACKING", "OPT_OUT_TRACKING", "true");
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null
                && System.getProperty("ENGINE_CACHE_DIR") == null && System.getenv("ENGINE_CACHE_DIR") == null) {
            Path dir = djlCacheDir(Path.of(System.getProperty("user.home", "")),
                    Path.of(System.getProperty("java.io.tmpdir"), "anewb-" + System.getProperty("user.name", "user")));
            if (dir != null) System.setProperty("DJL_CACHE_DIR", dir.toString());
        }
    }

    /** Null when {@code home/.djl.ai} can be created and written (DJL's default); otherwise a folder under tmp. */
    static Path djlCacheDir(Path home, Path tmpRoot) {
        Path djl = home.resolve(".djl.ai");
        try {
            Files.createDirectories(djl);
            if (Files.isWritable(djl)) return null;
        } catch (IOException | RuntimeException e) {
            // Read-only or missing home: fall through to the temp folder.
        }
        return tmpRoot.resolve("djl");
    }

    private static void setIfAbsent(String property, String env, String value) {
        if (System.getProperty(property) == null && System.getenv(env) == null) System.setProperty(property, value);
    }

    private final Path path;
    private final String json;
    private final HuggingFaceTokenizer plain;
    /** Tokenizers configured for padding/truncation, created on first use per setting. */
    private final Map<String, HuggingFaceTokenizer> configured = new ConcurrentHashMap<>();
    private final Map<String, Long> tokenToId = new HashMap<>();
    private final Map<Long, String> idToToken = new HashMap<>();
    private final int vocabSize;
    private Long unknownId;

    private HfTokenizer(Path path, String json) {
        this.path = path;
        this.json = json;
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw AnewbException.file(path, "is not valid JSON: " + AnewbException.reason(e), e);
        }
        if (root == null || !root.isObject() || !root.path("model").isObject()) {
            throw AnewbException.file(path, "is not a tokenizer.json (no \"model\" object)");
        }
        readVocab(root);
        JsonNode unk = root.get("model").get("unk_token"), unkId = root.get("model").get("unk_id");
        if (unk != null && unk.isTextual()) unknownId = tokenToId.get(unk.asText());
        else if (unkId != null && unkId.canConvertToLong()) unknownId = unkId.asLong();
        checkPostProcessor(root.get("post_processor"), "post_processor");
        this.vocabSize = idToToken.keySet().stream().mapToInt(Long::intValue).max().orElse(-1) + 1;
        // A native panic would end this process: a child JVM tries the file first (once per content).
        NativeTokenizerProbe.check(path, json);
        this.plain = create(Map.of());
    }

    /** Real tokenizer.json files are up to a few tens of MB (Gemma's is ~34 MB); beyond this it is not one. */
    static final long MAX_BYTES = 256L << 20;

    public static HfTokenizer open(Path tokenizerJson) {
        try {
            // Checked before reading: the file is read whole, twice (Jackson here, then the native library).
            long size = Files.size(tokenizerJson);
            if (size > MAX_BYTES) throw AnewbException.file(tokenizerJson, "is " + size + " bytes, more than the "
                    + MAX_BYTES + "-byte limit for a tokenizer.json");
            return new HfTokenizer(tokenizerJson, Files.readString(tokenizerJson, StandardCharsets.UTF_8));
        } catch (CharacterCodingException e) {
            throw AnewbException.file(tokenizerJson, "is not valid UTF-8 text", e);
        } catch (IOException e) {
            throw AnewbException.file(tokenizerJson, "cannot read: " + AnewbException.reason(e), e);
        }
    }

    /**
     * The Rust library panics — and a panic across the native boundary aborts the whole JVM — when a
     * TemplateProcessing template names a special token its {@code special_tokens} map lacks (found by fuzzing).
     * Checked here first, including templates nested in a Sequence post-processor.
     */
    private void checkPostProcessor(JsonNode pp, String where) {
        if (pp == null || pp.isNull()) return;
        if (!pp.isObject()) throw AnewbException.file(path, where + " is not an object");
        String type = pp.path("type").asText();
        if (type.equals("Sequence")) {
            JsonNode list = pp.get("processors");
            if (list != null && list.isArray()) for (int i = 0; i < list.size(); i++) checkPostProcessor(list.get(i),
                    where + ".processors[" + i + "]");
            return;
        }
        if (!type.equals("TemplateProcessing")) return;
        JsonNode special = pp.get("special_tokens");
        if (special != null && !special.isObject()) throw AnewbException.file(path, where
                + ".special_tokens is not an object");
        for (String template : List.of("single", "pair")) {
            JsonNode pieces = pp.get(template);
            if (pieces == null || !pieces.isArray()) continue;
            for (JsonNode piece : pieces) {
                JsonNode st = piece.get("SpecialToken");
                if (st == null) continue;
                String id = st.path("id").asText(null);
                JsonNode entry = special == null || id == null ? null : special.get(id);
                if (entry == null || !entry.path("ids").isArray() || !entry.path("tokens").isArray()
                        || entry.path("ids").size() != entry.path("tokens").size()) {
                    throw AnewbException.file(path, where + "." + template + " uses special token \"" + id
                            + "\" that its special_tokens map does not define (with matching ids and tokens)");
                }
                for (JsonNode i : entry.get("ids")) id(i, where + " special token '" + id + "'");
            }
        }
    }

    /** The vocabulary as written in the file: model.vocab (WordPiece/BPE map or Unigram list) plus added_tokens. */
    private void readVocab(JsonNode root) {
        JsonNode vocab = root.get("model").get("vocab");
        if (vocab != null && vocab.isObject()) {
            vocab.properties().forEach(e ->
                    put(e.getKey(), id(e.getValue(), "model.vocab entry '" + e.getKey() + "'")));
        } else if (vocab != null && vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                JsonNode entry = vocab.get(i);
                if (!entry.isArray() || entry.isEmpty() || !entry.get(0).isTextual()) {
                    throw AnewbException.file(path, "model.vocab entry " + i + " is not a [token, score] pair");
                }
                put(entry.get(0).textValue(), i);
            }
        }
        JsonNode added = root.get("added_tokens");
        if (added != null && added.isArray()) {
            for (JsonNode t : added) {
                if (!t.path("content").isTextual()) throw AnewbException.file(path,
                        "an added_tokens entry has no \"content\" string");
                put(t.get("content").textValue(),
                        id(t.get("id"), "added token '" + t.get("content").textValue() + "'"));
            }
        }
    }

    /** Token ids index embedding rows: they must be non-negative ints. */
    private long id(JsonNode v, String what) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw AnewbException.file(path, what + " has id " + v + ", not a non-negative integer below 2^31");
        }
        return v.intValue();
    }

    private void put(String token, long id) {
        tokenToId.put(token, id);
        idToToken.putIfAbsent(id, token);
    }

    private HuggingFaceTokenizer create(Map<String, String> extra) {
        Map<String, String> options = new HashMap<>(Map.of("addSpecialTokens", "true", "padding", "false",
                "truncation", "false"));
        options.putAll(extra);
        try {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                    options);
        } catch (IOException | RuntimeException e) {
            throw AnewbException.file(path, "cannot be loaded as a tokenizer: " + AnewbException.reason(e), e);
        }
    }

    @Override
    public Encoding encode(String text) {
        return convert(plain.encode(text), text);
    }

    @Override
    public List<Encoding> encodeBatch(List<String> texts, boolean pad, int truncateTo) {
        if (truncateTo < 0) throw new IllegalArgumentException("truncateTo " + truncateTo + " < 0");
        HuggingFaceTokenizer t = plain;
        if (pad || truncateTo > 0) {
            String key = pad + "/" + truncateTo;
            t = configured.computeIfAbsent(key, k -> {
                Map<String, String> o = new HashMap<>();
                o.put("padding", pad ? "longest" : "false");
                if (truncateTo > 0) {
                    o.put("truncation", "true");
                    o.put("maxLength", Integer.toString(truncateTo));
                }
                return create(o);
            });
        }
        ai.djl.huggingface.tokenizers.Encoding[] raw = t.batchEncode(texts);
        List<Encoding> out = new ArrayList<>(raw.length);
        for (int i = 0; i < raw.length; i++) out.add(convert(raw[i], texts.get(i)));
        return out;
    }

    /** DJL gives char spans (null for special and padding tokens); transformers reports (0, 0) there. */
    private static Encoding convert(ai.djl.huggingface.tokenizers.Encoding e, String text) {
        CharSpan[] spans = e.getCharTokenSpans();
        int[][] offsets = new int[spans.length][];
        for (int i = 0; i < spans.length; i++) {
            offsets[i] = spans[i] == null ? new int[] {0, 0} : new int[] {spans[i].getStart(), spans[i].getEnd()};
        }
        return new Encoding(e.getIds(), e.getTokens(), offsets, e.getTypeIds(), e.getAttentionMask());
    }

    @Override public String decode(long[] ids, boolean skipSpecial) { return plain.decode(ids, skipSpecial); }

    @Override public Long unknownId() { return unknownId; }

    @Override public int vocabSize() { return vocabSize; }

    @Override public long tokenToId(String token) { return tokenToId.getOrDefault(token, -1L); }

    @Override public String idToToken(long id) { return idToToken.get(id); }

    public Path origin() { return path; }

    @Override
    public void close() {
        plain.close();
        configured.values().forEach(HuggingFaceTokenizer::close);
    }
}
