package dev.anewb.ane;

import dev.anewb.model.Conversion;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one decision "how does a conversion store this weight" (spec/quantization.md "What is quantized"),
 * shared by the planner and, later, the converter: projection weights become block INT8 when the conversion
 * asks for it, unless a keep-FP16 pattern matches; a block-size override applies by regex; everything else
 * (embeddings, heads, front ends, norms, biases) is stored in the conversion's float precision.
 * A weight that already carries a quant scheme (a converted graph) keeps it.
 */
public final class PlannedWeights {
    private PlannedWeights() { }

    public static WeightStorage storageOf(WeightInfo w, Conversion c) {
        long[] s = w.shape();
        long rows = s.length >= 2 ? s[0] : 1;
        long cols = s.length >= 2 ? w.elements() / rows : w.elements();
        if (w.quant() != null) return new WeightStorage(WeightStorage.Format.INT8_BLOCK, rows, cols, w.quant().blockSize());
        WeightStorage.Format flt = c.precision() == Conversion.Precision.FP32 ? WeightStorage.Format.FP32 : WeightStorage.Format.FP16;
        if (!c.int8() || w.role() != WeightRole.PROJECTION || s.length != 2) return new WeightStorage(flt, rows, cols, 0);
        for (String keep : c.keepFp16()) {
            if (Pattern.compile(keep).matcher(w.name()).find()) return new WeightStorage(WeightStorage.Format.FP16, rows, cols, 0);
        }
        int block = c.blockSize();
        for (Map.Entry<String, Integer> o : c.blockOverrides().entrySet()) {
            if (Pattern.compile(o.getKey()).matcher(w.name()).find()) { block = o.getValue(); break; }
        }
        return new WeightStorage(WeightStorage.Format.INT8_BLOCK, rows, cols, block);
    }
}
