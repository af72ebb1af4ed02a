package dev.anewb.ane;

import dev.anewb.convert.Converter;
import dev.anewb.model.Conversion;
import dev.anewb.model.WeightInfo;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a weight of a converted graph is stored, in the planner's terms: block INT8 where the {@link
 * Converter} set a quant scheme (spec/quantization.md "What is quantized"), otherwise the
 * conversion's float precision.
 */
public final class PlannedWeights {
    private PlannedWeights() { }

    public static WeightStorage storageOf(WeightInfo w, Conversion c) {
        long[] s = w.shape();
        long rows = s.length >= 2 ? s[0] : 1;
        long cols = s.length >= 2 ? w.elements() / rows : w.elements();
        if (w.quant() != null) return new WeightStorage(WeightStorage.Format.INT8_BLOCK, rows, cols,
                w.quant().blockSize());
        WeightStorage.Format flt = c.precision() == Conversion.Precision.FP32 ? WeightStorage.Format.FP32
                : WeightStorage.Format.FP16;
        return new WeightStorage(flt, rows, cols, 0);
    }
}
