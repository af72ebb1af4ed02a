package dev.anewb.runtime;

import dev.anewb.model.ModelGraph;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * NaN and infinity in a pass's outputs, and the weights that hold them: an FP32 pass over a checkpoint with NaN
 * weights returns NaN taps and nothing else says why. The weights are scanned only when an output is not finite,
 * so a healthy run pays one pass over its taps.
 */
public final class NonFiniteValues {
    private NonFiniteValues() { }

    /** The first taps (in order) holding NaN or infinity. */
    public static List<String> taps(RunResult r) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Activation> e : r.taps().entrySet()) {
            for (float v : e.getValue().data()) {
                if (!Float.isFinite(v)) {
                    out.add(e.getKey());
                    break;
                }
            }
        }
        return out;
    }

    /** The graph's weights holding NaN or infinity, in graph order. */
    public static List<String> weights(ModelGraph g, WeightSource w) {
        List<String> out = new ArrayList<>();
        for (String name : g.weights().keySet()) {
            if (!w.contains(name)) continue;
            TensorData t = w.get(name);
            float[] chunk = new float[1 << 16];
            for (long at = 0, n = t.elementCount(); at < n; at += chunk.length) {
                int count = (int) Math.min(chunk.length, n - at);
                t.readFloats(at, chunk, 0, count);
                if (!allFinite(chunk, count)) {
                    out.add(name);
                    break;
                }
            }
        }
        return out;
    }

    private static boolean allFinite(float[] a, int n) {
        for (int i = 0; i < n; i++) if (!Float.isFinite(a[i])) return false;
        return true;
    }

    /**
     * The warning for a pass whose outputs are not all finite, naming the first few weights that hold NaN or
     * infinity and their count; null when every output is finite.
     */
    public static String warning(ModelGraph g, WeightSource w, RunResult r) {
        List<String> taps = taps(r);
        if (taps.isEmpty()) return null;
        List<String> bad = weights(g, w);
        String outputs = taps.size() + " of " + r.taps().size() + " outputs hold NaN or infinity (first: "
                + taps.getFirst() + ")";
        if (bad.isEmpty()) return outputs + "; every weight is finite, so the values overflowed on the way";
        String names = String.join(", ", bad.subList(0, Math.min(3, bad.size())));
        return outputs + ": " + bad.size() + (bad.size() == 1 ? " weight holds" : " weights hold")
                + " NaN or infinity: "
                + names + (bad.size() > 3 ? ", ..." : "") + " (" + w.origin() + ")";
    }
}
