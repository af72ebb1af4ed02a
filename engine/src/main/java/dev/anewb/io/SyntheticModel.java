package dev.anewb.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.job.JobContext;
import dev.anewb.model.DType;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;
import dev.anewb.model.arch.Architectures;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A model folder for a given {@code config.json} with random weights: the tensors its architecture reads, in
 * Hugging Face names and shapes, as BF16 (or F16/F32) safetensors, sharded like the Hub shards a checkpoint above
 * {@link #SHARD_BYTES} (with a {@code model.safetensors.index.json}). Benchmarks and tests of 1B–8B shapes need no
 * download. Weights are uniform with the standard deviation transformers initializes with (0.02); norm scales near 1.
 * Written one tensor at a time into a temporary folder beside the target, renamed at the end.
 */
public final class SyntheticModel {
    /** The Hub's default {@code max_shard_size} ("5GB", decimal). */
    public static final long SHARD_BYTES = 5_000_000_000L;
    private static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SyntheticModel() { }

    /**
     * @param tokenizerJson copied beside the weights when given (e.g. a real tokenizer of the same vocabulary)
     * @return the folder written
     */
    public static Path write(Path configJson, Path out, DType dtype, long seed, long shardBytes, Path tokenizerJson,
                             boolean force, JobContext ctx) {
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
            throw AnewbException.usage("--dtype " + dtype.name().toLowerCase(Locale.ROOT)
                    + ": expected bf16, f16 or f32");
        }
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target) && !force) throw AnewbException.usage(target
                + ": already exists (use --force to replace it)");
        ModelConfig config = Architectures.readConfig(configJson);
        ModelGraph graph = Architectures.graph(config, Architectures.GraphOptions.CONFIG_ONLY);
        List<List<WeightInfo>> shards = shards(graph, dtype, shardBytes);
        Path tmp = null;
        try {
            tmp = AtomicFiles.tempFolderBeside(target);
            Files.copy(configJson, tmp.resolve("config.json"));
            if (tokenizerJson != null) Files.copy(tokenizerJson, tmp.resolve("tokenizer.json"));
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode index = json.createObjectNode();
            index.putObject("metadata").put("total_size", graph.weights().values().stream()
                    .mapToLong(w -> w.elements() * dtype.bytes()).sum());
            ObjectNode map = index.putObject("weight_map");
            long total = graph.parameterCount();
            long[] done = {0};
            // One tensor's bytes exist at a time: each is freed when the writer asks for the next.
            Arena[] current = {null};
            for (int s = 0; s < shards.size(); s++) {
                String file = shards.size() == 1 ? "model.safetensors"
                        : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
                SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
                for (WeightInfo info : shards.get(s)) {
                    map.put(info.name(), file);
                    w.addGenerated(info.name(), dtype, storedShape(info), () -> {
                        ctx.checkCancelled();
                        // the writer's order (by dtype, then name), not the graph's
                        ctx.progress(done[0] / (double) total, info.name());
                        done[0] += info.elements();
                        if (current[0] != null) current[0].close();
                        current[0] = Arena.ofConfined();
                        return values(info, dtype, seed, current[0]);
                    });
                }
                try {
                    w.write(tmp.resolve(file));
                } finally {
                    if (current[0] != null) current[0].close();
                    current[0] = null;
                }
            }
            if (shards.size() > 1) Files.writeString(tmp.resolve("model.safetensors.index.json"),
                    json.writeValueAsString(index));
            ctx.checkCancelled();
            if (Files.exists(target)) AtomicFiles.deleteTree(target);
            Files.move(tmp, target);
            ctx.progress(1, "wrote " + target.getFileName());
            return target;
        } catch (IOException e) {
            throw AnewbException.file(target, "cannot write the model (" + AnewbException.reason(e) + ")", e);
        } finally {
            if (tmp != null && Files.exists(tmp)) AtomicFiles.deleteTree(tmp);
        }
    }

    /** Tensors in graph order, cut into shards of at most {@code shardBytes} (a larger tensor gets a shard alone). */
    static List<List<WeightInfo>> shards(ModelGraph graph, DType dtype, long shardBytes) {
        List<List<WeightInfo>> out = new ArrayList<>();
        List<WeightInfo> cur = new ArrayList<>();
        long bytes = 0;
        for (WeightInfo w : graph.weights().values()) {
            long b = w.elements() * dtype.bytes();
            if (!cur.isEmpty() && bytes + b > shardBytes) {
                out.add(cur);
                cur = new ArrayList<>();
                bytes = 0;
            }
            cur.add(w);
            bytes += b;
        }
        if (!cur.isEmpty()) out.add(cur);
        return out;
    }

    private static long[] storedShape(WeightInfo w) {
        if (!w.storedTransposed()) return w.shape().clone();
        long[] s = w.shape();
        return new long[]{s[1], s[0]};
    }

    /** The tensor's values, from a generator seeded by the model seed and the tensor's name. */
    private static MemorySegment values(WeightInfo w, DType dtype, long seed, Arena arena) {
        SplittableRandom r = new SplittableRandom(seed ^ w.name().hashCode() * 0x9E3779B97F4A7C15L);
        boolean scale = w.role() == WeightRole.NORM && !w.name().endsWith("bias");
        // uniform on [-a, a] has standard deviation a / sqrt(3)
        double a = (scale ? 0.05 : 0.02) * Math.sqrt(3);
        long n = w.elements();
        MemorySegment seg = arena.allocate(n * dtype.bytes(), 64);
        for (long i = 0; i < n; i++) {
            float v = (float) ((scale ? 1 : 0) + a * (2 * r.nextDouble() - 1));
            switch (dtype) {
                case BF16 -> seg.set(LE_SHORT, 2 * i, (short) (Float.floatToRawIntBits(v) + 0x8000 >>> 16));
                case F16 -> seg.set(LE_SHORT, 2 * i, Float.floatToFloat16(v));
                default -> seg.set(LE_FLOAT, 4 * i, v);
            }
        }
        return seg;
    }
}
