package dev.anewb.app.export;

import dev.anewb.AnewbException;
import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.ChipProfile;
import dev.anewb.ane.PlanResult;
import dev.anewb.api.ConvertedModel;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.app.jobs.JobView;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.Session;
import dev.anewb.convert.OnnxExporter;
import dev.anewb.convert.coreml.CoreMlOptions;
import dev.anewb.convert.coreml.CoreMlPreview;
import dev.anewb.convert.coreml.CoreMlTarget;
import dev.anewb.drift.DriftReport;
import dev.anewb.io.ByteSizes;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.OwnInputs;
import dev.anewb.model.Axis;
import dev.anewb.model.Conversion;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.util.Subscription;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * State of the Export area: where the {@code .anepkg} and the report go, the running export job, and what was
 * written last. Writing happens in engine jobs; the view asks for overwrite confirmation before calling
 * {@link #exportPackage(boolean)} with {@code force}.
 */
public final class ExportViewModel extends AreaViewModel {
    private final StringProperty coreMlPath = new SimpleStringProperty(this, "coreMlPath", "");
    private final StringProperty coreMlSequence = new SimpleStringProperty(this, "coreMlSequence",
            String.valueOf(CoreMlOptions.DEFAULT_SEQUENCE));
    /** The minimum OS the package declares; null: the lowest its ops allow. */
    private final ObjectProperty<CoreMlTarget> coreMlTarget = new SimpleObjectProperty<>(this, "coreMlTarget");
    private final BooleanProperty coreMlFp16Io = new SimpleBooleanProperty(this, "coreMlFp16Io");
    private final ReadOnlyObjectWrapper<CoreMlPreview> coreMlPreview = new ReadOnlyObjectWrapper<>(this,
            "coreMlPreview");
    private final ReadOnlyStringWrapper coreMlProblem = new ReadOnlyStringWrapper(this, "coreMlProblem", "");
    private final LatestJobScheduler<PreviewOutcome> previewScheduler = scheduler("Core ML preview");
    private final StringProperty packagePath = new SimpleStringProperty(this, "packagePath", "");
    private final StringProperty onnxPath = new SimpleStringProperty(this, "onnxPath", "");
    private final StringProperty reportFolder = new SimpleStringProperty(this, "reportFolder", "");
    private final ReadOnlyObjectWrapper<JobView<?>> job = new ReadOnlyObjectWrapper<>(this, "job");
    private final ObjectProperty<Path> lastWritten = new SimpleObjectProperty<>(this, "lastWritten");
    private final ReadOnlyStringWrapper result = new ReadOnlyStringWrapper(this, "result", "");
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper(this, "summary", "");
    private final BooleanBinding canExport;
    private boolean pathEdited;

    /** What a preview job produced: what the package will be, or why it cannot be written with these settings. */
    record PreviewOutcome(CoreMlPreview preview, String problem) { }

    public ExportViewModel(Session session) {
        super(session, "Export",
                "Write the converted model as the Core ML package Xcode and the Neural Engine run, as an .anepkg "
                        + "package or ONNX, and the drift report as HTML, JSON and CSV.",
                List.of("The Core ML ML Program package (.mlpackage), previewed before it is written",
                        "The .anepkg package with its manifest and drift summary", "ONNX with blocked INT8 weights",
                        "A report to share: drift by cause and the estimated ANE plan"),
                "Load a model to export it.");
        packagePath.addListener((obs, old, now) -> pathEdited = true);
        keep(Subscription.combine(
                session.modelProperty().subscribe(this::suggestPaths),
                session.convertedProperty().subscribe(c -> summary.set(c == null
                        ? "Load a source model to export it."
                        : c.source().displayName() + " with " + DriftViewModel.describe(c.graph().conversion())
                                + " (the settings on the right)")),
                session.convertedProperty().subscribe(c -> requestPreview()),
                coreMlSequence.subscribe(s -> requestPreview()),
                coreMlTarget.subscribe(s -> requestPreview()),
                coreMlFp16Io.subscribe(s -> requestPreview())));
        canExport = Bindings.createBooleanBinding(() -> session.converted() != null && job.get() == null,
                session.convertedProperty(), job);
    }

    private void suggestPaths(LoadedModel m) {
        if (m == null || pathEdited && !packagePath.get().isBlank()) return;
        Path home = Path.of(System.getProperty("user.home"));
        String name = safeName(m.displayName());
        packagePath.set(home.resolve(name + ".anepkg").toString());
        pathEdited = false;
        reportFolder.set(home.resolve(name + "-report").toString());
        coreMlPath.set(home.resolve(name + ".mlpackage").toString());
        Integer fixed = m.graph().fixedLength(Axis.TOKENS);
        int positions = m.config().maxPositions();
        coreMlSequence.set(String.valueOf(fixed != null ? fixed : Math.min(CoreMlOptions.DEFAULT_SEQUENCE, positions)));
        onnxPath.set(home.resolve(name + ".onnx").toString());
    }

    static String safeName(String displayName) { return displayName.replaceAll("[^A-Za-z0-9._-]+", "-"); }

    /** True when the package target exists, so the view must ask before overwriting. */
    public boolean targetExists() { return !packagePath.get().isBlank() && Files.exists(Path.of(packagePath.get())); }

    /**
     * Writes the package as a job; {@code force} replaces an existing one. Returns null when there is nothing to
     * export.
     */
    public JobView<Path> exportPackage(boolean force) {
        Session session = session();
        ConvertedModel converted = session.converted();
        if (converted == null || packagePath.get().isBlank() || job.get() != null) return null;
        Path out = Path.of(packagePath.get());
        Conversion c = converted.conversion();
        result.set("");
        String title = "Export " + out.getFileName();
        return track(session.jobs().submit(title, ctx -> converted.writePackage(out, force, null, ctx), p -> {
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
        Session session = session();
        ConvertedModel converted = session.converted();
        if (converted == null || onnxPath.get().isBlank() || job.get() != null) return null;
        Path out = Path.of(onnxPath.get());
        Conversion c = converted.conversion();
        result.set("");
        return track(session.jobs().submit("Export " + out.getFileName(), ctx -> {
            OwnInputs.of(converted.source()).refuseOutput("ONNX file", out);
            OnnxExporter.export(converted.graph(), converted.source().weights(), out, ctx);
            return out;
        }, p -> {
            lastWritten.set(p);
            result.set("Wrote " + p + " (" + DriftViewModel.describe(c) + ")");
        }));
    }

    /** The Core ML options the controls describe; a usage error when the sequence field cannot be read. */
    CoreMlOptions coreMlOptions() {
        return new CoreMlOptions(CoreMlOptions.Sequence.parse(coreMlSequence.get()), coreMlTarget.get(),
                coreMlFp16Io.get(), false, Map.of());
    }

    /** Works out what the Core ML package would be, off the FX thread (debounced; the latest request wins). */
    private void requestPreview() {
        ConvertedModel converted = session().converted();
        if (converted == null) {
            previewScheduler.cancel();
            coreMlPreview.set(null);
            coreMlProblem.set("Load a source model to export it.");
            return;
        }
        previewScheduler.request(() -> {
            ConvertedModel c = session().converted();
            if (c == null) return null;
            CoreMlOptions options;
            try {
                options = coreMlOptions();
            } catch (AnewbException e) {
                return ctx -> new PreviewOutcome(null, e.getMessage());
            }
            return ctx -> {
                try {
                    return new PreviewOutcome(c.coreMlPreview(options), "");
                } catch (AnewbException | IllegalArgumentException e) {
                    return new PreviewOutcome(null, e.getMessage());
                }
            };
        }, o -> {
            coreMlPreview.set(o.preview());
            coreMlProblem.set(o.problem());
        });
    }

    /** True when the Core ML target exists (the view asks before replacing it). */
    public boolean coreMlExists() { return !coreMlPath.get().isBlank() && Files.exists(Path.of(coreMlPath.get())); }

    /**
     * Writes the Core ML package as a job, with the drift measured on the sample input in its metadata; {@code force}
     * replaces an existing one (the old one stays until the new one is complete). Null when nothing can be written.
     */
    public JobView<CoreMlPreview> exportCoreMl(boolean force) {
        Session session = session();
        ConvertedModel converted = session.converted();
        if (converted == null || coreMlPath.get().isBlank() || job.get() != null || coreMlPreview.get() == null) {
            return null;
        }
        Path out = Path.of(coreMlPath.get());
        CoreMlOptions options = coreMlOptions().withForce(force);
        result.set("");
        return track(session.jobs().submit("Export " + out.getFileName(),
                ctx -> converted.writeCoreMl(out, options, ctx),
                p -> {
                    lastWritten.set(out);
                    result.set(String.format(Locale.ROOT, "Wrote %s (%s, %d ops, minimum %s / %s)", out,
                            ByteSizes.format(p.packageBytes()), p.operations(), p.minimumOs().label(),
                            p.minimumOs().macOs()));
                }));
    }

    /**
     * Writes the report (HTML with the drift chart, JSON, CSV) as a job: drift by cause (the Drift area's latest
     * report when it measured the current configuration, else measured now) and the estimated ANE plan of the
     * Memory area's chip, batch and sequence length, whether or not those areas were opened.
     */
    public JobView<List<Path>> exportReport() {
        Session session = session();
        ConvertedModel converted = session.converted();
        if (converted == null || !session.canMeasureDrift() || reportFolder.get().isBlank() || job.get() != null) {
            return null;
        }
        Path dir = Path.of(reportFolder.get());
        Conversion c = converted.conversion();
        List<String> texts = session.sampleTexts();
        var input = session.sampleInput();
        String model = session.model().displayName();
        DriftReport latest = session.latestDriftProperty().get();
        boolean latestFits = latest != null && !latest.byCause().isEmpty() && session.conversion().equals(c);
        ChipProfile chip = session.chip();
        int batch = session.planBatchProperty().get(), seq = session.planSequenceLengthProperty().get();
        result.set("");
        return track(session.jobs().submit("Export report", ctx -> {
            DriftReport r = latestFits ? latest : converted.drift(session.sample(input).batch(), true, ctx);
            PlanResult plan;
            try {
                plan = AnePlanner.plan(converted.source().graph(), c, chip, batch, seq, null);
            } catch (AnewbException e) {
                plan = null; // e.g. a sequence the model cannot take: the report says the plan is missing
            }
            var content = new ReportFiles.Content(model, c, texts, r, plan);
            return ReportFiles.write(dir, safeName(model) + "-drift", content);
        }, files -> {
            lastWritten.set(files.getFirst());
            String names = files.stream().map(p -> p.getFileName().toString()).reduce((a, b) -> a + ", " + b)
                    .orElse("");
            result.set("Wrote " + names + " in " + dir);
        }));
    }

    private <T> JobView<T> track(JobView<T> view) {
        job.set(view);
        view.stateProperty().addListener((obs, old, state) -> {
            if (view.isDone() && job.get() == view) job.set(null);
        });
        return view;
    }

    /** The .mlpackage folder the Core ML export writes. */
    public StringProperty coreMlPathProperty() { return coreMlPath; }

    /** "128", "MIN..MAX" (a range) or "N1,N2,..." (enumerated lengths: the form the Neural Engine runs). */
    public StringProperty coreMlSequenceProperty() { return coreMlSequence; }

    /** The minimum OS the package declares; null for the lowest its ops allow. */
    public ObjectProperty<CoreMlTarget> coreMlTargetProperty() { return coreMlTarget; }

    /** FP16 inputs and outputs instead of FP32 ones cast at the boundary. */
    public BooleanProperty coreMlFp16IoProperty() { return coreMlFp16Io; }

    /** What the Core ML package will be (size, ops, minimum OS, notes), or null while it cannot be written. */
    public ReadOnlyObjectProperty<CoreMlPreview> coreMlPreviewProperty() { return coreMlPreview.getReadOnlyProperty(); }

    /** Why the Core ML package cannot be written with these settings (e.g. a block size Core ML cannot express). */
    public ReadOnlyStringProperty coreMlProblemProperty() { return coreMlProblem.getReadOnlyProperty(); }

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

    /** What an export writes: the model and its conversion, or what to do first. */
    public ReadOnlyStringProperty summaryProperty() { return summary.getReadOnlyProperty(); }
}
