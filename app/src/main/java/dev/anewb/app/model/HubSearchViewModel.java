package dev.anewb.app.model;

import dev.anewb.AnewbException;
import dev.anewb.app.jobs.JobView;
import dev.anewb.app.session.Session;
import dev.anewb.hub.FileSelection;
import dev.anewb.hub.HfCache;
import dev.anewb.hub.HubClient;
import dev.anewb.hub.HubModelInfo;
import dev.anewb.hub.HubModelSummary;
import dev.anewb.hub.HubUnreachableException;
import dev.anewb.hub.PullResult;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.concurrent.Worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Hub search of the Model area: search → results, the selected repository's card (files, sizes, license),
 * "Plan" (config.json only, then the Memory area) and "Download" (engine files with progress and speed; cancel;
 * pulling again resumes). Offline when {@code HF_HUB_OFFLINE} is set or the last request could not reach the Hub.
 * The token is stored only in the standard token file after explicit consent, and never read back into the UI.
 */
public final class HubSearchViewModel {
    public static final int RESULT_LIMIT = 50;

    /** A search's answer or why there is none. */
    record Searched(List<HubModelSummary> results, String problem, boolean unreachable) { }

    /** Info of one repository or why there is none. */
    record Described(HubModelInfo info, String problem, boolean unreachable) { }

    private final Session session;
    private final Path tokenFile;
    private final StringProperty query = new SimpleStringProperty(this, "query", "");
    private final ObservableList<HubModelSummary> results = FXCollections.observableArrayList();
    private final ObjectProperty<HubModelSummary> selected = new SimpleObjectProperty<>(this, "selected");
    private final ReadOnlyObjectWrapper<HubModelInfo> info = new ReadOnlyObjectWrapper<>(this, "info");
    private final ReadOnlyBooleanWrapper offline = new ReadOnlyBooleanWrapper(this, "offline");
    private final ReadOnlyStringWrapper offlineReason = new ReadOnlyStringWrapper(this, "offlineReason", "");
    private final ReadOnlyBooleanWrapper contacted = new ReadOnlyBooleanWrapper(this, "contacted");
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private final ReadOnlyBooleanWrapper searching = new ReadOnlyBooleanWrapper(this, "searching");
    private final ReadOnlyBooleanWrapper downloading = new ReadOnlyBooleanWrapper(this, "downloading");
    private final DoubleProperty progress = new SimpleDoubleProperty(this, "progress", 0);
    private final ReadOnlyStringWrapper progressMessage = new ReadOnlyStringWrapper(this, "progressMessage", "");
    private final ReadOnlyBooleanWrapper tokenPresent = new ReadOnlyBooleanWrapper(this, "tokenPresent");
    private final BooleanProperty planAfterPull = new SimpleBooleanProperty(this, "planAfterPull");
    private JobView<Searched> searchJob;
    private JobView<Described> infoJob;
    private JobView<PullResult> pullJob;

    public HubSearchViewModel(Session session) {
        this(session, defaultTokenFile(System.getenv()));
    }

    public HubSearchViewModel(Session session, Path tokenFile) {
        this.session = session;
        this.tokenFile = tokenFile;
        selected.addListener((obs, old, now) -> describe(now));
        refreshSettings();
    }

    /** Where huggingface_hub keeps the token: {@code HF_TOKEN_PATH}, else {@code $HF_HOME/token}. */
    public static Path defaultTokenFile(Map<String, String> env) {
        String p = env.get("HF_TOKEN_PATH");
        return p != null && !p.isBlank() ? Path.of(p) : HfCache.hfHome(env).resolve("token");
    }

    private HubClient client() { return session.hubClient(); }

    /** Re-reads offline mode and token presence from the client's settings. */
    public void refreshSettings() {
        try {
            HubClient c = client();
            tokenPresent.set(c.settings().token().isPresent());
            if (c.offline()) goOffline("HF_HUB_OFFLINE is set: only models already in the local cache can be opened");
            else if (offlineReason.get().startsWith("HF_HUB_OFFLINE")) { offline.set(false); offlineReason.set(""); }
        } catch (AnewbException e) {
            goOffline(e.getMessage());
        }
    }

    private void goOffline(String why) {
        offline.set(true);
        offlineReason.set(why);
    }

    private void online() {
        offline.set(false);
        offlineReason.set("");
        contacted.set(true);
    }

    /** Searches the Hub for {@link #queryProperty()}; the previous search is cancelled. */
    public void search() {
        String q = query.get() == null ? "" : query.get().strip();
        if (searchJob != null) searchJob.cancel();
        HubClient c;
        try {
            c = client();
        } catch (AnewbException e) {
            goOffline(e.getMessage());
            return;
        }
        if (c.offline()) {
            goOffline("HF_HUB_OFFLINE is set: only models already in the local cache can be opened");
            status.set("Offline: search needs the network");
            return;
        }
        searching.set(true);
        status.set("Searching the Hub for \"" + q + "\"…");
        JobView<Searched> job = session.jobs().submit("Hub search", ctx -> {
            try {
                var query = new HubClient.SearchQuery(q.isEmpty() ? null : q, null, null, RESULT_LIMIT);
                return new Searched(c.search(query, ctx), null, false);
            } catch (HubUnreachableException e) {
                return new Searched(List.of(), e.getMessage(), true);
            } catch (AnewbException e) {
                return new Searched(List.of(), e.getMessage(), false);
            }
        }, s -> {
            if (s.unreachable()) goOffline(s.problem());
            else if (s.problem() == null) online();
            results.setAll(s.results());
            status.set(s.problem() != null ? s.problem() : s.results().isEmpty() ? "No models match \"" + q + "\""
                    : s.results().size() + " models, most downloaded first");
        });
        searchJob = job;
        job.stateProperty().addListener((obs, o, st) -> {
            if (job == searchJob && job.isDone()) searching.set(false);
        });
    }

    private void describe(HubModelSummary s) {
        if (infoJob != null) infoJob.cancel();
        info.set(null);
        if (s == null || offline.get() && client().offline()) return;
        HubClient c = client();
        JobView<Described> job = session.jobs().submit("Hub info " + s.id(), ctx -> {
            try {
                return new Described(c.info(s.id(), "main", ctx), null, false);
            } catch (HubUnreachableException e) {
                return new Described(null, e.getMessage(), true);
            } catch (AnewbException e) {
                return new Described(null, e.getMessage(), false);
            }
        }, d -> {
            if (selected.get() != s) return;
            if (d.unreachable()) goOffline(d.problem());
            info.set(d.info());
            if (d.problem() != null) status.set(d.problem());
        });
        infoJob = job;
    }

    /** Pulls config.json alone, loads the model from it and shows the Memory area. */
    public void plan() { pull(FileSelection.CONFIG_ONLY, true); }

    /** Pulls the engine's files (weights included) with progress, then loads the model. Pulling again resumes. */
    public void download() { pull(FileSelection.ENGINE, false); }

    private void pull(FileSelection what, boolean plan) {
        HubModelSummary s = selected.get();
        if (s == null || downloading.get()) return;
        HubClient c = client();
        downloading.set(true);
        progress.set(-1);
        progressMessage.set((plan ? "Fetching config.json of " : "Downloading ") + s.id() + "…");
        String title = (plan ? "Plan " : "Download ") + s.id();
        JobView<PullResult> job = session.jobs().submit(title, ctx -> c.pull(s.id(), "main", what, ctx), r -> {
            progressMessage.set((plan ? "Config of " : "Downloaded ") + r.repoId() + " (" + r.files().size()
                    + " files) in " + r.snapshot());
            // A config.json on its own loads as a plan-only model; the folder loads with its weights.
            JobView<?> load = session.load((plan ? r.snapshot().resolve("config.json") : r.snapshot()).toString());
            if (plan) load.stateProperty().addListener((obs, o, st) -> {
                if (st == Worker.State.SUCCEEDED) session.requestedAreaProperty().set("memory");
            });
        });
        pullJob = job;
        progress.bind(job.progressProperty());
        job.messageProperty().addListener((obs, o, m) -> {
            if (job == pullJob && m != null && !m.isBlank()) progressMessage.set(m);
        });
        job.stateProperty().addListener((obs, o, st) -> {
            if (job != pullJob || !job.isDone()) return;
            progress.unbind();
            downloading.set(false);
            if (st == Worker.State.CANCELLED) progressMessage.set("Cancelled; Download again resumes where it stopped");
            else if (st == Worker.State.FAILED) {
                Throwable e = job.exception();
                progressMessage.set("Failed: " + (e == null ? "see the notification" : e.getMessage()));
                if (e instanceof HubUnreachableException) goOffline(e.getMessage());
            }
        });
    }

    /** Cancels the running download (the partial file stays in the cache; pulling again resumes it). */
    public void cancelDownload() {
        if (pullJob != null) pullJob.cancel();
    }

    /**
     * Writes {@code token} to the standard token file, only with {@code consent}; the token is never kept here.
     *
     * @return null when stored, else why not
     */
    public String storeToken(String token, boolean consent) {
        if (!consent) return "Tick the box to allow writing the token file.";
        if (token == null || token.isBlank()) return "Paste a token first.";
        if (!token.strip().matches("[A-Za-z0-9_\\-]{8,}")) return "That does not look like a Hugging Face "
                + "token (hf_…).";
        try {
            Files.createDirectories(tokenFile.toAbsolutePath().getParent());
            Files.writeString(tokenFile, token.strip());
            try {
                Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // Windows: the file inherits the user folder's access rules.
            }
        } catch (IOException e) {
            return tokenFile + ": cannot write the token (" + e.getMessage() + ")";
        }
        session.resetHubClient();
        refreshSettings();
        return null;
    }

    /** "license:apache-2.0" tag → "apache-2.0"; null when the repository does not say. */
    public static String license(List<String> tags) {
        if (tags == null) return null;
        for (String t : tags) if (t.startsWith("license:")) return t.substring("license:".length());
        return null;
    }

    /** yes / no / ? for the results table. */
    public static String supportedText(HubModelSummary s) {
        Boolean b = s.supported();
        return b == null ? "?" : b ? "yes" : "no";
    }

    /** One line of the repository card's file list; {@code size} is already formatted ("" for the summary line's). */
    public record FileRow(String name, String size) { }

    /** The card's files: a total line, then every file sorted by name (case-insensitive) with its size. */
    public static List<FileRow> fileRows(HubModelInfo info) {
        long total = info.files().stream().mapToLong(f -> Math.max(0, f.size())).sum();
        List<FileRow> rows = new ArrayList<>();
        rows.add(new FileRow(info.files().size() + " files", size(total)));
        info.files().stream()
                .sorted(Comparator.comparing(HubModelInfo.RepoFile::name, String.CASE_INSENSITIVE_ORDER)
                        .thenComparing(HubModelInfo.RepoFile::name))
                .forEach(f -> rows.add(new FileRow(f.name(), size(f.size()))));
        return rows;
    }

    public static String size(long bytes) {
        if (bytes < 0) return "?";
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1 << 20) return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format(Locale.ROOT, "%.1f MB", bytes / (double) (1 << 20));
        return String.format(Locale.ROOT, "%.2f GB", bytes / (double) (1L << 30));
    }

    public StringProperty queryProperty() { return query; }

    public ObservableList<HubModelSummary> results() { return results; }

    public ObjectProperty<HubModelSummary> selectedProperty() { return selected; }

    public ReadOnlyObjectProperty<HubModelInfo> infoProperty() { return info.getReadOnlyProperty(); }

    public ReadOnlyBooleanProperty offlineProperty() { return offline.getReadOnlyProperty(); }

    /** True once the Hub answered a request: before that, nobody knows whether it is reachable. */
    public ReadOnlyBooleanProperty contactedProperty() { return contacted.getReadOnlyProperty(); }

    public ReadOnlyStringProperty offlineReasonProperty() { return offlineReason.getReadOnlyProperty(); }

    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }

    public ReadOnlyBooleanProperty searchingProperty() { return searching.getReadOnlyProperty(); }

    public ReadOnlyBooleanProperty downloadingProperty() { return downloading.getReadOnlyProperty(); }

    /** Fraction done (−1 while unknown). */
    public DoubleProperty progressProperty() { return progress; }

    /** The pull's last message: bytes and speed while downloading. */
    public ReadOnlyStringProperty progressMessageProperty() { return progressMessage.getReadOnlyProperty(); }

    public ReadOnlyBooleanProperty tokenPresentProperty() { return tokenPresent.getReadOnlyProperty(); }

    public Path tokenFile() { return tokenFile; }

    public void dispose() {
        if (searchJob != null) searchJob.cancel();
        if (infoJob != null) infoJob.cancel();
    }
}
