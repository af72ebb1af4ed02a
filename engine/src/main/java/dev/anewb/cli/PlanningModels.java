package dev.anewb.cli;

import dev.anewb.api.ModelLoader;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.WeightSources;
import dev.anewb.job.JobContext;
import dev.anewb.model.ModelRef;

/**
 * MODEL for the commands that need only shapes (plan, layout). Local models are opened with their weights
 * memory-mapped (cheap, and it tells which optional heads exist); a config.json or a Hub id needs only the config.
 */
final class PlanningModels {
    private PlanningModels() { }

    /** The model, with its weights when they are local (the caller closes it). */
    static LoadedModel load(String model) {
        ModelRef ref = ModelRef.parse(model);
        boolean local = ref.kind() == ModelRef.Kind.BUNDLED || ref.kind() == ModelRef.Kind.PACKAGE
                || ref.kind() == ModelRef.Kind.FOLDER && WeightSources.hasWeights(ref.path());
        return ModelLoader.load(ref, JobContext.NONE, local);
    }
}
