package dev.anewb.runtime.kernel;

import java.lang.System.Logger.Level;

/**
 * Decides once per JVM whether the matmul kernels use the Vector API or the portable scalar loops, and says
 * so in the log (Jlama's silent fallback to a slow path is what we avoid). The system property
 * {@code anewb.kernels=scalar} forces the scalar loops; {@code vector} (the default) uses the Vector API when the
 * {@code jdk.incubator.vector} module is present and the preferred float vector has at least 8 lanes (the INT8
 * kernels widen 8 bytes, the smallest byte vector, to one float vector).
 */
public final class KernelSelection {
    static final String PROPERTY = "anewb.kernels";

    /** True when {@link VectorKernels} runs; false for {@link ScalarKernels}. */
    static final boolean VECTOR;

    /** One line naming the kernels that run, for logs and the CLI's environment report. */
    static final String DESCRIPTION;

    static {
        String requested = System.getProperty(PROPERTY, "vector").trim();
        boolean vector = false;
        String description;
        if (requested.equalsIgnoreCase("scalar")) {
            description = "scalar kernels (" + PROPERTY + "=scalar)";
        } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            description = "scalar kernels (module jdk.incubator.vector not present: start the JVM with --add-modules "
                    + "jdk.incubator.vector)";
        } else {
            int lanes = VectorMath.floatLanes();
            if (lanes < 8) {
                description = "scalar kernels (preferred float vector has only " + lanes + " lanes)";
            } else {
                vector = true;
                description = "Vector API kernels (" + lanes * 32 + "-bit float vectors, " + lanes + " lanes)";
            }
        }
        if (!requested.equalsIgnoreCase("scalar") && !requested.equalsIgnoreCase("vector")) {
            description += "; ignored unknown " + PROPERTY + "=" + requested + " (expected vector or scalar)";
        }
        VECTOR = vector;
        DESCRIPTION = description;
        System.getLogger("dev.anewb.runtime.kernels").log(Level.INFO, "Matmul kernels: " + DESCRIPTION);
    }

    private KernelSelection() { }

    /** Public view for the executor / CLI: which kernels this JVM runs. */
    static String description() {
        return DESCRIPTION;
    }

    /** "512-bit vectors" or "scalar": the kernels in two words, for a status line. */
    static String shortName() {
        return VECTOR ? VectorMath.floatLanes() * 32 + "-bit vectors" : "scalar kernels";
    }
}
