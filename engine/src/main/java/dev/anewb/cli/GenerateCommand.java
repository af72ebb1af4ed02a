package dev.anewb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelSession;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.model.TextTokenizer;
import dev.anewb.runtime.Generator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Text generation with a KV cache (GPT-2, Llama family; Whisper from --audio and "
                + "--decoder-ids): prefill the prompt, then one token at a time",
                "through the same graph. Greedy unless --temperature is given. Streams the text; --json prints",
                "{\"ids\":[...new token ids...],\"text\":\"...\"} at the end.",
                "Conversion options run the converted model (default: FP32, unquantized)."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin InputOptions input;
    @Mixin ConversionOptions conversion;

    @Option(names = "--max-new-tokens", paramLabel = "N", required = true,
            description = "Tokens to generate (fewer if the model ends the text).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T",
            description = "Sample at this temperature (> 0); absent or 0 = greedy.")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K",
            description = "Sample among the K most likely tokens (needs --temperature).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P",
            description = "Sample among the most likely tokens whose probability reaches P (needs --temperature).")
    Double topP;

    @Option(names = "--seed", paramLabel = "S",
            description = "Random seed for sampling (default 0); the same seed gives the same tokens.")
    long seed;

    @Option(names = "--json", description = "Print {\"ids\":[...],\"text\":\"...\"} instead of streaming.")
    boolean json;

    /** Why new ids decode to no text (a random model's ids outside the tokenizer's vocabulary), or null. */
    static String emptyTextReason(Generator.Result r, TextTokenizer tok) {
        if (tok == null || r.ids().length == 0 || !r.text().isBlank()) return null;
        int vocab = tok.vocabSize(), outside = 0;
        for (long id : r.ids()) if (id >= vocab || tok.idToToken(id) == null) outside++;
        if (outside > 0) {
            return String.format(Locale.ROOT, "the %d new ids decode to no text: %d of them are not in the tokenizer's"
                    + " vocabulary (ids 0..%d); the model's vocabulary is larger than its tokenizer's (random "
                            + "weights, or a"
                    + " tokenizer of another model)", r.ids().length, outside, vocab - 1);
        }
        return String.format(Locale.ROOT, "the %d new ids decode to no text (special or whitespace tokens only)",
                r.ids().length);
    }

    @Override public Integer call() throws Exception {
        boolean sampling = temperature != null && temperature != 0;
        if (!sampling && (topK != null
                || topP != null)) throw AnewbException.usage("--top-k and --top-p need --temperature (greedy "
                        + "decoding ignores them)");
        Generator.Sampling s = sampling
                ? new Generator.Sampling(temperature, topK == null ? 0 : topK, topP == null ? 1 : topP, seed)
                : Generator.Sampling.GREEDY;
        if (input.texts.size() > 1) throw AnewbException.usage("generate takes one --text");
        Conversion c = conversion.toConversion(false, Conversion.Precision.FP32, Conversion.Layout.HF);
        try (ModelSession session = ModelSession.open(ModelRef.parse(model.model), true, JobContext.NONE)) {
            LoadedModel m = session.model();
            ConvertedModel cm = session.convert(c);
            cm.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            ModelGraph graph = cm.graph();
            if (!graph.config().isCausal()) {
                throw AnewbException.usage(m.displayName() + " is a " + graph.config().architecture()
                        + ", not a text generator (GPT-2 or the Llama family)");
            }
            var batch = input.toBatch(m);
            long[] prompt = batch.ids()[0];
            TextTokenizer tok = m.hasTokenizer() ? m.tokenizer() : null;
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            Generator gen = new Generator(session.executor(c), tok);
            // Whisper: the audio's input_features condition every step (the encoder runs once, in the first step).
            Generator.Result r = gen.generate(prompt, batch.features(), maxNewTokens, s, json ? null : (id, text) -> {
                out.print(tok == null ? (id + " ") : text);
                out.flush();
            }, JobContext.NONE);
            String why = emptyTextReason(r, tok);
            if (why != null) System.err.println("anewb: note: " + why);
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                var ids = o.putArray("ids");
                for (long id : r.ids()) ids.add(id);
                o.put("text", r.text());
                out.println(om.writeValueAsString(o));
            } else {
                out.println();
            }
        }
        return 0;
    }
}
