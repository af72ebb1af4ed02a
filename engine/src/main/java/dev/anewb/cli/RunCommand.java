package dev.anewb.cli;

import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelLoader;
import dev.anewb.io.SafetensorsWriter;
import dev.anewb.job.JobContext;
import dev.anewb.model.ModelRef;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Batch;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"One forward pass; prints every tap's shape and its first values.",
                "--dump writes every tap (transformers naming and shape, float32) to a safetensors file."})
final class RunCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin InputOptions input;

    @Option(names = "--dump", paramLabel = "FILE.safetensors", description = "Write every tap to this file.")
    Path dump;

    @Override public Integer call() {
        try (LoadedModel m = ModelLoader.load(ModelRef.parse(model.model), JobContext.NONE, true)) {
            Batch batch = input.toBatch(m);
            RunResult r = new Executor(m.graph(), m.weights()).run(batch, JobContext.NONE);
            for (Map.Entry<String, Activation> e : r.taps().entrySet()) {
                long[] shape = TapShapes.transformersShape(m.graph(), e.getKey(), e.getValue());
                StringBuilder sb = new StringBuilder();
                float[] d = e.getValue().data();
                for (int i = 0; i < Math.min(4, d.length); i++) sb.append(String.format(Locale.ROOT, "%s%.5f", i == 0 ? "" : ", ", d[i]));
                System.out.printf("%-28s %-16s [%s, ...]%n", e.getKey(), java.util.Arrays.toString(shape), sb);
            }
            System.out.printf(Locale.ROOT, "forward pass: %.1f ms (batch %d, %d tokens)%n", r.nanos() / 1e6, batch.batch(), batch.seq());
            if (dump != null) {
                SafetensorsWriter w = new SafetensorsWriter();
                for (Map.Entry<String, Activation> e : r.taps().entrySet()) {
                    w.addFloats(e.getKey(), TapShapes.transformersShape(m.graph(), e.getKey(), e.getValue()), e.getValue().data());
                }
                w.metadata("model", m.ref().text());
                w.write(dump);
                System.out.println("wrote " + dump);
            }
        }
        return 0;
    }
}
