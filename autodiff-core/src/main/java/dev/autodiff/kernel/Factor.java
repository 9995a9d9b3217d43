package dev.autodiff.kernel;

/**
 * Dense factorisations on row-major n x n blocks of a batch: LU with partial pivoting, triangular solves,
 * Cholesky, in place; the caller loops over the batch.
 *
 * <p>From {@link #BLOCKED_MIN} on, each is recursive (Toledo 1997 for LU, Gustavson's recursive Cholesky): the
 * columns are split in two, the left half factored, the right half brought up to date by a triangular solve and
 * one product {@code A22 -= L21 U12} through {@link Gemm}, then factored in turn, so that nearly all of the
 * n^3 work runs in the packed GEMM kernel. Below a leaf width the unblocked loops finish the job on a copy
 * of the panel laid out by columns, where the pivot search and the column updates are unit-stride. The
 * unblocked kernels ({@code *Unblocked}) serve small n and are the blocked ones' reference in the tests.
 */
public final class Factor {
    private Factor() {
    }

    /**
     * From this order on lu, trsm (with at least {@link #BLOCKED_RHS} right-hand sides) and cholesky are
     * recursive. Measured on one thread (best of 60-300 calls, JDK 17, AVX-512, a busy machine): at n = 64 LU and
     * Cholesky are even within the noise (LU recursive against unblocked 30/40, 57/37, 34/37 us in three runs)
     * and the solve with 64 right-hand sides is 3x faster (20 against 60 us); from 96 on the recursive kernels
     * won every run (LU 93-102 against 120 us, Cholesky 59-62 against 82); at 512 LU 4.5x, the solve 7x,
     * Cholesky 6.5x.
     */
    static final int BLOCKED_MIN = 64;
    /**
     * Fewer right-hand sides than this keep the unblocked triangular solve: at n = 128, 4 right-hand sides took
     * 32 us unblocked against 37 recursive, 8 took 50 against 37.
     */
    static final int BLOCKED_RHS = 8;
    /** Panels this wide or narrower are factored by the unblocked loops (8 to 64 measured; 16 to 32 were best and even). */
    static final int LU_LEAF = 16;
    static final int TRSM_LEAF = 32;
    static final int CHOLESKY_LEAF = 32;
    /** Rows per product in Cholesky's trailing update L22 -= L21 L21^T, which computes only what the lower triangle needs. */
    static final int SYRK_ROWS = 64;

    /** LU with partial pivoting in place (PA = LU, unit L below); returns the permutation's sign, or 0 at an exact zero pivot. */
    public static int lu(double[] a, int off, int n, int[] piv) {
        return n < BLOCKED_MIN ? luUnblocked(a, off, n, piv) : luBlocked(a, off, n, piv);
    }

    /** {@link #lu} by the textbook right-looking loop, one column at a time. */
    static int luUnblocked(double[] a, int off, int n, int[] piv) {
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
        if (n < BLOCKED_MIN || k < BLOCKED_RHS) {
            trsmUnblocked(a, off, n, b, boff, k, upper, unit);
        } else {
            trsmBlocked(a, off, n, n, b, boff, k, k, upper, unit);
        }
    }

    /** {@link #trsm} by substitution, one row of X at a time. */
    static void trsmUnblocked(double[] a, int off, int n, double[] b, int boff, int k, boolean upper, boolean unit) {
        if (k == 1) {
            // one right-hand side: x_i = (b_i - sum_p t_ip x_p) / t_ii as a dot product along row i of T, the
            // same operations in the same order as below without a store per multiply-add
            for (int s = 0; s < n; s++) {
                int i = upper ? n - 1 - s : s;
                int ti = off + i * n;
                double x = b[boff + i];
                for (int p = upper ? i + 1 : 0, to = upper ? n : i; p < to; p++) {
                    double l = a[ti + p];
                    if (l != 0) { // skipped as below: a zero of T times an infinite x_p is no NaN
                        x -= l * b[boff + p];
                    }
                }
                b[boff + i] = unit ? x : x / a[ti + i];
            }
            return;
        }
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
        return n < BLOCKED_MIN ? choleskyUnblocked(a, off, n) : choleskyBlocked(a, off, n);
    }

    /** {@link #cholesky} by the unblocked loop (Cholesky-Banachiewicz, a row of L at a time). */
    static int choleskyUnblocked(double[] a, int off, int n) {
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

    // ---------------------------------------------------------------- recursive kernels

    /** {@link #lu} by the recursive kernel at any n (the tests' entry: lu takes it from BLOCKED_MIN on). */
    static int luBlocked(double[] a, int off, int n, int[] piv) {
        return luColumns(a, off, n, 0, n, piv);
    }

    /** {@link #cholesky} by the recursive kernel at any n. */
    static int choleskyBlocked(double[] a, int off, int n) {
        int bad = choleskyRecursive(a, off, n, n);
        if (bad >= 0) {
            return bad;
        }
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(a, off + i * n + i + 1, off + (i + 1) * n, 0.0);
        }
        return -1;
    }

    /** {@link #trsm} by the recursive kernel at any n and k. */
    static void trsmBlocked(double[] a, int off, int n, double[] b, int boff, int k, boolean upper, boolean unit) {
        trsmBlocked(a, off, n, n, b, boff, k, k, upper, unit);
    }

    /**
     * Factors columns [c, c + w) of the n x n matrix from row c down, the columns to their left being factored
     * and these brought up to date. Pivoting swaps whole rows, which applies each interchange to L's columns on
     * the left and to the not yet factored columns on the right at once (LAPACK's laswp on both sides).
     */
    private static int luColumns(double[] a, int off, int n, int c, int w, int[] piv) {
        if (w <= LU_LEAF) {
            return luPanel(a, off, n, c, w, piv);
        }
        int w1 = half(w);
        int w2 = w - w1;
        int c2 = c + w1;
        int s1 = luColumns(a, off, n, c, w1, piv);
        if (s1 == 0) {
            return 0;
        }
        // [A11 A12; A21 A22] with A11 = L11 U11 and L21 done: U12 = L11^-1 A12, then A22 -= L21 U12
        trsmBlocked(a, off + c * n + c, n, w1, a, off + c * n + c2, n, w2, false, true);
        subtractProduct(false, n - c2, w2, w1, a, off + c2 * n + c, n, a, off + c * n + c2, n, a, off + c2 * n + c2, n);
        int s2 = luColumns(a, off, n, c2, w2, piv);
        return s1 * s2;
    }

    /**
     * The unblocked loop of {@link #luUnblocked} on the panel of columns [c, c + w), rows [c, n), copied into one
     * array per column: the pivot search and each column's update {@code a[i][q] -= l[i] u[q]} then run down
     * contiguous arrays, in the same order and with the same products as the unblocked loop.
     */
    private static int luPanel(double[] a, int off, int n, int c, int w, int[] piv) {
        int m = n - c;
        double[][] col = new double[w][m];
        for (int i = 0; i < m; i++) {
            int row = off + (c + i) * n + c;
            for (int j = 0; j < w; j++) {
                col[j][i] = a[row + j];
            }
        }
        int sign = 1;
        for (int j = 0; j < w; j++) {
            double[] cj = col[j];
            int p = j;
            double best = Math.abs(cj[j]);
            for (int i = j + 1; i < m; i++) {
                double v = Math.abs(cj[i]);
                if (v > best) {
                    best = v;
                    p = i;
                }
            }
            piv[c + j] = c + p;
            if (best == 0) {
                return 0;
            }
            if (p != j) {
                sign = -sign;
                for (int q = 0; q < w; q++) {
                    double t = col[q][j];
                    col[q][j] = col[q][p];
                    col[q][p] = t;
                }
                swapRows(a, off, n, c + j, c + p, 0, c);
                swapRows(a, off, n, c + j, c + p, c + w, n);
            }
            double d = cj[j];
            for (int i = j + 1; i < m; i++) {
                cj[i] /= d;
            }
            for (int q = j + 1; q < w; q++) {
                double[] cq = col[q];
                double u = cq[j];
                if (u != 0) {
                    for (int i = j + 1; i < m; i++) {
                        cq[i] -= cj[i] * u;
                    }
                }
            }
        }
        for (int i = 0; i < m; i++) {
            int row = off + (c + i) * n + c;
            for (int j = 0; j < w; j++) {
                a[row + j] = col[j][i];
            }
        }
        return sign;
    }

    private static void swapRows(double[] a, int off, int n, int r1, int r2, int from, int to) {
        int o1 = off + r1 * n;
        int o2 = off + r2 * n;
        for (int j = from; j < to; j++) {
            double t = a[o1 + j];
            a[o1 + j] = a[o2 + j];
            a[o2 + j] = t;
        }
    }

    /**
     * {@link #trsm} on blocks: T n x n at tOff with row stride ldt, B n x k at bOff with row stride ldb. Lower:
     * X1 = T11^-1 B1, B2 -= T21 X1, X2 = T22^-1 B2; upper the same from the bottom.
     */
    private static void trsmBlocked(double[] t, int tOff, int ldt, int n, double[] b, int bOff, int ldb, int k,
                                    boolean upper, boolean unit) {
        if (n <= TRSM_LEAF) {
            trsmLeaf(t, tOff, ldt, n, b, bOff, ldb, k, upper, unit);
            return;
        }
        int n1 = half(n);
        int n2 = n - n1;
        int t22 = tOff + n1 * ldt + n1;
        int b2 = bOff + n1 * ldb;
        if (upper) {
            trsmBlocked(t, t22, ldt, n2, b, b2, ldb, k, true, unit);
            subtractProduct(false, n1, k, n2, t, tOff + n1, ldt, b, b2, ldb, b, bOff, ldb);
            trsmBlocked(t, tOff, ldt, n1, b, bOff, ldb, k, true, unit);
        } else {
            trsmBlocked(t, tOff, ldt, n1, b, bOff, ldb, k, false, unit);
            subtractProduct(false, n2, k, n1, t, tOff + n1 * ldt, ldt, b, bOff, ldb, b, b2, ldb);
            trsmBlocked(t, t22, ldt, n2, b, b2, ldb, k, false, unit);
        }
    }

    /**
     * The substitution of {@link #trsmUnblocked} on at most {@link #TRSM_LEAF} rows of B, copied into one array
     * per row so that {@code x[i][j] -= t[i][p] x[p][j]} runs over two distinct arrays (which C2 vectorizes; two
     * ranges of one array it does not, as it cannot rule out their overlap).
     */
    private static void trsmLeaf(double[] t, int tOff, int ldt, int n, double[] b, int bOff, int ldb, int k,
                                 boolean upper, boolean unit) {
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = java.util.Arrays.copyOfRange(b, bOff + i * ldb, bOff + i * ldb + k);
        }
        for (int s = 0; s < n; s++) {
            int i = upper ? n - 1 - s : s;
            double[] xi = x[i];
            int from = upper ? i + 1 : 0;
            int to = upper ? n : i;
            for (int p = from; p < to; p++) {
                double l = t[tOff + i * ldt + p];
                if (l != 0) {
                    double[] xp = x[p];
                    for (int j = 0; j < k; j++) {
                        xi[j] -= l * xp[j];
                    }
                }
            }
            if (!unit) {
                double d = t[tOff + i * ldt + i];
                for (int j = 0; j < k; j++) {
                    xi[j] /= d;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            System.arraycopy(x[i], 0, b, bOff + i * ldb, k);
        }
    }

    /**
     * Cholesky of the n x n block at off (row stride ld) from its lower triangle, the strictly upper part left
     * as it is; returns -1 or the order of the first leading minor that is not positive definite. L11 = chol(A11),
     * L21 = A21 L11^-T, A22 -= L21 L21^T, L22 = chol(A22): a leading minor of A of order n1 + j is positive
     * definite exactly when that of order j of the updated A22 (its Schur complement) is.
     */
    private static int choleskyRecursive(double[] a, int off, int ld, int n) {
        if (n <= CHOLESKY_LEAF) {
            return choleskyLeaf(a, off, ld, n);
        }
        int n1 = half(n);
        int n2 = n - n1;
        int bad = choleskyRecursive(a, off, ld, n1);
        if (bad >= 0) {
            return bad;
        }
        int a21 = off + n1 * ld;
        int a22 = a21 + n1;
        solveLowerTransposedRight(a, off, ld, n1, a, a21, ld, n2);
        // A22 -= L21 L21^T on the lower triangle only, a strip of rows at a time (each strip's diagonal block whole)
        for (int r = 0; r < n2; r += SYRK_ROWS) {
            int rows = Math.min(SYRK_ROWS, n2 - r);
            subtractProduct(true, rows, r + rows, n1, a, a21 + r * ld, ld, a, a21, ld, a, a22 + r * ld, ld);
        }
        bad = choleskyRecursive(a, a22, ld, n2);
        return bad >= 0 ? n1 + bad : -1;
    }

    /** {@link #choleskyUnblocked} on a block with row stride ld, the upper triangle not touched. */
    private static int choleskyLeaf(double[] a, int off, int ld, int n) {
        for (int j = 0; j < n; j++) {
            int rj = off + j * ld;
            double d = a[rj + j];
            for (int p = 0; p < j; p++) {
                d -= a[rj + p] * a[rj + p];
            }
            if (!(d > 0)) {
                return j + 1;
            }
            d = Math.sqrt(d);
            a[rj + j] = d;
            for (int i = j + 1; i < n; i++) {
                int ri = off + i * ld;
                double s = a[ri + j];
                for (int p = 0; p < j; p++) {
                    s -= a[ri + p] * a[rj + p];
                }
                a[ri + j] = s / d;
            }
        }
        return -1;
    }

    /**
     * X L^T = B for X (m x w at xOff, row stride ldx) in place, L the w x w lower triangle at lOff (row stride
     * ldl). Split L = [La 0; Lb Lc]: X1 = B1 La^-T, B2 -= X1 Lb^T, X2 = B2 Lc^-T.
     */
    private static void solveLowerTransposedRight(double[] l, int lOff, int ldl, int w, double[] x, int xOff, int ldx,
                                                  int m) {
        if (w <= TRSM_LEAF) {
            // column j of X: x_j = (b_j - sum_{p<j} l_jp x_p) / l_jj, on the block copied into one array per
            // column, so that each step is a unit-stride update of one array by another (vectorized by C2)
            double[][] col = new double[w][m];
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < w; j++) {
                    col[j][r] = x[xOff + r * ldx + j];
                }
            }
            for (int j = 0; j < w; j++) {
                double[] cj = col[j];
                int lj = lOff + j * ldl;
                for (int p = 0; p < j; p++) {
                    double ljp = l[lj + p];
                    double[] cp = col[p];
                    for (int r = 0; r < m; r++) {
                        cj[r] -= cp[r] * ljp;
                    }
                }
                double d = l[lj + j];
                for (int r = 0; r < m; r++) {
                    cj[r] /= d;
                }
            }
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < w; j++) {
                    x[xOff + r * ldx + j] = col[j][r];
                }
            }
            return;
        }
        int w1 = half(w);
        int w2 = w - w1;
        solveLowerTransposedRight(l, lOff, ldl, w1, x, xOff, ldx, m);
        subtractProduct(true, m, w2, w1, x, xOff, ldx, l, lOff + w1 * ldl, ldl, x, xOff + w1, ldx);
        solveLowerTransposedRight(l, lOff + w1 * ldl + w1, ldl, w2, x, xOff + w1, ldx, m);
    }

    /**
     * C -= A op(B): A m x k (row stride lda), op(B) k x n (B stored n x k when transB), C m x n (ldc). A is
     * copied negated (m k values against the product's m n k multiply-adds) so that Gemm's accumulating form
     * does the rest; the blocks of one array it is given never overlap C.
     */
    private static void subtractProduct(boolean transB, int m, int n, int k, double[] a, int aOff, int lda,
                                        double[] b, int bOff, int ldb, double[] c, int cOff, int ldc) {
        if (m == 0 || n == 0 || k == 0) {
            return;
        }
        double[] na = new double[m * k];
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * lda;
            for (int p = 0; p < k; p++) {
                na[i * k + p] = -a[ai + p];
            }
        }
        Gemm.accumulate(false, transB, m, n, k, na, 0, k, b, bOff, ldb, c, cOff, ldc);
    }

    /** The first part of a split of w: half, rounded down to a multiple of 8 (whole GEMM tiles) when that leaves one. */
    private static int half(int w) {
        int h = w / 2;
        return h >= 16 ? h & ~7 : h;
    }
}
