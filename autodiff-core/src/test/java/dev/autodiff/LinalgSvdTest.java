package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import dev.autodiff.kernel.Svd;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Linalg's SVD family against oracles other than PyTorch: reconstruction and orthogonality, singular values of
 * matrices built with known ones, the sign convention, the Moore-Penrose conditions and a hand-derived rank-1
 * pseudo-inverse, GradCheck in both modes to second order on shapes the fixtures do not cover, batched = a loop
 * of single matrices (bit for bit), determinism, the behaviour at repeated singular values, and errors.
 */
class LinalgSvdTest {
    private static Tensor mT(Tensor x) {
        return x.transpose(-2, -1);
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (double v : t.toArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** A = U diag(S) Vh to 1e-14 |A|, U^T U = I, Vh Vh^T = I, S descending and >= 0, shapes as torch.linalg.svd. */
    private static void assertValidSvd(Tensor a, boolean full) {
        Linalg.SVD r = Linalg.svd(a, full);
        int m = a.dim(-2);
        int n = a.dim(-1);
        int k = Math.min(m, n);
        assertEquals(full ? m : k, r.u().dim(-1));
        assertEquals(m, r.u().dim(-2));
        assertEquals(full ? n : k, r.vh().dim(-2));
        assertEquals(k, r.s().dim(-1));
        Tensor rec = r.u().slice(-1, 0, k).mul(r.s().unsqueeze(-2)).matmul(r.vh().slice(-2, 0, k));
        double scale = Math.max(maxAbs(a), Double.MIN_NORMAL);
        assertTrue(maxAbs(rec.sub(a)) <= 1e-14 * scale * Math.max(m, n), "reconstruction " + maxAbs(rec.sub(a)));
        assertTrue(maxAbs(mT(r.u()).matmul(r.u()).sub(Tensor.eye(r.u().dim(-1)))) <= 1e-14 * Math.max(m, n), "U orthonormal");
        assertTrue(maxAbs(r.vh().matmul(mT(r.vh())).sub(Tensor.eye(r.vh().dim(-2)))) <= 1e-14 * Math.max(m, n), "Vh orthonormal");
        double[] s = r.s().toArray();
        for (int i = 0; i < s.length; i++) {
            assertTrue(s[i] >= 0 && (i % k == 0 || s[i] <= s[i - 1]), "descending, non-negative");
        }
    }

    @Test
    void reconstructsAndIsOrthogonalOnManyShapes() {
        int[][] shapes = {{1, 1}, {1, 5}, {5, 1}, {3, 3}, {4, 3}, {3, 4}, {7, 2}, {2, 7}, {2, 3, 4, 3}, {16, 16}, {40, 25}};
        long seed = 1;
        for (int[] sh : shapes) {
            for (boolean full : new boolean[] {true, false}) {
                assertValidSvd(Tensor.randn(seed++, sh), full);
            }
        }
        // rank-deficient (zero singular values need completed singular vectors), zero, tiny and huge scales
        Tensor rank1 = Tensor.randn(20, 5, 1).matmul(Tensor.randn(21, 1, 4));
        Tensor[] special = {rank1, mT(rank1), Tensor.zeros(3, 2), Tensor.zeros(2, 3), Tensor.randn(22, 4, 3).mul(1e200),
                Tensor.randn(23, 3, 4).mul(1e-200), Tensor.fromArray(new double[] {1, 1, 1, 1}, 2, 2)};
        for (Tensor a : special) {
            assertValidSvd(a, true);
            assertValidSvd(a, false);
        }
    }

    /** Q = I - 2 w w^T / |w|^2, an exact-enough orthogonal matrix. */
    private static Tensor reflector(long seed, int n) {
        Tensor w = Tensor.randn(seed, n, 1);
        return Tensor.eye(n).sub(w.matmul(mT(w)).mul(2 / w.mul(w).sum().item()));
    }

    @Test
    void singularValuesOfAMatrixBuiltFromKnownOnes() {
        double[] s = {7.5, 3.25, 1e-3, 2.0e-9};
        Tensor d = Tensor.fromArray(new double[] {7.5, 0, 0, 0, 0, 3.25, 0, 0, 0, 0, 1e-3, 0, 0, 0, 0, 2e-9,
                0, 0, 0, 0, 0, 0, 0, 0}, 6, 4);
        Tensor a = reflector(30, 6).matmul(d).matmul(reflector(31, 4));
        double[] got = Linalg.svdvals(a).toArray();
        // backward stable: each singular value to about eps |A| (absolute), the large ones to a few ulps relative
        for (int i = 0; i < s.length; i++) {
            assertEquals(s[i], got[i], 1e-14 * 7.5, "singular value " + i);
        }
        assertEquals(7.5, got[0], 4 * Math.ulp(7.5));
        // a diagonal matrix, values out of order and of either sign
        Tensor diag = Tensor.fromArray(new double[] {-2, 0, 0, 0, 5, 0, 0, 0, 0.5}, 3, 3);
        assertArrayEquals(new double[] {5, 2, 0.5}, Linalg.svdvals(diag).toArray(), 0.0);
    }

    @Test
    void signConventionLargestEntryOfEachLeftSingularVectorIsPositive() {
        for (int[] sh : new int[][] {{4, 3}, {3, 5}, {5, 5}}) {
            Linalg.SVD r = Linalg.svd(Tensor.randn(40 + sh[1], sh), true);
            Tensor u = r.u();
            for (int c = 0; c < u.dim(1); c++) {
                double best = 0;
                for (int i = 0; i < u.dim(0); i++) {
                    double v = u.get(i, c);
                    if (Math.abs(v) > Math.abs(best)) {
                        best = v;
                    }
                }
                assertTrue(best > 0, "column " + c + " of U for " + java.util.Arrays.toString(sh));
            }
        }
    }

    @Test
    void batchedIsALoopOfSingleMatricesBitForBitAndRepeatable() {
        Tensor a = Tensor.randn(50, 3, 5, 4);
        Linalg.SVD all = Linalg.svd(a, true);
        for (int b = 0; b < 3; b++) {
            Linalg.SVD one = Linalg.svd(a.slice(0, b, b + 1).squeeze(0), true);
            assertArrayEquals(one.u().toArray(), all.u().slice(0, b, b + 1).squeeze(0).toArray(), 0.0);
            assertArrayEquals(one.s().toArray(), all.s().slice(0, b, b + 1).squeeze(0).toArray(), 0.0);
            assertArrayEquals(one.vh().toArray(), all.vh().slice(0, b, b + 1).squeeze(0).toArray(), 0.0);
        }
        Linalg.SVD again = Linalg.svd(a, true);
        assertArrayEquals(all.u().toArray(), again.u().toArray(), 0.0);
        assertArrayEquals(all.s().toArray(), again.s().toArray(), 0.0);
        assertArrayEquals(all.vh().toArray(), again.vh().toArray(), 0.0);
        assertArrayEquals(Linalg.pinv(a).toArray(), Linalg.pinv(a).toArray(), 0.0);
    }

    @Test
    void emptyShapesAsPyTorch() {
        Linalg.SVD r = Linalg.svd(Tensor.zeros(2, 0, 3));
        assertArrayEquals(new int[] {2, 0, 0}, r.u().shape());
        assertArrayEquals(new int[] {2, 0}, r.s().shape());
        assertArrayEquals(new int[] {2, 3, 3}, r.vh().shape());
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, r.vh().slice(0, 0, 1).toArray(), 0.0);
        assertArrayEquals(new int[] {0, 0}, Linalg.svd(Tensor.zeros(3, 0), false).vh().shape());
        assertArrayEquals(new int[] {3, 3}, Linalg.svd(Tensor.zeros(3, 0), true).u().shape());
        assertArrayEquals(new int[] {2, 3, 0}, Linalg.pinv(Tensor.zeros(2, 0, 3)).shape());
        assertArrayEquals(new int[] {0, 4, 3}, Linalg.pinv(Tensor.zeros(0, 3, 4)).shape());
    }

    private static void gradCheck(Function<Tensor, Tensor> f, Tensor x, long seed) {
        GradCheck c = GradCheck.of(xs -> f.apply(xs[0])).seed(seed);
        c.check(x);
        c.checkSecondOrder(x);
    }

    @Test
    void gradChecksInBothModesToSecondOrderBeyondTheFixtures() {
        // singular vectors of a tall and a wide matrix through sign-invariant functions, vectors and columns
        gradCheck(x -> {
            Linalg.SVD r = Linalg.svd(x, false);
            return r.u().mul(r.u()).matmul(r.vh().mul(r.vh())).add(r.s().sum());
        }, Tensor.randn(60, 5, 2), 60);
        gradCheck(x -> {
            Linalg.SVD r = Linalg.svd(x, false);
            return mT(r.vh()).mul(r.s().sqrt().unsqueeze(-2)).matmul(r.vh());
        }, Tensor.randn(61, 2, 5), 61);
        gradCheck(x -> Linalg.svd(x, true).vh().slice(-2, 0, 1).abs(), Tensor.randn(62, 1, 4), 62);
        gradCheck(x -> Linalg.svd(x, true).u().slice(-1, 0, 1).abs(), Tensor.randn(63, 4, 1), 63);
        gradCheck(Linalg::svdvals, Tensor.randn(64, 2, 3, 2, 3), 64);
        gradCheck(x -> Linalg.pinv(x).sum(-1), Tensor.randn(65, 2, 6, 3), 65);
        gradCheck(x -> Linalg.matrixNorm(x, "nuc", new int[] {0, -1}, false), Tensor.randn(66, 3, 2, 4), 66);
        gradCheck(x -> Linalg.vectorNorm(x, 2.5, new int[] {-1}, false), Tensor.randn(67, 3, 4), 67);
        gradCheck(x -> Linalg.vectorNorm(x, -0.5, null, true), Tensor.randn(68, 3, 4), 68);
    }

    @Test
    void fullMatricesExtraColumnsCarryNoGradientNorTangentAsInPyTorch() {
        Tensor x = Tensor.randn(70, 5, 2).requiresGrad();
        Linalg.SVD r = Linalg.svd(x, true);
        assertArrayEquals(new double[10], Autodiff.grad(r.u().slice(-1, 2, 5).sum(), x)[0].toArray(), 0.0);
        Tensor du = Autodiff.jvp(t -> Linalg.svd(t, true).u(), x.detach(), Tensor.randn(71, 5, 2)).tangent();
        assertArrayEquals(new double[15], du.slice(-1, 2, 5).toArray(), 0.0);
        Tensor w = Tensor.randn(72, 2, 5).requiresGrad();
        assertArrayEquals(new double[10], Autodiff.grad(Linalg.svd(w, true).vh().slice(-2, 2, 5).sum(), w)[0].toArray(), 0.0);
    }

    @Test
    void repeatedSingularValuesNaNForVectorsFiniteForValuesAsPyTorch() {
        // at A = I (s = 1, 1) PyTorch 1.13 gives NaN everywhere for the gradient of sum(U), and U Vh = I for sum(S)
        Tensor i2 = Tensor.eye(2).requiresGrad();
        for (double g : Autodiff.grad(Linalg.svd(i2).u().sum(), i2)[0].toArray()) {
            assertTrue(Double.isNaN(g));
        }
        assertArrayEquals(new double[] {1, 0, 0, 1}, Autodiff.grad(Linalg.svd(i2).s().sum(), i2)[0].toArray(), 1e-15);
        assertArrayEquals(new double[] {1, 0, 0, 1}, Autodiff.grad(Linalg.svdvals(i2).sum(), i2)[0].toArray(), 1e-15);
        // the tangent of U is not finite there; that of S is diag(U^T dA V), finite (here U = V = I, so diag(dA);
        // the tangent at a tie depends on the basis returned, as in PyTorch)
        Tensor dir = Tensor.fromArray(new double[] {0.5, 2, -1, 3}, 2, 2);
        Tensor du = Autodiff.jvp(t -> Linalg.svd(t).u(), Tensor.eye(2), dir).tangent();
        assertTrue(maxAbs(du) == Double.POSITIVE_INFINITY || Double.isNaN(du.sum().item()));
        assertArrayEquals(new double[] {0.5, 3}, Autodiff.jvp(Linalg::svdvals, Tensor.eye(2), dir).tangent().toArray(), 1e-15);
        // the spectral norm at a tie shares the gradient: (u1 v1^T + u2 v2^T) / 2 = I / 2, whatever the basis
        assertArrayEquals(new double[] {0.5, 0, 0, 0.5}, Autodiff.grad(Linalg.matrixNorm(i2, 2.0), i2)[0].toArray(), 1e-15);
        // the nuclear norm at a zero singular value: gradient U Vh over all pairs, finite (a subgradient)
        Tensor rank1 = Tensor.fromArray(new double[] {3, 0, 0, 0}, 2, 2).requiresGrad();
        Tensor gn = Autodiff.grad(Linalg.matrixNorm(rank1, "nuc"), rank1)[0];
        assertTrue(Double.isFinite(gn.sum().item()));
        assertEquals(1.0, gn.get(0, 0), 1e-15);
    }

    @Test
    void pinvOfARankDeficientMatrixSatisfiesMoorePenroseAndMatchesTheRankOneFormula() {
        // a = u v^T: a^+ = v u^T / (|u|^2 |v|^2)
        Tensor u = Tensor.fromArray(new double[] {1, 2, -2}, 3, 1);
        Tensor v = Tensor.fromArray(new double[] {3, 0, 4, 0}, 4, 1);
        Tensor a = u.matmul(mT(v));
        Tensor p = Linalg.pinv(a);
        assertTrue(maxAbs(p.sub(v.matmul(mT(u)).div(9.0 * 25.0))) <= 1e-16, "rank-1 formula");
        Tensor b = Tensor.randn(80, 5, 2).matmul(Tensor.randn(81, 2, 4)); // rank 2
        for (Tensor m : new Tensor[] {a, b, mT(b)}) {
            Tensor q = Linalg.pinv(m, 1e-10, false);
            assertTrue(maxAbs(m.matmul(q).matmul(m).sub(m)) <= 1e-13, "A A+ A = A");
            assertTrue(maxAbs(q.matmul(m).matmul(q).sub(q)) <= 1e-13, "A+ A A+ = A+");
            assertTrue(maxAbs(m.matmul(q).sub(mT(m.matmul(q)))) <= 1e-13, "A A+ symmetric");
            assertTrue(maxAbs(q.matmul(m).sub(mT(q.matmul(m)))) <= 1e-13, "A+ A symmetric");
        }
        // the default rtol, max(m, n) eps, cuts a singular value 1e-17 times the largest
        Tensor nearlySingular = Tensor.fromArray(new double[] {1, 0, 0, 1e-17}, 2, 2);
        assertArrayEquals(new double[] {1, 0, 0, 0}, Linalg.pinv(nearlySingular).toArray(), 0.0);
        assertArrayEquals(new double[] {1, 0, 0, 1e17}, Linalg.pinv(nearlySingular, 0.0, false).toArray(), 1e3);
        // hermitian reads the lower triangle only
        Tensor lower = Tensor.fromArray(new double[] {2, 99, 1, 3}, 2, 2);
        Tensor sym = Tensor.fromArray(new double[] {2, 1, 1, 3}, 2, 2);
        assertTrue(maxAbs(Linalg.pinv(lower, 1e-15, true).sub(Linalg.inv(sym))) <= 1e-15);
        // the gradient at the rank-deficient b is finite and checks against finite differences along the same-rank
        // manifold: through the factors
        gradCheck(x -> Linalg.pinv(x.slice(-1, 0, 2).matmul(mT(x.slice(0, 0, 3).slice(-1, 2, 4))), 1e-9, false),
                Tensor.randn(82, 5, 4), 82);
    }

    @Test
    void normsByHand() {
        Tensor a = Tensor.fromArray(new double[] {1, -2, 3, -4}, 2, 2);
        assertEquals(Math.sqrt(30), Linalg.matrixNorm(a).item(), 1e-15);
        assertEquals(6, Linalg.matrixNorm(a, 1.0).item(), 0.0); // column sums 4, 6
        assertEquals(4, Linalg.matrixNorm(a, -1.0).item(), 0.0);
        assertEquals(7, Linalg.matrixNorm(a, Double.POSITIVE_INFINITY).item(), 0.0); // row sums 3, 7
        assertEquals(3, Linalg.matrixNorm(a, Double.NEGATIVE_INFINITY).item(), 0.0);
        // singular values of [[1, -2], [3, -4]]: s1^2 + s2^2 = 30, s1 s2 = |det| = 2
        double s1 = Math.sqrt((30 + Math.sqrt(900 - 16)) / 2);
        double s2 = 2 / s1;
        assertEquals(s1, Linalg.matrixNorm(a, 2.0).item(), 1e-14);
        assertEquals(s2, Linalg.matrixNorm(a, -2.0).item(), 1e-14);
        assertEquals(s1 + s2, Linalg.matrixNorm(a, "nuc").item(), 1e-14);
        assertArrayEquals(new int[] {1, 1}, Linalg.matrixNorm(a, "nuc", new int[] {-1, 0}, true).shape());
        // vector norms at and around zeros, PyTorch's values and subgradients
        Tensor x = Tensor.fromArray(new double[] {0, 2, -3}).requiresGrad();
        assertEquals(2, Linalg.vectorNorm(x, 0, null, false).item(), 0.0);
        Tensor half = Linalg.vectorNorm(x, 0.5, null, false);
        assertEquals(Math.pow(Math.sqrt(2) + Math.sqrt(3), 2), half.item(), 1e-14);
        Tensor gh = Autodiff.grad(half, x)[0];
        assertEquals(0.0, gh.get(0), 0.0);
        assertEquals(Math.pow(half.item(), 0.5) * Math.pow(2, -0.5), gh.get(1), 1e-14); // n^(1-p) |x|^(p-1) sign x
        Tensor neg = Linalg.vectorNorm(x, -1, null, false);
        assertEquals(0.0, neg.item(), 0.0);
        assertArrayEquals(new double[3], Autodiff.grad(neg, x)[0].toArray(), 0.0);
        Tensor z = Tensor.zeros(3).requiresGrad();
        assertArrayEquals(new double[3], Autodiff.grad(Linalg.vectorNorm(z, 3, null, false), z)[0].toArray(), 0.0);
        assertArrayEquals(new double[3], Autodiff.grad(Linalg.vectorNorm(z, 0.5, null, false), z)[0].toArray(), 0.0);
        // second derivatives: at a zero element 0 for every p (PyTorch's double backward gives NaN there for
        // p < 2); elsewhere (p - 1) N^(1-p) |x_i|^(p-2) delta_ij - (p - 1) N^(1-2p) d_i d_j, d_i = |x_i|^(p-1) sgn x_i
        for (double p : new double[] {0.5, 1.5, 3, -1}) {
            Tensor h = Autodiff.hessian(t -> Linalg.vectorNorm(t, p, null, false), x.detach());
            Tensor h0 = Autodiff.hessian(t -> Linalg.vectorNorm(t, p, null, false), Tensor.zeros(3));
            assertArrayEquals(new double[9], h0.toArray(), 0.0, "p = " + p + " at 0");
            double nrm = p < 0 ? 0 : Math.pow(Math.pow(2, p) + Math.pow(3, p), 1 / p);
            double[] xs = {0, 2, -3};
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    double e = 0;
                    if (p > 0 && i > 0 && j > 0) {
                        double di = Math.pow(Math.abs(xs[i]), p - 1) * Math.signum(xs[i]);
                        double dj = Math.pow(Math.abs(xs[j]), p - 1) * Math.signum(xs[j]);
                        e = (i == j ? (p - 1) * Math.pow(nrm, 1 - p) * Math.pow(Math.abs(xs[i]), p - 2) : 0)
                                - (p - 1) * Math.pow(nrm, 1 - 2 * p) * di * dj;
                    }
                    assertEquals(e, h.get(i, j), 1e-14, "p = " + p + " H[" + i + "][" + j + "]");
                }
            }
        }
        Tensor y = Tensor.fromArray(new double[] {0, 2, -3});
        assertEquals(Math.cbrt(35), Linalg.vectorNorm(y, 3, new int[] {0}, false).item(), 1e-14);
    }

    private static void throwsNaming(String op, String part, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith(op + ":") && e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void errorsNameTheOp() {
        throwsNaming("svd", "(..., m, n)", () -> Linalg.svd(Tensor.ones(3)));
        throwsNaming("svdvals", "(..., m, n)", () -> Linalg.svdvals(Tensor.scalar(1)));
        throwsNaming("pinv", "(..., m, n)", () -> Linalg.pinv(Tensor.ones(3)));
        throwsNaming("matrixNorm", "at least 2 dimensions", () -> Linalg.matrixNorm(Tensor.ones(3)));
        Tensor nan = Tensor.fromArray(new double[] {1, Double.NaN, 0, 1}, 2, 2);
        Tensor inf = Tensor.fromArray(new double[] {1, 2, Double.POSITIVE_INFINITY, 1, 0, 0, 1, 1}, 2, 2, 2);
        throwsNaming("svd", "not finite", () -> Linalg.svd(nan));
        throwsNaming("svd", "at batch index 0 is not finite", () -> Linalg.svd(inf, false));
        throwsNaming("svdvals", "not finite", () -> Linalg.svdvals(nan));
        throwsNaming("pinv", "not finite", () -> Linalg.pinv(nan));
        throwsNaming("matrixNorm", "not finite", () -> Linalg.matrixNorm(nan, "nuc"));
        throwsNaming("matrixNorm", "not finite", () -> Linalg.matrixNorm(nan, 2.0));
        throwsNaming("matrixNorm", "ord must be", () -> Linalg.matrixNorm(Tensor.eye(2), "spectral"));
        throwsNaming("matrixNorm", "ord must be", () -> Linalg.matrixNorm(Tensor.eye(2), 3.0));
        throwsNaming("matrixNorm", "two different", () -> Linalg.matrixNorm(Tensor.eye(2), "fro", new int[] {1, -1}, false));
        throwsNaming("matrixNorm", "out of range", () -> Linalg.matrixNorm(Tensor.eye(2), 1.0, new int[] {0, 2}, false));
        throwsNaming("matrixNorm", "two dimensions", () -> Linalg.matrixNorm(Tensor.eye(2), "nuc", new int[] {0}, false));
        throwsNaming("matrixNorm", "empty", () -> Linalg.matrixNorm(Tensor.zeros(2, 0), 1.0));
        assertEquals(0.0, Linalg.matrixNorm(Tensor.zeros(0, 2), 1.0).item(), 0.0); // the max of two empty column sums
        throwsNaming("matrixNorm", "empty", () -> Linalg.matrixNorm(Tensor.zeros(3, 0), -2.0));
        assertEquals(0.0, Linalg.matrixNorm(Tensor.zeros(3, 0), "nuc").item(), 0.0);
        assertEquals(0.0, Linalg.matrixNorm(Tensor.zeros(3, 0), Double.POSITIVE_INFINITY).item(), 0.0); // max of 3 zeros
        throwsNaming("vectorNorm", "axis", () -> Linalg.vectorNorm(Tensor.ones(2), 2, new int[] {1}, false));
        throwsNaming("vectorNorm", "NaN", () -> Linalg.vectorNorm(Tensor.ones(2), Double.NaN, null, false));
        throwsNaming("pinv", "square", () -> Linalg.pinv(Tensor.ones(2, 3), 1e-15, true));
        throwsNaming("pinv", "rtol", () -> Linalg.pinv(Tensor.ones(2, 3), -1, false));
    }

    @Test
    void kernelReportsNonConvergenceWithinItsSweepCap() {
        double[] a = Tensor.randn(90, 6, 6).toArray();
        double[] u = new double[36];
        double[] s = new double[6];
        double[] vh = new double[36];
        assertEquals(Svd.NO_CONVERGENCE, Svd.svd(a, 0, 6, 6, false, u, 0, s, 0, vh, 0, 1));
        assertEquals(Svd.OK, Svd.svd(a, 0, 6, 6, false, u, 0, s, 0, vh, 0, Svd.MAX_SWEEPS));
    }
}
