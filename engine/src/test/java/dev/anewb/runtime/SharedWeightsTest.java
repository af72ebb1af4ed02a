package dev.anewb.runtime;

import dev.anewb.api.ModelLoader;
import dev.anewb.api.ModelSession;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.Op;
import dev.anewb.runtime.kernel.LinearWeight;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Executors of one model share prepared projection weights by form: FP32 panels between the original and its BC1S
 * conversion, INT8 codes between conversions with the same INT8 setting (FP16 or not), never across forms.
 */
class SharedWeightsTest {
    @Test
    void executorsOfOneModelShareEachPreparedForm() {
        try (LoadedModel loaded = ModelLoader.load(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE)) {
            ModelSession m = ModelSession.of(loaded);
            Executor original = executor(m, Conversion.ORIGINAL);
            Executor bc1s = executor(m, Conversion.ORIGINAL.withLayout(Conversion.Layout.BC1S));
            Executor fp16 = executor(m, Conversion.ORIGINAL.withPrecision(Conversion.Precision.FP16));
            Executor int8 = executor(m, Conversion.ORIGINAL.withInt8(true, 32, false));
            Executor int8Fp16 = executor(m,
                    Conversion.ORIGINAL.withInt8(true, 32, false).withPrecision(Conversion.Precision.FP16));
            Executor int8B64 = executor(m, Conversion.ORIGINAL.withInt8(true, 64, false));
            String w = loaded.graph().ops().stream().filter(o -> o instanceof Op.Linear).map(o ->
                    ((Op.Linear) o).weight()).findFirst().orElseThrow();
            assertNotNull(original.preparedWeight(w));
            assertSame(original.preparedWeight(w), bc1s.preparedWeight(w), "FP32 panels shared by HF and BC1S");
            assertNotSame(original.preparedWeight(w), fp16.preparedWeight(w), "FP16-rounded values are another form");
            assertSame(int8.preparedWeight(w), int8Fp16.preparedWeight(w), "one INT8 setting, one set of codes");
            assertNotSame(int8.preparedWeight(w), int8B64.preparedWeight(w), "another block size, other codes");
            assertInstanceOf(LinearWeight.Int8.class, int8.preparedWeight(w));
        }
    }

    private static Executor executor(ModelSession m, Conversion c) {
        Executor e = m.executor(c);
        e.run(m.convert(c).sampleInput(), JobContext.NONE);
        return e;
    }
}
