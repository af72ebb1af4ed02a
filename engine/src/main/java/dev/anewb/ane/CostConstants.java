package dev.anewb.ane;

/**
 * The cost-model constants shared by every chip (spec/ane-model.md "Cost model"): the calibrated efficiency
 * and overheads, the energy constants (confidence E) and the one assumption about the HF baseline's score
 * layout. They live in chips.json with their sources; a user profile may override any of them.
 */
public record CostConstants(Figure efficiency, Figure opOverheadMs, Figure evaluationOverheadMs, Figure cpuHandoffMs,
                            Figure energyPjPerFlop, Figure energyPjPerDramByte, Figure energyPjPerSramByte,
                            Figure baselineScoreLastAxis) {

    public CostConstants withEfficiency(double e, String source) {
        return new CostConstants(efficiency.withValue(e, source, "D"), opOverheadMs, evaluationOverheadMs, cpuHandoffMs,
                energyPjPerFlop, energyPjPerDramByte, energyPjPerSramByte, baselineScoreLastAxis);
    }

    public CostConstants withOpOverheadMs(double ms, String source) {
        return new CostConstants(efficiency, opOverheadMs.withValue(ms, source, "D"), evaluationOverheadMs, cpuHandoffMs,
                energyPjPerFlop, energyPjPerDramByte, energyPjPerSramByte, baselineScoreLastAxis);
    }
}
