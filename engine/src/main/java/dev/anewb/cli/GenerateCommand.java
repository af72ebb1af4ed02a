package dev.anewb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.convert.Converter;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelLoader;
import dev.anewb.io.TextTokenizer;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.Generator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Text generation with a KV cache (GPT-2, Llama family; Whisper from --audio and --decoder-ids): prefill the prompt, then one token at a time",
                "through the same graph. Greedy unless --temperature is given. Streams the text; --json prints",
                "{\"ids\":[...new token ids...],\"text\":\"...\"} at the end.",
                "Conversion options run the converted model (default: FP32, unquantized)."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin InputOptions input;
    @Mixin ConversionOptions conversion;

    @Option(names = "--max-new-tokens", paramLabel = "N", required = true, description = "Tokens to generate (fewer if the model ends the text).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Sample at this temperature (> 0); absent or 0 = greedy.")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens (needs --temperature).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Sample among the most likely tokens whose probability reaches P (needs --temperature).")
    Double topP;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed for sampling (default 0); the same seed gives the same tokens.")
    long seed;

    @Option(names = "--json", description = "Print {\"ids\":[...],\"text\":\"...\"} instead of streaming.")
    boolean json;

    @Override public Integer call() throws Exception {
        boolean sampling = temperature != null && temperature != 0;
        if (!sampling && (topK != null || topP != null)) throw AnewbException.usage("--top-k and --top-p need --temperature (greedy decoding ignores them)");
        Generator.Sampling s = sampling ? new Generator.Sampling(temperature, topK == null ? 0 : topK, topP == null ? 1 : topP, seed)
                : Generator.Sampling.GREEDY;
        if (input.texts.size() > 1) throw AnewbException.usage("generate takes one --text");
        Conversion c = conversion.toConversion(false, Conversion.Precision.FP32, Conversion.Layout.HF);
        try (LoadedModel m = ModelLoader.load(ModelRef.parse(model.model), JobContext.NONE, true)) {
            m.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            ModelGraph graph = m.graph();
            if (!c.isOriginal()) {
                if (m.isPackage()) throw AnewbException.usage(model.model + " is already converted; conversion options apply to a source model");
                Converter.Result r = Converter.convert(graph, c);
                r.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
                graph = r.graph();
            }
            if (!graph.config().isCausal()) {
                throw AnewbException.usage(m.displayName() + " is a " + graph.config().architecture() + ", not a text generator (GPT-2 or the Llama family)");
            }
            var batch = input.toBatch(m);
            long[] prompt = batch.ids()[0];
            TextTokenizer tok = m.hasTokenizer() ? m.tokenizer() : null;
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            Generator gen = new Generator(new Executor(graph, m.weights()), tok);
            // Whisper: the audio's input_features condition every step (the encoder runs once, in the first step).
            Generator.Result r = gen.generate(prompt, batch.features(), maxNewTokens, s, json ? null : (id, text) -> {
                out.print(tok == null ? (id + " ") : text);
                out.flush();
            }, JobContext.NONE);
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
