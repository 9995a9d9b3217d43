package dev.autodiff.kernel;

/**
 * Whether the Vector API ({@code jdk.incubator.vector}) is present at run time, and the classes that use
 * it, loaded by name only when it is: without the module the library runs on its scalar kernels.
 */
final class VectorSupport {
    private VectorSupport() {}

    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean("autodiff.noVector");

    static final Gemm.Multiplier GEMM = AVAILABLE ? (Gemm.Multiplier) load("dev.autodiff.kernel.VectorGemm") : null;

    /** The float32 GEMM, generated from VectorGemm (see Gemm32). */
    static final Gemm32.Multiplier GEMM32 = AVAILABLE ? (Gemm32.Multiplier) load("dev.autodiff.kernel.VectorGemm32") : null;

    static final VectorMath MATH = AVAILABLE ? (VectorMath) load("dev.autodiff.kernel.VectorElementwise") : null;

    /** Elementwise loops the Vector API makes faster; see {@link Elementwise}. */
    interface VectorMath {
        /** y[i] = f(x[i]) for i in [from, to), or false if this op has no faster vector form. */
        boolean unary(Elementwise.Unary op, double[] x, double[] y, int from, int to);

        /**
         * {@code out[o + i] = a[ia + i*sa] op b[ib + i*sb]} for i in [0, n), strides 0 or 1 (not both 0), or
         * false if op is not a comparison.
         */
        boolean compare(Elementwise.Binary op, double[] a, int ia, int sa, double[] b, int ib, int sb,
                        double[] out, int o, int n);

        /**
         * One step of {@link Reductions#argExtremum} over n lines side by side: where {@code x[ix + j]} beats
         * {@code best[o + j]} ({@link Reductions#beats}), it becomes the best and {@code arg[o + j] = index}.
         */
        void argStep(boolean max, double[] x, int ix, double[] best, double[] arg, int o, int n, double index);

        /**
         * {@code dst[di + j] += x[xi + j]} for j in [0, n). C2 does not vectorize this loop itself: it cannot
         * rule out that the two ranges overlap in one array.
         */
        void addInto(double[] x, int xi, double[] dst, int di, int n);

        /** {@code dst[di + j] += x[xi + j]} for j in [0, n), each float widened (exactly) before the float64 add. */
        void addInto(float[] x, int xi, double[] dst, int di, int n);

        /** {@link Elementwise#reluGrad} on whole vectors from {@code from}; returns where the scalar tail starts. */
        int reluGrad(double[] g, double[] x, double[] out, int from, int to);
    }

    private static Object load(String name) {
        try {
            return Class.forName(name).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("autodiff: jdk.incubator.vector is present but " + name + " failed to load", e);
        }
    }
}
