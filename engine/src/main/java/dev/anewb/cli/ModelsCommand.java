package dev.anewb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.hub.FileSelection;
import dev.anewb.hub.HfCache;
import dev.anewb.hub.HubClient;
import dev.anewb.hub.HubModelSummary;
import dev.anewb.hub.PullResult;
import dev.anewb.io.ByteSizes;
import dev.anewb.job.JobContext;
import dev.anewb.model.ModelRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code anewb models list | search | pull}: the Hugging Face cache shared with Python, Hub search, and
 * downloads into that cache. The environment ({@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code HF_HUB_CACHE},
 * {@code HF_HUB_OFFLINE}, ...) is passed in, so tests need not touch the real one.
 */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "The local Hugging Face cache, Hub search, and downloads into the cache Python shares.")
final class ModelsCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, String> env;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    ModelsCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private PrintWriter out() { return spec.commandLine().getOut(); }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Models in the local Hugging Face cache: repo id, revisions, size, and whether the engine "
                    + "supports its model_type.")
    int list(@Option(names = "--json", description = "Print JSON.") boolean json) throws Exception {
        HfCache cache = new HfCache(env);
        List<HfCache.CachedModel> models = cache.models();
        PrintWriter out = out();
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            root.put("cache", cache.root().toString());
            ArrayNode arr = root.putArray("models");
            for (HfCache.CachedModel m : models) {
                ObjectNode o = arr.addObject();
                o.put("id", m.repoId());
                ObjectNode refs = o.putObject("refs");
                m.refs().forEach(refs::put);
                m.commits().forEach(o.putArray("commits")::add);
                if (m.commits().isEmpty()) o.putArray("commits");
                o.put("size_bytes", m.sizeOnDisk());
                o.put("partial_bytes", m.partialBytes());
                o.put("model_type", m.modelType());
                if (m.supported() == null) o.putNull("supported");
                else o.put("supported", m.supported());
            }
            out.println(JSON.writeValueAsString(root));
        } else if (models.isEmpty()) {
            out.println("no models in " + cache.root());
        } else {
            out.printf("%-44s %-28s %10s  %-9s %s%n", "REPO", "REVISIONS", "SIZE", "SUPPORTED", "MODEL TYPE");
            for (HfCache.CachedModel m : models) {
                String partial = m.partialBytes() == 0 ? "" : "  (+" + ByteSizes.format(m.partialBytes())
                        + " of partial downloads, removed by the next pull)";
                String type = m.modelType() == null || m.modelType().isEmpty() ? "-" : m.modelType();
                out.printf("%-44s %-28s %10s  %-9s %s%s%n", m.repoId(), revisions(m), ByteSizes.format(m.sizeOnDisk()),
                        yesNo(m.supported()), type, partial);
            }
        }
        out.flush();
        return 0;
    }

    /** "main→1a2b3c4d", plus snapshots no ref points to, by their short commit. */
    private static String revisions(HfCache.CachedModel m) {
        String refs = m.refs().entrySet().stream().map(e -> e.getKey() + "→"
                + e.getValue().substring(0, 8)).collect(Collectors.joining(","));
        String loose = m.commits().stream().filter(c -> !m.refs().containsValue(c)).map(c ->
                c.substring(0, Math.min(8, c.length())))
                .collect(Collectors.joining(","));
        String all = refs.isEmpty() ? loose : loose.isEmpty() ? refs : refs + "," + loose;
        return all.isEmpty() ? "-" : all;
    }

    private static String yesNo(Boolean b) {
        return b == null ? "?" : b ? "yes" : "no";
    }

    @Command(name = "search", mixinStandardHelpOptions = true,
            description = {"Search the Hub, most downloaded first.",
                    "SUPPORTED comes from each hit's config.model_type (the search asks the Hub for it with "
                            + "config=True); '?' when the repository has no config."})
    int search(@Parameters(paramLabel = "QUERY", description = "Text to search in model ids.") String query,
               @Option(names = "--limit", defaultValue = "20", paramLabel = "N",
                       description = "At most N results (default ${DEFAULT-VALUE}).") int limit,
               @Option(names = "--author", paramLabel = "ORG",
                       description = "Only models of this user or organisation.") String author,
               @Option(names = "--filter", paramLabel = "TAG",
                       description = "Only models with this tag (e.g. a library or task).") String filter,
               @Option(names = "--json", description = "Print JSON.") boolean json) throws Exception {
        if (limit <= 0) throw AnewbException.usage("--limit must be positive, not " + limit);
        List<HubModelSummary> hits = new HubClient(env).search(new HubClient.SearchQuery(query, author, filter, limit),
                JobContext.NONE);
        PrintWriter out = out();
        if (json) {
            ArrayNode arr = JSON.createArrayNode();
            for (HubModelSummary h : hits) {
                ObjectNode o = arr.addObject();
                o.put("id", h.id()).put("downloads", h.downloads()).put("likes", h.likes());
                h.tags().forEach(o.putArray("tags")::add);
                if (h.tags().isEmpty()) o.putArray("tags");
                o.put("pipeline_tag", h.pipelineTag()).put("model_type", h.modelType());
                if (h.supported() == null) o.putNull("supported");
                else o.put("supported", h.supported());
                o.put("gated", h.gated());
            }
            out.println(JSON.writeValueAsString(arr));
        } else if (hits.isEmpty()) {
            out.println("no models match \"" + query + "\"");
        } else {
            out.printf("%-48s %12s %7s  %-9s %s%n", "ID", "DOWNLOADS", "LIKES", "SUPPORTED", "TAGS");
            for (HubModelSummary h : hits) {
                String tags = String.join(",", h.tags().stream().limit(6).toList()) + (h.tags().size() > 6 ? ",…" : "");
                out.printf(Locale.ROOT, "%-48s %,12d %,7d  %-9s %s%n", h.id() + (h.gated() ? " (gated)" : ""),
                        h.downloads(), h.likes(), yesNo(h.supported()), tags);
            }
        }
        out.flush();
        return 0;
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = {"Download a model's engine files (configs, tokenizer, safetensors or else the ONNX file) "
                    + "into the Hugging Face cache.",
                    "Interrupted downloads resume. Gated models need HF_TOKEN; HF_HUB_OFFLINE=1 only checks the "
                            + "cache."})
    int pull(@Parameters(paramLabel = "ID[@REV]",
            description = "A Hub id org/name, optionally @revision (branch, tag or commit; default main).") String id,
             @Option(names = "--config-only", description = "Only config.json (enough for plan).") boolean configOnly,
             @Option(names = "--json", description = "Print JSON.") boolean json) throws Exception {
        ModelRef ref = ModelRef.parse(id);
        if (ref.kind() != ModelRef.Kind.HUB) throw AnewbException.usage(id + ": not a Hub id (org/name[@revision])");
        HubClient hub = new HubClient(env);
        PullResult r = hub.pull(ref.hubId(), ref.revision(), configOnly ? FileSelection.CONFIG_ONLY
                : FileSelection.ENGINE, new StderrProgress());
        PrintWriter out = out();
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", r.repoId()).put("revision", r.revision()).put("commit", r.commit()).put("snapshot",
                    r.snapshot().toString());
            o.put("removed_partial_bytes", r.removedPartialBytes());
            ArrayNode files = o.putArray("files");
            for (PullResult.PulledFile f : r.files()) {
                files.addObject().put("name", f.name()).put("size", f.size()).put("etag", f.etag()).put("downloaded",
                        f.downloaded());
            }
            out.println(JSON.writeValueAsString(o));
        } else {
            long fetched = r.files().stream().filter(PullResult.PulledFile::downloaded).count();
            out.printf("%s@%s → %s%n", r.repoId(), r.revision(), r.commit());
            out.printf("  %d files, %d downloaded (%s), %d already cached%n", r.files().size(), fetched,
                    ByteSizes.format(r.downloadedBytes()),
                    r.files().size() - fetched);
            out.printf("  %s%n", r.snapshot());
            if (r.removedPartialBytes() > 0) {
                out.printf("  removed %s of partial downloads left by interrupted pulls%n",
                        ByteSizes.format(r.removedPartialBytes()));
            }
        }
        out.flush();
        return 0;
    }

    /** Progress on one rewritten stderr line when stderr is a terminal; silent when it is a file or pipe. */
    private static final class StderrProgress implements JobContext {
        private final boolean terminal = System.console() != null;
        private int lastLength;

        @Override public void progress(double fraction, String message) {
            if (!terminal) return;
            String line = (fraction >= 0 ? String.format(Locale.ROOT, "%3.0f%% ", fraction * 100) : "") + message;
            String pad = " ".repeat(Math.max(0, lastLength - line.length()));
            lastLength = line.length();
            System.err.print("\r" + line + pad + (fraction >= 1 ? "\n" : ""));
            System.err.flush();
        }

        @Override public boolean isCancelled() { return false; }
    }
}
