package dev.anewb.quant;

import dev.anewb.model.TensorData;
import dev.anewb.model.WeightInfo;

/**
 * Per-block quantization error of one weight: for each output row and input block, the largest and the RMS
 * difference between the float weight and its INT8 round trip {@code w' = (q − zp)·scale}. What the app's
 * Weights heatmap and histogram draw.
 *
 * @param maxAbs   {@code [rows, blocksPerRow]} row-major: max |w − w'| per block
 * @param rms      {@code [rows, blocksPerRow]}: sqrt(mean (w − w')²) per block
 */
public record BlockErrorMap(Int8BlockWeight quantized, float[] maxAbs, float[] rms) {

    public int rows() { return quantized.rows(); }

    public int blocksPerRow() { return quantized.blocksPerRow(); }

    /** Quantizes {@code weight} (orientation from {@code info}) and measures every block. */
    public static BlockErrorMap of(TensorData weight, WeightInfo info, BlockQuantizer quantizer) {
        if (weight.rank() != 2) throw new IllegalArgumentException(weight.name() + ": not a 2-D weight "
                + weight.shapeString());
        boolean t = info.storedTransposed();
        int rows = t ? weight.dim(1) : weight.dim(0);
        int k = t ? weight.dim(0) : weight.dim(1);
        float[] stored = weight.toFloatArray();
        float[] w = stored;
        if (t) {
            w = new float[stored.length];
            for (int i = 0; i < k; i++) for (int r = 0; r < rows; r++) w[r * k + i] = stored[i * rows + r];
        }
        return of(w, quantizer.quantize(w, rows, k));
    }

    /** Errors of {@code q} against the row-major {@code [rows, k]} floats it was made from. */
    public static BlockErrorMap of(float[] w, Int8BlockWeight q) {
        int rows = q.rows(), k = q.k(), blocks = q.blocksPerRow(), b = q.blockSize();
        float[] max = new float[rows * blocks], rms = new float[rows * blocks];
        float[] row = new float[k];
        for (int r = 0; r < rows; r++) {
            q.dequantizeRow(r, row);
            for (int j = 0; j < blocks; j++) {
                int from = (int) Math.min((long) j * b, k), to = (int) Math.min((long) (j + 1) * b, k);
                double m = 0, s = 0;
                for (int i = from; i < to; i++) {
                    double d = Math.abs(w[r * k + i] - row[i]);
                    m = Math.max(m, d);
                    s += d * d;
                }
                max[r * blocks + j] = (float) m;
                rms[r * blocks + j] = (float) Math.sqrt(s / Math.max(1, to - from));
            }
        }
        return new BlockErrorMap(q, max, rms);
    }
}
