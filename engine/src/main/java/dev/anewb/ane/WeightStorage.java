package dev.anewb.ane;

/**
 * How one weight is stored in a converted graph, with its exact byte counts (spec/quantization.md): FP16/FP32,
 * or block INT8 = codes (1 byte per weight) + FP16 scale and INT8 zero point per (row, block):
 * {@code 8 + 24/B} bits per weight when B divides the row.
 *
 * @param blockSize INT8 block size along the input axis (0 for float storage)
 */
public record WeightStorage(Format format, long rows, long columns, int blockSize) {
    public enum Format { FP32, FP16, INT8_BLOCK }

    public long elements() { return rows * columns; }

    public long blocksPerRow() { return format == Format.INT8_BLOCK ? (columns + blockSize - 1) / blockSize : 0; }

    /** FP16/FP32 values, or the INT8 codes. */
    public long valueBytes() {
        return switch (format) {
            case FP32 -> 4 * elements();
            case FP16 -> 2 * elements();
            case INT8_BLOCK -> elements();
        };
    }

    /** FP16 scales: 2 bytes per (row, block). */
    public long scaleBytes() { return 2 * rows * blocksPerRow(); }

    /** INT8 zero points: 1 byte per (row, block). */
    public long zeroPointBytes() { return rows * blocksPerRow(); }

    public long totalBytes() { return valueBytes() + scaleBytes() + zeroPointBytes(); }

    public double bitsPerWeight() { return elements() == 0 ? 0 : 8.0 * totalBytes() / elements(); }

    /** Per-block INT8 along a row shorter than one block is per-channel (native on the ANE). */
    public boolean perChannel() { return format == Format.INT8_BLOCK && blockSize >= columns; }

    /** The per-channel equivalent (rule 3): one scale and zero point per output row. */
    public WeightStorage perChannelAlternative() {
        return new WeightStorage(Format.INT8_BLOCK, rows, columns, (int) Math.min(Integer.MAX_VALUE, columns));
    }
}
