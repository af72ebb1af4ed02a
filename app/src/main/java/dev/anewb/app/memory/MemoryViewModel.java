package dev.anewb.app.memory;

import dev.anewb.AnewbException;
import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.ChipProfile;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.PlanResult;
import dev.anewb.ane.PlanTotals;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.chip.ChipSources;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.Session;
import dev.anewb.io.ByteSizes;
import dev.anewb.io.LoadedModel;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.util.Subscription;

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

    public MemoryViewModel(Session session) {
        super(session, "Memory",
                "How the model uses the Neural Engine's memory on a chosen chip profile: on-chip SRAM occupancy per "
                        + "op, DRAM traffic when tensors spill, and the latency and energy the planner estimates.",
                List.of("SRAM occupancy timeline over the ops",
                        "DRAM reads and writes per op",
                        "Latency and energy estimates, with the chip profile they come from"),
                "Load a model, or just its config.json, to plan it.");
        keep(Subscription.combine(
                session.modelProperty().subscribe(m -> replan()),
                session.conversionProperty().subscribe(c -> replan()),
                session.chipProperty().subscribe(c -> replan()),
                session.planSequenceLengthProperty().subscribe(v -> replan()),
                session.planBatchProperty().subscribe(v -> replan()),
                outcome.subscribe(o -> publish()),
                view.subscribe(v -> publish()),
                scheduler.computingProperty().subscribe(c -> updateStatus())));
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
        updateStatus();
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
        String cap = "estimate · " + p.chip().name() + " ›";
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
