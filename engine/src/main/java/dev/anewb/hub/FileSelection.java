package dev.anewb.hub;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** Which of a repository's files a pull fetches, chosen from the repository's full file list. */
@FunctionalInterface
public interface FileSelection {
    List<String> select(List<String> repoFiles);

    /** Everything the engine reads: configs, tokenizer, sentence-transformers modules, safetensors, else one ONNX file.
     *
     */
    FileSelection ENGINE = FileSelection::engineFiles;

    /** {@code config.json} alone: enough to plan a model. */
    FileSelection CONFIG_ONLY = files -> files.contains("config.json") ? List.of("config.json") : List.of();

    /** Every file of the repository. */
    FileSelection ALL = List::copyOf;

    static FileSelection matching(Predicate<String> fileFilter) {
        return files -> files.stream().filter(fileFilter).toList();
    }

    /** The small files the engine reads; README.md is the model card whose license the exports record. */
    Set<String> ENGINE_METADATA = Set.of("config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "preprocessor_config.json", "generation_config.json", "modules.json",
            "sentence_bert_config.json", "model.safetensors.index.json", "1_Pooling/config.json", "README.md");

    /** {@code model.safetensors} or its shards {@code model-00001-of-00003.safetensors}; not reference files. */
    Pattern SAFETENSORS_WEIGHTS = Pattern.compile("model(-\\d+-of-\\d+)?\\.safetensors");

    private static List<String> engineFiles(List<String> files) {
        List<String> out = new ArrayList<>();
        for (String f : files) {
            if (ENGINE_METADATA.contains(f) || SAFETENSORS_WEIGHTS.matcher(f).matches()) out.add(f);
        }
        boolean hasSafetensors = out.stream().anyMatch(f -> f.endsWith(".safetensors"));
        if (!hasSafetensors) {
            // one ONNX graph, the full-precision one: repos often add quantized variants under onnx/ too
            if (files.contains("model.onnx")) out.add("model.onnx");
            else if (files.contains("onnx/model.onnx")) out.add("onnx/model.onnx");
        }
        return out;
    }
}
