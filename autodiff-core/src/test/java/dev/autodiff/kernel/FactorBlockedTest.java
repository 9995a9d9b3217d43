package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Linalg;
import dev.autodiff.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The recursive (GEMM-based) LU, triangular solve and Cholesky against the unblocked loops they replace from
 * {@link Factor#BLOCKED_MIN} on, and both against residuals computed here by plain loops: P A = L U,
 * T X = B, L L^T = A. Sizes straddle the leaf widths and the switch-over (1, leaf - 1, leaf, leaf + 1, ...,
 * 300). Each matrix sits at a non-zero offset after a sentinel block that must come back untouched.
 */
class FactorBlockedTest {
    static int[] sizes() {
        int lu = Factor.LU_LEAF;
        int leaf = Factor.TRSM_LEAF;
        int min = Factor.BLOCKED_MIN;
        return new int[] {1, 2, lu - 1, lu, lu + 1, leaf - 1, leaf, leaf + 1, 2 * leaf + 3, 100, min - 1, min, min + 1, 300};
    }

    /** Two n x n blocks: a sentinel of 7s, then a matrix with entries uniform in [-1, 1). */
    private static double[] randomAfterSentinel(int n, long seed) {
        double[] a = new double[2 * n * n];
        Arrays.fill(a, 0, n * n, 7.0);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n * n; i < a.length; i++) {
            a[i] = r.nextDouble(-1, 1);
        }
        return a;
    }

    private static void assertSentinel(double[] a, int n) {
        for (int i = 0; i < n * n; i++) {
            assertEquals(7.0, a[i], "sentinel block overwritten at " + i);
        }
    }

    private static double maxAbs(double[] x, int off, int len) {
        double m = 0;
        for (int i = off; i < off + len; i++) {
            m = Math.max(m, Math.abs(x[i]));
        }
        return m;
    }

    /** max |x - y| / max |y| over len values from the offsets. */
    private static double relDiff(double[] x, double[] y, int off, int len) {
        double d = 0;
        for (int i = off; i < off + len; i++) {
            d = Math.max(d, Math.abs(x[i] - y[i]));
        }
        return d / Math.max(maxAbs(y, off, len), Double.MIN_NORMAL);
    }

    @ParameterizedTest(name = "n = {0}")
    @MethodSource("sizes")
    void luMatchesUnblockedAndFactorsPA(int n) {
        double[] a = randomAfterSentinel(n, 10 + n);
        double[] blocked = a.clone();
        double[] unblocked = a.clone();
        int[] pb = new int[n];
        int[] pu = new int[n];
        int sb = Factor.luBlocked(blocked, n * n, n, pb);
        int su = Factor.luUnblocked(unblocked, n * n, n, pu);
        assertSentinel(blocked, n);
        assertEquals(su, sb, "sign");
        assertArrayEquals(pu, pb, "pivots");
        double diff = relDiff(blocked, unblocked, n * n, n * n);
        assertTrue(diff < 1e-12, "blocked against unblocked factors: " + diff);

        // P A = L U, with P the row interchanges applied in order, by a plain triple loop
        double[] pa = Arrays.copyOfRange(a, n * n, 2 * n * n);
        for (int k = 0; k < n; k++) {
            for (int j = 0; j < n; j++) {
                double t = pa[k * n + j];
                pa[k * n + j] = pa[pb[k] * n + j];
                pa[pb[k] * n + j] = t;
            }
        }
        double res = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p <= Math.min(i, j); p++) {
                    s += (p == i ? 1.0 : blocked[n * n + i * n + p]) * blocked[n * n + p * n + j];
                }
                res = Math.max(res, Math.abs(s - pa[i * n + j]));
            }
        }
        assertTrue(res < 1e-13 * n, "|PA - LU| = " + res);

        int[] again = new int[n];
        double[] twice = a.clone();
        Factor.luBlocked(twice, n * n, n, again);
        assertArrayEquals(blocked, twice, "same bits run to run");
    }

    @ParameterizedTest(name = "n = {0}")
    @MethodSource("sizes")
    void luSolveResidual(int n) {
        double[] a = randomAfterSentinel(n, 20 + n);
        double[] lu = a.clone();
        int[] piv = new int[n];
        Factor.lu(lu, n * n, n, piv);
        for (int k : new int[] {1, Factor.BLOCKED_RHS - 1, Factor.BLOCKED_RHS, 33, n}) {
            double[] b = new SplittableRandom(k).doubles((long) n * k, -1, 1).toArray();
            double[] x = b.clone();
            Factor.luSolve(lu, n * n, n, piv, x, 0, k);
            double res = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    double s = 0;
                    for (int p = 0; p < n; p++) {
                        s += a[n * n + i * n + p] * x[p * k + j];
                    }
                    res = Math.max(res, Math.abs(s - b[i * k + j]));
                }
            }
            // backward error: |A X - B| against |A| |X|
            assertTrue(res < 1e-13 * n * Math.max(1, maxAbs(x, 0, x.length)), "n = " + n + ", k = " + k + ": |AX - B| = " + res);
        }
    }

    @ParameterizedTest(name = "n = {0}")
    @MethodSource("sizes")
    void trsmMatchesUnblockedAndSolves(int n) {
        for (boolean upper : new boolean[] {false, true}) {
            for (boolean unit : new boolean[] {false, true}) {
                // a triangle with a dominant diagonal (well conditioned), the other triangle NaN: it must not be read
                double[] t = randomAfterSentinel(n, 30 + n);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        int at = n * n + i * n + j;
                        if (upper ? j < i : j > i) {
                            t[at] = Double.NaN;
                        } else if (i == j) {
                            t[at] = unit ? Double.NaN : 2 + t[at];
                        } else {
                            t[at] /= Math.sqrt(n);
                        }
                    }
                }
                for (int k : new int[] {1, 9, n + 3}) {
                    double[] b = new SplittableRandom(k).doubles((long) n * k, -1, 1).toArray();
                    double[] xb = b.clone();
                    double[] xu = b.clone();
                    Factor.trsmBlocked(t, n * n, n, xb, 0, k, upper, unit);
                    Factor.trsmUnblocked(t, n * n, n, xu, 0, k, upper, unit);
                    String what = "n = " + n + ", k = " + k + ", upper = " + upper + ", unit = " + unit;
                    assertTrue(relDiff(xb, xu, 0, xb.length) < 1e-12, what + ": blocked against unblocked");
                    double res = 0;
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < k; j++) {
                            double s = 0;
                            for (int p = upper ? i : 0; p <= (upper ? n - 1 : i); p++) {
                                double tip = p == i && unit ? 1.0 : t[n * n + i * n + p];
                                s += tip * xb[p * k + j];
                            }
                            res = Math.max(res, Math.abs(s - b[i * k + j]));
                        }
                    }
                    assertTrue(res < 1e-13 * n * Math.max(1, maxAbs(xb, 0, xb.length)), what + ": |TX - B| = " + res);
                }
            }
        }
    }

    /** M M^T / n + I: symmetric positive definite, well conditioned; the upper triangle is set to NaN (not read). */
    private static double[] spdAfterSentinel(int n, long seed) {
        double[] m = randomAfterSentinel(n, seed);
        double[] a = new double[2 * n * n];
        Arrays.fill(a, 0, n * n, 7.0);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < n; p++) {
                    s += m[n * n + i * n + p] * m[n * n + j * n + p];
                }
                a[n * n + i * n + j] = j > i ? Double.NaN : s / n + (i == j ? 1 : 0);
            }
        }
        return a;
    }

    @ParameterizedTest(name = "n = {0}")
    @MethodSource("sizes")
    void choleskyMatchesUnblockedAndFactorsA(int n) {
        double[] a = spdAfterSentinel(n, 40 + n);
        double[] blocked = a.clone();
        double[] unblocked = a.clone();
        assertEquals(-1, Factor.choleskyBlocked(blocked, n * n, n));
        assertEquals(-1, Factor.choleskyUnblocked(unblocked, n * n, n));
        assertSentinel(blocked, n);
        double diff = relDiff(blocked, unblocked, n * n, n * n);
        assertTrue(diff < 1e-12, "blocked against unblocked: " + diff);
        double res = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (j > i) {
                    assertEquals(0.0, blocked[n * n + i * n + j], "upper triangle zeroed");
                    continue;
                }
                double s = 0;
                for (int p = 0; p <= j; p++) {
                    s += blocked[n * n + i * n + p] * blocked[n * n + j * n + p];
                }
                res = Math.max(res, Math.abs(s - a[n * n + i * n + j]));
            }
        }
        assertTrue(res < 1e-13 * n, "|L L^T - A| = " + res);
        double[] twice = a.clone();
        Factor.choleskyBlocked(twice, n * n, n);
        assertArrayEquals(blocked, twice, "same bits run to run");
    }

    static int[] orders() {
        int leaf = Factor.CHOLESKY_LEAF;
        return new int[] {1, 2, leaf, leaf + 1, 2 * leaf + 1, Factor.BLOCKED_MIN, Factor.BLOCKED_MIN + 1, 299, 300};
    }

    /**
     * A 300 x 300 SPD matrix with a_qq = -1: the leading minors of order below q are submatrices of an SPD
     * matrix, so positive definite; that of order q has a negative diagonal entry, so it is not.
     */
    @ParameterizedTest(name = "minor {0}")
    @MethodSource("orders")
    void choleskyReportsTheFirstMinorThatIsNotPositiveDefinite(int q) {
        int n = 300;
        double[] a = spdAfterSentinel(n, 50);
        a[n * n + (q - 1) * n + (q - 1)] = -1;
        assertEquals(q, Factor.choleskyBlocked(a.clone(), n * n, n));
        assertEquals(q, Factor.cholesky(a.clone(), n * n, n));
        assertEquals(q, Factor.choleskyUnblocked(a.clone(), n * n, n));
    }

    static int[] zeroColumns() {
        return new int[] {0, Factor.LU_LEAF - 1, Factor.LU_LEAF, Factor.LU_LEAF + 1, 150, 298, 299};
    }

    /**
     * Column c zero: LU must stop at an exact zero pivot (every update of that column subtracts multiples of
     * zeros). The recursive kernel returns 0 as the unblocked one does.
     */
    @ParameterizedTest(name = "zero column {0}")
    @MethodSource("zeroColumns")
    void luDetectsAnExactZeroPivot(int c) {
        int n = 300;
        double[] a = randomAfterSentinel(n, 60);
        for (int i = 0; i < n; i++) {
            a[n * n + i * n + c] = 0;
        }
        int[] piv = new int[n];
        assertEquals(0, Factor.luBlocked(a.clone(), n * n, n, piv));
        assertEquals(0, Factor.lu(a.clone(), n * n, n, piv));
        assertEquals(0, Factor.luUnblocked(a.clone(), n * n, n, piv));
    }

    /**
     * Row r zero: its multipliers are 0 / pivot = 0 and every update subtracts products with them, so it stays
     * zero and is left as the last pivot. (Two equal rows give an exact zero in the unblocked loop only: there
     * the copy is reduced by the very operations that made its twin a pivot row; the recursive kernel reduces
     * the twin in a triangular solve and the copy in a GEMM, which round differently, as in LAPACK.)
     */
    @ParameterizedTest(name = "zero row {0}")
    @MethodSource("zeroColumns")
    void luDetectsAZeroRow(int r) {
        int n = 300;
        double[] a = randomAfterSentinel(n, 70);
        Arrays.fill(a, n * n + r * n, n * n + (r + 1) * n, 0.0);
        int[] piv = new int[n];
        assertEquals(0, Factor.luBlocked(a.clone(), n * n, n, piv));
        assertEquals(0, Factor.luUnblocked(a.clone(), n * n, n, piv));
    }

    /** Through the public API at a size that takes the recursive kernels: the errors name the call and the cause. */
    @Test
    void linalgReportsSingularAndIndefiniteInputsFromTheRecursiveKernels() {
        int n = 2 * Factor.BLOCKED_MIN + 5;
        double[] a = Arrays.copyOfRange(randomAfterSentinel(n, 80), n * n, 2 * n * n);
        for (int i = 0; i < n; i++) {
            a[i * n + 40] = 0;
        }
        Tensor singular = Tensor.fromArray(a, n, n);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Linalg.solve(singular, Tensor.ones(n, 1)));
        assertTrue(e.getMessage().startsWith("solve: ") && e.getMessage().contains("singular"), e.getMessage());
        assertEquals(0.0, Linalg.det(singular).item());

        int q = Factor.BLOCKED_MIN + 9;
        double[] spd = Arrays.copyOfRange(spdAfterSentinel(n, 81), n * n, 2 * n * n);
        spd[(q - 1) * n + (q - 1)] = -1;
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> Linalg.cholesky(Tensor.fromArray(spd, n, n)));
        assertTrue(c.getMessage().startsWith("cholesky: ") && c.getMessage().contains("order " + q + " "), c.getMessage());
    }
}
