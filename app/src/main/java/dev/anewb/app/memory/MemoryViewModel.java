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
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.chip.ChipSources;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.Session;
import dev.anewb.io.ByteSizes;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelInfo;
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
import java.util.List;
import java.util.Locale;
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

    /** One summary card: optimized value, baseline value and their ratio (optimized ÷ baseline). */
    public record Card(String id, String title, String value, String baseline, String ratio, String caption) { }

    /** One compatibility warning of the shown plan, linked to its op. */
    public record Warning(int opIndex, String op, String text) {
        @Override public String toString() { return op + ": " + text; }
    }

    private final LatestJobScheduler<Outcome> scheduler = scheduler("Plan memory");
    private final ReadOnlyObjectWrapper<Outcome> outcome = new ReadOnlyObjectWrapper<>(this, "outcome");
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
                session.modelProperty().subscribe(m -> replan()),
                session.conversionProperty().subscribe(c -> replan()),
                session.chipProperty().subscribe(c -> replan()),
                session.planSequenceLengthProperty().subscribe(v -> replan()),
                session.planBatchProperty().subscribe(v -> replan()),
                outcome.subscribe(o -> publish()),
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
            return;
        }
        ModelGraph graph = m.graph();
        scheduler.request(() -> {
            // Read the state when the debounce ends, on the FX thread; plan off it.
            Conversion conv = session.conversion();
            ChipProfile chip = session.baseChip();
            Double override = session.bufferOverrideMbProperty().get();
            int batch = session.planBatchProperty().get(), seq = session.planSequenceLengthProperty().get();
            return ctx -> {
                long t0 = System.nanoTime();
                try {
                    PlanResult plan = AnePlanner.plan(graph, conv, chip, batch, seq, override);
                    return new Outcome(plan, null, (System.nanoTime() - t0) / 1000);
                } catch (AnewbException | IllegalArgumentException e) {
                    return new Outcome(null, e.getMessage(), (System.nanoTime() - t0) / 1000);
                }
            };
        }, outcome::set);
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
        cards.setAll(p == null ? List.of() : cardsOf(p));
        caption.set(p == null ? "" : ChipSources.caption(p.chip()) + " · batch " + p.batch() + " · seq " + p.seq()
                + " · " + p.optimized().conversion().layout() + " vs baseline " + p.baseline().conversion().layout());
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

    static List<Card> cardsOf(PlanResult p) {
        // a calibrated profile's (often long) name is in the caption above; the card says what kind of estimate it is
        String cap = p.chip().calibration() != null ? "calibrated estimate\u00a0›"
                : "estimate · " + p.chip().name() + " ›";
        return List.of(
                card("peakBuffer", "Peak buffer", p, t -> t.peakSramBytes(), MemoryViewModel::bytes, cap),
                card("dramTraffic", "DRAM traffic", p, t -> t.dramBytes(), MemoryViewModel::bytes, cap),
                card("latency", "Latency", p, PlanTotals::latencyMs, v -> String.format(Locale.ROOT, "%.2f ms", v),
                        cap),
                card("energy", "Energy", p, PlanTotals::energyMj, v -> String.format(Locale.ROOT, "%.2f mJ", v), cap),
                card("peakDram", "DRAM footprint", p, t -> t.peakDramBytes(), MemoryViewModel::bytes, cap));
    }

    private static Card card(String id, String title, PlanResult p, ToDoubleFunction<PlanTotals> f,
                             DoubleFunction<String> format, String cap) {
        double o = f.applyAsDouble(p.optimized()), b = f.applyAsDouble(p.baseline());
        String ratio = b == 0 ? "baseline 0" : String.format(Locale.ROOT, "%.2f× baseline", o / b);
        return new Card(id, title, format.apply(o), "baseline " + format.apply(b), ratio, cap);
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
            status.set(String.format(Locale.ROOT, "%d ops planned in %.1f ms · %d spill · %d warnings · "
                    + "speed-up %.2f× over the baseline (estimate)",
                    t.ops().size(), o.micros() / 1000.0, spilling, warnings.size(), o.plan().speedup()));
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
        int batch = session().planBatchProperty().get(), seq = session().planSequenceLengthProperty().get();
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

    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }

    /** "estimate · A15 · buffer 4 MB (?) · batch 1 · seq 128 …" */
    public ReadOnlyStringProperty captionProperty() { return caption.getReadOnlyProperty(); }

    /** The chip profile the plan is for, with the buffer override (what a sources popover lists). */
    public ChipProfile chip() { return session().chip(); }
}
