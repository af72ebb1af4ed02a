package dev.anewb.app.export;

import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.app.jobs.JobView;
import dev.anewb.app.session.Session;
import dev.anewb.app.shell.AreaViewModel;
import dev.anewb.convert.ConvertedModel;
import dev.anewb.drift.DriftAnalysis;
import dev.anewb.drift.DriftReport;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.OwnInputs;
import dev.anewb.model.Conversion;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.StringProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.util.Subscription;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * State of the Export area: where the {@code .anepkg} and the report go, the running export job, and what was
 * written last. Writing happens in engine jobs; the view asks for overwrite confirmation before calling
 * {@link #exportPackage(boolean)} with {@code force}.
 */
public final class ExportViewModel extends AreaViewModel {
    private final Session session;
    private final StringProperty packagePath = new SimpleStringProperty(this, "packagePath", "");
    private final StringProperty onnxPath = new SimpleStringProperty(this, "onnxPath", "");
    private final StringProperty reportFolder = new SimpleStringProperty(this, "reportFolder", "");
    private final ReadOnlyObjectWrapper<JobView<?>> job = new ReadOnlyObjectWrapper<>(this, "job");
    private final ObjectProperty<Path> lastWritten = new SimpleObjectProperty<>(this, "lastWritten");
    private final ReadOnlyStringWrapper result = new ReadOnlyStringWrapper(this, "result", "");
    private final BooleanBinding canExport;
    private Subscription subscription;
    private boolean pathEdited;

    public ExportViewModel(Session session) {
        super("Export",
                "Write the converted model as an .anepkg package and the drift report as HTML, JSON and CSV.",
                List.of("The .anepkg package with its manifest and drift summary", "A drift report to share"),
                "Load a model to export it.");
        this.session = session;
        packagePath.addListener((obs, old, now) -> pathEdited = true);
        subscription = session.modelProperty().subscribe(this::suggestPaths);
        canExport = Bindings.createBooleanBinding(() -> session.converted() != null && job.get() == null, session.convertedProperty(), job);
    }

    private void suggestPaths(LoadedModel m) {
        if (m == null || pathEdited && !packagePath.get().isBlank()) return;
        Path home = Path.of(System.getProperty("user.home"));
        String name = safeName(m.displayName());
        packagePath.set(home.resolve(name + ".anepkg").toString());
        pathEdited = false;
        reportFolder.set(home.resolve(name + "-report").toString());
        onnxPath.set(home.resolve(name + ".onnx").toString());
    }

    static String safeName(String displayName) { return displayName.replaceAll("[^A-Za-z0-9._-]+", "-"); }

    /** True when the package target exists, so the view must ask before overwriting. */
    public boolean targetExists() { return !packagePath.get().isBlank() && Files.exists(Path.of(packagePath.get())); }

    /** Writes the package as a job; {@code force} replaces an existing one. Returns null when there is nothing to export. */
    public JobView<Path> exportPackage(boolean force) {
        ConvertedModel converted = session.converted();
        if (converted == null || packagePath.get().isBlank() || job.get() != null) return null;
        Path out = Path.of(packagePath.get());
        Conversion c = converted.graph().conversion();
        result.set("");
        return track(session.jobs().submit("Export " + out.getFileName(), ctx -> converted.writePackage(out, force, null, ctx), p -> {
            lastWritten.set(p);
            result.set("Wrote " + p + " (" + DriftViewModel.describe(c) + ")");
        }));
    }

    /** True when the ONNX target exists (the view asks before replacing it). */
    public boolean onnxExists() { return !onnxPath.get().isBlank() && Files.exists(Path.of(onnxPath.get())); }

    /**
     * Writes the converted graph as ONNX (opset 21, blocked DequantizeLinear for INT8 weights) as a job; the
     * exporter writes atomically, so an existing file is replaced only when the export succeeds.
     */
    public JobView<Path> exportOnnx() {
        ConvertedModel converted = session.converted();
        if (converted == null || onnxPath.get().isBlank() || job.get() != null) return null;
        Path out = Path.of(onnxPath.get());
        Conversion c = converted.graph().conversion();
        result.set("");
        return track(session.jobs().submit("Export " + out.getFileName(), ctx -> {
            OwnInputs.of(converted.source()).refuseOutput("ONNX file", out);
            dev.anewb.convert.OnnxExporter.export(converted.graph(), converted.source().weights(), out, ctx);
            return out;
        }, p -> {
            lastWritten.set(p);
            result.set("Wrote " + p + " (" + DriftViewModel.describe(c) + ")");
        }));
    }

    /**
     * Writes the report (HTML with {@code chartPng} embedded, JSON, CSV) as a job. Uses the Drift area's latest
     * report when it measured the current configuration, else measures it.
     */
    public JobView<List<Path>> exportReport(byte[] chartPng) {
        ConvertedModel converted = session.converted();
        DriftAnalysis analysis = session.driftAnalysis();
        if (converted == null || analysis == null || reportFolder.get().isBlank() || job.get() != null) return null;
        Path dir = Path.of(reportFolder.get());
        Conversion c = converted.graph().conversion();
        List<String> texts = session.sampleTexts();
        var input = session.sampleInput();
        String model = session.model().displayName();
        DriftReport latest = session.latestDriftProperty().get();
        boolean latestFits = latest != null && session.conversion().equals(c);
        result.set("");
        return track(session.jobs().submit("Export report", ctx -> {
            DriftReport r = latestFits ? latest : analysis.measure(session.sample(input).batch(), c, true, ctx);
            return ReportFiles.write(dir, safeName(model) + "-drift", new ReportFiles.Content(model, c, texts, r, chartPng));
        }, files -> {
            lastWritten.set(files.getFirst());
            result.set("Wrote " + files.stream().map(p -> p.getFileName().toString()).reduce((a, b) -> a + ", " + b).orElse("") + " in " + dir);
        }));
    }

    private <T> JobView<T> track(JobView<T> view) {
        job.set(view);
        view.stateProperty().addListener((obs, old, state) -> { if (view.isDone() && job.get() == view) job.set(null); });
        return view;
    }

    /** The report a chart snapshot should show: the latest drift report, or null (the report job then measures). */
    public DriftReport chartReport() { return session.latestDriftProperty().get(); }

    public StringProperty packagePathProperty() { return packagePath; }

    public StringProperty reportFolderProperty() { return reportFolder; }

    /** The .onnx file the ONNX export writes. */
    public StringProperty onnxPathProperty() { return onnxPath; }

    /** The export running now, or null. */
    public ReadOnlyObjectProperty<JobView<?>> jobProperty() { return job.getReadOnlyProperty(); }

    /** The package folder or report file written last. */
    public ObjectProperty<Path> lastWrittenProperty() { return lastWritten; }

    public ReadOnlyStringProperty resultProperty() { return result.getReadOnlyProperty(); }

    public BooleanBinding canExportBinding() { return canExport; }

    public Session session() { return session; }

    public void dispose() {
        subscription.unsubscribe();
        subscription = Subscription.EMPTY;
    }
}
