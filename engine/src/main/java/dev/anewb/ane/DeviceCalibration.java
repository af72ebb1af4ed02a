package dev.anewb.ane;

import java.util.Locale;

/**
 * The user's own measurement a chip profile was calibrated on ({@code anewb plan --measured MS --save-profile NAME},
 * or the Memory area's form): the median latency Xcode's performance report showed for one exported package, and
 * the factor that makes the planner's estimate of that workload match it.
 *
 * @param scale             multiplies every throughput of the chip (compute efficiencies and DRAM bandwidth) so the
 *                          estimate equals {@code measuredMs}; the fixed per-op and per-evaluation overheads stay
 * @param basedOn           the bundled chip profile whose figures were copied
 * @param workload          what was measured: model, conversion, batch and sequence length
 * @param measuredMs        the user's measured median latency
 * @param estimatedMs       the planner's estimate of the workload after calibration (equals measuredMs within
 *                          the solver's tolerance)
 * @param estimatedBeforeMs the estimate from the uncalibrated profile
 */
public record DeviceCalibration(double scale, String basedOn, String workload, double measuredMs, double estimatedMs,
                                double estimatedBeforeMs) {
    public DeviceCalibration {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("calibration scale must be positive");
        }
    }

    /** "calibrated on your measurement: MiniLM seq 128 measured 4.10 ms, estimate 4.10 ms (3.47 ms uncalibrated)" */
    public String label() {
        return String.format(Locale.ROOT, "calibrated on your measurement: %s measured %.2f ms, estimate %.2f ms "
                + "(%.2f ms uncalibrated, throughput x%.3f)", workload, measuredMs, estimatedMs, estimatedBeforeMs,
                scale);
    }
}
