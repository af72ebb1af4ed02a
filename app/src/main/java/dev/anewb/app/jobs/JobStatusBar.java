package dev.anewb.app.jobs;

import dev.anewb.Version;
import dev.anewb.runtime.kernel.EnginePool;
import dev.anewb.runtime.kernel.Fp32Kernels;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.List;

/**
 * The bottom bar: one entry per running job (title, progress bar, message, cancel). An entry goes when its job
 * finishes; failures are shown elsewhere as notifications.
 */
public final class JobStatusBar extends HBox {
    private final Label summary = new Label();
    private final HBox entries = new HBox();
    private final List<Entry> shown = new ArrayList<>();
    private final ListChangeListener<JobView<?>> onChange = c -> rebuild();
    private ObservableList<JobView<?>> jobs;

    public JobStatusBar() {
        getStyleClass().add("status-bar");
        setAlignment(Pos.CENTER_LEFT);
        summary.getStyleClass().add("status-summary");
        entries.getStyleClass().add("status-jobs");
        entries.setAlignment(Pos.CENTER_LEFT);
        HBox.setHgrow(entries, Priority.ALWAYS);
        Label version = new Label("anewb " + Version.get());
        version.getStyleClass().add("status-version");
        // Which CPU kernels and how many engine threads every number on screen was computed with.
        Label engine = new Label("CPU engine: " + Fp32Kernels.kernelShortName() + " · "
                + EnginePool.threads() + " threads");
        engine.getStyleClass().add("status-version");
        Tooltip.install(engine, new Tooltip("Forward passes run on this machine's CPU with "
                + Fp32Kernels.kernelDescription() + " and " + EnginePool.threads()
                + " engine threads (set with -Danewb.threads=T in JAVA_OPTS; -Danewb.kernels=scalar for the "
                + "portable loops)."));
        HBox.setMargin(engine, new Insets(0, 16, 0, 0));
        getChildren().addAll(summary, entries, engine, version);
        rebuild();
    }

    /** Shows {@code runningJobs} from now on (it changes on the FX thread). */
    public void bind(ObservableList<JobView<?>> runningJobs) {
        dispose();
        jobs = runningJobs;
        jobs.addListener(onChange);
        rebuild();
    }

    /** Stops following the job list and the shown jobs. */
    public void dispose() {
        if (jobs != null) jobs.removeListener(onChange);
        jobs = null;
        shown.forEach(Entry::dispose);
        shown.clear();
        entries.getChildren().clear();
    }

    private void rebuild() {
        shown.forEach(Entry::dispose);
        shown.clear();
        int n = jobs == null ? 0 : jobs.size();
        summary.setText(n == 0 ? "No background jobs" : n == 1 ? "1 job running" : n + " jobs running");
        if (jobs != null) for (JobView<?> job : jobs) shown.add(new Entry(job));
        entries.getChildren().setAll(shown.stream().map(e -> e.box).toList());
    }

    /** One job's row; unsubscribes from the job when the row goes. */
    private static final class Entry {
        final HBox box = new HBox();
        final Subscription subscription;

        Entry(JobView<?> job) {
            box.getStyleClass().add("job-entry");
            box.setAlignment(Pos.CENTER_LEFT);
            Label title = new Label(job.title());
            title.getStyleClass().add("job-title");
            ProgressBar bar = new ProgressBar();
            bar.getStyleClass().addAll("job-progress", "small");
            Label message = new Label();
            message.getStyleClass().add("job-message");
            message.setMinWidth(Region.USE_PREF_SIZE);
            Button cancel = new Button("Cancel");
            cancel.getStyleClass().addAll("job-cancel", "small", "flat");
            cancel.setOnAction(e -> job.cancel());
            box.getChildren().addAll(title, bar, message, cancel);
            // A negative fraction is the engine's "cannot say": ProgressBar shows -1 as indeterminate.
            subscription = Subscription.combine(
                    job.progressProperty().subscribe(p -> bar.setProgress(
                            p.doubleValue() < 0 ? ProgressBar.INDETERMINATE_PROGRESS : p.doubleValue())),
                    job.messageProperty().subscribe(message::setText));
        }

        void dispose() { subscription.unsubscribe(); }
    }
}
