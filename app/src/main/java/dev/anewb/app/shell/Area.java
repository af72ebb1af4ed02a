package dev.anewb.app.shell;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.drift.DriftView;
import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.app.export.ExportView;
import dev.anewb.app.export.ExportViewModel;
import dev.anewb.app.graph.GraphView;
import dev.anewb.app.graph.GraphViewModel;
import dev.anewb.app.layout.LayoutView;
import dev.anewb.app.layout.LayoutViewModel;
import dev.anewb.app.memory.MemoryView;
import dev.anewb.app.memory.MemoryViewModel;
import dev.anewb.app.model.ModelView;
import dev.anewb.app.model.ModelViewModel;
import dev.anewb.app.run.RunView;
import dev.anewb.app.run.RunViewModel;
import dev.anewb.app.session.Session;
import dev.anewb.app.sweep.SweepView;
import dev.anewb.app.sweep.SweepViewModel;
import dev.anewb.app.weights.WeightsView;
import dev.anewb.app.weights.WeightsViewModel;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;

import java.util.Locale;
import java.util.function.Function;

/** The workbench's areas in navigation order; the order also gives the Ctrl/Cmd+1..9 shortcuts. */
public enum Area {
    MODEL("Model", ModelView.ICON, ModelViewModel.class, ModelViewModel::new, ModelView::new),
    DRIFT("Drift", DriftView.ICON, DriftViewModel.class, DriftViewModel::new, DriftView::new),
    MEMORY("Memory", MemoryView.ICON, MemoryViewModel.class, MemoryViewModel::new, MemoryView::new),
    LAYOUT("Layout", LayoutView.ICON, LayoutViewModel.class, LayoutViewModel::new, LayoutView::new),
    WEIGHTS("Weights", WeightsView.ICON, WeightsViewModel.class, WeightsViewModel::new, WeightsView::new),
    GRAPH("Graph", GraphView.ICON, GraphViewModel.class, GraphViewModel::new, GraphView::new),
    SWEEP("Sweep", SweepView.ICON, SweepViewModel.class, SweepViewModel::new, SweepView::new),
    RUN("Run", RunView.ICON, RunViewModel.class, RunViewModel::new, RunView::new),
    EXPORT("Export", ExportView.ICON, ExportViewModel.class, ExportViewModel::new, ExportView::new);

    private final String title;
    private final String iconPath;
    private final Function<Session, AreaViewModel> viewModel;
    private final Function<AreaViewModel, AreaView> view;

    <M extends AreaViewModel> Area(String title, String iconPath, Class<M> type, Function<Session, M> viewModel,
                                   Function<M, AreaView> view) {
        this.title = title;
        this.iconPath = iconPath;
        this.viewModel = viewModel::apply;
        this.view = m -> view.apply(type.cast(m));
    }

    public String title() { return title; }

    public String iconPath() { return iconPath; }

    /** A fresh view model of the area reading {@code session} (FX thread). */
    public AreaViewModel createViewModel(Session session) { return viewModel.apply(session); }

    /** Builds the area's view on {@code viewModel}, one {@link #createViewModel} made for this area (FX thread). */
    public AreaView createView(AreaViewModel viewModel) { return view.apply(viewModel); }

    /** 1 for the first area. */
    public int number() { return ordinal() + 1; }

    /** Ctrl+N (Cmd+N on macOS). */
    public KeyCodeCombination shortcut() {
        return new KeyCodeCombination(KeyCode.valueOf("DIGIT" + number()), KeyCombination.SHORTCUT_DOWN);
    }

    /** Lower-case name used for file names and node ids ("drift"). */
    public String key() { return name().toLowerCase(Locale.ROOT); }

    /** The area reached with shortcut number {@code n}, or null when there is none. */
    public static Area byNumber(int n) {
        Area[] all = values();
        return n >= 1 && n <= all.length ? all[n - 1] : null;
    }
}
