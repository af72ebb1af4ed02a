package dev.anewb.testing;

import dev.anewb.drift.TapMetrics;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.model.Batch;
import dev.anewb.model.TensorData;
import dev.anewb.runtime.Activation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Comparisons against transformers' reference tensors with the fixture tolerances (fixtures/README.md). */
public final class References {
    private References() { }

    /** The reference as an activation [batch, len, channels] (2-D references become [batch, 1, channels]). */
    public static Activation activation(TensorData t) {
        long[] s = t.shape();
        if (s.length == 2) return new Activation((int) s[0], 1, (int) s[1], t.toFloatArray());
        return new Activation((int) s[0], (int) s[1], (int) s[2], t.toFloatArray());
    }

    /** The batch stored in a reference file (input_ids + attention_mask). */
    public static Batch batch(SafetensorsFile ref, String prefix) {
        TensorData ids = ref.get(prefix + "input_ids");
        TensorData mask = ref.get(prefix + "attention_mask");
        int b = ids.dim(0), s = ids.dim(1);
        long[][] idv = new long[b][s];
        int[][] m = new int[b][s];
        for (int i = 0; i < b; i++) for (int j = 0; j < s; j++) {
            idv[i][j] = ids.getLong((long) i * s + j);
            m[i][j] = (int) mask.getLong((long) i * s + j);
        }
        return new Batch(b, s, idv, null, m);
    }

    /** Asserts max |ours − ref| ≤ tol · max(1, max|ref|) over valid positions; returns the metrics. */
    public static TapMetrics assertClose(String name, Activation ours, Activation ref, Batch batch, double tol) {
        assertArrayEquals(ref.shape(), ours.shape(), name + ": shape");
        TapMetrics m = TapMetrics.of(name, ref, ours, batch);
        double bound = tol * Math.max(1, m.maxRef());
        assertTrue(m.maxAbs() <= bound, () -> name + ": max |diff| " + m.maxAbs() + " > " + bound + " (SQNR "
                + m.sqnrText() + " dB)");
        return m;
    }
}
