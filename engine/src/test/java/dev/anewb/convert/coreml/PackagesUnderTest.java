package dev.anewb.convert.coreml;

import dev.anewb.api.ConvertedModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightSource;

import java.nio.file.Path;

/**
 * The exporter on a converted model as the tests hold it: the graph and weights of {@link ConvertedModel}, written
 * without the drift summary {@link ConvertedModel#writeCoreMl} adds (the tests measure drift themselves).
 */
final class PackagesUnderTest {
    private PackagesUnderTest() { }

    static CoreMlPreview export(ConvertedModel m, CoreMlOptions options, Path out, JobContext ctx) {
        return CoreMlExporter.export(m.graph(), m.source().weights(), options, out, ctx);
    }

    static CoreMlPreview export(ModelGraph g, WeightSource w, CoreMlOptions options, Path out, JobContext ctx) {
        return CoreMlExporter.export(g, w, options, out, ctx);
    }

    static CoreMlPreview preview(ConvertedModel m, CoreMlOptions options) {
        return CoreMlExporter.preview(m.graph(), m.source().weights(), options);
    }

    static CoreMlPreview preview(ModelGraph g, WeightSource w, CoreMlOptions options) {
        return CoreMlExporter.preview(g, w, options);
    }
}
