package dev.anewb.convert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.anewb.model.Batch;
import dev.anewb.runtime.Activation;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs an exported model in ONNX Runtime (CPU), the independent reference for the exporter's tests. */
final class OrtRunner {
    private OrtRunner() { }

    /** Every output of the model for this batch, as activations [batch, length, channels] (2-D outputs: length 1). */
    static Map<String, Activation> run(Path model, Batch batch) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(model.toString(), opts)) {
                long[][] mask = new long[batch.batch()][batch.seq()];
                long[][] types = new long[batch.batch()][batch.seq()];
                for (int b = 0; b < batch.batch(); b++) for (int t = 0; t < batch.seq(); t++) {
                    mask[b][t] = batch.mask()[b][t];
                    if (batch.typeIds() != null) types[b][t] = batch.typeIds()[b][t];
                }
                Map<String, OnnxTensor> inputs = new HashMap<>();
                try {
                    for (String name : session.getInputNames()) {
                        if (batch.features().containsKey(name)) {
                            // pixel_values / input_features in transformers' shape, as the exporter declares them.
                            var f = batch.feature(name);
                            inputs.put(name, OnnxTensor.createTensor(env, FloatBuffer.wrap(f.data()), f.shape()));
                            continue;
                        }
                        long[][] v = switch (name) {
                            case "input_ids", "decoder_input_ids" -> batch.ids();
                            case "attention_mask", "decoder_attention_mask" -> mask;
                            case "token_type_ids" -> types;
                            default -> throw new IllegalStateException("unexpected input " + name);
                        };
                        inputs.put(name, OnnxTensor.createTensor(env, v));
                    }
                    try (OrtSession.Result r = session.run(inputs)) {
                        Map<String, Activation> out = new LinkedHashMap<>();
                        for (Map.Entry<String, OnnxValue> e : r) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            long[] shape = t.getInfo().getShape();
                            FloatBuffer fb = t.getFloatBuffer();
                            float[] data = new float[fb.remaining()];
                            fb.get(data);
                            int length = shape.length == 2 ? 1 : (int) shape[1];
                            out.put(e.getKey(), new Activation((int) shape[0], length, (int) shape[shape.length - 1],
                                    data));
                        }
                        return out;
                    }
                } finally {
                    for (OnnxTensor t : inputs.values()) t.close();
                }
            }
        }
    }
}
