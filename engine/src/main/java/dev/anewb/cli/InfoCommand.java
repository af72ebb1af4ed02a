package dev.anewb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.anewb.api.ModelLoader;
import dev.anewb.io.ByteSizes;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelInfo;
import dev.anewb.job.JobContext;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Architecture, parameter count, layers, heads, sizes, files and dtype of a model.")
final class InfoCommand implements Callable<Integer> {
    @Mixin ModelArgument model;

    @Option(names = "--json", description = "Print JSON.") boolean json;

    @Override public Integer call() throws Exception {
        try (LoadedModel m = ModelLoader.load(ModelRef.parse(model.model), JobContext.NONE, true)) {
            m.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            ModelInfo info = ModelInfo.of(m);
            if (json) {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(info));
            } else {
                ModelConfig c = m.config();
                System.out.printf("%s%n", m.displayName());
                System.out.printf("  architecture      %s (%s)%n", info.architecture(), info.modelType());
                System.out.printf("  parameters        %,d (%s)%n", info.parameters(),
                        ModelInfo.humanCount(info.parameters()));
                System.out.printf("  layers            %d%n", c.numLayers());
                System.out.printf("  heads             %d%s%n", c.numHeads(), c.numKvHeads() != c.numHeads() ? " ("
                        + c.numKvHeads() + " key/value)" : "");
                System.out.printf("  hidden size       %d (head dim %d)%n", c.hiddenSize(), c.headDim());
                System.out.printf("  intermediate      %d%n", c.intermediateSize());
                System.out.printf("  vocabulary        %d%n", c.vocabSize());
                System.out.printf("  max positions     %d%n", c.maxPositions());
                System.out.printf("  dtype             %s%n", info.dtype());
                System.out.printf("  size on disk      %s%n", ByteSizes.format(info.sizeOnDisk()));
                System.out.printf("  folder            %s%n", m.folder());
                System.out.printf("  files             %s%n", String.join(", ", info.files()));
            }
        }
        return 0;
    }
}
