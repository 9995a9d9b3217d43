package dev.autodiff.kernel;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Scalar kernels while the Vector API ones are cold. Vector API code is fast only once C2 has compiled it: run by
 * the interpreter or C1 every vector operation is a call and an object, and a fresh JVM's first 128 x 784 x 256
 * product took 0.79 s (0.12 s on scalar code), its first exp of 100,000 elements 0.31 s (0.02 s). Reaching C2
 * through the user's own calls took a cold training run half a second to a second.
 *
 * <p>So the first use of a vector kernel starts one daemon thread, {@code autodiff-warmup}, that runs each vector
 * kernel on small operands (which reach C2's thresholds at a fraction of the cost of large ones) beside the scalar
 * code that replaces it, timing both; meanwhile the library runs the scalar code. When the vector kernels have
 * beaten the scalar ones in three rounds in a row (or after {@value #MAX_SECONDS} s), the library switches to them.
 * The switch changes no bit of any result: the scalar forms perform the same IEEE operations in the same order
 * ({@link ColdGemm}, the transcendentals' scalar forms; {@code ColdGemmTest}, {@code TranscendentalsTest}), so the
 * moment it happens, which depends on timing, is invisible in the numbers. {@code -Dautodiff.warmup=false} uses the
 * vector kernels from the start.
 */
final class Warmup {
    private Warmup() {}

    static final boolean ENABLED = VectorSupport.AVAILABLE && !"false".equals(System.getProperty("autodiff.warmup"));
    /** After this long the vector kernels are used whatever the timings say (the JIT will get there). */
    static final int MAX_SECONDS = 20;
    static final boolean DEBUG = Boolean.getBoolean("autodiff.warmupDebug");

    static final boolean BACKGROUND = "background".equals(System.getProperty("autodiff.warmup"));
    private static volatile boolean gemmHot = !ENABLED || BACKGROUND;
    private static volatile boolean mathHot = !ENABLED || BACKGROUND;
    private static volatile boolean gemmWarm, mathWarm;
    static {
        if (BACKGROUND) {
            STARTED_BG();
        }
    }
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    /** Whether the Vector API GEMM may run; false while it is cold (and then warming starts). */
    static boolean gemmHot() {
        if (gemmHot) {
            return true;
        }
        start();
        return false;
    }

    /** The Vector API elementwise kernels, or null while they are cold (use the scalar loops). */
    static VectorSupport.VectorMath math() {
        if (mathHot) {
            return VectorSupport.MATH;
        }
        if (VectorSupport.MATH != null) {
            start();
        }
        return null;
    }

    /** Whether both families run their vector forms (for tests and benchmarks that need them). */
    static boolean hot() {
        return gemmHot && mathHot;
    }

    /** Waits until the vector forms are in use (for tests and benchmarks that measure or check them). */
    static void awaitHot() throws InterruptedException {
        if (!ENABLED) {
            return;
        }
        start();
        while (!hot()) {
            Thread.sleep(5);
        }
    }

    private static void STARTED_BG() {
        Thread t = new Thread(() -> { run(); }, "autodiff-warmup");
        t.setDaemon(true);
        t.start();
    }

    private static void start() {
        if (STARTED.compareAndSet(false, true)) {
            Thread t = new Thread(Warmup::run, "autodiff-warmup");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void run() {
        try {
            long deadline = System.nanoTime() + MAX_SECONDS * 1_000_000_000L;
            Probes probes = new Probes();
            int gemmWins = 0;
            int mathWins = 0;
            boolean gDone = false, mDone = false;
            while (!(gDone && mDone)) {
                boolean late = System.nanoTime() > deadline;
                if (!gDone) {
                    long vector = probes.gemm(true);
                    long scalar = probes.gemm(false);
                    gemmWins = vector < scalar ? gemmWins + 1 : 0;
                    if (DEBUG) System.err.printf("warmup %.3f s gemm vector %d scalar %d us%n", (System.nanoTime() - deadline) / 1e9 + MAX_SECONDS, vector / 1000, scalar / 1000);
                    gDone = gemmWins >= 3 || late;
                    gemmHot |= gDone;
                }
                if (!mDone) {
                    long vector = probes.math(true);
                    long scalar = probes.math(false);
                    mathWins = vector < scalar ? mathWins + 1 : 0;
                    if (DEBUG) System.err.printf("warmup %.3f s math vector %d scalar %d us%n", (System.nanoTime() - deadline) / 1e9 + MAX_SECONDS, vector / 1000, scalar / 1000);
                    mDone = mathWins >= 3 || late;
                    mathHot |= mDone;
                }
                Thread.yield();
            }
        } catch (Throwable e) {
            // never leave the library on its cold paths because warming failed; the user's own calls will then
            // reach the same kernels (and any error) themselves
            gemmHot = true;
            mathHot = true;
        }
    }

    /** Small operands for every path of VectorGemm and every vector elementwise kernel, and their timings. */
    private static final class Probes {
        final double[] a = fill(new double[40 * 40], 0.37);
        final double[] b = fill(new double[40 * 40], 0.61);
        final double[] c = new double[40 * 40];
        final double[] x = fill(new double[512], 0.013);
        final double[] y = new double[512];
        final double[] z = new double[512];

        static double[] fill(double[] d, double step) {
            for (int i = 0; i < d.length; i++) {
                d[i] = Math.sin(i * step);
            }
            return d;
        }

        /** Nanoseconds for one product on each of VectorGemm's paths, vector or scalar. */
        long gemm(boolean vector) {
            long t0 = System.nanoTime();
            int nr = VectorGemm.NR;
            product(vector, false, false, 24, 2 * nr + 3, 40, true);  // packed, with edge tiles
            product(vector, true, false, 24, 2 * nr, 40, false);      // packed, A transposed, accumulating
            product(vector, false, false, 8, 2 * nr + 1, 32, true);   // direct
            product(vector, false, true, 4, 9, 40, true);             // dot products
            product(vector, false, false, 24, nr + 2, 32, false);     // few columns
            return System.nanoTime() - t0;
        }

        private void product(boolean vector, boolean ta, boolean tb, int m, int n, int k, boolean overwrite) {
            Gemm.Operand aa = new Gemm.Operand(a, 0, ta ? m : k, ta);
            Gemm.Operand bb = new Gemm.Operand(b, 0, tb ? k : n, tb);
            if (vector) {
                VectorSupport.GEMM.multiply(aa, bb, c, 0, m, n, k, 1, overwrite);
            } else {
                ColdGemm.multiply(aa, bb, c, 0, m, n, k, overwrite);
            }
        }

        /** Nanoseconds for every vector elementwise kernel, or its scalar loop, over 512 elements. */
        long math(boolean vector) {
            long t0 = System.nanoTime();
            VectorSupport.VectorMath v = vector ? VectorSupport.MATH : null;
            for (Elementwise.Unary op : new Elementwise.Unary[] {Elementwise.Unary.EXP, Elementwise.Unary.EXPM1,
                    Elementwise.Unary.LOG, Elementwise.Unary.LOG1P, Elementwise.Unary.TANH, Elementwise.Unary.SIGMOID,
                    Elementwise.Unary.SOFTPLUS}) {
                if (v == null || !v.unary(op, x, y, 0, x.length)) {
                    for (int i = 0; i < x.length; i++) {
                        y[i] = Elementwise.unary(op, x[i]);
                    }
                }
            }
            if (v != null) {
                v.compare(Elementwise.Binary.GT, x, 0, 1, y, 0, 1, z, 0, x.length);
                v.addInto(x, 0, z, 0, x.length);
                v.reluGrad(y, x, z, 0, x.length);
                v.argStep(true, x, 0, y, z, 0, x.length, 1.0);
            } else {
                for (int i = 0; i < x.length; i++) {
                    z[i] = x[i] > y[i] ? 1.0 : 0.0;
                    z[i] += x[i];
                    z[i] = x[i] > 0 ? y[i] : 0.0;
                }
            }
            return System.nanoTime() - t0;
        }
    }
}
