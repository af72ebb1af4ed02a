package dev.anewb.runtime;

import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelLoader;
import dev.anewb.api.ModelSession;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The same conversion on the same input gives the same bits every time (drift numbers must be reproducible). */
class DeterminismTest {
    enum Case { FP32, INT8, FP16, BC1S, ANE_DEFAULT }

    @ParameterizedTest
    @EnumSource(Case.class)
    void twoRunsAreBitIdentical(Case k) {
        Conversion c = switch (k) {
            case FP32 -> Conversion.ORIGINAL;
            case INT8 -> Conversion.ORIGINAL.withInt8(true, 32, false);
            case FP16 -> Conversion.ORIGINAL.withPrecision(Conversion.Precision.FP16);
            case BC1S -> Conversion.ORIGINAL.withLayout(Conversion.Layout.BC1S);
            case ANE_DEFAULT -> Conversion.ANE_DEFAULT.withInt8(true, 32, false);
        };
        try (LoadedModel m = ModelLoader.load(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE)) {
            // two sessions: each prepares (packs, quantizes) its own weights
            ConvertedModel a = ModelSession.of(m).convert(c), b = ModelSession.of(m).convert(c);
            Batch in = a.sampleInput();
            RunResult ra = a.run(in, JobContext.NONE), rb = b.run(in, JobContext.NONE);
            for (String tap : ra.taps().keySet()) assertArrayEquals(ra.tap(tap).data(), rb.tap(tap).data(), k + " "
                    + tap);
        }
    }
}
