package dev.anewb.convert.coreml;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a Core ML package will be, known before anything is written (the Export area shows it).
 *
 * @param packageBytes     size of the package: weight.bin, the model spec and the manifest
 * @param weightBytes      size of weight.bin
 * @param operations       ops of the program that compute (const and constexpr ops not counted)
 * @param minimumOs        the deployment target the package declares
 * @param histogram        op type → count, every op of the program (const and constexpr included)
 * @param inputs           input names with shape and type, e.g. "input_ids int32 [1, 128]"
 * @param outputs          output names with shape and type
 * @param notes            what to know before shipping it (e.g. which weights fall off the Neural Engine and why)
 */
public record CoreMlPreview(long packageBytes, long weightBytes, int operations, CoreMlTarget minimumOs,
                            Map<String, Integer> histogram,
                            List<String> inputs, List<String> outputs, List<String> notes) {
    public CoreMlPreview {
        histogram = Collections.unmodifiableMap(new TreeMap<>(histogram));
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        notes = List.copyOf(notes);
    }
}
