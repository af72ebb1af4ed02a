package dev.anewb.hub;

import dev.anewb.model.arch.Architectures;

import java.util.List;

/**
 * One hit of a Hub search. {@code modelType} is {@code config.model_type} from the search result (we ask the
 * Hub with {@code config=True}); it is null when the repository has no config.json.
 */
public record HubModelSummary(String id, long downloads, long likes, List<String> tags, String pipelineTag,
        String modelType,
                              boolean gated, boolean isPrivate) {
    /** Whether the engine loads this architecture; null when the Hub did not say what the model_type is. */
    public Boolean supported() {
        return modelType == null ? null : Architectures.isSupported(modelType);
    }
}
