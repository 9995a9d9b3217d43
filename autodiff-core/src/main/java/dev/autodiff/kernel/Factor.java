package dev.autodiff.kernel;

/**
 * Dense factorisations on row-major n x n blocks of a batch: LU with partial pivoting, triangular solves,
 * Cholesky. Unblocked, in place; the caller loops over the batch.
 */
public final class Factor {
    private Factor() {
    }

    /** LU with partial pivoting in place (PA = LU, unit L below); returns the permutation's sign, or 0 at an exact zero pivot. */
    public static int lu(double[] a, int off, int n, int[] piv) {
        int sign = 1;
        for (int k = 0; k < n; k++) {
            int p = k;
            double best = Math.abs(a[off + k * n + k]);
            for (int i = k + 1; i < n; i++) {
                double v = Math.abs(a[off + i * n + k]);
                if (v > best) {
                    best = v;
                    p = i;
                }
            }
            piv[k] = p;
            if (best == 0) {
                return 0;
            }
            if (p != k) {
                sign = -sign;
                for (int j = 0; j < n; j++) {
                    double t = a[off + k * n + j];
                    a[off + k * n + j] = a[off + p * n + j];
                    a[off + p * n + j] = t;
                }
            }
            double d = a[off + k * n + k];
            for (int i = k + 1; i < n; i++) {
                double l = a[off + i * n + k] /= d;
                if (l != 0) {
                    for (int j = k + 1; j < n; j++) {
                        a[off + i * n + j] -= l * a[off + k * n + j];
                    }
                }
            }
        }
        return sign;
    }

    /** Solves A X = B for B (n x k at boff) in place, given lu()'s factors and pivots. */
    public static void luSolve(double[] lu, int off, int n, int[] piv, double[] b, int boff, int k) {
        for (int i = 0; i < n; i++) {
            if (piv[i] != i) {
                for (int j = 0; j < k; j++) {
                    double t = b[boff + i * k + j];
                    b[boff + i * k + j] = b[boff + piv[i] * k + j];
                    b[boff + piv[i] * k + j] = t;
                }
            }
        }
        trsm(lu, off, n, b, boff, k, false, true);
        trsm(lu, off, n, b, boff, k, true, false);
    }

    /** Solves T X = B in place, T the upper or lower triangle of a (unit: diagonal taken as 1); the other triangle is not read. */
    public static void trsm(double[] a, int off, int n, double[] b, int boff, int k, boolean upper, boolean unit) {
        if (upper) {
            for (int i = n - 1; i >= 0; i--) {
                for (int p = i + 1; p < n; p++) {
                    double l = a[off + i * n + p];
                    if (l != 0) {
                        for (int j = 0; j < k; j++) {
                            b[boff + i * k + j] -= l * b[boff + p * k + j];
                        }
                    }
                }
                if (!unit) {
                    double d = a[off + i * n + i];
                    for (int j = 0; j < k; j++) {
                        b[boff + i * k + j] /= d;
                    }
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < i; p++) {
                    double l = a[off + i * n + p];
                    if (l != 0) {
                        for (int j = 0; j < k; j++) {
                            b[boff + i * k + j] -= l * b[boff + p * k + j];
                        }
                    }
                }
                if (!unit) {
                    double d = a[off + i * n + i];
                    for (int j = 0; j < k; j++) {
                        b[boff + i * k + j] /= d;
                    }
                }
            }
        }
    }

    /**
     * Cholesky A = L L^T from A's lower triangle, in place (the upper triangle zeroed). Returns -1, or the
     * order (1-based) of the leading minor that is not positive definite.
     */
    public static int cholesky(double[] a, int off, int n) {
        for (int j = 0; j < n; j++) {
            double d = a[off + j * n + j];
            for (int p = 0; p < j; p++) {
                d -= a[off + j * n + p] * a[off + j * n + p];
            }
            if (!(d > 0)) {
                return j + 1;
            }
            d = Math.sqrt(d);
            a[off + j * n + j] = d;
            for (int i = j + 1; i < n; i++) {
                double s = a[off + i * n + j];
                for (int p = 0; p < j; p++) {
                    s -= a[off + i * n + p] * a[off + j * n + p];
                }
                a[off + i * n + j] = s / d;
            }
            for (int i = 0; i < j; i++) {
                a[off + i * n + j] = 0;
            }
        }
        return -1;
    }
}
