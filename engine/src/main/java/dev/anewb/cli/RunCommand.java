package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelSession;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.OwnInputs;
import dev.anewb.io.SafetensorsWriter;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.NonFiniteValues;
import dev.anewb.runtime.RunResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"One forward pass; prints every tap's shape and its first values (default: the FP32 original; "
                + "conversion options run the converted model).",
                "On an .anepkg without input: runs its sample input and checks the drift recorded in its manifest.",
                "--dump writes every tap (transformers naming and shape, float32) to a safetensors file."})
final class RunCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin InputOptions input;
    @Mixin ConversionOptions conversion;

    @Option(names = "--dump", paramLabel = "FILE.safetensors", description = "Write every tap to this file.")
    Path dump;

    @Option(names = "--force", description = "Replace the --dump file if it exists (never one of the inputs).")
    boolean force;

    /** A package without input: run its sample input and compare with the drift its manifest recorded. */
    private int recheck(ModelSession s) {
        LoadedModel m = s.model();
        List<TapMetrics> now = s.recheckPackage(JobContext.NONE);
        Map<String, Double> recorded = new HashMap<>();
        for (var t : m.manifest().path("drift").path("taps")) {
            recorded.put(t.path("name").asText(), t.path("sqnr_db").isNull() ? Double.POSITIVE_INFINITY
                    : t.path("sqnr_db").asDouble());
        }
        System.out.println("re-measuring " + m.displayName()
                + " on its sample input against the stored FP32 reference");
        System.out.printf("%-22s %12s %12s%n", "tap", "SQNR dB now", "in manifest");
        int mismatches = 0;
        for (TapMetrics t : now) {
            Double rec = recorded.get(t.name());
            boolean same = rec != null
                    && (rec.equals(t.sqnrDb()) || Math.abs(rec - t.sqnrDb()) <= 1e-9 * Math.abs(rec));
            if (!same) mismatches++;
            System.out.printf(Locale.ROOT, "%-22s %12s %12s%s%n", t.name(), t.sqnrText(), rec == null ? "-"
                    : rec.isInfinite() ? "exact" : String.format(Locale.ROOT, "%.1f", rec),
                    same ? "" : "   DIFFERS");
        }
        System.out.println(mismatches == 0 ? "all taps reproduce the manifest's drift" : mismatches
                + " taps differ from the manifest");
        return mismatches == 0 ? 0 : 1;
    }

    @Override public Integer call() {
        if (dump != null && Files.isDirectory(dump)) {
            throw AnewbException.usage("--dump " + dump + ": is a folder; --dump needs a file name");
        }
        if (dump != null && Files.exists(dump) && !force) {
            throw AnewbException.usage("--dump " + dump + ": exists; add --force to replace it");
        }
        try (ModelSession s = ModelSession.open(ModelRef.parse(model.model), true, JobContext.NONE)) {
            LoadedModel m = s.model();
            if (dump != null) OwnInputs.of(m, input.image, input.audio).refuseOutput("--dump", dump);
            if (m.isPackage() && input.isEmpty()) return recheck(s);
            ConvertedModel cm = s.convert(conversion.toConversion(false, Conversion.Precision.FP32,
                    Conversion.Layout.HF));
            cm.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            ModelGraph graph = cm.graph();
            Batch batch = input.toBatch(m);
            RunResult r = cm.run(batch, JobContext.NONE);
            for (Map.Entry<String, Activation> e : r.taps().entrySet()) {
                long[] shape = TapShapes.transformersShape(m.graph(), e.getKey(), e.getValue());
                StringBuilder sb = new StringBuilder();
                float[] d = e.getValue().data();
                for (int i = 0; i < Math.min(4, d.length); i++) sb.append(String.format(Locale.ROOT, "%s%.5f", i == 0
                        ? "" : ", ", d[i]));
                System.out.printf("%-28s %-16s [%s, ...]%n", e.getKey(), Arrays.toString(shape), sb);
            }
            m.graph().tapAliases().forEach((alias, tap) -> System.out.printf("%-28s = %s%n", alias, tap));
            System.out.printf(Locale.ROOT, "forward pass: %.1f ms (batch %d, %d tokens)%n", r.nanos() / 1e6,
                    batch.batch(), batch.seq());
            String nonFinite = NonFiniteValues.warning(graph, m.weights(), r);
            if (nonFinite != null) System.err.println("anewb: warning: " + nonFinite);
            if (dump != null) {
                SafetensorsWriter w = new SafetensorsWriter();
                for (Map.Entry<String, Activation> e : r.taps().entrySet()) {
                    w.addFloats(e.getKey(), TapShapes.transformersShape(m.graph(), e.getKey(), e.getValue()),
                            e.getValue().data());
                }
                // the names transformers' outputs use, as copies: what a Python user looks for first
                for (Map.Entry<String, String> a : m.graph().tapAliases().entrySet()) {
                    Activation act = r.taps().get(a.getValue());
                    if (act == null) continue;
                    w.addFloats(a.getKey(), TapShapes.transformersShape(m.graph(), a.getValue(), act), act.data());
                }
                w.metadata("model", m.ref().text());
                w.write(dump);
                System.out.println("wrote " + dump);
            }
        }
        return 0;
    }
}
