package dev.autodiff;

import dev.autodiff.kernel.Factor;
import dev.autodiff.kernel.Shapes;
import java.util.Arrays;

/**
 * Linear algebra as torch.linalg, float64, batched over leading dimensions (batch dimensions broadcast).
 * Each factorisation is a CustomOp whose vjp and jvp rules are compositions of differentiable ops
 * (matmul, solve, solveTriangular, the factorisation itself), so forward mode and every order work.
 * Rules: Giles 2008 (solve, inv, det), Murray 2016 (Cholesky), as PyTorch's FunctionsManual.cpp.
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
}
