package dev.autodiff.kernel;

/**
 * Orthogonal factorisations on row-major blocks of a batch: Householder QR with LAPACK's sign convention
 * (geqr2 then org2r, so Q and R are LAPACK's and PyTorch's), and the symmetric eigendecomposition by
 * Householder tridiagonalisation and the implicit QL method (EISPACK's tred2 and tql2). Unblocked and
 * sequential, so the bits depend only on the input; the caller loops over the batch.
 */
public final class Orthogonal {
    private Orthogonal() {
    }

    /** Iterations of the QL method per eigenvalue before giving up (a few suffice; NaN never converges). */
    private static final int MAX_QL_ITERATIONS = 64;

    /**
     * QR of the m x n block at {@code a[aoff..]} (left unchanged). Writes Q (m x qc, qc = min(m, n), or m for
     * the complete factorisation) to {@code q[qoff..]} unless q is null, and R (rc x n, rc = qc) to {@code r[roff..]}.
     * Reflector i is H = I - tau v v^T with v = (1, x/(alpha - beta)) and beta = -sign(alpha) |(alpha, x)|, as
     * LAPACK's dlarfg: R's diagonal takes the opposite sign of the pivot it replaces, and a column with nothing
     * below the diagonal gets H = I (tau = 0).
     */
    public static void qr(double[] a, int aoff, int m, int n, double[] q, int qoff, int qc, double[] r, int roff) {
        int k = Math.min(m, n);
        double[] f = new double[m * n];
        System.arraycopy(a, aoff, f, 0, m * n);
        double[] tau = new double[k];
        double[] w = new double[Math.max(n, qc)];
        for (int i = 0; i < k; i++) {
            double alpha = f[i * n + i];
            double xnorm = norm(f, (i + 1) * n + i, n, m - i - 1);
            if (xnorm == 0) {
                continue; // tau = 0
            }
            double beta = -Math.copySign(Math.hypot(alpha, xnorm), alpha);
            tau[i] = (beta - alpha) / beta;
            double scal = 1 / (alpha - beta);
            for (int p = i + 1; p < m; p++) {
                f[p * n + i] *= scal;
            }
            f[i * n + i] = beta;
            reflect(f, n, i, m, i + 1, n, tau[i], w, true);
        }
        for (int i = 0; i < qc; i++) {
            for (int j = 0; j < n; j++) {
                r[roff + i * n + j] = i < k && j >= i ? f[i * n + j] : 0;
            }
        }
        if (q == null) {
            return;
        }
        // org2r: Q = H_0 ... H_{k-1} applied to the first qc columns of I, built from the last reflector back
        double[] g = new double[m * qc];
        for (int j = k; j < qc; j++) {
            g[j * qc + j] = 1;
        }
        for (int i = k - 1; i >= 0; i--) {
            for (int p = i + 1; p < m; p++) {
                g[p * qc + i] = f[p * n + i];
            }
            if (i < qc - 1) {
                g[i * qc + i] = 1;
                reflect(g, qc, i, m, i + 1, qc, tau[i], w, false);
            }
            for (int p = i + 1; p < m; p++) {
                g[p * qc + i] *= -tau[i];
            }
            g[i * qc + i] = 1 - tau[i];
            for (int p = 0; p < i; p++) {
                g[p * qc + i] = 0;
            }
        }
        System.arraycopy(g, 0, q, qoff, m * qc);
    }

    /**
     * The singular values (descending, to {@code s[soff..]}, k = min(m, n) of them) of the m x n block at
     * {@code a[aoff..]} (left unchanged; finite values): Golub-Kahan bidiagonalisation by Householder reflectors
     * from both sides (about 4 m n^2 - 4 n^3 / 3 flops for m >= n), then the eigenvalues of the 2k x 2k symmetric
     * tridiagonal matrix with zero diagonal and off-diagonal (d_0, e_0, d_1, ..., d_{k-1}), which are +-sigma
     * (Golub and Kahan 1965), by {@link #ql}. Backward stable: each value within a small multiple of eps ||A|| of
     * the exact one. False if the QL iteration does not converge.
     */
    public static boolean singularValues(double[] a, int aoff, int m, int n, double[] s, int soff) {
        boolean tall = m >= n;
        int rows = tall ? m : n;
        int cols = tall ? n : m;
        double amax = 0;
        for (int i = 0; i < m * n; i++) {
            amax = Math.max(amax, Math.abs(a[aoff + i]));
        }
        // scaled by a power of 2 (exact) to |A|max about 1, so that neither the reflectors nor the QL shifts overflow
        double scale = amax == 0 ? 1 : Math.scalb(1.0, -Math.getExponent(amax));
        double[] f = new double[rows * cols]; // A, or A^T when wide: rows >= cols
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                f[tall ? i * cols + j : j * cols + i] = a[aoff + i * n + j] * scale;
            }
        }
        double[] diag = new double[cols];
        double[] sup = new double[cols];
        double[] w = new double[cols];
        for (int k = 0; k < cols; k++) {
            // from the left: zero column k below the diagonal
            double alpha = f[k * cols + k];
            double xnorm = norm(f, (k + 1) * cols + k, cols, rows - k - 1);
            if (xnorm != 0) {
                double beta = -Math.copySign(Math.hypot(alpha, xnorm), alpha);
                double tau = (beta - alpha) / beta;
                double scal = 1 / (alpha - beta);
                for (int p = k + 1; p < rows; p++) {
                    f[p * cols + k] *= scal;
                }
                f[k * cols + k] = beta;
                reflect(f, cols, k, rows, k + 1, cols, tau, w, true);
            }
            diag[k] = f[k * cols + k];
            if (k + 1 >= cols) {
                break;
            }
            // from the right: zero row k beyond the superdiagonal
            double ar = f[k * cols + k + 1];
            double rnorm = norm(f, k * cols + k + 2, 1, cols - k - 2);
            if (rnorm == 0) {
                sup[k] = ar;
                continue;
            }
            double beta = -Math.copySign(Math.hypot(ar, rnorm), ar);
            double tau = (beta - ar) / beta;
            double scal = 1 / (ar - beta);
            for (int j = k + 2; j < cols; j++) {
                f[k * cols + j] *= scal; // v = (1, row k from column k + 2 on)
            }
            sup[k] = beta;
            for (int p = k + 1; p < rows; p++) {
                int row = p * cols;
                double dot = f[row + k + 1];
                for (int j = k + 2; j < cols; j++) {
                    dot += f[k * cols + j] * f[row + j];
                }
                double t = tau * dot;
                f[row + k + 1] -= t;
                for (int j = k + 2; j < cols; j++) {
                    f[row + j] -= t * f[k * cols + j];
                }
            }
        }
        boolean diagonal = true;
        for (int i = 0; i + 1 < cols; i++) {
            diagonal &= sup[i] == 0;
        }
        if (diagonal) {
            // B is diagonal (so was A, or every reflector was the identity): sigma = |d_i| exactly, sorted
            double[] abs = new double[cols];
            for (int i = 0; i < cols; i++) {
                abs[i] = Math.abs(diag[i]);
            }
            java.util.Arrays.sort(abs);
            for (int i = 0; i < cols; i++) {
                s[soff + i] = abs[cols - 1 - i] / scale;
            }
            return true;
        }
        int q = 2 * cols;
        double[] d = new double[q];
        double[] e = new double[q]; // ql's convention: e[i] couples i - 1 and i, e[0] unused
        for (int i = 0; i < cols; i++) {
            e[2 * i + 1] = diag[i];
            if (2 * i + 2 < q) {
                e[2 * i + 2] = sup[i];
            }
        }
        if (!ql(new double[q][0], d, e, q, false)) {
            return false;
        }
        for (int i = 0; i < cols; i++) {
            s[soff + i] = Math.abs(d[q - 1 - i]) / scale; // the largest cols of +-sigma, descending
        }
        return true;
    }

    /**
     * Applies (I - tau v v^T) from the left to rows i..m-1, columns c0..c1-1 of the row-major block (row length
     * ld), v = column i from row i down with v_i = 1 (implicit when {@code unitImplicit}, else stored).
     */
    private static void reflect(double[] x, int ld, int i, int m, int c0, int c1, double tau, double[] w, boolean unitImplicit) {
        if (tau == 0 || c0 >= c1) {
            return;
        }
        for (int j = c0; j < c1; j++) {
            w[j] = x[i * ld + j];
        }
        for (int p = i + 1; p < m; p++) {
            double v = x[p * ld + i];
            if (v != 0) {
                for (int j = c0; j < c1; j++) {
                    w[j] += v * x[p * ld + j];
                }
            }
        }
        for (int j = c0; j < c1; j++) {
            x[i * ld + j] -= tau * w[j];
        }
        for (int p = i + 1; p < m; p++) {
            double tv = tau * x[p * ld + i];
            if (tv != 0) {
                for (int j = c0; j < c1; j++) {
                    x[p * ld + j] -= tv * w[j];
                }
            }
        }
    }

    /** The 2-norm of count elements at stride, rescaled when the plain sum of squares would under- or overflow. */
    private static double norm(double[] x, int off, int stride, int count) {
        double ss = 0;
        for (int p = 0; p < count; p++) {
            double v = x[off + p * stride];
            ss += v * v;
        }
        if ((ss > 1e-280 && ss < 1e280) || Double.isNaN(ss)) {
            return Math.sqrt(ss);
        }
        double scale = 0;
        for (int p = 0; p < count; p++) {
            scale = Math.max(scale, Math.abs(x[off + p * stride]));
        }
        if (scale == 0 || scale == Double.POSITIVE_INFINITY) {
            return scale;
        }
        double s = 0;
        for (int p = 0; p < count; p++) {
            double v = x[off + p * stride] / scale;
            s += v * v;
        }
        return scale * Math.sqrt(s);
    }

    /**
     * Eigenvalues (ascending, to {@code values[voff..]}) and orthonormal eigenvectors (the columns of the n x n
     * block at {@code vectors[ecoff..]}, unless vectors is null) of the symmetric matrix at {@code a[aoff..]}, whose
     * upper (or lower) triangle alone is read. Each eigenvector's largest-magnitude component (the first of equal
     * ones) is positive. Without vectors the transformations are not accumulated (EISPACK's tred1 and tql1 in effect,
     * a few times faster) and the eigenvalues are the same bits. Returns false if the QL iteration did not converge
     * (NaN or infinite input).
     */
    public static boolean symmetricEigen(double[] a, int aoff, int n, boolean upper, double[] values, int voff,
            double[] vectors, int ecoff) {
        if (n == 0) {
            return true;
        }
        // t holds the eigenvector matrix transposed (row i = eigenvector i), so the rotations run along rows
        double[][] t = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double v = upper ? a[aoff + j * n + i] : a[aoff + i * n + j];
                t[i][j] = v;
                t[j][i] = v;
            }
        }
        double[] d = new double[n];
        double[] e = new double[n];
        boolean want = vectors != null;
        tridiagonalise(t, d, e, n, want);
        if (!ql(t, d, e, n, want)) {
            return false;
        }
        System.arraycopy(d, 0, values, voff, n);
        if (vectors != null) {
            for (int i = 0; i < n; i++) {
                double[] row = t[i];
                int big = 0;
                for (int k = 1; k < n; k++) {
                    if (Math.abs(row[k]) > Math.abs(row[big])) {
                        big = k;
                    }
                }
                double s = row[big] < 0 ? -1 : 1;
                for (int k = 0; k < n; k++) {
                    vectors[ecoff + k * n + i] = s * row[k];
                }
            }
        }
        return true;
    }

    /**
     * tred2 (EISPACK; as JAMA's, with every index pair of the eigenvector matrix swapped so that it works on the
     * transpose t): Householder reduction of the symmetric t to tridiagonal form, diagonal d, subdiagonal e[1..],
     * with the accumulated orthogonal transformation left in t (transposed) when {@code accumulate}.
     */
    private static void tridiagonalise(double[][] t, double[] d, double[] e, int n, boolean accumulate) {
        for (int j = 0; j < n; j++) {
            d[j] = t[j][n - 1];
        }
        for (int i = n - 1; i > 0; i--) {
            double scale = 0;
            double h = 0;
            for (int k = 0; k < i; k++) {
                scale += Math.abs(d[k]);
            }
            if (scale == 0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = t[j][i - 1];
                    t[j][i] = 0;
                    t[i][j] = 0;
                }
            } else {
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.sqrt(h);
                if (f > 0) {
                    g = -g;
                }
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) {
                    e[j] = 0;
                }
                for (int j = 0; j < i; j++) {
                    double[] tj = t[j];
                    f = d[j];
                    t[i][j] = f;
                    g = e[j] + tj[j] * f;
                    for (int k = j + 1; k <= i - 1; k++) {
                        g += tj[k] * d[k];
                        e[k] += tj[k] * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) {
                    e[j] -= hh * d[j];
                }
                for (int j = 0; j < i; j++) {
                    double[] tj = t[j];
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++) {
                        tj[k] -= f * e[k] + g * d[k];
                    }
                    d[j] = tj[i - 1];
                    tj[i] = 0;
                }
            }
            d[i] = h;
        }
        if (!accumulate) { // the accumulation below reads the diagonal before overwriting it; without it, read it here
            for (int j = 0; j < n; j++) {
                d[j] = t[j][j];
            }
            e[0] = 0;
            return;
        }
        for (int i = 0; i < n - 1; i++) {
            t[i][n - 1] = t[i][i];
            t[i][i] = 1;
            double h = d[i + 1];
            double[] ti1 = t[i + 1];
            if (h != 0) {
                for (int k = 0; k <= i; k++) {
                    d[k] = ti1[k] / h;
                }
                for (int j = 0; j <= i; j++) {
                    double[] tj = t[j];
                    double g = 0;
                    for (int k = 0; k <= i; k++) {
                        g += ti1[k] * tj[k];
                    }
                    for (int k = 0; k <= i; k++) {
                        tj[k] -= g * d[k];
                    }
                }
            }
            for (int k = 0; k <= i; k++) {
                ti1[k] = 0;
            }
        }
        for (int j = 0; j < n; j++) {
            d[j] = t[j][n - 1];
            t[j][n - 1] = 0;
        }
        t[n - 1][n - 1] = 1;
        e[0] = 0;
    }

    /**
     * tql2 (EISPACK, as JAMA's, on the transposed eigenvector matrix): the implicit QL method with Wilkinson-like
     * shifts on the tridiagonal (d, e), rotations accumulated into t's rows; then eigenvalues sorted ascending
     * (selection sort). False if some eigenvalue takes too many iterations.
     */
    private static boolean ql(double[][] t, double[] d, double[] e, int n, boolean accumulate) {
        for (int i = 1; i < n; i++) {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0;
        double f = 0;
        double tst1 = 0;
        double eps = Math.ulp(1.0);
        for (int l = 0; l < n; l++) {
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n - 1 && !(Math.abs(e[m]) <= eps * tst1)) {
                m++;
            }
            if (m > l) {
                int iter = 0;
                do {
                    if (++iter > MAX_QL_ITERATIONS) {
                        return false;
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Math.hypot(p, 1);
                    if (p < 0) {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1;
                    double c2 = c;
                    double c3 = c;
                    double el1 = e[l + 1];
                    double s = 0;
                    double s2 = 0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        double[] ti = t[i];
                        double[] ti1 = t[i + 1];
                        for (int k = 0; k < (accumulate ? n : 0); k++) {
                            h = ti1[k];
                            ti1[k] = s * ti[k] + c * h;
                            ti[k] = c * ti[k] - s * h;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (!(Math.abs(e[l]) <= eps * tst1));
            }
            d[l] += f;
            e[l] = 0;
        }
        for (int i = 0; i < n - 1; i++) {
            int k = i;
            double p = d[i];
            for (int j = i + 1; j < n; j++) {
                if (d[j] < p) {
                    k = j;
                    p = d[j];
                }
            }
            if (k != i) {
                d[k] = d[i];
                d[i] = p;
                double[] row = t[i];
                t[i] = t[k];
                t[k] = row;
            }
        }
        return true;
    }
}
