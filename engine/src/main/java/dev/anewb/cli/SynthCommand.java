package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.io.ByteSizes;
import dev.anewb.io.SyntheticModel;
import dev.anewb.model.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Writes a model folder with random weights for a config.json: every tensor its architecture "
                + "reads,",
                "as safetensors, sharded above 5 GB like the Hub (for benchmarks and tests of large shapes without a "
                        + "download)."})
final class SynthCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG", description = "A config.json of a supported architecture.")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The model folder to write.")
    Path out;

    @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "bf16|f16|f32",
            description = "Stored dtype (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
            description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "A tokenizer.json to copy beside the weights.")
    Path tokenizer;

    @Option(names = "--force", description = "Replace an existing folder.")
    boolean force;

    @Override public Integer call() throws Exception {
        if (!Files.isRegularFile(config)) throw AnewbException.usage(config + ": no such file");
        if (tokenizer != null && !Files.isRegularFile(tokenizer)) throw AnewbException.usage(tokenizer
                + ": no such file");
        DType d = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "bf16" -> DType.BF16;
            case "f16", "fp16" -> DType.F16;
            case "f32", "fp32" -> DType.F32;
            default -> throw AnewbException.usage("--dtype " + dtype + ": expected bf16, f16 or f32");
        };
        ProgressPrinter progress = new ProgressPrinter("synth");
        Path dir;
        try {
            dir = SyntheticModel.write(config, out, d, seed, SyntheticModel.SHARD_BYTES, tokenizer, force, progress);
        } finally {
            progress.done();
        }
        long bytes;
        try (Stream<Path> s = Files.list(dir)) {
            bytes = s.mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.println("wrote " + dir + " (" + ByteSizes.format(bytes) + ")");
        return 0;
    }
}
