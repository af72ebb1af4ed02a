package dev.anewb.io;

import dev.anewb.AnewbException;
import dev.anewb.model.WeightSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Opens the weights of a model folder or file, whichever format it holds. */
public final class WeightSources {
    private WeightSources() { }

    /**
     * {@code model.safetensors}, else {@code model.safetensors.index.json}, else {@code model.onnx} or the folder's
     * only {@code *.onnx}.
     */
    public static WeightSource openFolder(Path dir) {
        if (!Files.isDirectory(dir)) throw AnewbException.file(dir, "is not a folder");
        Path root = ContainedPaths.trustRoot(dir);
        Path single = dir.resolve("model.safetensors");
        ContainedPaths.requireRealInside(root, single);
        if (Files.isRegularFile(single)) return SafetensorsFile.open(single);
        Path index = dir.resolve("model.safetensors.index.json");
        ContainedPaths.requireRealInside(root, index);
        if (Files.isRegularFile(index)) return ShardedSafetensors.open(index);
        Path onnx = dir.resolve("model.onnx");
        ContainedPaths.requireRealInside(root, onnx);
        if (Files.isRegularFile(onnx)) return OnnxWeights.open(onnx);
        List<Path> onnxFiles;
        try (Stream<Path> s = Files.list(dir)) {
            onnxFiles = s.filter(p -> p.getFileName().toString().endsWith(".onnx")
                    && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw AnewbException.file(dir, "cannot list: " + e.getMessage(), e);
        }
        onnxFiles.forEach(f -> ContainedPaths.requireRealInside(root, f));
        if (onnxFiles.size() == 1) return OnnxWeights.open(onnxFiles.get(0));
        // ONNX-only Hub repositories (Optimum exports) keep the file in onnx/.
        Path nested = dir.resolve("onnx").resolve("model.onnx");
        if (onnxFiles.isEmpty() && Files.isRegularFile(nested)) return OnnxWeights.open(nested);
        if (onnxFiles.size() > 1) {
            throw AnewbException.file(dir, "holds several .onnx files "
                    + onnxFiles.stream().map(p -> p.getFileName().toString()).toList()
                    + "; name one, or rename the one to use model.onnx");
        }
        throw new AnewbException("no weights in " + dir
                + " (looked for model.safetensors, model.safetensors.index.json, *.onnx)");
    }

    /** True when {@link #openFolder} would find weights in {@code dir} (without opening them). */
    public static boolean hasWeights(Path dir) {
        if (Files.isRegularFile(dir.resolve("model.safetensors"))
                || Files.isRegularFile(dir.resolve("model.safetensors.index.json"))
                || Files.isRegularFile(dir.resolve("onnx").resolve("model.onnx"))) {
            return true;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".onnx"));
        } catch (IOException e) {
            return false;
        }
    }

    /** A folder as {@link #openFolder}, or a single .safetensors / .index.json / .onnx file. */
    public static WeightSource open(Path path) {
        if (Files.isDirectory(path)) return openFolder(path);
        if (!Files.isRegularFile(path)) throw AnewbException.file(path, "does not exist");
        String name = path.getFileName().toString();
        if (name.endsWith(".safetensors")) return SafetensorsFile.open(path);
        if (name.endsWith(".index.json")) return ShardedSafetensors.open(path);
        if (name.endsWith(".onnx")) return OnnxWeights.open(path);
        throw AnewbException.file(path,
                "is not a weights file (expected .safetensors, .safetensors.index.json or .onnx)");
    }
}
