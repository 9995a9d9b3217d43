package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The bidiagonalisation path for singular values alone ({@link Svd#values}) against the one-sided Jacobi SVD
 * ({@link Svd#svd}, tested against PyTorch elsewhere): both backward stable, so each value agrees within a small
 * multiple of eps sigma_1; over tall, wide, square, rank-deficient, badly scaled and one-row or one-column matrices.
 */
class SingularValuesTest {
    private static final double EPS = Math.ulp(1.0);

    private static double[] jacobi(double[] a, int m, int n) {
        int k = Math.min(m, n);
        double[] s = new double[k];
        assertEquals(Svd.OK, Svd.svd(a, 0, m, n, false, new double[m * k], 0, s, 0, new double[k * n], 0));
        return s;
    }

    private static double[] bidiagonal(double[] a, int m, int n) {
        double[] s = new double[Math.min(m, n)];
        double[] copy = a.clone();
        assertEquals(Svd.OK, Svd.values(a, 0, m, n, s, 0));
        assertArrayEquals(copy, a, 0.0, "the input is left unchanged");
        return s;
    }

    private static void agree(double[] a, int m, int n, String what) {
        double[] ref = jacobi(a, m, n);
        double[] got = bidiagonal(a, m, n);
        double tol = 30 * EPS * Math.max(m, n) * (ref.length == 0 ? 0 : ref[0]);
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], got[i], tol, what + " " + m + "x" + n + ": sigma_" + i);
            if (i > 0) {
                assertTrue(got[i] <= got[i - 1], what + ": descending");
            }
            assertTrue(got[i] >= 0, what + ": non-negative");
        }
    }

    @Test
    void agreesWithJacobi() {
        SplittableRandom r = new SplittableRandom(17);
        int[][] shapes = {{1, 1}, {1, 7}, {7, 1}, {2, 2}, {3, 5}, {5, 3}, {8, 8}, {20, 7}, {7, 20}, {33, 33}, {64, 40},
            {40, 64}, {100, 100}};
        for (int[] sh : shapes) {
            int m = sh[0];
            int n = sh[1];
            double[] a = new double[m * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextGaussian();
            }
            agree(a, m, n, "gaussian");
            // rank 2: the product of m x 2 and 2 x n
            double[] low = new double[m * n];
            double[] x = new double[2 * m];
            double[] y = new double[2 * n];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextGaussian();
            }
            for (int i = 0; i < y.length; i++) {
                y[i] = r.nextGaussian();
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    low[i * n + j] = x[2 * i] * y[2 * j] + x[2 * i + 1] * y[2 * j + 1];
                }
            }
            agree(low, m, n, "rank 2");
            // badly scaled: rows of magnitude 1e-60 to 1e60
            double[] scaled = a.clone();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    scaled[i * n + j] *= Math.pow(10, 60.0 * (2.0 * i / Math.max(1, m - 1) - 1));
                }
            }
            agree(scaled, m, n, "scaled");
        }
    }

    @Test
    void zerosDiagonalsAndEmpty() {
        assertArrayEquals(new double[] {0, 0}, bidiagonal(new double[6], 2, 3), 0.0);
        assertArrayEquals(new double[] {5, 2, 0.5}, bidiagonal(new double[] {-2, 0, 0, 0, 5, 0, 0, 0, 0.5}, 3, 3), 0.0);
        assertEquals(0, bidiagonal(new double[0], 0, 4).length);
        assertEquals(Svd.NOT_FINITE, Svd.values(new double[] {1, Double.NaN}, 0, 1, 2, new double[1], 0));
    }

    /**
     * Entries spanning 400 decades (the matrix is scaled by a power of 2 first): finite, descending values, the largest
     * between the largest row norm and the Frobenius norm, as every sigma_1 is.
     */
    @Test
    void extremeScales() {
        SplittableRandom r = new SplittableRandom(3);
        int m = 6;
        int n = 4;
        double[] a = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                a[i * n + j] = r.nextGaussian() * Math.pow(10, 200.0 * (2.0 * i / (m - 1) - 1));
            }
        }
        double[] s = new double[n];
        assertEquals(Svd.OK, Svd.values(a, 0, m, n, s, 0));
        double frobenius = 0;
        double row = 0;
        for (int i = 0; i < m; i++) {
            double r2 = 0;
            for (int j = 0; j < n; j++) {
                double x = a[i * n + j] * 1e-200; // the top row is about 1e200: squares in range
                r2 += x * x;
            }
            frobenius += r2;
            row = Math.max(row, Math.sqrt(r2));
        }
        assertTrue(s[0] * 1e-200 >= row * (1 - 1e-15) && s[0] * 1e-200 <= Math.sqrt(frobenius) * (1 + 1e-15), "sigma_1 " + s[0]);
        for (int i = 1; i < n; i++) {
            assertTrue(Double.isFinite(s[i]) && s[i] <= s[i - 1] && s[i] >= 0, "sigma_" + i + " = " + s[i]);
        }
    }

    @Test
    void sameBitsEveryRun() {
        SplittableRandom r = new SplittableRandom(5);
        double[] a = new double[50 * 30];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextGaussian();
        }
        assertArrayEquals(bidiagonal(a, 50, 30), bidiagonal(a, 50, 30), 0.0);
    }
}
