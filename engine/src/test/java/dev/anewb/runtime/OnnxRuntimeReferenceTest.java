package dev.anewb.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.BundledModel;
import dev.anewb.io.HfTokenizer;
import dev.anewb.io.OnnxWeights;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.TextTokenizer;
import dev.anewb.model.arch.Architectures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX Runtime (an independent engine) running the bundled model's original ONNX file agrees with our
 * hidden_states.6 on texts of several lengths, up to the model's 512 positions.
 */
class OnnxRuntimeReferenceTest {
    static OrtEnvironment env;
    static OrtSession session;
    static OnnxWeights weights;
    static TextTokenizer tokenizer;
    static Executor executor;

    static final String PARAGRAPH = "Apple's Neural Engine runs transformer models quickly when their tensors are "
            + "laid out "
            + "channel first, with projections as one-by-one convolutions and attention split per head; block-wise "
                    + "INT8 "
            + "weights halve the memory traffic again, and chunked attention keeps long sequences inside the on-chip "
                    + "buffer. ";

    @BeforeAll
    static void open() throws Exception {
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(2);
        session = env.createSession(BundledModel.onnxPath().toString(), o);
        weights = OnnxWeights.open(BundledModel.onnxPath());
        tokenizer = HfTokenizer.open(BundledModel.tokenizerPath());
        ModelGraph g = Architectures.graph(Architectures.readConfig(BundledModel.configPath()),
                new Architectures.GraphOptions(weights::contains, true));
        executor = new Executor(g, weights);
    }

    @AfterAll
    static void close() throws Exception {
        if (session != null) session.close();
        if (weights != null) weights.close();
        if (tokenizer != null) tokenizer.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 17, 128, 512})
    void lastHiddenStateAgreesWithOnnxRuntime(int tokens) throws Exception {
        long[] ids = Arrays.copyOf(tokenizer.encode(PARAGRAPH.repeat(12)).ids(), tokens);
        ids[tokens - 1] = 102; // [SEP] closes the truncated text, as truncation=True would
        long[] mask = new long[tokens];
        Arrays.fill(mask, 1);
        float[] ort;
        try (OnnxTensor in = OnnxTensor.createTensor(env, new long[][]{ids});
             OnnxTensor m = OnnxTensor.createTensor(env, new long[][]{mask});
             OnnxTensor t = OnnxTensor.createTensor(env, new long[1][tokens]);
             OrtSession.Result r = session.run(Map.of("input_ids", in, "attention_mask", m, "token_type_ids", t))) {
            float[][][] out = (float[][][]) r.get(0).getValue();
            assertEquals(tokens, out[0].length);
            ort = new float[tokens * 384];
            for (int i = 0; i < tokens; i++) System.arraycopy(out[0][i], 0, ort, i * 384, 384);
        }
        Batch b = Batch.of(ids);
        Activation ours = executor.run(b, JobContext.NONE).tap("hidden_states.6");
        TapMetrics mt = TapMetrics.of("hidden_states.6", new Activation(1, tokens, 384, ort), ours, b);
        double bound = 2e-4 * Math.max(1, mt.maxRef());
        assertTrue(mt.maxAbs() <= bound, tokens + " tokens: max |diff| " + mt.maxAbs() + " > " + bound);
    }
}
