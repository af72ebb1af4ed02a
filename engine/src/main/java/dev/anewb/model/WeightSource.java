package dev.anewb.model;

import java.nio.file.Path;
import java.util.Set;

/**
 * Stored tensors by Hugging Face name: a safetensors file, a sharded set, the initializers of an ONNX file,
 * or the weights of a converted package. Implementations keep the bytes memory-mapped where they can.
 */
public interface WeightSource extends AutoCloseable {
    Set<String> names();

    boolean contains(String name);

    /** The tensor, or an {@link dev.anewb.AnewbException} naming the file and the missing tensor. */
    TensorData get(String name);

    /** Where the tensors come from (for messages). */
    Path origin();

    @Override void close();
}
