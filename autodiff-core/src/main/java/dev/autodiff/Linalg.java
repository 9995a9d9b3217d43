package dev.autodiff;

import dev.autodiff.kernel.Factor;
import dev.autodiff.kernel.Orthogonal;
import dev.autodiff.kernel.Shapes;
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
        return solveNamed("inv", a, Tensor.eye(n).broadcastTo(a.shape()));
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
        nonNull("qr", a);
        if (a.rank() < 2) {
            throw new IllegalArgumentException("qr: A must be a batch of matrices (..., m, n), got shape " + Shapes.str(a.shape()));
        }
        int m = a.dim(-2);
        Tensor packed = qrOp(mode).apply(a);
        Tensor r = packed.slice(-1, m, packed.dim(-1));
        return new QR("r".equals(mode) ? Tensor.zeros(0) : mT(packed.slice(-1, 0, m)), r);
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
                    if (!isZero(gv)) {
                        Tensor k = mT(v).matmul(gv);
                        inner = inner.add(k.sub(mT(k)).mul(0.5).div(gaps(out.slice(-2, n, n + 1))));
                    }
                    return v.matmul(inner).matmul(mT(v));
                },
                // with dP = V^T sym(dA) V: dL = diag(dP), dV = V (dP / E off the diagonal, 0 on it)
                (in, t, out) -> {
                    int n = in[0].dim(-1);
                    Tensor v = out.slice(-2, 0, n);
                    Tensor dp = mT(v).matmul(t[0].add(mT(t[0])).mul(0.5)).matmul(v);
                    Tensor dx = dp.div(gaps(out.slice(-2, n, n + 1))).mul(Tensor.eye(n).rsub(1));
                    return Tensor.concat(-2, v.matmul(dx), dp.diagonal(0, -2, -1).unsqueeze(-2));
                });
    }

    /** E_ij = L_j - L_i off the diagonal, 1 on it, from the row L (..., 1, n). */
    private static Tensor gaps(Tensor l) {
        return l.sub(mT(l)).add(Tensor.eye(l.dim(-1)));
    }

    /**
     * Whether every element is 0: PyTorch skips an undefined (never produced) gradient; here an output that was not
     * used gets zeros, recognised by value. (A gV that is zero only at this point but not nearby loses its term's
     * second derivative; its first derivative is exact.)
     */
    private static boolean isZero(Tensor g) {
        while (g.batch != null) { // inside vmap: zero for every example
            g = g.batch.physical;
        }
        for (double x : g.toArray()) {
            if (x != 0) {
                return false;
            }
        }
        return true;
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
            return Tensor.fromArray(out, Arrays.copyOf(a.shape(), a.rank() - 1));
        }
        int[] shape = a.shape().clone();
        shape[shape.length - 2] = n + 1;
        return Tensor.fromArray(out, shape);
    }
}
