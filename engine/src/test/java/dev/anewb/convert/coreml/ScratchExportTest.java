package dev.anewb.convert.coreml;

import dev.anewb.convert.ConvertedModel;
import dev.anewb.convert.Converter;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

class ScratchExportTest {
    @Test
    void export() {
        String model = System.getProperty("scratch.model", "../shared/fixtures/bert-tiny");
        String out = System.getProperty("scratch.out", "/tmp/cm/out.mlpackage");
        Conversion c = Conversion.ANE_DEFAULT;
        if (System.getProperty("scratch.hf") != null) c = c.withLayout(Conversion.Layout.HF);
        if (System.getProperty("scratch.block") != null) c = c.withInt8(true,
                Integer.parseInt(System.getProperty("scratch.block")), false);
        if (System.getProperty("scratch.fp16only") != null) c = c.withInt8(false, 128, false);
        try (ConvertedModel m = Converter.convert(Path.of(model).isAbsolute() || model.startsWith("bundled") ? model
                : "../" + model, c, JobContext.NONE)) {
            CoreMlOptions o = CoreMlOptions.DEFAULT.withSequence(CoreMlOptions.Sequence.parse(System.getProperty("scratch.seq", "8"))).withForce(true);
            CoreMlPreview p = CoreMlExporter.export(m, o, Path.of(out), JobContext.NONE);
            System.out.println(p);
        }
    }
}
