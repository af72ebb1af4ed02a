package dev.anewb.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint split over several safetensors shards, described by {@code model.safetensors.index.json}
 * ({@code weight_map}: tensor name → shard file beside the index). All shards are opened and cross-checked up front
 * so a missing shard or a name its shard does not hold is reported at open, not in the middle of a run.
 */
public final class ShardedSafetensors implements WeightSource {
    private final Path index;
    private final Map<String, SafetensorsFile> byName;
    private final List<SafetensorsFile> shards;
    private final Map<String, String> metadata;

    private ShardedSafetensors(Path index, Map<String, SafetensorsFile> byName, List<SafetensorsFile> shards,
                               Map<String, String> metadata) {
        this.index = index;
        this.byName = byName;
        this.shards = shards;
        this.metadata = metadata;
    }

    public static ShardedSafetensors open(Path index) {
        JsonNode root;
        try {
            // A real index is a few hundred KB; refuse a huge one before Jackson builds a tree of it.
            if (Files.size(index) > 64L << 20) throw AnewbException.file(index,
                    "is larger than 64 MB; not a safetensors index");
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw AnewbException.file(index, "is not valid JSON: " + AnewbException.reason(e), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw AnewbException.file(index, "has no \"weight_map\" object");
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonNode meta = root.get("metadata");
        if (meta != null && meta.isObject()) meta.properties().forEach(e ->
                metadata.put(e.getKey(), e.getValue().asText()));

        Path dir = index.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> open = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = map.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) throw AnewbException.file(index, "weight_map entry '" + e.getKey()
                        + "' is not a file name");
                String shardName = e.getValue().textValue();
                SafetensorsFile shard = open.get(shardName);
                if (shard == null) {
                    Path p = ContainedPaths.resolveInside(dir, shardName, index, "shard");
                    if (!Files.isRegularFile(p)) {
                        throw AnewbException.file(index, "shard '" + shardName + "' (for tensor '" + e.getKey()
                                + "') does not exist");
                    }
                    ContainedPaths.requireRealInside(ContainedPaths.trustRoot(dir), p);
                    shard = SafetensorsFile.open(p);
                    open.put(shardName, shard);
                }
                if (!shard.contains(e.getKey())) {
                    throw AnewbException.file(index, "maps tensor '" + e.getKey() + "' to shard '" + shardName
                            + "', which does not contain it");
                }
                byName.put(e.getKey(), shard);
            }
        } catch (RuntimeException ex) {
            open.values().forEach(SafetensorsFile::close);
            throw ex;
        }
        return new ShardedSafetensors(index, Collections.unmodifiableMap(byName), new ArrayList<>(open.values()),
                Collections.unmodifiableMap(metadata));
    }

    /** The index's "metadata" object (e.g. total_size), values as text. */
    public Map<String, String> metadata() { return metadata; }

    @Override public Set<String> names() { return byName.keySet(); }

    @Override
    public TensorData get(String name) {
        SafetensorsFile shard = byName.get(name);
        if (shard == null) throw missing(name);
        return shard.get(name);
    }

    @Override public Path origin() { return index; }

    @Override public void close() { shards.forEach(SafetensorsFile::close); }
}
