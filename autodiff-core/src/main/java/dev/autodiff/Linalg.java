package dev.autodiff;

import dev.autodiff.kernel.Factor;
import dev.autodiff.kernel.Orthogonal;
import dev.autodiff.kernel.Shapes;
import dev.autodiff.kernel.Svd;
import java.util.Arrays;

/**
 * Linear algebra as torch.linalg, float64, batched over leading dimensions (batch dimensions broadcast).
 * Each factorisation is a CustomOp whose vjp and jvp rules are compositions of differentiable ops
 * (matmul, solve, solveTriangular, the factorisation itself), so forward mode and every order work.
 * Rules: Giles 2008 (solve, inv, det), Murray 2016 (Cholesky), as PyTorch's FunctionsManual.cpp; QR and eigh as its
 * linalg_qr_backward / linalg_qr_jvp and linalg_eig_backward / linalg_eig_jvp (hermitian). An op with two results
 * (qr, eigh) is one CustomOp whose output packs both, sliced apart, so each result's gradient reaches the one rule.
 */
public final class Linalg {
    private Linalg() {
    }

    private static Tensor mT(Tensor x) {
        return x.transpose(-2, -1);
    }

    /** A null tensor argument is refused naming the op the user called. */
    static void nonNull(String op, Tensor... xs) {
        for (int i = 0; i < xs.length; i++) {
            if (xs[i] == null) {
                throw new NullPointerException(op + ": " + (xs.length == 1 ? "the input" : "input " + (char) ('A' + i)) + " is null");
            }
        }
    }

    private static void square(String op, Tensor a) {
        nonNull(op, a);
        if (a.rank() < 2 || a.dim(-2) != a.dim(-1)) {
            throw new IllegalArgumentException(op + ": A must be a batch of square matrices (..., n, n), got shape "
                    + Shapes.str(a.shape()));
        }
    }

    /** Broadcasts the batch dimensions of a (..., n, n) and b (..., n, k) to one another. */
    private static Tensor[] broadcastBatch(String op, Tensor a, Tensor b) {
        int[] ab = Arrays.copyOf(a.shape(), a.rank() - 2);
        int[] bb = Arrays.copyOf(b.shape(), b.rank() - 2);
        int r = Math.max(ab.length, bb.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int x = i - (r - ab.length) >= 0 ? ab[i - (r - ab.length)] : 1;
            int y = i - (r - bb.length) >= 0 ? bb[i - (r - bb.length)] : 1;
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException(op + ": batch dimensions of A " + Shapes.str(a.shape()) + " and B "
                        + Shapes.str(b.shape()) + " do not broadcast");
            }
            out[i] = x == 1 ? y : x;
        }
        int[] as = Arrays.copyOf(out, r + 2);
        as[r] = a.dim(-2);
        as[r + 1] = a.dim(-1);
        int[] bs = Arrays.copyOf(out, r + 2);
        bs[r] = b.dim(-2);
        bs[r + 1] = b.dim(-1);
        return new Tensor[] {Arrays.equals(as, a.shape()) ? a : a.broadcastTo(as),
                Arrays.equals(bs, b.shape()) ? b : b.broadcastTo(bs)};
    }

    private static int batch(Tensor a) {
        int n = 1;
        for (int i = 0; i < a.rank() - 2; i++) {
            n *= a.dim(i);
        }
        return n;
    }

    // ---------------------------------------------------------------- solve, inv

    /** X with A X = B (torch.linalg.solve, left = true); B is a vector batch when B.shape == A.shape[:-1] or B is 1-D. */
    public static Tensor solve(Tensor a, Tensor b) {
        return solveNamed("solve", a, b);
    }

    /** X with X A = B (left = false) or A X = B, as torch.linalg.solve(A, B, left=left). */
    public static Tensor solve(Tensor a, Tensor b, boolean left) {
        nonNull("solve", a, b);
        if (left) {
            return solve(a, b);
        }
        square("solve", a);
        if (b.rank() < 2) {
            throw new IllegalArgumentException("solve: with left = false B must be (..., k, n), got shape " + Shapes.str(b.shape()));
        }
        return mT(solveNamed("solve", mT(a), mT(b)));
    }

    private static Tensor solveNamed(String op, Tensor a, Tensor b) {
        nonNull(op, a, b);
        square(op, a);
        boolean vector = b.rank() == 1 || (b.rank() == a.rank() - 1
                && Arrays.equals(b.shape(), Arrays.copyOf(a.shape(), a.rank() - 1)));
        Tensor bm = vector ? b.unsqueeze(-1) : b;
        if (bm.rank() < 2 || bm.dim(-2) != a.dim(-1)) {
            throw new IllegalArgumentException(op + ": B must be (..., n, k) or (..., n) with n = " + a.dim(-1)
                    + " for A of shape " + Shapes.str(a.shape()) + ", got shape " + Shapes.str(b.shape()));
        }
        Tensor[] ab = broadcastBatch(op, a, bm);
        Tensor x = solveOp(op).apply(ab[0], ab[1]);
        return vector ? x.squeeze(-1) : x;
    }

    private static CustomOp solveOp(String op) {
        return CustomOp.batchedOverLeadingDims(op,
                in -> luSolveValues(op, in[0], in[1]),
                // X = A^-1 B: gB = A^-T g, gA = -gB X^T
                (i, g, in, x) -> {
                    Tensor gb = solveNamed(op, mT(in[0]), g);
                    return i == 1 ? gb : gb.matmul(mT(x)).neg();
                },
                // dX = A^-1 (dB - dA X)
                (in, t, x) -> solveNamed(op, in[0], t[1].sub(t[0].matmul(x))));
    }

    private static Tensor luSolveValues(String op, Tensor a, Tensor b) {
        int n = a.dim(-1);
        int k = b.dim(-1);
        double[] av = a.toArray();
        double[] bv = b.toArray();
        int[] piv = new int[n];
        for (int s = 0, m = batch(a); s < m; s++) {
            if (Factor.lu(av, s * n * n, n, piv) == 0) {
                throw new IllegalArgumentException(op + ": the matrix A" + (m > 1 ? " at batch index " + s : "")
                        + " is singular (an exact zero pivot in LU)");
            }
            Factor.luSolve(av, s * n * n, n, piv, bv, s * n * k, k);
        }
        return Tensor.fromArray(bv, b.shape());
    }

    /** The inverse of each matrix, as torch.linalg.inv; a singular matrix throws naming inv. */
    public static Tensor inv(Tensor a) {
        square("inv", a);
        int n = a.dim(-1);
        return solveNamed("inv", a, Tensor.like(Tensor.eye(n), a.dtype()).broadcastTo(a.shape()));
    }

    // ---------------------------------------------------------------- triangular solve

    /**
     * torch.linalg.solve_triangular(A, B, upper=, left=, unitriangular=): X with T X = B (left) or X T = B,
     * T the upper or lower triangle of A (the other triangle is not read; unitriangular: diagonal taken as 1).
     */
    public static Tensor solveTriangular(Tensor a, Tensor b, boolean upper, boolean left, boolean unitriangular) {
        nonNull("solveTriangular", a, b);
        square("solveTriangular", a);
        if (b.rank() < 2) {
            throw new IllegalArgumentException("solveTriangular: B must be a batch of matrices, got shape " + Shapes.str(b.shape()));
        }
        if (!left) {
            return mT(solveTriangular(mT(a), mT(b), !upper, true, unitriangular));
        }
        if (b.dim(-2) != a.dim(-1)) {
            throw new IllegalArgumentException("solveTriangular: B must be (..., " + a.dim(-1) + ", k) for A of shape "
                    + Shapes.str(a.shape()) + ", got shape " + Shapes.str(b.shape()));
        }
        Tensor[] ab = broadcastBatch("solveTriangular", a, b);
        return triOp(upper, unitriangular).apply(ab[0], ab[1]);
    }

    /** solveTriangular with left = true, unitriangular = false. */
    public static Tensor solveTriangular(Tensor a, Tensor b, boolean upper) {
        return solveTriangular(a, b, upper, true, false);
    }

    private static Tensor triangle(Tensor m, boolean upper, boolean unit) {
        return upper ? m.triu(unit ? 1 : 0) : m.tril(unit ? -1 : 0);
    }

    private static CustomOp triOp(boolean upper, boolean unit) {
        return CustomOp.batchedOverLeadingDims("solveTriangular",
                in -> {
                    int n = in[0].dim(-1);
                    int k = in[1].dim(-1);
                    double[] av = in[0].toArray();
                    double[] bv = in[1].toArray();
                    for (int s = 0, m = batch(in[0]); s < m; s++) {
                        Factor.trsm(av, s * n * n, n, bv, s * n * k, k, upper, unit);
                    }
                    return Tensor.fromArray(bv, in[1].shape());
                },
                // X = T^-1 B: gB = T^-T g, gA = -tri(gB X^T) (only the triangle read has a gradient)
                (i, g, in, x) -> {
                    Tensor gb = solveTriangular(mT(in[0]), g, !upper, true, unit);
                    return i == 1 ? gb : triangle(gb.matmul(mT(x)).neg(), upper, unit);
                },
                // dX = T^-1 (dB - tri(dA) X)
                (in, t, x) -> solveTriangular(in[0], t[1].sub(triangle(t[0], upper, unit).matmul(x)), upper, true, unit));
    }

    // ---------------------------------------------------------------- cholesky

    /**
     * L lower with A = L L^T from A's lower triangle, as torch.linalg.cholesky; upper: U = L^T. A matrix
     * that is not positive definite throws naming cholesky and the minor, as PyTorch's error.
     */
    public static Tensor cholesky(Tensor a, boolean upper) {
        Tensor l = cholesky(a);
        return upper ? mT(l) : l;
    }

    public static Tensor cholesky(Tensor a) {
        square("cholesky", a);
        return CHOLESKY.apply(a);
    }

    private static final CustomOp CHOLESKY = CustomOp.batchedOverLeadingDims("cholesky",
            in -> {
                int n = in[0].dim(-1);
                double[] av = in[0].toArray();
                for (int s = 0, m = batch(in[0]); s < m; s++) {
                    int bad = Factor.cholesky(av, s * n * n, n);
                    if (bad >= 0) {
                        throw new IllegalArgumentException("cholesky: the input" + (m > 1 ? " at batch index " + s : "")
                                + " is not positive-definite (the leading minor of order " + bad + " is not positive-definite)");
                    }
                }
                return Tensor.fromArray(av, in[0].shape());
            },
            // Murray 2016: phi = Phi(L^T tril(g)), gA = sym(L^-T phi L^-1), Phi = lower triangle with half diagonal
            (i, g, in, l) -> {
                Tensor phi = halfLower(mT(l).matmul(g.tril()));
                Tensor y = solveTriangular(mT(l), phi, true, true, false);
                Tensor ga = solveTriangular(l, y, false, false, false);
                return ga.add(mT(ga)).mul(0.5);
            },
            // dL = L Phi(L^-1 dA L^-T)
            (in, t, l) -> {
                Tensor z = solveTriangular(l, t[0], false, true, false);
                Tensor phi = solveTriangular(mT(l), z, true, false, false);
                return l.matmul(halfLower(phi));
            });

    private static Tensor halfLower(Tensor m) {
        return m.tril(-1).add(m.tril().triu().mul(0.5));
    }

    // ---------------------------------------------------------------- det, slogdet

    private static double[][] luDet(Tensor a) {
        int n = a.dim(-1);
        int m = batch(a);
        double[] av = a.toArray();
        int[] piv = new int[n];
        double[] sign = new double[m];
        double[] logabs = new double[m];
        double[] det = new double[m];
        for (int s = 0; s < m; s++) {
            int sg = Factor.lu(av, s * n * n, n, piv);
            if (sg == 0) {
                sign[s] = 0;
                logabs[s] = Double.NEGATIVE_INFINITY;
                det[s] = 0;
                continue;
            }
            double la = 0;
            double d = sg;
            for (int i = 0; i < n; i++) {
                double u = av[s * n * n + i * n + i];
                la += Math.log(Math.abs(u));
                d *= u;
                if (u < 0) {
                    sg = -sg;
                }
            }
            sign[s] = sg;
            logabs[s] = la;
            det[s] = d;
        }
        return new double[][] {sign, logabs, det};
    }

    private static int[] batchShape(Tensor a) {
        return Arrays.copyOf(a.shape(), a.rank() - 2);
    }

    private static Tensor traceLast(Tensor m) {
        return m.diagonal(0, -2, -1).sum(-1);
    }

    /**
     * The determinant, as torch.linalg.det. Gradient (Giles): g det A^-T; tangent det tr(A^-1 dA). At a
     * singular A the value is 0 and its derivatives throw naming inv (PyTorch falls back to an SVD there).
     */
    public static Tensor det(Tensor a) {
        square("det", a);
        return DET.apply(a);
    }

    private static final CustomOp DET = CustomOp.batchedOverLeadingDims("det",
            in -> Tensor.fromArray(luDet(in[0])[2], batchShape(in[0])),
            (i, g, in, d) -> mT(inv(in[0])).mul(g.mul(d).unsqueeze(-1).unsqueeze(-1)),
            (in, t, d) -> d.mul(traceLast(solve(in[0], t[0]))));

    /** (sign, log|det|) as torch.linalg.slogdet; sign is constant, log|det| has gradient A^-T. */
    public static Tensor[] slogdet(Tensor a) {
        square("slogdet", a);
        Tensor sign = Batching.perExample(a, (p, lead) -> new Tensor[] {Tensor.fromArray(luDet(p)[0], batchShape(p))})[0];
        return new Tensor[] {sign, LOGABSDET.apply(a)};
    }

    private static final CustomOp LOGABSDET = CustomOp.batchedOverLeadingDims("slogdet",
            in -> Tensor.fromArray(luDet(in[0])[1], batchShape(in[0])),
            (i, g, in, d) -> mT(inv(in[0])).mul(g.unsqueeze(-1).unsqueeze(-1)),
            (in, t, d) -> traceLast(solve(in[0], t[0])));

    // ---------------------------------------------------------------- qr

    /** The factors of {@link #qr}: A = Q R; in mode "r" q is an empty tensor (shape [0]), as PyTorch's. */
    public record QR(Tensor q, Tensor r) {
    }

    /** qr(a, "reduced"). */
    public static QR qr(Tensor a) {
        return qr(a, "reduced");
    }

    /**
     * Householder QR as torch.linalg.qr, A (..., m, n) of any m, n, k = min(m, n): mode "reduced" Q (..., m, k),
     * R (..., k, n); "complete" Q (..., m, m), R (..., m, n); "r" R alone (reduced). Q and R are LAPACK's (geqrf,
     * orgqr), so their signs are PyTorch's. Derivatives as PyTorch's linalg_qr_backward and linalg_qr_jvp, which
     * need R's leading k x k block invertible (A of full rank); in mode "r", and in mode "complete" with m > n
     * (Q's last m - n columns are not determined by A), differentiating throws naming qr, as PyTorch raises.
     */
    public static QR qr(Tensor a, String mode) {
        if (!"reduced".equals(mode) && !"complete".equals(mode) && !"r".equals(mode)) {
            throw new IllegalArgumentException("qr: mode must be \"reduced\", \"complete\" or \"r\", got "
                    + (mode == null ? "null" : "\"" + mode + "\""));
        }
        matrices("qr", a);
        int m = a.dim(-2);
        Tensor packed = qrOp(mode).apply(a);
        Tensor r = packed.slice(-1, m, packed.dim(-1));
        return new QR("r".equals(mode) ? Tensor.zeros(a.dtype(), 0) : mT(packed.slice(-1, 0, m)), r);
    }

    /**
     * One op for both factors: its output packs Q^T (..., qc, m) beside R (..., qc, n) along the last axis, so the
     * rules see gQ, gR (and give dQ, dR) packed the same way and slicing routes each factor's gradient.
     */
    private static CustomOp qrOp(String mode) {
        boolean complete = "complete".equals(mode);
        return CustomOp.batchedOverLeadingDims("qr", in -> qrValues(in[0], complete, "r".equals(mode)),
                (i, g, in, out) -> {
                    qrDifferentiable(mode, in[0]);
                    int m = in[0].dim(-2);
                    int w = out.dim(-1);
                    return qrVjp(mT(g.slice(-1, 0, m)), g.slice(-1, m, w), mT(out.slice(-1, 0, m)), out.slice(-1, m, w));
                },
                (in, t, out) -> {
                    qrDifferentiable(mode, in[0]);
                    int m = in[0].dim(-2);
                    Tensor[] d = qrJvp(t[0], mT(out.slice(-1, 0, m)), out.slice(-1, m, out.dim(-1)));
                    return Tensor.concat(-1, mT(d[0]), d[1]);
                });
    }

    private static Tensor qrValues(Tensor a, boolean complete, boolean rOnly) {
        int m = a.dim(-2);
        int n = a.dim(-1);
        int qc = complete ? m : Math.min(m, n);
        int b = batch(a);
        double[] av = a.toArray();
        double[] q = new double[b * m * qc];
        double[] r = new double[b * qc * n];
        for (int s = 0; s < b; s++) {
            Orthogonal.qr(av, s * m * n, m, n, rOnly ? null : q, s * m * qc, qc, r, s * qc * n);
        }
        int[] qs = a.shape().clone();
        qs[qs.length - 1] = qc;
        int[] rs = a.shape().clone();
        rs[rs.length - 2] = qc;
        return Tensor.concat(-1, mT(Tensor.fromArray(q, qs)), Tensor.fromArray(r, rs));
    }

    private static void qrDifferentiable(String mode, Tensor a) {
        if ("r".equals(mode)) {
            throw new IllegalArgumentException("qr: the derivative depends on Q, which mode \"r\" does not compute; "
                    + "use mode \"reduced\" to differentiate through qr");
        }
        if ("complete".equals(mode) && a.dim(-2) > a.dim(-1)) {
            throw new IllegalArgumentException("qr: not differentiable in mode \"complete\" when m > n (A of shape "
                    + Shapes.str(a.shape()) + "): Q's last m - n columns are not determined by A; use mode \"reduced\"");
        }
    }

    /**
     * PyTorch's linalg_qr_jvp. m >= n: with X = Q^T dA R^-1, dR = syminv(X + X^T) R (syminv: the upper triangle,
     * diagonal halved) and dQ = dA R^-1 - Q dR R^-1. m < n: with Y = Q^T dA, T = tril(Y_1 R_1^-1, -1) on the
     * leading m x m blocks, dQ = Q (T - T^T) and dR = Y - (T - T^T) R.
     */
    private static Tensor[] qrJvp(Tensor da, Tensor q, Tensor r) {
        int m = da.dim(-2);
        int n = da.dim(-1);
        if (m >= n) {
            Tensor dari = solveTriangular(r, da, true, false, false);
            Tensor x = mT(q).matmul(dari);
            Tensor s = x.add(mT(x));
            Tensor dr = halfUpper(s);
            return new Tensor[] {dari.sub(q.matmul(dr)), dr.matmul(r)};
        }
        Tensor y = mT(q).matmul(da);
        Tensor t = solveTriangular(r.slice(-1, 0, m), y.slice(-1, 0, m), true, false, false).tril(-1);
        Tensor k = t.sub(mT(t));
        return new Tensor[] {q.matmul(k), y.sub(k.matmul(r))};
    }

    /**
     * PyTorch's linalg_qr_backward, with G = gR R^T - Q^T gQ. m >= n: gA = (gQ + Q (triu(G) + triu(G, 1)^T)) R^-T.
     * m < n: gA = [Q tril(G^T - G) R_1^-T, 0] + Q gR, the zero block over A's last n - m columns.
     */
    private static Tensor qrVjp(Tensor gq, Tensor gr, Tensor q, Tensor r) {
        int m = q.dim(-2);
        int n = r.dim(-1);
        Tensor g = gr.matmul(mT(r)).sub(mT(q).matmul(gq));
        if (m >= n) {
            Tensor s = g.triu().add(mT(g.triu(1)));
            return solveTriangular(mT(r), gq.add(q.matmul(s)), false, false, false);
        }
        Tensor b = solveTriangular(mT(r.slice(-1, 0, m)), q.matmul(mT(g).sub(g).tril()), false, false, false);
        int[] before = new int[b.rank()];
        int[] after = new int[b.rank()];
        after[b.rank() - 1] = n - m;
        return b.pad(before, after, 0).add(q.matmul(gr));
    }

    private static Tensor halfUpper(Tensor m) {
        return m.triu(1).add(m.triu().tril().mul(0.5));
    }

    // ---------------------------------------------------------------- eigh, eigvalsh

    /** The eigendecomposition of {@link #eigh}: A = V diag(L) V^T, eigenvalues ascending, eigenvectors V's columns. */
    public record Eigh(Tensor eigenvalues, Tensor eigenvectors) {
    }

    /** eigh(a, "L"). */
    public static Eigh eigh(Tensor a) {
        return eigh(a, "L");
    }

    /**
     * The eigendecomposition of symmetric matrices as torch.linalg.eigh, reading only the lower ("L") or upper ("U")
     * triangle: eigenvalues (..., n) ascending, eigenvectors (..., n, n) orthonormal columns. An eigenvector's sign
     * is arbitrary (LAPACK's differs by routine); here each has its largest-magnitude component (the first of
     * equal ones) positive. Derivatives as PyTorch's (linalg_eig_backward and linalg_eig_jvp, hermitian), which
     * treat A as symmetric: the gradient is symmetric and a tangent is taken as its symmetric part. Through the
     * eigenvectors they divide by L_j - L_i, so at repeated eigenvalues they are infinite or NaN, as PyTorch's;
     * through the eigenvalues alone the gradient V diag(gL) V^T stays finite. NaN or infinite input throws.
     */
    public static Eigh eigh(Tensor a, String uplo) {
        Tensor p = eighPacked("eigh", a, uplo);
        int n = a.dim(-1);
        return new Eigh(p.slice(-2, n, n + 1).squeeze(-2), p.slice(-2, 0, n));
    }

    /** eigvalsh(a, "L"). */
    public static Tensor eigvalsh(Tensor a) {
        return eigvalsh(a, "L");
    }

    /** The eigenvalues of {@link #eigh}, ascending, as torch.linalg.eigvalsh; gradient V diag(gL) V^T. */
    public static Tensor eigvalsh(Tensor a, String uplo) {
        nonNull("eigvalsh", a);
        if (a.needsGrad() || a.isDual() || a.batch != null) {
            Tensor p = eighPacked("eigvalsh", a, uplo);
            int n = a.dim(-1);
            return p.slice(-2, n, n + 1).squeeze(-2);
        }
        // nothing to differentiate: the eigenvalues alone, without accumulating the eigenvectors (the same bits)
        checkUplo("eigvalsh", uplo);
        square("eigvalsh", a);
        return eighValues("eigvalsh", a, "U".equals(uplo), false);
    }

    private static Tensor eighPacked(String op, Tensor a, String uplo) {
        checkUplo(op, uplo);
        square(op, a);
        return eighOp(op, "U".equals(uplo)).apply(a);
    }

    private static void checkUplo(String op, String uplo) {
        if (!"L".equals(uplo) && !"U".equals(uplo)) {
            throw new IllegalArgumentException(op + ": uplo must be \"L\" or \"U\", got "
                    + (uplo == null ? "null" : "\"" + uplo + "\""));
        }
    }

    /**
     * One op for both results: its output packs V (..., n, n) above the row L (..., 1, n), so the rules see gV, gL
     * (and give dV, dL) packed the same way and slicing routes each result's gradient.
     */
    private static CustomOp eighOp(String op, boolean upper) {
        return CustomOp.batchedOverLeadingDims(op, in -> eighValues(op, in[0], upper, true),
                // gA = V (diag(gL) + skew(V^T gV) / E) V^T, E_ij = L_j - L_i (diagonal 1); a zero gV adds nothing and
                // is skipped, so the eigenvalues' gradient stays finite at repeated ones (where 0 / E is NaN)
                (i, g, in, out) -> {
                    int n = in[0].dim(-1);
                    Tensor v = out.slice(-2, 0, n);
                    Tensor gv = g.slice(-2, 0, n);
                    Tensor inner = Tensor.eye(n).mul(g.slice(-2, n, n + 1));
                    if (!allZero(gv)) {
                        Tensor k = mT(v).matmul(gv);
                        inner = inner.add(k.sub(mT(k)).mul(0.5).div(eigGaps(out.slice(-2, n, n + 1))));
                    }
                    return v.matmul(inner).matmul(mT(v));
                },
                // with dP = V^T sym(dA) V: dL = diag(dP), dV = V (dP / E off the diagonal, 0 on it)
                (in, t, out) -> {
                    int n = in[0].dim(-1);
                    Tensor v = out.slice(-2, 0, n);
                    Tensor dp = mT(v).matmul(t[0].add(mT(t[0])).mul(0.5)).matmul(v);
                    Tensor dx = dp.div(eigGaps(out.slice(-2, n, n + 1))).mul(Tensor.eye(n).rsub(1));
                    return Tensor.concat(-2, v.matmul(dx), dp.diagonal(0, -2, -1).unsqueeze(-2));
                });
    }

    /** E_ij = L_j - L_i off the diagonal, 1 on it, from the row L (..., 1, n). */
    private static Tensor eigGaps(Tensor l) {
        return l.sub(mT(l)).add(Tensor.eye(l.dim(-1)));
    }

    /** Packed (V above the row L, (..., n + 1, n)) or, without vectors, L alone (..., n). */
    private static Tensor eighValues(String op, Tensor a, boolean upper, boolean vectors) {
        int n = a.dim(-1);
        int b = batch(a);
        double[] av = a.toArray();
        double[] out = new double[b * (vectors ? n + 1 : 1) * n];
        double[] l = new double[n];
        double[] v = vectors ? new double[n * n] : null;
        for (int s = 0; s < b; s++) {
            int off = s * n * n;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if ((upper ? j >= i : j <= i) && !Double.isFinite(av[off + i * n + j])) {
                        throw new IllegalArgumentException(op + ": the input" + (b > 1 ? " at batch index " + s : "")
                                + " contains " + av[off + i * n + j] + " at (" + i + ", " + j + "); expected finite values");
                    }
                }
            }
            if (!Orthogonal.symmetricEigen(av, off, n, upper, l, 0, v, 0)) {
                throw new IllegalArgumentException(op + ": did not converge" + (b > 1 ? " at batch index " + s : "")
                        + " (the QL iteration exceeded its limit)");
            }
            if (!vectors) {
                System.arraycopy(l, 0, out, s * n, n);
                continue;
            }
            System.arraycopy(v, 0, out, s * (n + 1) * n, n * n);
            System.arraycopy(l, 0, out, s * (n + 1) * n + n * n, n);
        }
        if (!vectors) {
            // (rounded once, as the differentiable path's float64 kernel on the widened values)
            return Tensor.like(Tensor.fromArray(out, Arrays.copyOf(a.shape(), a.rank() - 1)), a.dtype());
        }
        int[] shape = a.shape().clone();
        shape[shape.length - 2] = n + 1;
        return Tensor.fromArray(out, shape);
    }

    // ================================================================ svd, svdvals, pinv, matrix and vector norms
    // (kept together at the end: each is built on the SVD kernel, kernel/Svd.java)

    /**
     * A = U diag(S) Vh, as the result of torch.linalg.svd: u (..., m, m) or (..., m, k), s (..., k) descending,
     * vh (..., n, n) or (..., k, n), k = min(m, n). Singular vectors are unique only up to a sign per pair (and
     * a rotation within a repeated singular value): see {@link Svd} for the convention used.
     */
    public record SVD(Tensor u, Tensor s, Tensor vh) {
    }

    private static void matrices(String op, Tensor a) {
        nonNull(op, a);
        if (a.rank() < 2) {
            throw new IllegalArgumentException(op + ": A must be a batch of matrices (..., m, n), got shape "
                    + Shapes.str(a.shape()));
        }
    }

    /** {@link #svd(Tensor, boolean)} with fullMatrices = true, PyTorch's default. */
    public static SVD svd(Tensor a) {
        return svd(a, true);
    }

    /**
     * The singular value decomposition, as torch.linalg.svd(A, full_matrices=). Derivatives as PyTorch's
     * svd_backward and linalg_svd_jvp: they assume distinct singular values (and, for U of a tall or Vh of a
     * wide A, none zero); at a repeated singular value a loss that reads U or Vh gets inf/NaN through
     * 1 / (s_j^2 - s_i^2), as in PyTorch, while one that reads only S gets U diag(gS) Vh. With fullMatrices and
     * m != n the extra columns of U (rows of Vh) are an arbitrary basis of the complement: as in PyTorch their
     * gradient is ignored and their tangent is 0.
     */
    public static SVD svd(Tensor a, boolean fullMatrices) {
        return svdNamed("svd", a, fullMatrices);
    }

    private static SVD svdNamed(String op, Tensor a, boolean full) {
        matrices(op, a);
        int m = a.dim(-2);
        int n = a.dim(-1);
        Tensor packed = svdOp(op, full, m, n).apply(a);
        return unpack(packed, batchShape(a), m, n, full);
    }

    /** Sizes of the packed result's three parts: m * uc (U), k (S), vr * n (Vh). */
    private static int[] parts(int m, int n, boolean full) {
        int k = Math.min(m, n);
        return new int[] {m * (full ? m : k), k, (full ? n : k) * n};
    }

    private static int[] with(int[] batch, int... tail) {
        int[] r = Arrays.copyOf(batch, batch.length + tail.length);
        System.arraycopy(tail, 0, r, batch.length, tail.length);
        return r;
    }

    /** Splits the packed (..., |U| + k + |Vh|) result into U, S, Vh; slicing passes gradients and tangents on. */
    private static SVD unpack(Tensor packed, int[] batch, int m, int n, boolean full) {
        int k = Math.min(m, n);
        int[] p = parts(m, n, full);
        Tensor u = packed.slice(-1, 0, p[0]).reshape(with(batch, m, full ? m : k));
        Tensor s = packed.slice(-1, p[0], p[0] + p[1]);
        Tensor vh = packed.slice(-1, p[0] + p[1], p[0] + p[1] + p[2]).reshape(with(batch, full ? n : k, n));
        return new SVD(u, s, vh);
    }

    private static Tensor pack(Tensor u, Tensor s, Tensor vh, int[] batch) {
        return Tensor.concat(-1, u.reshape(with(batch, -1)), s, vh.reshape(with(batch, -1)));
    }

    private static Tensor diagEmbed(Tensor s) {
        int k = s.dim(-1);
        return s.unsqueeze(-1).mul(Tensor.eye(k));
    }

    /** U, S and Vh packed along the last axis (see {@link #unpack}), by the Jacobi SVD. */
    private static Tensor svdValues(String op, Tensor a, boolean full) {
        int m = a.dim(-2);
        int n = a.dim(-1);
        int[] p = parts(m, n, full);
        int per = p[0] + p[1] + p[2];
        int count = batch(a);
        double[] av = a.toArray();
        double[] out = new double[count * per];
        double[] u = new double[p[0]];
        double[] vh = new double[p[2]];
        for (int b = 0; b < count; b++) {
            checkSvd(op, Svd.svd(av, b * m * n, m, n, full, u, 0, out, b * per + p[0], vh, 0), b, count);
            System.arraycopy(u, 0, out, b * per, p[0]);
            System.arraycopy(vh, 0, out, b * per + p[0] + p[1], p[2]);
        }
        return Tensor.fromArray(out, with(batchShape(a), per));
    }

    /** A kernel status as the error naming the op (values alone fall back to the Jacobi sweeps too). */
    private static void checkSvd(String op, int status, int b, int count) {
        String where = count > 1 ? " at batch index " + b : "";
        if (status == Svd.NOT_FINITE) {
            throw new IllegalArgumentException(op + ": the input" + where + " is not finite (it has a NaN or infinite entry)");
        }
        if (status == Svd.NO_CONVERGENCE) {
            throw new IllegalArgumentException(op + ": the SVD of the input" + where + " did not converge in "
                    + Svd.MAX_SWEEPS + " Jacobi sweeps");
        }
    }

    /** The singular values alone, (..., k) descending, by bidiagonalisation (no vectors computed). */
    private static Tensor singularValues(String op, Tensor a) {
        int m = a.dim(-2);
        int n = a.dim(-1);
        int k = Math.min(m, n);
        int count = batch(a);
        double[] av = a.toArray();
        double[] out = new double[count * k];
        for (int b = 0; b < count; b++) {
            checkSvd(op, Svd.values(av, b * m * n, m, n, out, b * k), b, count);
        }
        return Tensor.fromArray(out, with(batchShape(a), k));
    }

    private static CustomOp svdOp(String op, boolean full, int m, int n) {
        int k = Math.min(m, n);
        return CustomOp.batchedOverLeadingDims(op,
                in -> svdValues(op, in[0], full),
                (i, g, in, out) -> {
                    int[] batch = batchShape(in[0]);
                    SVD r = unpack(out, batch, m, n, full);
                    SVD gr = unpack(g, batch, m, n, full);
                    // the extra columns of a full U (rows of Vh) carry no gradient, as in PyTorch
                    Tensor u = r.u().slice(-1, 0, k);
                    Tensor vh = r.vh().slice(-2, 0, k);
                    return svdBackward(gr.u().slice(-1, 0, k), gr.s(), gr.vh().slice(-2, 0, k), u, r.s(), vh);
                },
                (in, t, out) -> {
                    int[] batch = batchShape(in[0]);
                    SVD r = unpack(out, batch, m, n, full);
                    SVD d = svdJvp(t[0], r.u().slice(-1, 0, k), r.s(), r.vh().slice(-2, 0, k));
                    Tensor du = d.u();
                    Tensor dvh = d.vh();
                    if (full && m > n) {
                        du = Tensor.concat(-1, du, Tensor.zeros(with(batch, m, m - n)));
                    }
                    if (full && n > m) {
                        dvh = Tensor.concat(-2, dvh, Tensor.zeros(with(batch, n - m, n)));
                    }
                    return pack(du, d.s(), dvh, batch);
                });
    }

    /** E_jk = s_k^2 - s_j^2 off the diagonal, 1 on it (any non-zero: it divides a zero there). */
    private static Tensor gaps(Tensor s) {
        Tensor s2 = s.mul(s);
        Tensor e = s2.unsqueeze(-2).sub(s2.unsqueeze(-1));
        return e.add(Tensor.eye(s.dim(-1)));
    }

    /**
     * PyTorch's svd_backward (real case; Townsend 2016), for the reduced U (m x k), S, Vh (k x n):
     * gA = U [(skew(U^T gU) S + S skew(Vh gVh^T)) / E + diag(gS)] Vh, skew(X) = X - X^T, plus
     * (I - U U^T) gU S^-1 Vh when m > n, or U S^-1 gVh (I - V Vh) when m < n. A loss that reads no singular
     * vector (gU = gVh = 0, exactly) takes PyTorch's shortcut for undefined gradients, U diag(gS) Vh, finite
     * at repeated singular values.
     */
    private static Tensor svdBackward(Tensor gu, Tensor gs, Tensor gvh, Tensor u, Tensor s, Tensor vh) {
        int m = u.dim(-2);
        int n = vh.dim(-1);
        boolean useU = !allZero(gu);
        boolean useV = !allZero(gvh);
        if (!useU && !useV) {
            return u.mul(gs.unsqueeze(-2)).matmul(vh);
        }
        Tensor e = gaps(s);
        Tensor inner = null;
        if (useU) {
            Tensor uhgu = u.transpose(-2, -1).matmul(gu);
            inner = uhgu.sub(mT(uhgu)).mul(s.unsqueeze(-2));
        }
        if (useV) {
            Tensor vhgv = vh.matmul(mT(gvh));
            Tensor t = s.unsqueeze(-1).mul(vhgv.sub(mT(vhgv)));
            inner = inner == null ? t : inner.add(t);
        }
        inner = inner.div(e).add(diagEmbed(gs));
        if (m > n && useU) {
            Tensor gusinv = gu.div(s.unsqueeze(-2));
            Tensor left = u.matmul(inner).add(gusinv).sub(u.matmul(mT(u).matmul(gusinv)));
            return left.matmul(vh);
        }
        if (m < n && useV) {
            Tensor sinvgvh = gvh.div(s.unsqueeze(-1));
            Tensor right = inner.matmul(vh).add(sinvgvh).sub(sinvgvh.matmul(mT(vh)).matmul(vh));
            return u.matmul(right);
        }
        return u.matmul(inner).matmul(vh);
    }

    /**
     * Whether every element is 0 (inside vmap: for every example): PyTorch skips an undefined (never produced)
     * gradient; here an output that was not used gets zeros, recognised by value.
     */
    private static boolean allZero(Tensor t) {
        while (t.batch != null) {
            t = t.batch.physical;
        }
        for (double v : t.detach().toArray()) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * PyTorch's linalg_svd_jvp (real case): dP = U^T dA V, dS = diag(dP), dX = dP - diag(dS),
     * dU = U (dX S + S dX^T) / E, plus (I - U U^T) dA V S^-1 when m > n; dVh = -(S dX + dX^T S) / E Vh, plus
     * S^-1 U^T dA (I - V Vh) when m < n.
     */
    private static SVD svdJvp(Tensor da, Tensor u, Tensor s, Tensor vh) {
        int m = u.dim(-2);
        int n = vh.dim(-1);
        Tensor v = mT(vh);
        Tensor dp = mT(u).matmul(da).matmul(v);
        Tensor ds = dp.diagonal(0, -2, -1);
        Tensor dx = dp.sub(diagEmbed(ds));
        Tensor e = gaps(s);
        Tensor dxs = dx.mul(s.unsqueeze(-2));
        Tensor du = u.matmul(dxs.add(mT(dxs)).div(e));
        if (m > n) {
            Tensor davsinv = da.matmul(v.div(s.unsqueeze(-2)));
            du = du.add(davsinv).sub(u.matmul(mT(u).matmul(davsinv)));
        }
        Tensor sdx = dx.mul(s.unsqueeze(-1)).neg();
        Tensor dvh = sdx.add(mT(sdx)).div(e).matmul(vh);
        if (m < n) {
            Tensor uhdasinv = mT(u).div(s.unsqueeze(-1)).matmul(da);
            dvh = dvh.add(uhdasinv).sub(uhdasinv.matmul(v).matmul(vh));
        }
        return new SVD(du, ds, dvh);
    }

    /**
     * The singular values, descending, as torch.linalg.svdvals, computed without vectors (Golub-Kahan
     * bidiagonalisation, then the eigenvalues of its tridiagonal form: backward stable, within a few eps |A| of svd's
     * S, not its bits); the derivatives compute U and V by svd. Gradient U diag(gS) Vh, tangent diag(U^T dA V):
     * finite everywhere (also at repeated or zero singular values); the second derivative reads U and V and has
     * svd's 1 / (s_j^2 - s_i^2) there.
     */
    public static Tensor svdvals(Tensor a) {
        return svdvalsNamed("svdvals", a);
    }

    private static Tensor svdvalsNamed(String op, Tensor a) {
        matrices(op, a);
        return svdvalsOp(op).apply(a);
    }

    private static CustomOp svdvalsOp(String op) {
        return CustomOp.batchedOverLeadingDims(op,
                in -> singularValues(op, in[0]),
                (i, g, in, s) -> {
                    SVD r = svdNamed(op, in[0], false);
                    return r.u().mul(g.unsqueeze(-2)).matmul(r.vh());
                },
                (in, t, s) -> {
                    SVD r = svdNamed(op, in[0], false);
                    return mT(r.u()).matmul(t[0]).matmul(mT(r.vh())).diagonal(0, -2, -1);
                });
    }

    /** The pseudo-inverse, as torch.linalg.pinv(A): rtol = max(m, n) eps, atol = 0, hermitian = false. */
    public static Tensor pinv(Tensor a) {
        matrices("pinv", a);
        return pinv(a, Math.max(a.dim(-2), a.dim(-1)) * Math.ulp(1.0), false);
    }

    /**
     * The pseudo-inverse Vh^T diag(1/s) U^T over the singular values s &gt; rtol * max(s) (the others taken as 0),
     * as torch.linalg.pinv(A, rtol=, hermitian=) with atol = 0; hermitian: A square, only its lower triangle read
     * (PyTorch's eigh path; the same values from the SVD of the symmetric matrix). Derivatives as PyTorch's
     * pinv_backward and pinv_jvp (Golub and Pereyra 1973), the derivative of A^+ in terms of A^+ itself: finite at
     * a rank-deficient A (the derivative along matrices of the same rank).
     */
    public static Tensor pinv(Tensor a, double rtol, boolean hermitian) {
        matrices("pinv", a);
        if (!(rtol >= 0) || Double.isInfinite(rtol)) {
            throw new IllegalArgumentException("pinv: rtol must be finite and >= 0, got " + rtol);
        }
        if (hermitian) {
            square("pinv", a);
        }
        return CustomOp.batchedOverLeadingDims("pinv",
                in -> {
                    if (in[0].dim(-2) == 0 || in[0].dim(-1) == 0) {
                        return Tensor.zeros(with(batchShape(in[0]), in[0].dim(-1), in[0].dim(-2)));
                    }
                    Tensor x = hermitian ? in[0].tril().add(mT(in[0].tril(-1))) : in[0];
                    SVD r = svdNamed("pinv", x, false);
                    Tensor tol = r.s().max(true, -1).mul(rtol);
                    Tensor sinv = Tensor.where(r.s().gt(tol), r.s().reciprocal(), Tensor.scalar(0.0));
                    return mT(r.vh()).mul(sinv.unsqueeze(-2)).matmul(mT(r.u()));
                },
                (i, g, in, p) -> pinvBackward(g, p, in[0]),
                (in, t, p) -> pinvJvp(in[0], p, t[0])).apply(a);
    }

    /** PyTorch's pinv_backward (real case), arranged for the smaller of m, n. */
    private static Tensor pinvBackward(Tensor g, Tensor p, Tensor a) {
        Tensor ph = mT(p);
        Tensor gh = mT(g);
        if (a.dim(-2) <= a.dim(-1)) {
            Tensor k = gh.matmul(p);
            Tensor kph = k.matmul(ph);
            return mT(p.matmul(k)).neg().add(kph).sub(a.matmul(p).matmul(kph)).add(ph.matmul(p).matmul(gh.sub(k.matmul(a))));
        }
        Tensor k = p.matmul(gh);
        Tensor phk = ph.matmul(k);
        return mT(k.matmul(p)).neg().add(gh.sub(a.matmul(k)).matmul(p).matmul(ph)).add(phk).sub(phk.matmul(p).matmul(a));
    }

    /** PyTorch's pinv_jvp (real case). */
    private static Tensor pinvJvp(Tensor a, Tensor p, Tensor da) {
        Tensor dah = mT(da);
        Tensor ph = mT(p);
        if (a.dim(-2) <= a.dim(-1)) {
            Tensor k = ph.matmul(dah);
            return p.matmul(k.sub(mT(k)).sub(k.matmul(a.matmul(p)))).add(dah.sub(p.matmul(a.matmul(dah))).matmul(ph.matmul(p)));
        }
        Tensor k = p.matmul(da);
        Tensor kh = mT(k);
        return kh.sub(k).sub(p.matmul(a).matmul(kh)).matmul(p).add(p.matmul(ph).matmul(dah.sub(dah.matmul(a).matmul(p))));
    }

    /** The Frobenius norm of each matrix over the last two dimensions, as torch.linalg.matrix_norm(A). */
    public static Tensor matrixNorm(Tensor a) {
        return matrixNorm(a, "fro");
    }

    public static Tensor matrixNorm(Tensor a, String ord) {
        return matrixNorm(a, ord, new int[] {-2, -1}, false);
    }

    public static Tensor matrixNorm(Tensor a, double ord) {
        return matrixNorm(a, ord, new int[] {-2, -1}, false);
    }

    /**
     * torch.linalg.matrix_norm(A, ord, dim, keepdim) for ord "fro" (sqrt of the sum of squares, as
     * Tensor.norm) or "nuc" (the sum of the singular values; gradient U Vh, from svdvals).
     */
    public static Tensor matrixNorm(Tensor a, String ord, int[] dims, boolean keepDim) {
        int[] d = matrixDims(a, dims);
        if ("fro".equals(ord)) {
            return a.norm("matrixNorm", 2.0, keepDim, d[0], d[1]);
        }
        if ("nuc".equals(ord)) {
            return keep(svdvalsNamed("matrixNorm", toEnd(a, d)).sum(false, -1), d, keepDim);
        }
        throw new IllegalArgumentException("matrixNorm: ord must be \"fro\", \"nuc\", 2, -2, 1, -1, Infinity or -Infinity, got \""
                + ord + "\"");
    }

    /**
     * torch.linalg.matrix_norm(A, ord, dim, keepdim) for ord 2 / -2 (the largest / smallest singular value, from
     * svdvals; tied extremes share the gradient as in max and min), 1 / -1 (the max / min over columns of the
     * column sums of |a|) and Infinity / -Infinity (the max / min over rows of the row sums of |a|).
     */
    public static Tensor matrixNorm(Tensor a, double ord, int[] dims, boolean keepDim) {
        int[] d = matrixDims(a, dims);
        if (Math.abs(ord) == 2.0) {
            emptyExtreme(a, ord, a.dim(d[0]) == 0 || a.dim(d[1]) == 0);
            Tensor s = svdvalsNamed("matrixNorm", toEnd(a, d));
            return keep(ord > 0 ? s.max(false, -1) : s.min(false, -1), d, keepDim);
        }
        if (Math.abs(ord) == 1.0 || Math.abs(ord) == Double.POSITIVE_INFINITY) {
            // 1: sum over the rows (dims[0]) then the extreme over the columns; infinity: the other way round
            int sumDim = Math.abs(ord) == 1.0 ? d[0] : d[1];
            int extDim = Math.abs(ord) == 1.0 ? d[1] : d[0];
            emptyExtreme(a, ord, a.dim(extDim) == 0);
            Tensor sums = a.abs().sum(true, sumDim);
            Tensor r = ord > 0 ? sums.max(true, extDim) : sums.min(true, extDim);
            return keepDim ? r : r.squeeze(Math.max(d[0], d[1])).squeeze(Math.min(d[0], d[1]));
        }
        throw new IllegalArgumentException("matrixNorm: ord must be \"fro\", \"nuc\", 2, -2, 1, -1, Infinity or -Infinity, got "
                + ord);
    }

    /** As PyTorch: the max or min over an empty dimension (no singular value; no column for 1, no row for inf). */
    private static void emptyExtreme(Tensor a, double ord, boolean empty) {
        if (empty) {
            throw new IllegalArgumentException("matrixNorm: the " + ord + "-norm of a matrix of shape " + Shapes.str(a.shape())
                    + " is undefined: it is a max or min over an empty dimension");
        }
    }

    /** The two matrix dimensions, normalised to 0..rank-1: distinct and in range. */
    private static int[] matrixDims(Tensor a, int[] dims) {
        nonNull("matrixNorm", a);
        if (a.rank() < 2) {
            throw new IllegalArgumentException("matrixNorm: A must have at least 2 dimensions, got shape "
                    + Shapes.str(a.shape()));
        }
        if (dims == null || dims.length != 2) {
            throw new IllegalArgumentException("matrixNorm: dims must be two dimensions, got "
                    + (dims == null ? "null" : Arrays.toString(dims)));
        }
        int r = a.rank();
        int[] d = new int[2];
        for (int i = 0; i < 2; i++) {
            if (dims[i] < -r || dims[i] >= r) {
                throw new IllegalArgumentException("matrixNorm: dimension " + dims[i] + " out of range for shape "
                        + Shapes.str(a.shape()) + " (rank " + r + ")");
            }
            d[i] = dims[i] < 0 ? dims[i] + r : dims[i];
        }
        if (d[0] == d[1]) {
            throw new IllegalArgumentException("matrixNorm: dims must be two different dimensions, got " + Arrays.toString(dims));
        }
        return d;
    }

    /** a with dimensions d[0], d[1] moved to the end, in that order (the matrix's rows and columns). */
    private static Tensor toEnd(Tensor a, int[] d) {
        int r = a.rank();
        int[] perm = new int[r];
        int j = 0;
        for (int i = 0; i < r; i++) {
            if (i != d[0] && i != d[1]) {
                perm[j++] = i;
            }
        }
        perm[r - 2] = d[0];
        perm[r - 1] = d[1];
        return a.permute(perm);
    }

    /** A reduction over the matrix dimensions d, with them put back as size 1 when keepDim. */
    private static Tensor keep(Tensor y, int[] d, boolean keepDim) {
        return keepDim ? y.unsqueeze(Math.min(d[0], d[1])).unsqueeze(Math.max(d[0], d[1])) : y;
    }

    /**
     * torch.linalg.vector_norm(x, ord, dim, keepdim): for any real ord (0, +-Infinity included) over the
     * dimensions dims (null: all). The same computation and subgradients as {@link Tensor#norm(double, boolean, int...)}.
     */
    public static Tensor vectorNorm(Tensor x, double ord, int[] dims, boolean keepDim) {
        nonNull("vectorNorm", x);
        return x.norm("vectorNorm", ord, keepDim, dims == null ? new int[0] : dims);
    }
}
