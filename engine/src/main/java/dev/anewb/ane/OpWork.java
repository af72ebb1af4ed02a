package dev.anewb.ane;

/**
 * What one planned op asks of the chip, split the way {@link CostModel} prices it: FLOPs per op class, DRAM
 * bytes (of which stored INT8 weight bytes), and where it runs. Fixed by the plan's shapes and buffer; the cost
 * constants only price it, which is why a fit can re-price a plan without planning it again.
 *
 * @param matmulFlops      projections, convolutions (im2col matmuls) and the attention matmuls (Q·Kᵀ, P·V)
 * @param elementwiseFlops additions, multiplications, activations (8 per GELU/SiLU element)
 * @param reductionFlops   softmax (5 per score), norms (8 per element), mean pooling
 * @param int8WeightBytes  stored bytes of block-INT8 weights among {@code dramBytes}
 * @param int8Matmul       the matmul runs INT8×INT8 (W8A8 on a chip that has the faster path)
 * @param cpuHandoff       runs on the CPU and crosses to the ANE through DRAM (the embedding gather, rule 5)
 */
public record OpWork(long matmulFlops, long elementwiseFlops, long reductionFlops, long dramBytes,
                     long int8WeightBytes, boolean int8Matmul, boolean cpuHandoff) {

    public static OpWork matmul(long flops, long dram, long int8WeightBytes, boolean int8) {
        return new OpWork(flops, 0, 0, dram, int8WeightBytes, int8, false);
    }

    public static OpWork elementwise(long flops, long dram) { return new OpWork(0, flops, 0, dram, 0, false, false); }

    public static OpWork reduction(long flops, long dram) { return new OpWork(0, 0, flops, dram, 0, false, false); }

    public static OpWork handoff(long dram) { return new OpWork(0, 0, 0, dram, 0, false, true); }

    public long flops() { return matmulFlops + elementwiseFlops + reductionFlops; }
}
