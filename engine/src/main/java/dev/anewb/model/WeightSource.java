package dev.anewb.model;

import dev.anewb.AnewbException;

import java.nio.file.Path;
import java.util.Set;

/**
 * Stored tensors by Hugging Face name: a safetensors file, a sharded set, the initializers of an ONNX file,
 * or the weights of a converted package. Implementations keep the bytes memory-mapped where they can.
 */
public interface WeightSource extends AutoCloseable {
    Set<String> names();

    default boolean contains(String name) {
        return names().contains(name);
    }

    /** The tensor, or an {@link AnewbException} naming the file and the missing tensor ({@link #missing}). */
    TensorData get(String name);

    /** The one message for a tensor this source does not hold. */
    default AnewbException missing(String name) {
        return AnewbException.file(origin(), "no tensor named '" + name + "'");
    }

    /** Where the tensors come from (for messages). */
    Path origin();

    @Override void close();
}
