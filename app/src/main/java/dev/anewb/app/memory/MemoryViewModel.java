package dev.anewb.app.memory;

import dev.anewb.AnewbException;
import dev.anewb.ane.AneCeiling;
import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.Calibration;
import dev.anewb.ane.ChipProfile;
import dev.anewb.ane.ChipProfiles;
import dev.anewb.ane.DeviceCalibration;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.PlanOptions;
import dev.anewb.ane.PlanResult;
import dev.anewb.ane.PlanTotals;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.PerChannelAlternative;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.chip.ChipSources;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.PlanLength;
import dev.anewb.app.session.Session;
import dev.anewb.app.ui.Numbers;
import dev.anewb.io.ByteSizes;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelInfo;
import dev.anewb.job.Job;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.util.Subscription;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleFunction;
import java.util.function.ToDoubleFunction;

/**
 * State of the Memory area: the planner's estimate ({@link AnePlanner}) for the loaded model, the session's
 * conversion, chip profile, buffer override, sequence length and batch; recomputed off the FX thread, debounced,
 * latest wins. Everything shown comes from the {@link PlanResult}; nothing is computed here but formatting and
 * ratios of the planner's own totals.
 */
public final class MemoryViewModel extends AreaViewModel {
    /** Which plan the timeline and table show. */
    public enum View {
        OPTIMIZED("Optimized"), BASELINE("Baseline"), SIDE_BY_SIDE("Both");
        private final String label;
        View(String label) { this.label = label; }
        @Override public String toString() { return label; }
    }

    /** What one recompute produced: the plan, or the planner's message. */
    public record Outcome(PlanResult plan, String problem, long micros) { }

    /**
     * One summary card: optimized value, baseline value and their ratio (optimized ÷ baseline), and the pinned
     * configuration's value with the difference ("" without a pinned configuration).
     */
    public record Card(String id, String title, String value, String baseline, String ratio, String caption,
                       String pinned) { }

    /** One compatibility warning of the shown plan, linked to its op. */
    public record Warning(int opIndex, String op, String text) {
        @Override public String toString() { return op + ": " + text; }
    }

    /**
     * The warnings of one rule of spec/ane-model.md, once: what it says, how many ops break it and which.
     *
     * @param title  the rule's message without the per-op figures ("per-block INT8 is not native on the ANE")
     * @param detail the first op's full message
     */
    public record Finding(String rule, String title, String detail, List<Integer> opIndices, List<String> ops) {
        /** "layers.0.q, layers.0.k, layers.0.v and 33 more". */
        public String opsText() {
            int shown = Math.min(3, ops.size());
            String head = String.join(", ", ops.subList(0, shown));
            return ops.size() > shown ? head + " and " + (ops.size() - shown) + " more" : head;
        }

        @Override public String toString() {
            return rule + " · " + title + " · " + ops.size() + (ops.size() == 1 ? " op" : " ops");
        }
    }

    /**
     * spec/ane-model.md rule 3's native alternative, measured: the last-layer SQNR of per-channel INT8 against the
     * current block size on the built-in sample (as {@code anewb plan} reports it), and what per-channel weighs and
     * costs in the plan (estimates).
     */
    public record PerChannelCard(PerChannelAlternative accuracy, Conversion apply, long weightBytes,
                                 long currentWeightBytes, double latencyMs, double currentLatencyMs) {
        public double sqnrCost() { return accuracy.perChannelSqnrDb() - accuracy.blockSqnrDb(); }

        /** Whether per-channel is what the blocks already are (each row no longer than one block): no alternative. */
        public boolean same() {
            return weightBytes == currentWeightBytes && accuracy.perChannelSqnrDb() == accuracy.blockSqnrDb();
        }

        public String text() {
            return String.format(Locale.ROOT, "Per-channel INT8 runs natively on the ANE: last-layer SQNR %.1f dB "
                    + "instead of %.1f dB with block %d (%s), weights %s instead of %s, latency %s instead of %s "
                    + "(estimates; SQNR measured on the CPU on the built-in sample)",
                    accuracy.perChannelSqnrDb(), accuracy.blockSqnrDb(), accuracy.blockSize(),
                    Numbers.delta(sqnrCost(), "dB"), bytes(weightBytes), bytes(currentWeightBytes),
                    Numbers.ms(latencyMs), Numbers.ms(currentLatencyMs));
        }
    }

    private final LatestJobScheduler<Outcome> scheduler = scheduler("Plan memory");
    private final LatestJobScheduler<Outcome> pinnedScheduler = scheduler("Plan pinned configuration");
    private final LatestJobScheduler<PerChannelCard> perChannelScheduler = scheduler("Measure per-channel INT8");
    private final ReadOnlyObjectWrapper<Outcome> outcome = new ReadOnlyObjectWrapper<>(this, "outcome");
    private final ReadOnlyObjectWrapper<Outcome> pinnedOutcome = new ReadOnlyObjectWrapper<>(this, "pinnedOutcome");
    private final ReadOnlyObjectWrapper<PerChannelCard> perChannel = new ReadOnlyObjectWrapper<>(this, "perChannel");
    private final ObservableList<Finding> findings = FXCollections.observableArrayList();
    /** Per-channel SQNR on the sample, by the per-channel conversion: it does not move with the block size. */
    private final Map<Conversion, Double> perChannelSqnr = new ConcurrentHashMap<>();
    private final ObjectProperty<View> view = new SimpleObjectProperty<>(this, "view", View.OPTIMIZED);
    private final IntegerProperty selectedOp = new SimpleIntegerProperty(this, "selectedOp", -1);
    private final ObservableList<OpPlan> ops = FXCollections.observableArrayList();
    private final ObservableList<Card> cards = FXCollections.observableArrayList();
    private final ObservableList<Warning> warnings = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private final ReadOnlyStringWrapper caption = new ReadOnlyStringWrapper(this, "caption", "");
    private final ReadOnlyStringWrapper ceilingSummary = new ReadOnlyStringWrapper(this, "ceilingSummary", "");
    private final ReadOnlyStringWrapper ceilingDetails = new ReadOnlyStringWrapper(this, "ceilingDetails", "");
    private final StringProperty measuredMs = new SimpleStringProperty(this, "measuredMs", "");
    private final StringProperty profileName = new SimpleStringProperty(this, "profileName", "");
    private final ReadOnlyBooleanWrapper calibrating = new ReadOnlyBooleanWrapper(this, "calibrating");
    private final ReadOnlyStringWrapper calibrationMessage = new ReadOnlyStringWrapper(this, "calibrationMessage", "");
    /** The last calibration's own message (saved, or why not); null to show the chip's calibration state. */
    private String calibrationResult;

    /** What a calibration job produced: the reloaded profiles and the saved chip, or the reason it could not. */
    public record CalibrationOutcome(ChipProfiles profiles, String chip, DeviceCalibration calibration,
                                     String problem) { }

    public MemoryViewModel(Session session) {
        super(session, "Memory",
                "How the model uses the Neural Engine's memory on a chosen chip profile: on-chip SRAM occupancy per "
                        + "op, DRAM traffic when tensors spill, and the latency and energy the planner estimates.",
                List.of("SRAM occupancy timeline over the ops",
                        "DRAM reads and writes per op",
                        "Latency and energy estimates, with the chip profile they come from",
                        "What would not stay on the Neural Engine, and calibration on your own measured latency"),
                "Load a model, or just its config.json, to plan it.");
        keep(Subscription.combine(
                session.modelProperty().subscribe(m -> {
                    perChannelSqnr.clear();
                    replan();
                }),
                session.conversionProperty().subscribe(c -> replan()),
                session.chipProperty().subscribe(c -> replan()),
                session.planSequenceLengthProperty().subscribe(v -> replan()),
                session.planBatchProperty().subscribe(v -> replan()),
                session.pinnedProperty().subscribe(p -> replanPinned()),
                outcome.subscribe(o -> publish()),
                pinnedOutcome.subscribe(o -> publish()),
                session.selectedOpProperty().subscribe(this::selectOpNamed),
                // an op chosen here is the one every area follows, as one chosen in the graph
                selectedOp.subscribe(i -> {
                    int at = i.intValue();
                    if (at >= 0 && at < ops.size() && view.get() != View.BASELINE) {
                        session.selectedOpProperty().set(ops.get(at).name());
                    }
                }),
                view.subscribe(v -> publish()),
                scheduler.computingProperty().subscribe(c -> updateStatus()),
                session.chipProperty().subscribe(c -> {
                    calibrationResult = null;
                    updateCalibrationMessage();
                })));
    }

    /** Plans again for the session's current state (debounced; the latest request wins). */
    public void replan() {
        Session session = session();
        LoadedModel m = session.model();
        if (m == null) {
            scheduler.cancel();
            outcome.set(null);
            perChannelScheduler.cancel();
            perChannel.set(null);
            return;
        }
        scheduler.request(() -> planJob(session, m.graph(), session.conversion()), o -> {
            outcome.set(o);
            if (o.plan() != null) session.latestPlanProperty().set(o.plan());
            measurePerChannel();
        });
        replanPinned();
    }

    private void replanPinned() {
        Session session = session();
        LoadedModel m = session.model();
        Conversion pinned = session.pinnedProperty().get();
        if (m == null || pinned == null) {
            pinnedScheduler.cancel();
            pinnedOutcome.set(null);
            return;
        }
        pinnedScheduler.request(() -> planJob(session, m.graph(), session.pinnedProperty().get()), pinnedOutcome::set);
    }

    /** The plan of {@code conv} for the session's chip, batch and planned length, read when the job is built. */
    private static Job<Outcome> planJob(Session session, ModelGraph graph, Conversion conv) {
        if (conv == null) return null;
        ChipProfile chip = session.baseChip();
        Double override = session.bufferOverrideMbProperty().get();
        int batch = session.planBatchProperty().get();
        int seq = PlanLength.of(graph, session.planSequenceLengthProperty().get()).planned();
        return ctx -> {
            long t0 = System.nanoTime();
            try {
                PlanResult plan = AnePlanner.plan(graph, conv, chip, batch, seq, override);
                return new Outcome(plan, null, (System.nanoTime() - t0) / 1000);
            } catch (AnewbException | IllegalArgumentException e) {
                return new Outcome(null, e.getMessage(), (System.nanoTime() - t0) / 1000);
            }
        };
    }

    /**
     * Measures rule 3's alternative for the shown plan's block INT8 (not for per-channel, a package or a config
     * alone): the block's SQNR is one converted pass (the reference is cached per input), per-channel's is measured
     * once per per-channel configuration.
     */
    private void measurePerChannel() {
        Session session = session();
        PlanResult p = plan();
        Conversion conv = p == null ? null : p.optimized().conversion();
        if (conv == null || !conv.int8() || conv.blockSize() == Conversion.PER_CHANNEL || !session.canMeasureDrift()
                || session.model().graph().parameterCount() >= PER_CHANNEL_MAX_PARAMETERS) {
            perChannelScheduler.cancel();
            perChannel.set(null);
            return;
        }
        ConvertedModel block = session.converted();
        if (block == null || !block.conversion().equals(conv)) return;
        Conversion pc = conv.withInt8(true, Conversion.PER_CHANNEL, conv.symmetric());
        ModelGraph graph = session.model().graph();
        ChipProfile chip = p.chip();
        int batch = p.batch(), seq = p.seq();
        PlanTotals current = p.optimized();
        perChannelScheduler.request(() -> ctx -> {
            Batch sample = block.sampleInput();
            double b = block.drift(sample, false, ctx).lastHidden().sqnrDb();
            Double known = perChannelSqnr.get(pc);
            double c = known != null ? known
                    : block.session().convert(pc).drift(sample, false, ctx).lastHidden().sqnrDb();
            perChannelSqnr.put(pc, c);
            PlanTotals alt = AnePlanner.plan(graph, pc, chip, batch, seq, null).optimized();
            return new PerChannelCard(new PerChannelAlternative(conv.blockSize(), b, c), pc, alt.weightBytes(),
                    current.weightBytes(), alt.latencyMs(), current.latencyMs());
        }, card -> perChannel.set(card.same() ? null : card));
    }

    /** Above this size the per-channel alternative is not measured on every change (as {@code anewb plan}). */
    static final long PER_CHANNEL_MAX_PARAMETERS = 500_000_000L;

    /** Applies the per-channel alternative to the session's conversion (the panel follows). */
    public void applyPerChannel() {
        PerChannelCard c = perChannel.get();
        if (c != null) session().conversionProperty().set(c.apply());
    }

    /** Selects the op another area chose, when this plan has it. */
    private void selectOpNamed(String name) {
        if (name == null) return;
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).name().equals(name)) {
                selectedOp.set(i);
                return;
            }
        }
    }

    /** The plan the timeline and table show in the current view (the optimized one in "Both"). */
    public PlanTotals shownTotals() {
        PlanResult p = plan();
        if (p == null) return null;
        return view.get() == View.BASELINE ? p.baseline() : p.optimized();
    }

    private void publish() {
        PlanResult p = plan();
        PlanTotals shown = shownTotals();
        int keep = selectedOp.get();
        ops.setAll(shown == null ? List.of() : shown.ops());
        selectedOp.set(shown == null || keep >= shown.ops().size() ? -1 : keep);
        warnings.setAll(shown == null ? List.of() : warningsOf(shown));
        findings.setAll(shown == null ? List.of() : findingsOf(shown));
        Outcome pinnedNow = pinnedOutcome.get();
        cards.setAll(p == null ? List.of() : cardsOf(p, pinnedNow == null ? null : pinnedNow.plan()));
        PlanLength length = session().planLength();
        caption.set(p == null ? "" : ChipSources.caption(p.chip()) + " · batch " + p.batch() + " · "
                + (length == null ? "seq " + p.seq() : length.caption())
                + " · " + p.optimized().conversion().layout() + " vs baseline " + p.baseline().conversion().layout());
        if (session().selectedOpProperty().get() != null) selectOpNamed(session().selectedOpProperty().get());
        ceilingSummary.set(p == null ? "" : ceilingSummary(p.ceiling()));
        ceilingDetails.set(p == null ? "" : String.join("\n", p.ceiling().lines()));
        updateStatus();
    }

    /** One line: does the model fit one Core ML model on the ANE, and which ops run elsewhere (estimate). */
    static String ceilingSummary(AneCeiling c) {
        String weights = bytes(c.aneWeightBytes()) + " of weights";
        String fit = c.models() == 1
                ? "On the ANE: " + weights + ", within the " + bytes(c.limitBytes()) + " Core ML places as one model"
                : String.format(Locale.ROOT, "Too large for one ANE model: %s > %s, split into %d models (+%.2f ms, "
                        + "in the latency)", weights, bytes(c.limitBytes()), c.models(), c.splitCostMs());
        List<AneCeiling.OffAne> elsewhere = c.offAne().stream().filter(o -> !o.reason().startsWith("rule 5")).toList();
        String off;
        if (elsewhere.isEmpty()) {
            off = c.offAne().isEmpty() ? "every op on the ANE" : "only the embedding gather runs on the CPU (rule 5)";
        } else {
            int ops = elsewhere.stream().mapToInt(AneCeiling.OffAne::ops).sum();
            off = String.format(Locale.ROOT, "%d op%s off the ANE (%s), +%.2f ms of hand-offs not in the latency", ops,
                    ops == 1 ? "" : "s", elsewhere.getFirst().reason(), c.offAneCostMs());
        }
        return fit + " · " + off + " (estimate)";
    }

    static List<Warning> warningsOf(PlanTotals t) {
        List<Warning> out = new ArrayList<>();
        for (int i = 0; i < t.ops().size(); i++) {
            OpPlan o = t.ops().get(i);
            for (String w : o.warnings()) out.add(new Warning(i, o.name(), w));
        }
        return out;
    }

    /**
     * The warnings grouped by rule (the text before the first colon, "rule 3"), in the order they first occur: 36
     * projections breaking rule 3 are one finding naming them, not 36 lines.
     */
    static List<Finding> findingsOf(PlanTotals t) {
        Map<String, List<Integer>> byRule = new LinkedHashMap<>();
        Map<String, String> first = new HashMap<>();
        for (int i = 0; i < t.ops().size(); i++) {
            for (String w : t.ops().get(i).warnings()) {
                int colon = w.indexOf(':');
                String rule = colon > 0 && colon < 24 ? w.substring(0, colon) : w;
                byRule.computeIfAbsent(rule, r -> new ArrayList<>());
                List<Integer> at = byRule.get(rule);
                if (at.isEmpty() || at.getLast() != i) at.add(i);
                first.putIfAbsent(rule, w);
            }
        }
        List<Finding> out = new ArrayList<>();
        byRule.forEach((rule, indices) -> {
            String detail = first.get(rule);
            out.add(new Finding(rule, title(detail), detail, List.copyOf(indices),
                    indices.stream().map(i -> t.ops().get(i).name()).toList()));
        });
        return out;
    }

    /** A warning's message without its rule, per-op figures in brackets and what follows its first clause. */
    static String title(String warning) {
        int colon = warning.indexOf(':');
        String s = colon > 0 && colon < 24 ? warning.substring(colon + 1).strip() : warning;
        s = s.replaceAll("\\s*\\([^()]*\\)", "");
        int end = s.indexOf(';');
        if (end < 0) end = s.indexOf(". ");
        return (end > 0 ? s.substring(0, end) : s).strip();
    }

    static List<Card> cardsOf(PlanResult p) { return cardsOf(p, null); }

    static List<Card> cardsOf(PlanResult p, PlanResult pinned) {
        // a calibrated profile's (often long) name is in the caption above; the card says what kind of estimate it is
        String cap = p.chip().calibration() != null ? "calibrated estimate\u00a0›"
                : "estimate · " + p.chip().name() + " ›";
        return List.of(
                card("peakBuffer", "Peak buffer", p, pinned, t -> t.peakSramBytes(), MemoryViewModel::bytes, cap),
                card("dramTraffic", "DRAM traffic", p, pinned, t -> t.dramBytes(), MemoryViewModel::bytes, cap),
                card("latency", "Latency", p, pinned, PlanTotals::latencyMs, Numbers::ms, cap),
                card("energy", "Energy", p, pinned, PlanTotals::energyMj, Numbers::energyMj, cap),
                card("peakDram", "DRAM footprint", p, pinned, t -> t.peakDramBytes(), MemoryViewModel::bytes, cap));
    }

    private static Card card(String id, String title, PlanResult p, PlanResult pinned, ToDoubleFunction<PlanTotals> f,
                             DoubleFunction<String> format, String cap) {
        double o = f.applyAsDouble(p.optimized()), b = f.applyAsDouble(p.baseline());
        String ratio = b == 0 ? "baseline 0" : Numbers.ratio(o / b) + " baseline";
        String vsPinned = "";
        if (pinned != null) {
            double q = f.applyAsDouble(pinned.optimized());
            String sign = o > q ? "+" : o < q ? "−" : "±";
            vsPinned = "pinned " + format.apply(q) + " · Δ " + sign + format.apply(Math.abs(o - q));
        }
        return new Card(id, title, format.apply(o), "baseline " + format.apply(b), ratio, cap, vsPinned);
    }

    /** Bytes in binary units as the planner counts them (MB = 2^20 bytes). */
    public static String bytes(double b) {
        return ByteSizes.format(b);
    }

    private void updateStatus() {
        Outcome o = outcome.get();
        if (scheduler.isComputing()) status.set("computing…");
        else if (o == null) status.set(session().model() == null ? "" : "planning…");
        else if (o.problem() != null) status.set("Cannot plan: " + o.problem());
        else {
            PlanTotals t = shownTotals();
            long spilling = t.ops().stream().filter(x -> x.spillBytes() > 0).count();
            status.set(String.format(Locale.ROOT, "%d ops planned in %.0f ms · %d spill · %d findings (%d ops) · "
                    + "%s faster than the baseline (estimate)", t.ops().size(), o.micros() / 1000.0, spilling,
                    findings.size(), warnings.stream().mapToInt(Warning::opIndex).distinct().count(),
                    Numbers.ratio(o.plan().speedup())));
        }
    }

    // ---- calibrate with your device ----

    /** Why the form cannot run now, or null. */
    public String calibrationProblem() {
        if (session().model() == null) return "Load a model first";
        double ms = parseMs(measuredMs.get());
        if (!(ms > 0)) return "Enter the median latency in ms that Xcode's performance report shows for this model";
        String name = profileNameOrDefault();
        if (name.length() > 64) return "The profile name must be at most 64 characters";
        return null;
    }

    /** The profile name typed, or {@link #defaultProfileName()}. */
    public String profileNameOrDefault() {
        String n = profileName.get() == null ? "" : profileName.get().strip();
        return n.isEmpty() ? defaultProfileName() : n;
    }

    /** "A15 (mine)": the bundled chip the chosen profile is (based on) and "(mine)". */
    public String defaultProfileName() {
        ChipProfile c = session().baseChip();
        return (c.calibration() != null ? c.calibration().basedOn() : c.name()) + " (mine)";
    }

    /** "3.47" or "3,47" (a comma keyboard); NaN when it is not a number. */
    static double parseMs(String text) {
        if (text == null) return Double.NaN;
        try {
            return Double.parseDouble(text.strip().replace(',', '.').replaceFirst("\\s*ms$", ""));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /**
     * Calibrates the chosen chip on the measured latency of the loaded model with the session's conversion, batch
     * and sequence length, saves it as a user profile and switches to it. The plan, the save and the reload run
     * off the FX thread; the form says what happened.
     */
    public void calibrate() {
        String problem = calibrationProblem();
        if (problem != null) {
            calibrationResult = problem;
            updateCalibrationMessage();
            return;
        }
        ModelGraph graph = session().model().graph();
        Conversion conv = session().conversion();
        ChipProfile chip = session().baseChip();
        int batch = session().planBatchProperty().get();
        int seq = PlanLength.of(graph, session().planSequenceLengthProperty().get()).planned();
        double ms = parseMs(measuredMs.get());
        String name = profileNameOrDefault();
        ModelInfo info = session().infoProperty().get();
        String workload = (info == null ? graph.config().modelType() : info.name()) + ", " + describe(conv) + ", batch "
                + batch + ", seq " + seq;
        Path file = ChipProfiles.userConfigDir().resolve(ChipProfiles.USER_FILE);
        calibrating.set(true);
        calibrationResult = "Calibrating " + chip.name() + " on " + String.format(Locale.ROOT, "%.3g", ms) + " ms…";
        updateCalibrationMessage();
        session().jobs().submit("Calibrate " + chip.name(), ctx -> {
            try {
                DeviceCalibration c = Calibration.calibrateOnMeasurement(graph, conv, chip, batch, seq,
                        PlanOptions.DEFAULT, ms, workload);
                ChipProfiles.saveCalibrated(file, name, c);
                ChipProfiles profiles = ChipProfiles.load(file);
                return new CalibrationOutcome(profiles, profiles.get(name).name(), c, null);
            } catch (AnewbException | IllegalArgumentException e) {
                return new CalibrationOutcome(null, null, null, e.getMessage());
            }
        }, this::applyCalibration);
    }

    private void applyCalibration(CalibrationOutcome o) {
        calibrating.set(false);
        if (o.problem() != null) {
            calibrationResult = "Not calibrated: " + o.problem();
            updateCalibrationMessage();
            return;
        }
        session().useChipProfiles(o.profiles(), o.chip());
        DeviceCalibration c = o.calibration();
        calibrationResult = String.format(Locale.ROOT, "Saved profile \"%s\" (based on %s): measured %.2f ms · "
                + "estimate %.2f ms (%.2f ms before, throughput ×%.3f) · every estimate on it is calibrated on your "
                + "measurement", o.chip(), c.basedOn(), c.measuredMs(), c.estimatedMs(), c.estimatedBeforeMs(),
                c.scale());
        updateCalibrationMessage();
    }

    private void updateCalibrationMessage() {
        if (calibrationResult != null) {
            calibrationMessage.set(calibrationResult);
            return;
        }
        ChipProfile c = session().chip();
        DeviceCalibration cal = c == null ? null : c.calibration();
        calibrationMessage.set(cal == null
                ? "Not calibrated: enter the median latency Xcode's performance report shows for this model, "
                        + "conversion, batch and sequence length to fit " + (c == null ? "the chip" : c.name())
                        + " to your device"
                : String.format(Locale.ROOT, "%s calibrated on your measurement: %s · measured %.2f ms · estimate "
                        + "%.2f ms (%.2f ms uncalibrated)", c.name(), cal.workload(), cal.measuredMs(),
                        cal.estimatedMs(), cal.estimatedBeforeMs()));
    }

    static String describe(Conversion c) {
        String chunks = c.chunked() ? " chunk " + c.chunkWindow() + "/" + c.chunkOverlap() : "";
        return c.layout().name().toLowerCase(Locale.ROOT) + " " + c.precision().name().toLowerCase(Locale.ROOT)
                + (c.int8() ? " int8 block " + c.blockSize() : "") + chunks;
    }

    /** The measured median latency as typed (ms). */
    public StringProperty measuredMsProperty() { return measuredMs; }

    /** The name to save the calibrated profile under (empty: "CHIP (mine)"). */
    public StringProperty profileNameProperty() { return profileName; }

    public ReadOnlyBooleanProperty calibratingProperty() { return calibrating.getReadOnlyProperty(); }

    /** The chip's calibration (measured beside estimated), or what the last calibration did. */
    public ReadOnlyStringProperty calibrationMessageProperty() { return calibrationMessage.getReadOnlyProperty(); }

    /** One line on what would not stay on the ANE (estimate). */
    public ReadOnlyStringProperty ceilingSummaryProperty() { return ceilingSummary.getReadOnlyProperty(); }

    /** Every ceiling line with its source (the tooltip). */
    public ReadOnlyStringProperty ceilingDetailsProperty() { return ceilingDetails.getReadOnlyProperty(); }

    /** The name of the chosen chip profile (the calibration form suggests "NAME (mine)"). */
    public ReadOnlyStringProperty chipNameProperty() { return session().chipNameProperty(); }

    public PlanResult plan() {
        Outcome o = outcome.get();
        return o == null ? null : o.plan();
    }

    public ReadOnlyObjectProperty<Outcome> outcomeProperty() { return outcome.getReadOnlyProperty(); }

    public ObjectProperty<View> viewProperty() { return view; }

    /** Index into {@link #ops()} of the highlighted op, or -1. */
    public IntegerProperty selectedOpProperty() { return selectedOp; }

    /** The shown plan's ops in execution order. */
    public ObservableList<OpPlan> ops() { return ops; }

    public ObservableList<Card> cards() { return cards; }

    public ObservableList<Warning> warnings() { return warnings; }

    /** The shown plan's warnings grouped by rule. */
    public ObservableList<Finding> findings() { return findings; }

    /** Rule 3's alternative for the current block INT8, or null (none measured, not block INT8). */
    public ReadOnlyObjectProperty<PerChannelCard> perChannelProperty() { return perChannel.getReadOnlyProperty(); }

    /** The pinned configuration's plan, or null. */
    public ReadOnlyObjectProperty<Outcome> pinnedOutcomeProperty() { return pinnedOutcome.getReadOnlyProperty(); }

    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }

    /** "estimate · A15 · buffer 4 MB (?) · batch 1 · seq 128 …" */
    public ReadOnlyStringProperty captionProperty() { return caption.getReadOnlyProperty(); }

    /** The chip profile the plan is for, with the buffer override (what a sources popover lists). */
    public ChipProfile chip() { return session().chip(); }
}
