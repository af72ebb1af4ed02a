package dev.anewb.app.shell;

import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.conversion.ConversionViewModel;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.jobs.JobFailure;
import dev.anewb.app.jobs.JobView;
import dev.anewb.app.run.RunViewModel;
import dev.anewb.app.session.Session;
import dev.anewb.app.settings.Settings;
import dev.anewb.app.sweep.SweepViewModel;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.app.theme.AppTheme;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.ObservableList;

import java.util.EnumMap;
import java.util.Map;

/**
 * State of the main window: theme, selected area, the model header and the background jobs, and the view models
 * of the conversion panel and of every area shown so far (it owns them: {@link #close()} disposes them). Knows
 * nothing of controls, so it is tested without a screen.
 */
public final class MainWindowViewModel {
    public static final String NO_MODEL = "No model loaded";

    private final SettingsStore settings;
    private final FxJobs jobs;
    private final String requestedModel;
    private final ObjectProperty<AppTheme> theme;
    private final ObjectProperty<Area> selectedArea = new SimpleObjectProperty<>(this, "selectedArea", Area.MODEL);
    private final ReadOnlyStringWrapper modelTitle = new ReadOnlyStringWrapper(this, "modelTitle", NO_MODEL);
    private final ReadOnlyStringWrapper modelDetails = new ReadOnlyStringWrapper(this, "modelDetails");
    private final Session session;
    private final ConversionViewModel conversion;
    private final Map<Area, AreaViewModel> areas = new EnumMap<>(Area.class);

    /**
     * @param requestedModel what {@code anewb gui MODEL} asked to open ({@link #openRequestedModel()} loads it),
     *                       or null
     */
    public MainWindowViewModel(SettingsStore settings, FxJobs jobs, String requestedModel) {
        this.settings = settings;
        this.jobs = jobs;
        this.requestedModel = requestedModel;
        this.theme = new SimpleObjectProperty<>(this, "theme", settings.get().theme());
        // Every theme change is remembered, whichever control caused it.
        theme.addListener((obs, old, now) -> settings.update(s -> s.withTheme(now)));
        this.session = new Session(settings, jobs);
        this.conversion = new ConversionViewModel(session);
        session.infoProperty().subscribe(v -> updateHeader());
        session.loadingProperty().subscribe(v -> updateHeader());
        updateHeader();
        selectedArea.addListener((obs, old, now) -> { if (now == null) selectedArea.set(old); });
        session.requestedAreaProperty().subscribe(key -> {
            if (key == null) return;
            for (Area a : Area.values()) if (a.key().equals(key)) selectedArea.set(a);
            session.requestedAreaProperty().set(null);
        });
    }

    private void updateHeader() {
        var info = session.infoProperty().get();
        if (info != null) {
            modelTitle.set(info.name());
            modelDetails.set(Session.headerDetails(info) + (session.loadingProperty().get()
                    ? " · loading " + session.loadingWhatProperty().get() + "…" : ""));
        } else if (session.loadingProperty().get()) {
            modelTitle.set(NO_MODEL);
            modelDetails.set("Loading " + session.loadingWhatProperty().get() + "…");
        } else {
            modelTitle.set(NO_MODEL);
            modelDetails.set(requestedModel == null ? "Open a model to start (Model area, " + OPEN_HINT + ")"
                    : "Requested: " + requestedModel);
        }
    }

    private static final String OPEN_HINT = "Ctrl+O";

    /** Starts loading what {@code anewb gui MODEL} asked for (FX thread); does nothing without a request. */
    public void openRequestedModel() {
        if (requestedModel != null) session.load(requestedModel);
    }

    /** The shared state every area reads (tests drive it directly). */
    public Session session() { return session; }

    /** The conversion panel's state. */
    public ConversionViewModel conversion() { return conversion; }

    /** The area's view model, made on first use (the shell builds an area's view on its first visit). */
    public AreaViewModel area(Area area) {
        return areas.computeIfAbsent(area, a -> a.createViewModel(session));
    }

    /** Shows the Run area and runs what the loaded model takes on its current input. */
    public void runCurrent() {
        select(Area.RUN);
        if (area(Area.RUN) instanceof RunViewModel run) run.runCurrent();
    }

    /** Shows the Sweep area and sweeps the current configuration (the self-test's content for it). */
    public void sweep() {
        select(Area.SWEEP);
        if (area(Area.SWEEP) instanceof SweepViewModel sweep) sweep.start();
    }

    /** Disposes the area view models and closes the loaded model (window closed). */
    public void close() {
        areas.values().forEach(AreaViewModel::dispose);
        areas.clear();
        session.close();
    }

    public ObjectProperty<AppTheme> themeProperty() { return theme; }

    public void toggleTheme() { theme.set(theme.get().other()); }

    public ObjectProperty<Area> selectedAreaProperty() { return selectedArea; }

    public void select(Area area) { if (area != null) selectedArea.set(area); }

    /** Handles the Ctrl/Cmd+number shortcuts; false when no area has that number. */
    public boolean selectNumber(int n) {
        Area a = Area.byNumber(n);
        if (a == null) return false;
        selectedArea.set(a);
        return true;
    }

    /** The loaded model's name ("all-MiniLM-L6-v2") or {@link #NO_MODEL}. */
    public ReadOnlyStringProperty modelTitleProperty() { return modelTitle.getReadOnlyProperty(); }

    /** One line under the title: architecture and size once loaded, until then what was asked for. */
    public ReadOnlyStringProperty modelDetailsProperty() { return modelDetails.getReadOnlyProperty(); }

    public String requestedModel() { return requestedModel; }

    public ObservableList<JobView<?>> runningJobs() { return jobs.running(); }

    public ObservableList<JobFailure> failures() { return jobs.failures(); }

    public void dismiss(JobFailure failure) { jobs.failures().remove(failure); }

    /** The main window's bounds from the last run, or null. */
    public Settings.WindowGeometry savedWindow() { return settings.get().window(); }

    public void rememberWindow(Settings.WindowGeometry geometry) { settings.update(s -> s.withWindow(geometry)); }
}
