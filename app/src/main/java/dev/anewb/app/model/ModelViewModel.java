package dev.anewb.app.model;

import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.Session;
import dev.anewb.hub.HfCache;
import dev.anewb.io.BundledModel;
import dev.anewb.io.ByteSizes;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelInfo;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.util.Subscription;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * State of the Model area: where models come from (bundled, local HF cache, recent, a folder) and the loaded model's
 * card.
 */
public final class ModelViewModel extends AreaViewModel {
    /** One fact of the model card. */
    public record CardRow(String label, String value) { }

    private final ObservableList<ModelSource> bundled = FXCollections.observableArrayList(
            new ModelSource("all-MiniLM-L6-v2", BundledModel.ID, "bundled with anewb · works offline"));
    private final ObservableList<ModelSource> cached = FXCollections.observableArrayList();
    private final ObservableList<ModelSource> recent = FXCollections.observableArrayList();
    private final ObservableList<CardRow> card = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper cardTitle = new ReadOnlyStringWrapper(this, "cardTitle", "");
    private final ReadOnlyStringWrapper cardSubtitle = new ReadOnlyStringWrapper(this, "cardSubtitle", "");
    private final Path cacheRoot;
    private final HubSearchViewModel hub;

    public ModelViewModel(Session session) {
        this(session, HfCache.fromEnvironment().root());
    }

    public ModelViewModel(Session session, Path hfCacheRoot) {
        super(session, "Model",
                "The loaded model: its architecture and size, and where models come from.",
                List.of("The bundled model, models in the local Hugging Face cache, recent models",
                        "The model card: architecture, parameters, layers, heads, sizes"),
                "Load a model to see its card.");
        this.cacheRoot = hfCacheRoot;
        this.hub = new HubSearchViewModel(session);
        ListChangeListener<String> onRecent = c -> updateRecent();
        session.recentModels().addListener(onRecent);
        updateRecent();
        keep(Subscription.combine(
                hub::dispose,
                session.infoProperty().subscribe(this::updateCard),
                () -> session.recentModels().removeListener(onRecent),
                session.loadingProperty().subscribe(v -> updateCardTitle()),
                session.loadingWhatProperty().subscribe(v -> updateCardTitle()),
                session.modelProperty().subscribe(m -> updateCardTitle())));
        cached.setAll(scanCache(cacheRoot));
    }

    /** {@code models--org--name} folders of the Hugging Face cache as Hub ids; a missing cache gives none. */
    static List<ModelSource> scanCache(Path root) {
        List<ModelSource> out = new ArrayList<>();
        if (root == null || !Files.isDirectory(root)) return out;
        try (Stream<Path> s = Files.list(root)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("models--")).sorted().forEach(n -> {
                String id = n.substring("models--".length()).replace("--", "/");
                out.add(new ModelSource(id, id, "local Hugging Face cache"));
            });
        } catch (IOException e) {
            // An unreadable cache is the same as an empty one here; the path is shown under the list.
        }
        return out;
    }

    private void updateRecent() {
        recent.setAll(session().recentModels().stream().map(r -> new ModelSource(shortName(r), r, r)).toList());
    }

    static String shortName(String reference) {
        if (reference.startsWith("bundled:")) return reference.substring("bundled:".length());
        Path p = Path.of(reference).getFileName();
        return p == null ? reference : p.toString();
    }

    private void updateCard(ModelInfo i) {
        if (i == null) {
            card.clear();
            updateCardTitle();
            return;
        }
        List<CardRow> rows = new ArrayList<>();
        rows.add(new CardRow("Architecture", i.architecture() + " (" + i.modelType() + ")"));
        rows.add(new CardRow("Parameters", ModelInfo.humanCount(i.parameters())
                + " (" + String.format(Locale.ROOT, "%,d", i.parameters()) + ")"));
        rows.add(new CardRow("Layers", Integer.toString(i.layers())));
        rows.add(new CardRow("Attention heads",
                i.heads() + (i.kvHeads() != i.heads() ? " (" + i.kvHeads() + " key/value)" : "")));
        rows.add(new CardRow("Hidden size", Integer.toString(i.hiddenSize())));
        rows.add(new CardRow("Intermediate size", Integer.toString(i.intermediateSize())));
        // an image model has no token vocabulary and its positions are its patches: say so, not "0"
        rows.add(new CardRow("Vocabulary", i.vocabSize() > 0 ? String.format(Locale.ROOT, "%,d", i.vocabSize())
                : "none (takes " + inputOf(session().kind()) + ", not tokens)"));
        if (i.maxPositions() > 0) rows.add(new CardRow("Max positions", Integer.toString(i.maxPositions())));
        rows.add(new CardRow("Weights dtype", i.dtype()));
        rows.add(new CardRow("Size on disk", ByteSizes.format(i.sizeOnDisk())));
        rows.add(new CardRow("Files", String.join(", ", i.files())));
        card.setAll(rows);
        updateCardTitle();
    }

    private static String inputOf(ModelKind kind) {
        return kind == ModelKind.VISION ? "an image" : kind == ModelKind.SPEECH ? "audio" : "other input";
    }

    /** The card's heading: the model's name and folder, else what is loading or what to do. */
    private void updateCardTitle() {
        Session session = session();
        ModelInfo info = session.infoProperty().get();
        if (card.isEmpty() || info == null) {
            cardTitle.set(session.loadingProperty().get() ? "Loading " + session.loadingWhatProperty().get() + "…"
                    : "No model loaded");
            cardSubtitle.set("Pick the bundled model, a cached one, or open a folder.");
            return;
        }
        cardTitle.set(info.name());
        LoadedModel m = session.model();
        cardSubtitle.set(m != null && m.folder() != null ? m.folder().toString() : "");
    }

    /** Loads a model reference as a job (progress in the status bar). */
    public void open(String reference) { session().load(reference); }

    /**
     * Loads what the user picked or dropped: a model folder, an {@code .anepkg} folder, or a file inside a
     * folder (an {@code .onnx} or {@code config.json}) meaning its folder.
     */
    public void open(Path picked) {
        boolean fileInFolder = Files.isRegularFile(picked) && !picked.getFileName().toString().equals("config.json");
        Path target = fileInFolder ? picked.getParent() : picked;
        session().load(target.toAbsolutePath().toString());
    }

    public ObservableList<ModelSource> bundled() { return bundled; }

    public ObservableList<ModelSource> cached() { return cached; }

    public ObservableList<ModelSource> recent() { return recent; }

    /** The loaded model's facts; empty without a model. */
    public ObservableList<CardRow> card() { return card; }

    /** The loaded model's name, or "Loading …" / "No model loaded". */
    public ReadOnlyStringProperty cardTitleProperty() { return cardTitle.getReadOnlyProperty(); }

    /** The loaded model's folder, or where models come from while there is none. */
    public ReadOnlyStringProperty cardSubtitleProperty() { return cardSubtitle.getReadOnlyProperty(); }

    public Path cacheRoot() { return cacheRoot; }

    /** The Hub search section. */
    public HubSearchViewModel hub() { return hub; }
}
