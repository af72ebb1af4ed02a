package dev.anewb.ane;

/**
 * The cost-model constants shared by every chip (spec/ane-model.md "Cost model"): the per-op-class efficiencies,
 * the evaluation overhead and the ANE's share of SoC bandwidth fitted by {@link Calibration#fit}, the priors the
 * fit cannot identify, the energy constants (confidence E) and the one assumption about the HF baseline's score
 * layout. They live in chips.json with their sources; a user profile may override any of them.
 *
 * @param matmulEfficiency      fraction of the FP16 (or, for W8A8, INT8) peak that projections and attention
 *                              matmuls reach
 * @param elementwiseEfficiency fraction of the FP16 peak on additions, multiplications and activations
 * @param reductionEfficiency   fraction of the FP16 peak on softmax, norms and pooling
 * @param bandwidthUtilization  the ANE's share of the SoC DRAM bandwidth where no ANE bandwidth was measured
 * @param int8WeightReadFactor  DRAM time of stored block-INT8 weight bytes relative to other bytes
 */
public record CostConstants(Figure matmulEfficiency, Figure elementwiseEfficiency, Figure reductionEfficiency,
                            Figure evaluationOverheadMs, Figure bandwidthUtilization, Figure int8WeightReadFactor,
                            Figure opOverheadMs, Figure cpuHandoffMs, Figure energyPjPerFlop,
                            Figure energyPjPerDramByte, Figure energyPjPerSramByte, Figure baselineScoreLastAxis) {

    /** The fitted parameters, in {@link Calibration.Params} order. */
    public Calibration.Params params() {
        return new Calibration.Params(matmulEfficiency.value(), elementwiseEfficiency.value(),
                reductionEfficiency.value(), evaluationOverheadMs.value(), bandwidthUtilization.value());
    }

    /** The same constants with the fitted parameters replaced (trial values of a fit, or its result). */
    public CostConstants withParams(Calibration.Params p, String source) {
        return new CostConstants(matmulEfficiency.withValue(p.matmul(), source, matmulEfficiency.confidence()),
                elementwiseEfficiency.withValue(p.elementwise(), source, elementwiseEfficiency.confidence()),
                reductionEfficiency.withValue(p.reduction(), source, reductionEfficiency.confidence()),
                evaluationOverheadMs.withValue(p.evaluationMs(), source, evaluationOverheadMs.confidence()),
                bandwidthUtilization.withValue(p.bandwidth(), source, bandwidthUtilization.confidence()),
                int8WeightReadFactor, opOverheadMs, cpuHandoffMs, energyPjPerFlop, energyPjPerDramByte,
                energyPjPerSramByte, baselineScoreLastAxis);
    }

    public CostConstants withBaselineScoreLastAxis(double v, String source) {
        return new CostConstants(matmulEfficiency, elementwiseEfficiency, reductionEfficiency, evaluationOverheadMs,
                bandwidthUtilization, int8WeightReadFactor, opOverheadMs, cpuHandoffMs, energyPjPerFlop,
                energyPjPerDramByte, energyPjPerSramByte, baselineScoreLastAxis.withValue(v, source, "L"));
    }
}
