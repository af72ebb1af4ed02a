package dev.anewb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelSession;
import dev.anewb.convert.AnePackage;
import dev.anewb.drift.DriftJson;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.LayerRange;
import dev.anewb.model.ModelRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "drift", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Per-layer accuracy drift of the converted model against the FP32 original, measured on the "
                + "CPU.",
                "Per tap (spec/drift.md): SQNR (dB), cosine, relative L2, max |diff| and growth, over valid "
                        + "(non-padding) positions.",
                "Defaults convert as `anewb convert` does: --quant int8 --block-size 128 --precision fp16 --layout "
                        + "bc1s.",
                "Without --text/--ids the built-in sample sentences are used."})
final class DriftCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin InputOptions input;
    @Mixin ConversionOptions conversion;

    @Option(names = "--by-cause", description = "Also run each change alone (quantization, fp16, chunking, layout, "
            + "activations) and show what each costs.")
    boolean byCause;

    @Option(names = "--layers", paramLabel = "FROM-TO",
            description = {"Only these blocks (e.g. 0-3): they start from the FP32 "
            + "original's hidden state before FROM and only they are converted, so a model too large to convert "
                    + "whole is "
            + "measured a range at a time."})
    String layers;

    @Option(names = "--json",
            description = "Print {\"taps\":[{\"name\",\"sqnr_db\",\"cosine\",\"rel_l2\",\"max_abs\"}],\"task\":{...}}.")
    boolean json;

    @Override public Integer call() throws Exception {
        Conversion c = conversion.toConversion(true, Conversion.Precision.FP16, Conversion.Layout.BC1S);
        try (ModelSession s = ModelSession.open(ModelRef.parse(model.model), true, JobContext.NONE)) {
            LoadedModel m = s.model();
            if (m.isPackage()) {
                throw AnewbException.usage(model.model
                        + " is already converted; run drift on its source model, or `anewb run` the"
                        + " package to re-check its recorded drift");
            }
            ConvertedModel cm = s.convert(c);
            cm.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            if (input.isEmpty()) cm.sampleWarnings().forEach(w -> System.err.println("anewb: warning: " + w));
            Batch batch = input.isEmpty() ? cm.sampleInput() : input.toBatch(m);
            LayerRange range = layers == null ? null : LayerRange.parse(layers);
            if (range != null) m.graph().layers(range.from(), range.to()); // refuses a range the model does not have
            DriftReport r = cm.drift(batch, byCause, range, JobContext.NONE, null);
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                o.put("model", model.model);
                o.set("conversion", AnePackage.conversionJson(c));
                o.set("taps", DriftJson.taps(r.taps()));
                ObjectNode task = o.putObject("task");
                r.task().forEach(task::put);
                if (byCause) {
                    ObjectNode bc = o.putObject("by_cause");
                    r.byCause().forEach((cause, taps) -> bc.set(cause.label(), DriftJson.taps(taps)));
                }
                System.out.println(om.writerWithDefaultPrettyPrinter().writeValueAsString(o));
            } else {
                print(r, c);
            }
        }
        return 0;
    }

    private void print(DriftReport r, Conversion c) {
        System.out.println("drift of " + ConversionOptions.describe(c) + " against FP32 (measured on the CPU)");
        List<DriftReport.Cause> causes = List.copyOf(r.byCause().keySet());
        StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-22s %9s %9s %10s %10s %8s", "tap", "SQNR dB",
                "cosine", "rel L2", "max abs", "growth"));
        for (DriftReport.Cause cause : causes) h.append(String.format(Locale.ROOT, " %12s", cause.label()));
        System.out.println(h);
        double[] growth = TapMetrics.growths(r.taps());
        for (int i = 0; i < r.taps().size(); i++) {
            TapMetrics t = r.taps().get(i);
            double g = growth[i];
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-22s %9s %9.6f %10.3e %10.3e %8s",
                    t.name(), t.sqnrText(), t.cosine(),
                    t.relL2(), t.maxAbs(), Double.isNaN(g) ? "" : String.format(Locale.ROOT, "%+.1f", g)));
            for (DriftReport.Cause cause : causes) sb.append(String.format(Locale.ROOT, " %12s",
                    r.byCause().get(cause).get(i).sqnrText()));
            System.out.println(sb);
        }
        r.task().forEach((k, v) -> System.out.printf(Locale.ROOT, "%s: %.6f%n", k, v));
    }
}
