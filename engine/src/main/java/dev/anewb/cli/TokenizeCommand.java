package dev.anewb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.hub.HfCache;
import dev.anewb.io.BundledModel;
import dev.anewb.io.HfTokenizer;
import dev.anewb.model.ModelRef;
import dev.anewb.model.TextTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Tokenizer only (a folder holding just a tokenizer.json is enough).",
                "Special tokens are added by the tokenizer's post-processor, as transformers does by default."})
final class TokenizeCommand implements Callable<Integer> {
    @Mixin ModelArgument model;

    @Option(names = "--text", required = true, paramLabel = "STR", description = "The text to tokenize.") String text;

    @Option(names = "--json",
            description = "Print {\"ids\":[...],\"tokens\":[...],\"offsets\":[[a,b],...]}.") boolean json;

    @Override public Integer call() throws Exception {
        try (TextTokenizer tok = HfTokenizer.open(tokenizerJson(model.model))) {
            TextTokenizer.Encoding e = tok.encode(text);
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("ids", e.ids());
                m.put("tokens", e.tokens());
                m.put("offsets", e.offsets());
                System.out.println(new ObjectMapper().writeValueAsString(m));
            } else {
                for (int i = 0; i < e.length(); i++) {
                    System.out.printf("%6d  %-20s [%d, %d)%n", e.ids()[i], e.tokens()[i], e.offsets()[i][0],
                            e.offsets()[i][1]);
                }
                System.out.println(e.length() + " tokens");
            }
        }
        return 0;
    }

    /** tokenizer.json of a MODEL argument: the file itself, the one in a folder, or the bundled model's. */
    static Path tokenizerJson(String model) {
        if (BundledModel.isBundled(model)) return BundledModel.tokenizerPath();
        Path p = Path.of(model);
        if (Files.isRegularFile(p) && p.getFileName().toString().endsWith(".json")) return p;
        if (Files.isDirectory(p)) {
            Path t = p.resolve("tokenizer.json");
            if (!Files.isRegularFile(t)) throw AnewbException.file(p, "no tokenizer.json in this folder");
            return t;
        }
        ModelRef ref = ModelRef.parse(model);
        if (ref.kind() == ModelRef.Kind.HUB) {
            return HfCache.fromEnvironment().snapshot(ref.hubId(), ref.revision())
                    .map(s -> s.resolve("tokenizer.json")).filter(Files::isRegularFile)
                    .orElseThrow(() -> new AnewbException(ref.hubId()
                            + ": no tokenizer.json in the local Hugging Face cache"));
        }
        throw AnewbException.usage(model + ": not a tokenizer.json, a folder or a model id");
    }
}
