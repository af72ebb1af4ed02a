package dev.anewb.model;

/**
 * A weight the graph reads: Hugging Face name, its logical shape as the op sees it ([out, in] for
 * projections whatever the storage orientation), its role, and how the converted graph stores it.
 *
 * @param storedTransposed true when the file stores it [in, out] (GPT-2 Conv1D)
 * @param quant            null for float storage; otherwise the block INT8 scheme applied to it
 */
public record WeightInfo(String name, long[] shape, WeightRole role, boolean storedTransposed, Quant quant) {
    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public WeightInfo withQuant(Quant q) { return new WeightInfo(name, shape, role, storedTransposed, q); }

    /** Block INT8 scheme of one weight: block size along the input axis (spec/quantization.md). */
    public record Quant(int blockSize, boolean symmetric) { }
}
