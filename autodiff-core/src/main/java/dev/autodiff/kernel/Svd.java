package dev.autodiff.kernel;

/**
 * Singular value decomposition of one row-major m x n block by one-sided Jacobi (Hestenes 1958; de Rijk 1989):
 * plane rotations orthogonalise the columns of A (or of A^T when m &lt; n) until every pair is orthogonal to
 * relative precision, |a_i . a_j| &lt;= q eps ||a_i|| ||a_j|| (q the column length); the column norms are then the
 * singular values, the normalised columns one set of singular vectors and the accumulated rotations the other. This is accurate
 * to a few ulps relative to each singular value's own size, and deterministic: a fixed cyclic order of pairs.
 *
 * <p>Sign convention: each singular pair (u_k, v_k) is flipped together so that the entry of largest magnitude
 * of u_k (the first such in index order) is positive. Vectors for a zero singular value, and the extra columns of
 * a full U or rows of a full Vh, complete an orthonormal basis (Gram-Schmidt from the unit vector least covered
 * by the vectors so far), with the same sign rule (on the vector itself when it has no partner).
 */
public final class Svd {
    /** Status: done. */
    public static final int OK = 0;
    /** Status: a NaN or infinite entry. */
    public static final int NOT_FINITE = 1;
    /** Status: not converged in {@link #MAX_SWEEPS} sweeps. */
    public static final int NO_CONVERGENCE = 2;
    /** A cap on the sweeps (a sweep rotates each pair once); convergence is quadratic and takes about 5-12. */
    public static final int MAX_SWEEPS = 80;

    private static final double EPS = Math.ulp(1.0) / 2;

    private Svd() {
    }

    /**
     * A = U diag(S) Vh for the block at a[aOff], m x n. U is m x (full ? m : k) at u[uOff], S (k, descending) at
     * s[sOff], Vh (full ? n : k) x n at vh[vhOff], k = min(m, n). a is not modified. Returns a status.
     */
    public static int svd(double[] a, int aOff, int m, int n, boolean full, double[] u, int uOff, double[] s, int sOff,
            double[] vh, int vhOff) {
        return svd(a, aOff, m, n, full, u, uOff, s, sOff, vh, vhOff, MAX_SWEEPS);
    }

    /**
     * The singular values alone (k = min(m, n), descending, to s[sOff..]) of the m x n block at a[aOff]: by
     * bidiagonalisation ({@link Orthogonal#singularValues}), an order of magnitude less work than the Jacobi sweeps
     * when no vectors are wanted. Returns a status.
     */
    public static int values(double[] a, int aOff, int m, int n, double[] s, int sOff) {
        for (int i = 0; i < m * n; i++) {
            if (!Double.isFinite(a[aOff + i])) {
                return NOT_FINITE;
            }
        }
        if (Orthogonal.singularValues(a, aOff, m, n, s, sOff)) {
            return OK;
        }
        // the QL iteration can fail where entries span hundreds of decades (its shifts under- or overflow); the
        // Jacobi sweeps, on a matrix scaled by a power of 2, still converge there
        int k = Math.min(m, n);
        return svd(a, aOff, m, n, false, new double[m * k], 0, s, sOff, new double[k * n], 0);
    }

    /** {@link #svd(double[], int, int, int, boolean, double[], int, double[], int, double[], int)} with a cap on the sweeps. */
    public static int svd(double[] a, int aOff, int m, int n, boolean full, double[] u, int uOff, double[] s, int sOff,
            double[] vh, int vhOff, int maxSweeps) {
        int k = Math.min(m, n);
        int q = Math.max(m, n);
        double amax = 0;
        for (int i = 0; i < m * n; i++) {
            double x = a[aOff + i];
            if (!Double.isFinite(x)) {
                return NOT_FINITE;
            }
            amax = Math.max(amax, Math.abs(x));
        }
        // scale by a power of 2 (exact) so that squared norms neither overflow nor underflow
        double scale = amax == 0 ? 1 : Math.scalb(1.0, -Math.getExponent(amax));
        // w: k rows of length q, the columns of A when m >= n, else the rows of A (the columns of A^T)
        double[] w = new double[k * q];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double x = a[aOff + i * n + j] * scale;
                if (m >= n) {
                    w[j * q + i] = x;
                } else {
                    w[i * q + j] = x;
                }
            }
        }
        double[] z = new double[k * k]; // rows of z are the accumulated rotations' columns
        for (int i = 0; i < k; i++) {
            z[i * k + i] = 1;
        }
        if (!orthogonalise(w, z, k, q, maxSweeps)) {
            return NO_CONVERGENCE;
        }
        double[] sv = new double[k];
        for (int i = 0; i < k; i++) {
            sv[i] = Math.sqrt(dot(w, i * q, w, i * q, q));
        }
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(sv[y], sv[x])); // stable: ties keep index order
        // the normalised w rows, completed to qRows orthonormal rows; z's rows permuted alike
        int qRows = full ? q : k;
        double[] wq = new double[qRows * q];
        double[] zs = new double[k * k];
        boolean[] have = new boolean[qRows];
        for (int r = 0; r < k; r++) {
            int i = order[r];
            s[sOff + r] = sv[i] / scale;
            System.arraycopy(z, i * k, zs, r * k, k);
            if (sv[i] >= Double.MIN_NORMAL) {
                for (int c = 0; c < q; c++) {
                    wq[r * q + c] = w[i * q + c] / sv[i];
                }
                have[r] = true;
            }
        }
        complete(wq, have, qRows, q);
        // the sign rule: u_r is row r of wq when m >= n, else row r of zs (then v_r is row r of wq); a pair is
        // flipped together, an extra row of a full wq (a vector with no partner) alone
        for (int r = 0; r < qRows; r++) {
            boolean flip = m < n && r < k ? largestNegative(zs, r * k, k) : largestNegative(wq, r * q, q);
            if (flip) {
                negate(wq, r * q, q);
                if (r < k) {
                    negate(zs, r * k, k);
                }
            }
        }
        int uc = full ? m : k;
        int vr = full ? n : k;
        if (m >= n) {
            // U's columns are wq's rows; Vh = zs (row r of zs is v_r)
            for (int r = 0; r < uc; r++) {
                for (int i = 0; i < m; i++) {
                    u[uOff + i * uc + r] = wq[r * q + i];
                }
            }
            System.arraycopy(zs, 0, vh, vhOff, k * k);
        } else {
            // A^T = W S Z^T: U's columns are zs's rows, Vh's rows are wq's rows
            for (int r = 0; r < k; r++) {
                for (int i = 0; i < m; i++) {
                    u[uOff + i * uc + r] = zs[r * k + i];
                }
            }
            System.arraycopy(wq, 0, vh, vhOff, vr * n);
        }
        return OK;
    }

    /** Cyclic one-sided Jacobi on the k rows of w (length q), the same rotations applied to the rows of z (length k). */
    private static boolean orthogonalise(double[] w, double[] z, int k, int q, int maxSweeps) {
        double[] norm2 = new double[k];
        // a computed dot product of length q is within about q eps ||a_i|| ||a_j|| of the exact one, so a pair is
        // orthogonal once |a_i . a_j| is below that: a stricter test could keep rotating rounding noise
        double tol = Math.max(1, q) * EPS;
        for (int sweep = 0; sweep < maxSweeps; sweep++) {
            for (int i = 0; i < k; i++) {
                norm2[i] = dot(w, i * q, w, i * q, q); // exact at each sweep's start; updated within it
            }
            boolean rotated = false;
            for (int i = 0; i < k - 1; i++) {
                // de Rijk's pivoting: the largest remaining column first (fewer sweeps)
                int big = i;
                for (int j = i + 1; j < k; j++) {
                    if (norm2[j] > norm2[big]) {
                        big = j;
                    }
                }
                if (big != i) {
                    swapRows(w, i, big, q);
                    swapRows(z, i, big, k);
                    double t = norm2[i];
                    norm2[i] = norm2[big];
                    norm2[big] = t;
                }
                for (int j = i + 1; j < k; j++) {
                    double alpha = norm2[i];
                    double beta = norm2[j];
                    double gamma = dot(w, i * q, w, j * q, q);
                    if (Math.abs(gamma) <= tol * Math.sqrt(alpha) * Math.sqrt(beta)) {
                        continue;
                    }
                    rotated = true;
                    // the rotation zeroing the (i, j) entry of W W^T: tan(theta) = t, the smaller root of
                    // t^2 + 2 zeta t - 1 = 0 with zeta = (beta - alpha) / (2 gamma) (Rutishauser)
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.abs(zeta) > 1e150 ? 0.5 / zeta
                            : Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double c = 1 / Math.sqrt(1 + t * t);
                    double sn = c * t;
                    rotate(w, i * q, j * q, q, c, sn);
                    rotate(z, i * k, j * k, k, c, sn);
                    norm2[i] = Math.max(0, alpha - t * gamma);
                    norm2[j] = beta + t * gamma;
                }
            }
            if (!rotated) {
                return true;
            }
        }
        return false;
    }

    private static void swapRows(double[] a, int x, int y, int len) {
        for (int t = 0; t < len; t++) {
            double v = a[x * len + t];
            a[x * len + t] = a[y * len + t];
            a[y * len + t] = v;
        }
    }

    /** (x, y) := (c x - s y, s x + c y). */
    private static void rotate(double[] a, int x, int y, int len, double c, double s) {
        for (int t = 0; t < len; t++) {
            double p = a[x + t];
            double r = a[y + t];
            a[x + t] = c * p - s * r;
            a[y + t] = s * p + c * r;
        }
    }

    private static double dot(double[] a, int x, double[] b, int y, int len) {
        double s0 = 0;
        double s1 = 0;
        int t = 0;
        for (; t + 1 < len; t += 2) {
            s0 += a[x + t] * b[y + t];
            s1 += a[x + t + 1] * b[y + t + 1];
        }
        if (t < len) {
            s0 += a[x + t] * b[y + t];
        }
        return s0 + s1;
    }

    /**
     * Fills the rows r of q (length len) with !have[r] so that all rows are orthonormal: each new row is the unit
     * vector e_c least covered by the rows so far (smallest sum of squares of column c, so its residual norm^2 is
     * at least (len - rows) / len), orthogonalised twice (Gram-Schmidt) and normalised.
     */
    private static void complete(double[] q, boolean[] have, int rows, int len) {
        double[] cover = new double[len];
        for (int r = 0; r < rows; r++) {
            if (have[r]) {
                for (int c = 0; c < len; c++) {
                    cover[c] += q[r * len + c] * q[r * len + c];
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            if (have[r]) {
                continue;
            }
            int best = 0;
            for (int c = 1; c < len; c++) {
                if (cover[c] < cover[best]) {
                    best = c;
                }
            }
            java.util.Arrays.fill(q, r * len, (r + 1) * len, 0.0);
            q[r * len + best] = 1;
            for (int pass = 0; pass < 2; pass++) {
                for (int o = 0; o < rows; o++) {
                    if (have[o]) {
                        double d = dot(q, o * len, q, r * len, len);
                        for (int c = 0; c < len; c++) {
                            q[r * len + c] -= d * q[o * len + c];
                        }
                    }
                }
            }
            double nr = Math.sqrt(dot(q, r * len, q, r * len, len));
            for (int c = 0; c < len; c++) {
                q[r * len + c] /= nr;
                cover[c] += q[r * len + c] * q[r * len + c];
            }
            have[r] = true;
        }
    }

    private static boolean largestNegative(double[] a, int off, int len) {
        int best = 0;
        for (int t = 1; t < len; t++) {
            if (Math.abs(a[off + t]) > Math.abs(a[off + best])) {
                best = t;
            }
        }
        return len > 0 && a[off + best] < 0;
    }

    private static void negate(double[] a, int off, int len) {
        for (int t = 0; t < len; t++) {
            a[off + t] = -a[off + t];
        }
    }
}
