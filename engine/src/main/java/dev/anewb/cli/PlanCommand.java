package dev.anewb.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.BufferKind;
import dev.anewb.ane.Calibration;
import dev.anewb.ane.ChipProfile;
import dev.anewb.ane.ChipProfiles;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.PlanJson;
import dev.anewb.ane.PlanResult;
import dev.anewb.api.ModelSession;
import dev.anewb.api.PerChannelAlternative;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code anewb plan}: the ANE simulator (spec/ane-model.md). Every figure it prints is an estimate. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Estimate on-chip buffer use, DRAM traffic, latency and energy on an Apple Neural Engine, optimized vs baseline.",
                "A config.json is enough. Every figure is an ESTIMATE from a chip profile (chips.json, with sources), not a measurement.",
                "Default chip A15: the only chip with a published measurement of this model family, on which the efficiency is calibrated.",
                "Defaults (as `anewb convert`): --quant int8 --block-size 128 --precision fp16 --layout bc1s."})
public final class PlanCommand implements Runnable {
    /** What `anewb convert` would produce: the optimized plan's defaults. */
    static final Conversion DEFAULTS = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16, true, 128, false, List.of(), Map.of(), 0, 0);

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "A folder with a config.json, or a config.json.")
    String model;

    @Mixin ConversionOptions conversion;

    @Option(names = "--chip", paramLabel = "NAME", defaultValue = "A15", description = "Chip profile (default ${DEFAULT-VALUE}).")
    String chip;

    @Option(names = "--seq", paramLabel = "N", description = "Sequence length (tokens).")
    Integer seq;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "Batch size (default 1).")
    int batch;

    @Option(names = "--sram-mb", paramLabel = "X", description = "Replace the chip's on-chip buffer size for this run.")
    Double sramMb;

    @Option(names = "--json", description = "JSON with the keys of spec/cli.md.")
    boolean json;

    @Option(names = "--calibration", description = "Print the calibration table of spec/ane-model.md, estimate beside measurement.")
    boolean calibration;

    @Spec CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut();
        ChipProfiles profiles = ChipProfiles.load();
        if (calibration) {
            printCalibration(out, profiles);
            if (model == null) return;
            out.println();
        }
        if (model == null) throw AnewbException.usage("plan needs MODEL (or --calibration)");
        if (seq == null) throw AnewbException.usage("plan needs --seq N");
        ChipProfile c = profiles.get(chip);
        try (var loaded = PlanningModels.load(model)) {
            plan(out, loaded, c);
        }
        out.flush();
    }

    private void plan(PrintWriter out, LoadedModel loaded, ChipProfile c) {
        var graph = loaded.graph();
        // The planner itself may explore any length; a user asking for more than the model can see made a mistake.
        int context = graph.config().maxPositions();
        if (graph.config().vocabSize() > 0 && context > 0 && seq > context) {
            throw AnewbException.usage("--seq " + seq + " is past the model's context of " + context + " positions");
        }
        Conversion conv = conversion.toConversion(DEFAULTS);
        PlanResult r = AnePlanner.plan(graph, conv, c, batch, seq, sramMb);
        // Rule 3: where weights are present, measure what the ANE-native per-channel alternative costs in accuracy.
        PerChannelAlternative alt = loaded.hasWeights() && !loaded.isPackage() && conv.int8() && graph.parameterCount() < 500_000_000L
                ? PerChannelAlternative.measure(ModelSession.of(loaded), conv, JobContext.NONE) : null;
        if (json) {
            try {
                var node = PlanJson.toJson(r);
                if (alt != null && node instanceof ObjectNode o) o.set("per_channel_alternative", alt.toJson());
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            printText(out, r);
            if (alt != null) out.println(alt.describe());
        }
    }

    static void printText(PrintWriter out, PlanResult r) {
        out.println(r.label());
        for (String l : r.chip().figureLines()) out.println("  " + l);
        if (r.chip().bufferOverridden()) out.println("  (buffer set by --sram-mb for this run)");
        out.printf(Locale.ROOT, "batch %d, seq %d, %s; optimized = %s%n%n", r.batch(), r.seq(), r.phase().name().toLowerCase(Locale.ROOT), describe(r.optimized().conversion()));
        out.printf(Locale.ROOT, "%-40s %-10s %10s %10s %10s %10s %10s %9s %4s%n", "op (optimized, estimate)", "kind", "GFLOP",
                "buffer KiB", "scores KiB", "spill KiB", "DRAM KiB", "ms", "ANE");
        for (OpPlan o : r.optimized().ops()) {
            out.printf(Locale.ROOT, "%-40s %-10s %10.3f %10.1f %10.1f %10.1f %10.1f %9.4f %4s%n", o.name(), o.kind(), o.flops() / 1e9,
                    o.sramTotal() / 1024.0, o.sram(BufferKind.SCORES) / 1024.0, o.spillBytes() / 1024.0, o.dramBytes() / 1024.0, o.latencyMs(), o.onAne() ? "yes" : "NO");
        }
        out.println();
        out.printf(Locale.ROOT, "%-28s %14s %14s %10s%n", "totals (ESTIMATE)", "optimized", "baseline", "base/opt");
        row(out, "latency ms", r.optimized().latencyMs(), r.baseline().latencyMs());
        row(out, "peak buffer MiB", r.optimized().peakSramBytes() / 1048576.0, r.baseline().peakSramBytes() / 1048576.0);
        row(out, "DRAM traffic MB", r.optimized().dramBytes() / 1e6, r.baseline().dramBytes() / 1e6);
        row(out, "energy mJ", r.optimized().energyMj(), r.baseline().energyMj());
        row(out, "peak DRAM footprint MB", r.optimized().peakDramBytes() / 1e6, r.baseline().peakDramBytes() / 1e6);
        row(out, "weights MB", r.optimized().weightBytes() / 1e6, r.baseline().weightBytes() / 1e6);
        row(out, "spill MB", r.optimized().spillBytes() / 1e6, r.baseline().spillBytes() / 1e6);
        out.println("baseline = HF layout (B,S,C), batched heads with transpose copies, FP16, no quantization, no chunking");
        List<String> warnings = r.warnings();
        if (!warnings.isEmpty()) {
            out.println();
            out.println("warnings (spec/ane-model.md rules):");
            for (String w : warnings) out.println("  " + w);
        }
    }

    private static void row(PrintWriter out, String what, double opt, double base) {
        String ratio = opt == 0 ? (base == 0 ? "-" : "none left") : String.format(Locale.ROOT, "%.2fx", base / opt);
        out.printf(Locale.ROOT, "%-28s %14.3f %14.3f %10s%n", what, opt, base, ratio);
    }

    static String describe(Conversion c) {
        return c.layout().name().toLowerCase(Locale.ROOT) + ", " + c.precision().name().toLowerCase(Locale.ROOT)
                + (c.int8() ? ", int8 block " + c.blockSize() : ", no quantization")
                + (c.chunked() ? ", chunk W=" + c.chunkWindow() + " O=" + c.chunkOverlap() : ", no chunking");
    }

    static void printCalibration(PrintWriter out, ChipProfiles profiles) {
        ChipProfile a15 = profiles.get("A15");
        out.println("Calibration table (spec/ane-model.md): ESTIMATES beside published measurements; efficiency fitted on row 1 only.");
        out.printf(Locale.ROOT, "efficiency %.4f (%s), per-op overhead %s ms, per-evaluation overhead %s ms%n",
                a15.constants().efficiency().value(), a15.constants().efficiency().confidence(),
                a15.constants().opOverheadMs().value(), a15.constants().evaluationOverheadMs().value());
        out.printf(Locale.ROOT, "(row 1 re-solved from the current profile: efficiency %.4f)%n", Calibration.solveEfficiency(a15));
        out.printf(Locale.ROOT, "%-4s %-62s %-22s %12s %9s%n", "row", "workload", "measured", "estimate", "error");
        for (Calibration.Row row : Calibration.rows(profiles)) {
            if (!row.plannable()) {
                out.printf(Locale.ROOT, "%-4s %-62s %-22s %12s %9s  %s [%s]%n", row.id(), row.workload(), row.measuredText(), "-", "-", row.note(), row.source());
            } else {
                out.printf(Locale.ROOT, "%-4s %-62s %-22s %9.2f %-2s %+8.1f%%%s%n", row.id(), row.workload(), row.measuredText(), row.estimate(),
                        row.unit(), 100 * row.error(), row.note().isEmpty() ? "" : "  " + row.note());
            }
        }
        out.println("sources: rows 1-4 " + "apple/ml-ane-transformers README and Apple ML research 'Deploying Transformers on the Apple Neural Engine'");
        out.println("chip: " + a15.summary() + "; " + a15.sources());
    }
}
