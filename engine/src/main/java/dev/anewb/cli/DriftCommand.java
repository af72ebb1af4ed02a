package dev.anewb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.convert.AnePackage;
import dev.anewb.convert.ConvertedModel;
import dev.anewb.convert.Converter;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelLoader;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelRef;
import dev.anewb.runtime.Batch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "drift", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Per-layer accuracy drift of the converted model against the FP32 original, measured on the CPU.",
                "Per tap (spec/drift.md): SQNR (dB), cosine, relative L2, max |diff| and growth, over valid (non-padding) positions.",
                "Defaults convert as `anewb convert` does: --quant int8 --block-size 128 --precision fp16 --layout bc1s.",
                "Without --text/--ids the built-in sample sentences are used."})
final class DriftCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin InputOptions input;
    @Mixin ConversionOptions conversion;

    @Option(names = "--by-cause", description = "Also run each change alone (quantization, fp16, chunking, layout) and show what each costs.")
    boolean byCause;

    @Option(names = "--json", description = "Print {\"taps\":[{\"name\",\"sqnr_db\",\"cosine\",\"rel_l2\",\"max_abs\"}],\"task\":{...}}.")
    boolean json;

    @Override public Integer call() throws Exception {
        Conversion c = conversion.toConversion(true, Conversion.Precision.FP16, Conversion.Layout.BC1S);
        try (LoadedModel m = ModelLoader.load(ModelRef.parse(model.model), JobContext.NONE, true)) {
            if (m.isPackage()) throw dev.anewb.AnewbException.usage(model.model + " is already converted; run drift on its source model, or `anewb run` the package to re-check its recorded drift");
            ConvertedModel cm = Converter.convert(m, c);
            cm.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            if (input.isEmpty()) cm.sampleWarnings().forEach(w -> System.err.println("anewb: warning: " + w));
            Batch batch = input.isEmpty() ? cm.sampleInput() : input.toBatch(m);
            DriftReport r = cm.drift(batch, byCause, JobContext.NONE);
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                o.put("model", model.model);
                o.set("conversion", AnePackage.conversionJson(c));
                o.set("taps", AnePackage.tapsJson(r.taps()));
                ObjectNode task = o.putObject("task");
                r.task().forEach(task::put);
                if (byCause) {
                    ObjectNode bc = o.putObject("by_cause");
                    r.byCause().forEach((cause, taps) -> bc.set(cause.label(), AnePackage.tapsJson(taps)));
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
        StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-22s %9s %9s %10s %10s %8s", "tap", "SQNR dB", "cosine", "rel L2", "max abs", "growth"));
        for (DriftReport.Cause cause : causes) h.append(String.format(Locale.ROOT, " %12s", cause.label()));
        System.out.println(h);
        double[] growth = TapMetrics.growths(r.taps());
        for (int i = 0; i < r.taps().size(); i++) {
            TapMetrics t = r.taps().get(i);
            double g = growth[i];
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-22s %9s %9.6f %10.3e %10.3e %8s", t.name(), t.sqnrText(), t.cosine(),
                    t.relL2(), t.maxAbs(), Double.isNaN(g) ? "" : String.format(Locale.ROOT, "%+.1f", g)));
            for (DriftReport.Cause cause : causes) sb.append(String.format(Locale.ROOT, " %12s", r.byCause().get(cause).get(i).sqnrText()));
            System.out.println(sb);
        }
        r.task().forEach((k, v) -> System.out.printf(Locale.ROOT, "%s: %.6f%n", k, v));
    }
}
