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
import dev.anewb.ane.DeviceCalibration;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.Phase;
import dev.anewb.ane.PlanJson;
import dev.anewb.ane.PlanOptions;
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
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code anewb plan}: the ANE simulator (spec/ane-model.md). Every figure it prints is an estimate. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Estimate on-chip buffer use, DRAM traffic, latency and energy on an Apple Neural Engine, "
                + "optimized vs baseline.",
                "A config.json is enough. Every figure is an ESTIMATE from a chip profile (chips.json, with "
                        + "sources), not a measurement.",
                "Default chip A15: the chip of the published DistilBERT measurements the cost model is fitted on "
                        + "(--calibration).",
                "Defaults (as `anewb convert`): --quant int8 --block-size 128 --precision fp16 --layout bc1s.",
                "Calibrate with your device: --measured MS (the median Xcode's performance report shows for "
                        + "the exported package) refits the chip's throughput for this run; add --save-profile NAME to "
                        + "keep it as a user chip profile."})
public final class PlanCommand implements Runnable {
    /** What `anewb convert` would produce: the optimized plan's defaults. */
    static final Conversion DEFAULTS = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16, true, 128,
            false, List.of(), Map.of(), 0, 0);

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "A folder with a config.json, or a config.json.")
    String model;

    @Mixin ConversionOptions conversion;

    @Option(names = "--chip", paramLabel = "NAME", defaultValue = "A15",
            description = "Chip profile (default ${DEFAULT-VALUE}).")
    String chip;

    @Option(names = "--seq", paramLabel = "N", description = "Sequence length (tokens).")
    Integer seq;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "Batch size (default 1).")
    int batch;

    @Option(names = "--sram-mb", paramLabel = "X", description = "Replace the chip's on-chip buffer size for this run.")
    Double sramMb;

    @Option(names = "--json", description = "JSON with the keys of spec/cli.md.")
    boolean json;

    @Option(names = "--calibration", description = "Fit the cost model on the calibration rows of spec/ane-model.md "
            + "and print every row, estimate beside measurement, with its leave-one-out error.")
    boolean calibration;

    @Option(names = "--measured", paramLabel = "MS", description = "Your measured median latency of MODEL (same "
            + "--chip, --seq, --batch and conversion): calibrates the chip's throughput on it.")
    Double measured;

    @Option(names = "--save-profile", paramLabel = "NAME", description = "With --measured: save the calibrated chip "
            + "as user profile NAME (in the user chips.json); later plans with --chip NAME show the calibration.")
    String saveProfile;

    @Spec CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut();
        ChipProfiles profiles = ChipProfiles.load();
        if (saveProfile != null && measured == null) throw AnewbException.usage("--save-profile needs --measured MS");
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
        // --activations int8 (W8A8) is a conversion option: the planner reads it from the converted graph's linears
        Conversion conv = conversion.toConversion(DEFAULTS);
        if (measured != null) {
            if (sramMb != null) {
                throw AnewbException.usage("--measured calibrates the chip's own buffer: drop --sram-mb");
            }
            String workload = loaded.graph().config().modelType() + " " + model + ", " + describe(conv)
                    + ", batch " + batch + ", seq " + seq;
            DeviceCalibration cal = Calibration.calibrateOnMeasurement(graph, conv, c, batch, seq, PlanOptions.DEFAULT,
                    measured,
                    workload);
            c = c.withCalibration(cal);
            if (saveProfile != null) {
                Path file = ChipProfiles.userConfigDir().resolve(ChipProfiles.USER_FILE);
                ChipProfiles.saveCalibrated(file, saveProfile, cal);
                ChipProfile saved = ChipProfiles.load(file).get(saveProfile);
                spec.commandLine().getErr().println("saved chip profile \"" + saved.name() + "\" (based on "
                        + cal.basedOn() + ") in " + file + "; use it with --chip \"" + saved.name() + "\"");
                c = saved;
            }
        }
        PlanResult r = AnePlanner.plan(graph, conv, c, batch, seq, sramMb, Phase.PREFILL);
        // Rule 3: where weights are present, measure what the ANE-native per-channel alternative costs in accuracy.
        PerChannelAlternative alt = loaded.hasWeights() && !loaded.isPackage() && conv.int8()
                && graph.parameterCount() < 500_000_000L
                ? PerChannelAlternative.measure(ModelSession.of(loaded), conv, JobContext.NONE) : null;
        if (json) {
            try {
                ObjectNode node = PlanJson.withCeiling(r);
                if (alt != null) node.set("per_channel_alternative", alt.toJson());
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
        out.printf(Locale.ROOT, "batch %d, seq %d, %s; optimized = %s%n%n", r.batch(), r.seq(),
                r.phase().name().toLowerCase(Locale.ROOT), describe(r.optimized().conversion()));
        out.printf(Locale.ROOT, "%-40s %-10s %10s %10s %10s %10s %10s %9s %4s%n", "op (optimized, estimate)", "kind",
                "GFLOP",
                "buffer KiB", "scores KiB", "spill KiB", "DRAM KiB", "ms", "ANE");
        for (OpPlan o : r.optimized().ops()) {
            out.printf(Locale.ROOT, "%-40s %-10s %10.3f %10.1f %10.1f %10.1f %10.1f %9.4f %4s%n", o.name(), o.kind(),
                    o.flops() / 1e9,
                    o.sramTotal() / 1024.0, o.sram(BufferKind.SCORES) / 1024.0, o.spillBytes() / 1024.0, o.dramBytes()
                            / 1024.0, o.latencyMs(), o.onAne() ? "yes" : "NO");
        }
        out.println();
        out.printf(Locale.ROOT, "%-28s %14s %14s %10s%n", "totals (ESTIMATE)", "optimized", "baseline", "base/opt");
        row(out, "latency ms", r.optimized().latencyMs(), r.baseline().latencyMs());
        row(out, "peak buffer MiB", r.optimized().peakSramBytes() / 1048576.0, r.baseline().peakSramBytes()
                / 1048576.0);
        row(out, "DRAM traffic MB", r.optimized().dramBytes() / 1e6, r.baseline().dramBytes() / 1e6);
        row(out, "energy mJ", r.optimized().energyMj(), r.baseline().energyMj());
        row(out, "peak DRAM footprint MB", r.optimized().peakDramBytes() / 1e6, r.baseline().peakDramBytes() / 1e6);
        row(out, "weights MB", r.optimized().weightBytes() / 1e6, r.baseline().weightBytes() / 1e6);
        row(out, "spill MB", r.optimized().spillBytes() / 1e6, r.baseline().spillBytes() / 1e6);
        out.println("baseline = HF layout (B,S,C), batched heads with transpose copies, FP16, no quantization, no "
                + "chunking");
        out.println();
        out.println("what would not stay on the ANE (optimized, ESTIMATE):");
        for (String l : r.ceiling().lines()) out.println("  " + l);
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
                + (c.chunked() ? ", chunk W=" + c.chunkWindow() + " O=" + c.chunkOverlap() : ", no chunking")
                + (c.quantizesActivations() ? ", W8A8 (INT8 activations)" : "");
    }

    static void printCalibration(PrintWriter out, ChipProfiles profiles) {
        Calibration.Table t = Calibration.table(profiles);
        Calibration.Params p = t.params(), used = profiles.constants().params();
        out.println("Calibration (spec/ane-model.md): ESTIMATES beside published measurements. The cost model's");
        out.println("five constants are fitted jointly by least squares on ln(estimate/measured) over the fit rows;");
        out.println("each fit row is refitted without itself for its leave-one-out (LOO) error (a bandwidth row also");
        out.println("without its chip's measured ANE bandwidth).");
        double[] fitted = {p.matmul(), p.elementwise(), p.reduction(), p.evaluationMs(), p.bandwidth()};
        double[] inUse = {used.matmul(), used.elementwise(), used.reduction(), used.evaluationMs(), used.bandwidth()};
        for (int i = 0; i < fitted.length; i++) {
            out.printf(Locale.ROOT, "  %-24s fitted %.4g   chips.json %.4g%n", Calibration.PARAM_NAMES.get(i),
                    fitted[i], inUse[i]);
        }
        out.printf(Locale.ROOT, "  priors: op_overhead_ms %s, int8_weight_read_factor %s, cpu_handoff_ms %s; "
                        + "rms log error %.3f%n",
                profiles.constants().opOverheadMs().value(), profiles.constants().int8WeightReadFactor().value(),
                profiles.constants().cpuHandoffMs().value(), t.fitRms());
        String columns = "%-6s %-50s %-7s %-10s %10s %-4s %8s %8s  %-8s%n";
        out.printf(Locale.ROOT, columns, "row", "workload", "chip", "measured", "estimate", "", "error", "LOO", "role");
        for (Calibration.Row row : t.rows()) {
            String loo = row.role() != Calibration.Role.FIT ? "-"
                    : String.format(Locale.ROOT, "%+.1f%%", 100 * row.looError());
            out.printf(Locale.ROOT, "%-6s %-50s %-7s %-10s %10.2f %-4s %+7.1f%% %8s  %-8s%s%n", row.id(),
                    row.workload(), row.chip(), row.measuredText(), row.estimate(), row.unit(), 100 * row.error(), loo,
                    row.role().label(), row.note().isEmpty() ? "" : "  " + row.note());
        }
        long within = t.fitRows().stream().filter(r -> Math.abs(r.error()) <= 0.25).count();
        out.printf(Locale.ROOT, "fit rows within +-25%%: %d of %d; leave-one-out median |error| %.1f%% "
                        + "(targets: all, and 35%%)%n",
                within, t.fitRows().size(), 100 * t.looMedianAbsError());
        out.println("sources: rows 1-4 apple/ml-ane-transformers README and Apple ML research 'Deploying Transformers "
                + "on the Apple Neural Engine'; rows 5 whisper.cpp PR #566; rows 6 anemll-bench Results.MD. Derived "
                        + "rows "
                + "are not fitted on.");
        out.println("chips: " + profiles.get("A15").summary() + " | " + profiles.get("M1 Pro").summary());
    }
}
