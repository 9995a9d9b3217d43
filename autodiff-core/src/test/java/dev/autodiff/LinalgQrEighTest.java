package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import dev.autodiff.kernel.Orthogonal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Linalg.qr, eigh, eigvalsh against oracles other than PyTorch: finite differences (GradCheck, both modes, second
 * order), the defining identities (Q R = A, Q^T Q = I, R upper triangular, A V = V diag(L), V^T V = I), eigenvalues
 * fixed by construction, a batch against a loop over its matrices, and the error and repeated-eigenvalue behaviour.
 */
class LinalgQrEighTest {
    private static final Map<String, Function<Tensor, Tensor>> SMOOTH = new LinkedHashMap<>();
    private static final Map<String, int[]> SHAPES = new LinkedHashMap<>();

    private static void smooth(String name, int[] shape, Function<Tensor, Tensor> f) {
        SMOOTH.put(name, f);
        SHAPES.put(name, shape);
    }

    static {
        smooth("qr square", new int[] {3, 3}, x -> LinalgQrEighTorchTest.qrPacked(x, "reduced"));
        smooth("qr tall", new int[] {4, 2}, x -> LinalgQrEighTorchTest.qrPacked(x, "reduced"));
        smooth("qr wide", new int[] {2, 4}, x -> LinalgQrEighTorchTest.qrPacked(x, "reduced"));
        smooth("qr batched", new int[] {2, 3, 2}, x -> LinalgQrEighTorchTest.qrPacked(x, "reduced"));
        smooth("qr complete wide", new int[] {2, 3}, x -> LinalgQrEighTorchTest.qrPacked(x, "complete"));
        smooth("qr r only", new int[] {3, 3}, x -> Linalg.qr(x).r());
        smooth("eigh", new int[] {3, 3}, x -> LinalgQrEighTorchTest.eighPacked(LinalgQrEighTorchTest.sym(x), "L"));
        smooth("eigh upper batched", new int[] {2, 3, 3}, x -> LinalgQrEighTorchTest.eighPacked(LinalgQrEighTorchTest.sym(x), "U"));
        smooth("eigh vectors", new int[] {4, 4}, x -> Linalg.eigh(LinalgQrEighTorchTest.sym(x)).eigenvectors());
        smooth("eigvalsh", new int[] {4, 4}, x -> Linalg.eigvalsh(LinalgQrEighTorchTest.sym(x)));
    }

    static Stream<String> smoothNames() {
        return SMOOTH.keySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smoothNames")
    void gradChecksInBothModesToSecondOrder(String name) {
        Function<Tensor, Tensor> f = SMOOTH.get(name);
        Tensor x = Tensor.randn(name.hashCode(), SHAPES.get(name));
        GradCheck c = GradCheck.of(xs -> f.apply(xs[0])).seed(name.hashCode());
        c.check(x);
        c.checkSecondOrder(x);
    }

    private static void near(String what, Tensor expected, Tensor actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - a[i]) <= tol, what + ": element " + i + " expected " + e[i] + " got " + a[i]);
        }
    }

    private static Tensor mT(Tensor x) {
        return x.transpose(-2, -1);
    }

    @Test
    void qrReconstructsAndIsOrthogonalAndTriangular() {
        for (int[] s : new int[][] {{6, 6}, {9, 4}, {4, 9}, {2, 3, 7, 5}, {40, 40}}) {
            Tensor a = Tensor.randn(Arrays.hashCode(s), s);
            int m = s[s.length - 2];
            int n = s[s.length - 1];
            int k = Math.min(m, n);
            for (String mode : new String[] {"reduced", "complete"}) {
                Linalg.QR f = Linalg.qr(a, mode);
                int qc = mode.equals("complete") ? m : k;
                assertEquals(qc, f.q().dim(-1), mode + " Q columns");
                assertEquals(qc, f.r().dim(-2), mode + " R rows");
                near(mode + " Q R = A " + Arrays.toString(s), a, f.q().matmul(f.r()), 1e-13 * Math.max(m, n));
                near(mode + " Q^T Q = I", Tensor.eye(qc).broadcastTo(f.q().matmulTransA(f.q()).shape()),
                        f.q().matmulTransA(f.q()), 1e-14 * m);
                assertTrue(f.r().tril(-1).eq(0.0).all().item() == 1.0, "R is upper triangular, exact zeros below");
            }
            near("mode r's R is reduced R", Linalg.qr(a).r(), Linalg.qr(a, "r").r(), 0);
        }
    }

    @Test
    void qrSignsAreLapacks() {
        // the reflector sends column (3, 4) to (-5, 0): R's diagonal takes the opposite sign of the pivot
        Linalg.QR f = Linalg.qr(Tensor.fromArray(new double[] {3, 1, 4, 2}, 2, 2));
        assertEquals(-5.0, f.r().get(0, 0), 1e-15);
        assertEquals(-0.6, f.q().get(0, 0), 1e-15);
        assertEquals(-0.8, f.q().get(1, 0), 1e-15);
        // Q = H = [[-0.6, -0.8], [-0.8, 0.6]]; the last reflector has nothing below the diagonal, so H = I there
        // and R_11 = q_1 . a_1 = 0.4 keeps its sign
        assertEquals(-0.8, f.q().get(0, 1), 1e-15);
        assertEquals(0.6, f.q().get(1, 1), 1e-15);
        assertEquals(-2.2, f.r().get(0, 1), 1e-15);
        assertEquals(0.4, f.r().get(1, 1), 1e-15);
        assertEquals(-2.0, Linalg.qr(Tensor.fromArray(new double[] {-2}, 1, 1)).r().item());
        assertEquals(1.0, Linalg.qr(Tensor.fromArray(new double[] {-2}, 1, 1)).q().item());
    }

    @Test
    void qrAtNaNAndRankDeficiencyAsLapackAndPyTorch() {
        // nothing below the NaN pivot: H = I, so Q = I and the NaN stays in R (LAPACK's and PyTorch's result)
        Linalg.QR f = Linalg.qr(Tensor.fromArray(new double[] {Double.NaN, 1, 0, 1}, 2, 2));
        assertArrayEquals(new double[] {1, 0, 0, 1}, f.q().toArray(), 0); // -0.0 below the diagonal, as LAPACK
        assertTrue(Double.isNaN(f.r().get(0, 0)));
        assertArrayEquals(new double[] {1, 0, 1}, new double[] {f.r().get(0, 1), f.r().get(1, 0), f.r().get(1, 1)});
        // a zero column: R_00 = 0, the derivatives divide by it; PyTorch gives NaN in that column, 1 elsewhere
        Tensor a = Tensor.fromArray(new double[] {0, 1, 0, 1}, 2, 2).requiresGrad();
        Tensor g = Autodiff.grad(Linalg.qr(a).r().sum(), a)[0];
        assertTrue(Double.isNaN(g.get(0, 0)) && Double.isNaN(g.get(1, 0)), g.toString());
        assertEquals(1.0, g.get(0, 1), 1e-15);
        assertEquals(1.0, g.get(1, 1), 1e-15);
    }

    @Test
    void eighReconstructsWithOrthonormalVectorsAscendingValuesAndItsSignConvention() {
        for (int[] s : new int[][] {{1, 1}, {2, 2}, {7, 7}, {3, 2, 5, 5}, {60, 60}}) {
            Tensor x = Tensor.randn(Arrays.hashCode(s), s);
            Tensor a = x.add(mT(x));
            int n = s[s.length - 1];
            Linalg.Eigh e = Linalg.eigh(a);
            Tensor v = e.eigenvectors();
            Tensor l = e.eigenvalues();
            double scale = n * Math.max(1, a.abs().max().item());
            near("A V = V diag(L) " + Arrays.toString(s), a.matmul(v), v.mul(l.unsqueeze(-2)), 1e-14 * scale);
            near("V diag(L) V^T = A", a, v.mul(l.unsqueeze(-2)).matmul(mT(v)), 1e-14 * scale);
            near("V^T V = I", Tensor.eye(n).broadcastTo(v.shape()), v.matmulTransA(v), 1e-14 * n);
            double[] lv = l.toArray();
            for (int i = 0; i + 1 < lv.length; i++) {
                assertTrue((i + 1) % n == 0 || lv[i] <= lv[i + 1], "ascending");
            }
            double[] vv = v.toArray();
            for (int b = 0; b < vv.length / (n * n); b++) {
                for (int j = 0; j < n; j++) {
                    int big = 0;
                    for (int i = 1; i < n; i++) {
                        if (Math.abs(vv[b * n * n + i * n + j]) > Math.abs(vv[b * n * n + big * n + j])) {
                            big = i;
                        }
                    }
                    assertTrue(vv[b * n * n + big * n + j] > 0, "largest-magnitude component positive");
                }
            }
            // without derivatives eigvalsh skips the eigenvectors: the same bits
            near("eigvalsh = eigh's eigenvalues", l, Linalg.eigvalsh(a), 0);
            near("eigvalsh recorded = unrecorded", Linalg.eigvalsh(a.detach().requiresGrad()).detach(), Linalg.eigvalsh(a), 0);
        }
    }

    @Test
    void eigenvaluesFixedByConstruction() {
        // A = Q diag(w) Q^T for an orthogonal Q: eigenvalues w, sorted; two equal ones included
        int n = 64;
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = Math.sin(7.0 * i) * 10;
        }
        w[5] = w[9];
        Tensor q = Linalg.qr(Tensor.randn(64, n, n)).q();
        Tensor a = q.mul(Tensor.fromArray(w).unsqueeze(0)).matmul(mT(q));
        double[] sorted = w.clone();
        Arrays.sort(sorted);
        near("eigenvalues", Tensor.fromArray(sorted), Linalg.eigvalsh(a), 1e-12);
        near("eigenvalues from the upper triangle", Tensor.fromArray(sorted), Linalg.eigvalsh(a, "U"), 1e-12);
    }

    @Test
    void eighReadsOnlyTheChosenTriangle() {
        Tensor x = Tensor.randn(5, 4, 4);
        Tensor junk = Tensor.randn(6, 4, 4);
        Linalg.Eigh lo = Linalg.eigh(x.tril().add(junk.triu(1)), "L");
        Linalg.Eigh lo2 = Linalg.eigh(x.tril().add(mT(x.tril(-1))));
        assertArrayEquals(lo2.eigenvalues().toArray(), lo.eigenvalues().toArray());
        assertArrayEquals(lo2.eigenvectors().toArray(), lo.eigenvectors().toArray());
        Linalg.Eigh up = Linalg.eigh(mT(x.tril()).add(junk.tril(-1)), "U");
        assertArrayEquals(lo2.eigenvalues().toArray(), up.eigenvalues().toArray());
        assertArrayEquals(lo2.eigenvectors().toArray(), up.eigenvectors().toArray());
    }

    @Test
    void aBatchIsALoopOverItsMatricesAndRunsAreDeterministic() {
        Tensor a = Tensor.randn(7, 2, 3, 5, 4);
        Tensor s = Tensor.randn(8, 2, 3, 5, 5);
        s = s.add(mT(s));
        Linalg.QR f = Linalg.qr(a);
        Linalg.Eigh e = Linalg.eigh(s);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                Tensor ai = a.slice(0, i, i + 1).slice(1, j, j + 1).squeeze(0).squeeze(0);
                Tensor si = s.slice(0, i, i + 1).slice(1, j, j + 1).squeeze(0).squeeze(0);
                Linalg.QR fi = Linalg.qr(ai);
                Linalg.Eigh ei = Linalg.eigh(si);
                assertArrayEquals(fi.q().toArray(), f.q().slice(0, i, i + 1).slice(1, j, j + 1).toArray());
                assertArrayEquals(fi.r().toArray(), f.r().slice(0, i, i + 1).slice(1, j, j + 1).toArray());
                assertArrayEquals(ei.eigenvalues().toArray(), e.eigenvalues().slice(0, i, i + 1).slice(1, j, j + 1).toArray());
                assertArrayEquals(ei.eigenvectors().toArray(), e.eigenvectors().slice(0, i, i + 1).slice(1, j, j + 1).toArray());
            }
        }
        Tensor big = Tensor.randn(9, 50, 50);
        big = big.add(mT(big));
        assertArrayEquals(Linalg.eigh(big).eigenvectors().toArray(), Linalg.eigh(big).eigenvectors().toArray());
        assertArrayEquals(Linalg.qr(big).q().toArray(), Linalg.qr(big).q().toArray());
        Fn perExample = xs -> Autodiff.valueAndGrad(ys -> {
            Linalg.Eigh ey = Linalg.eigh(ys[0]);
            return ey.eigenvectors().sum().add(ey.eigenvalues().square().sum());
        }, xs[0]).grads()[0];
        Tensor s0 = s.slice(0, 0, 1).squeeze(0);
        Tensor gm = Autodiff.vmap(perExample, new Integer[] {0}, 0).apply(s0);
        for (int j = 0; j < 3; j++) {
            Tensor sj = s0.slice(0, j, j + 1).squeeze(0);
            assertArrayEquals(perExample.apply(sj).toArray(), gm.slice(0, j, j + 1).squeeze(0).toArray(), "vmap(grad) = a loop of grads");
        }
        Tensor vm = Autodiff.vmap(xs -> Linalg.eigvalsh(xs[0]), new Integer[] {0}, 0).apply(s.slice(0, 0, 1).squeeze(0));
        assertArrayEquals(e.eigenvalues().slice(0, 0, 1).squeeze(0).toArray(), vm.toArray());
    }

    /** vmap runs qr and eigh once on the whole batch (no per-example loop, no warning) and agrees with a loop. */
    @Test
    void vmapRunsOnceOnTheBatchAndAgreesWithALoop() {
        Map<String, Fn> ops = new LinkedHashMap<>();
        ops.put("qr", t -> LinalgQrEighTorchTest.qrPacked(t[0], "reduced"));
        ops.put("qr wide complete", t -> LinalgQrEighTorchTest.qrPacked(t[0].slice(0, 0, 2), "complete"));
        ops.put("eigh", t -> LinalgQrEighTorchTest.eighPacked(LinalgQrEighTorchTest.sym(t[0]), "U"));
        ops.put("eigvalsh", t -> Linalg.eigvalsh(LinalgQrEighTorchTest.sym(t[0])));
        Tensor a = Tensor.randn(30, 4, 3, 3);
        Tensor va = Tensor.randn(31, 4, 3, 3);
        Tensor a2 = Tensor.randn(32, 2, 4, 3, 3);
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("dev.autodiff.vmap");
        java.util.List<String> warnings = new java.util.ArrayList<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                warnings.add(r.getParameters() == null ? r.getMessage()
                        : java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(h);
        try {
            for (Map.Entry<String, Fn> e : ops.entrySet()) {
                Fn f = e.getValue();
                String k = e.getKey();
                Integer[] ax = {0};
                near(k + ": vmap", VmapTest.loop(f, ax, 0, a), Autodiff.vmap(f, ax, 0).apply(a), 1e-13);
                Fn grad = t -> Autodiff.valueAndGrad(u -> f.apply(u).mul(f.apply(u)).sum(), t).grads()[0];
                near(k + ": vmap(grad)", VmapTest.loop(grad, ax, 0, a), Autodiff.vmap(grad, ax, 0).apply(a), 1e-12);
                Fn tangent = t -> Autodiff.jvp(f, new Tensor[] {t[0]}, new Tensor[] {t[1]}).tangent();
                near(k + ": jvp in vmap", VmapTest.loop(tangent, new Integer[] {0, 0}, 0, a, va),
                        Autodiff.vmap(tangent, new Integer[] {0, 0}, 0).apply(a, va), 1e-12);
                Fn inner = t -> VmapTest.loop(f, ax, 0, t);
                near(k + ": nested", VmapTest.loop(inner, ax, 0, a2), Autodiff.vmap(Autodiff.vmap(f, ax, 0), ax, 0).apply(a2), 1e-13);
            }
        } finally {
            log.removeHandler(h);
        }
        for (String w : warnings) {
            assertFalse(w.contains("'qr'") || w.contains("'eigh'") || w.contains("'eigvalsh'"), w);
        }
    }

    @Test
    void emptyShapes() {
        assertArrayEquals(new int[] {0, 3, 2}, Linalg.qr(Tensor.zeros(0, 3, 2)).q().shape());
        assertArrayEquals(new int[] {3, 0}, Linalg.qr(Tensor.zeros(3, 0)).q().shape());
        assertArrayEquals(new int[] {0, 0}, Linalg.qr(Tensor.zeros(3, 0)).r().shape());
        assertArrayEquals(Tensor.eye(3).toArray(), Linalg.qr(Tensor.zeros(3, 0), "complete").q().toArray());
        assertArrayEquals(new int[] {0, 4}, Linalg.eigh(Tensor.zeros(0, 4, 4)).eigenvalues().shape());
        assertArrayEquals(new int[] {0}, Linalg.eigvalsh(Tensor.zeros(0, 0)).shape());
        assertArrayEquals(new int[] {0, 0}, Linalg.eigh(Tensor.zeros(0, 0)).eigenvectors().shape());
    }

    private static void throwsNaming(String op, String part, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith(op + ":") && e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void badInputNamesTheOp() {
        throwsNaming("qr", "\"full\"", () -> Linalg.qr(Tensor.ones(2, 2), "full"));
        throwsNaming("qr", "null", () -> Linalg.qr(Tensor.ones(2, 2), null));
        throwsNaming("qr", "[3]", () -> Linalg.qr(Tensor.ones(3)));
        assertTrue(assertThrows(NullPointerException.class, () -> Linalg.qr(null)).getMessage().startsWith("qr:"));
        assertTrue(assertThrows(NullPointerException.class, () -> Linalg.eigvalsh(null)).getMessage().startsWith("eigvalsh:"));
        throwsNaming("eigh", "square", () -> Linalg.eigh(Tensor.ones(2, 3)));
        throwsNaming("eigh", "[3]", () -> Linalg.eigh(Tensor.ones(3)));
        throwsNaming("eigh", "\"l\"", () -> Linalg.eigh(Tensor.eye(2), "l"));
        throwsNaming("eigvalsh", "square", () -> Linalg.eigvalsh(Tensor.ones(2, 3)));
        throwsNaming("eigvalsh", "uplo", () -> Linalg.eigvalsh(Tensor.eye(2), "X"));
        Tensor nan = Tensor.fromArray(new double[] {1, 0, Double.NaN, 1}, 2, 2);
        throwsNaming("eigh", "NaN", () -> Linalg.eigh(nan));
        throwsNaming("eigvalsh", "NaN", () -> Linalg.eigvalsh(nan));
        Tensor inf = Tensor.fromArray(new double[] {1, 0, 0, 1, 1, 0, 0, Double.POSITIVE_INFINITY}, 2, 2, 2);
        throwsNaming("eigh", "batch index 1", () -> Linalg.eigh(inf));
        // the upper triangle is not read: a NaN there is no error
        assertArrayEquals(new double[] {1, 1}, Linalg.eigvalsh(Tensor.fromArray(new double[] {1, Double.NaN, 0, 1}, 2, 2)).toArray());
        // the kernel gives up on a matrix it cannot reduce rather than looping
        double[] bad = {1, Double.NaN, Double.NaN, 1};
        assertFalse(Orthogonal.symmetricEigen(bad, 0, 2, false, new double[2], 0, new double[4], 0));
    }

    @Test
    void nonDifferentiableQrModesThrowAsPyTorchRaises() {
        Tensor a = Tensor.randn(3, 4, 2).requiresGrad();
        Tensor r = Linalg.qr(a, "r").r().sum();
        throwsNaming("qr", "mode \"r\"", () -> Autodiff.grad(r, a));
        throwsNaming("qr", "mode \"r\"", () -> Autodiff.jvp(x -> Linalg.qr(x, "r").r(), a.detach(), Tensor.ones(4, 2)));
        Tensor c = Linalg.qr(a, "complete").q().sum();
        throwsNaming("qr", "m > n", () -> Autodiff.grad(c, a));
        throwsNaming("qr", "m > n", () -> Autodiff.jvp(x -> Linalg.qr(x, "complete").q(), a.detach(), Tensor.ones(4, 2)));
        // complete mode of a wide (or square) matrix is the reduced one, and differentiable
        Tensor w = Tensor.randn(4, 2, 3).requiresGrad();
        assertTrue(Double.isFinite(Autodiff.grad(Linalg.qr(w, "complete").q().sum(), w)[0].sum().item()));
    }

    @Test
    void repeatedEigenvaluesEigenvectorDerivativesAreNotFiniteAsPyTorchEigenvaluesOnesAre() {
        // A = diag(2, 2, 5): the eigenvectors of the double eigenvalue are any basis of its plane
        Tensor a = Tensor.fromArray(new double[] {2, 0, 0, 0, 2, 0, 0, 0, 5}, 3, 3);
        Tensor x = a.detach().requiresGrad();
        Tensor gv = Autodiff.grad(Linalg.eigh(x).eigenvectors().mul(Tensor.randn(1, 3, 3)).sum(), x)[0];
        assertFalse(allFinite(gv), "gradient through the eigenvectors, as PyTorch's: NaN/inf");
        Tensor dv = Autodiff.jvp(t -> Linalg.eigh(t).eigenvectors(), a, LinalgQrEighTorchTest.sym(Tensor.randn(2, 3, 3))).tangent();
        assertFalse(allFinite(dv), "tangent of the eigenvectors: NaN/inf");
        // through the eigenvalues alone: V diag(gL) V^T, finite; with gL = (1, 1, 3) it is diag(1, 1, 3) whatever V is
        Tensor gl = Tensor.fromArray(new double[] {1, 1, 3});
        Tensor x2 = a.detach().requiresGrad();
        near("eigvalsh gradient", Tensor.fromArray(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 3}, 3, 3),
                Autodiff.grad(Linalg.eigvalsh(x2).mul(gl).sum(), x2)[0], 1e-15);
        Tensor x3 = a.detach().requiresGrad();
        near("eigh's eigenvalues' gradient", Tensor.fromArray(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 3}, 3, 3),
                Autodiff.grad(Linalg.eigh(x3).eigenvalues().mul(gl).sum(), x3)[0], 1e-15);
        // also when the first gradient is recorded for a second (a loss nonlinear in L, under createGraph)
        Tensor x4 = a.detach().requiresGrad();
        Tensor g4 = Autodiff.grad(Linalg.eigh(x4).eigenvalues().square().sum(), true, x4)[0];
        near("recorded eigenvalues' gradient", Tensor.fromArray(new double[] {4, 0, 0, 0, 4, 0, 0, 0, 10}, 3, 3), g4, 1e-14);
        // dL = diag(V^T dA V): the trace of dA's block on the double eigenvalue splits over it; its sum is exact
        Tensor da = LinalgQrEighTorchTest.sym(Tensor.randn(3, 3, 3));
        Tensor dl = Autodiff.jvp(t -> Linalg.eigvalsh(t), a, da).tangent();
        assertTrue(allFinite(dl));
        assertEquals(da.get(2, 2), dl.get(2), 1e-15);
        assertEquals(da.get(0, 0) + da.get(1, 1), dl.get(0) + dl.get(1), 1e-14);
    }

    private static boolean allFinite(Tensor t) {
        return Arrays.stream(t.toArray()).allMatch(Double::isFinite);
    }

    @Test
    void eighGradientIsSymmetricAndTangentsAreSymmetrised() {
        // PyTorch's convention: derivatives with respect to a symmetric A; an antisymmetric tangent changes nothing
        Tensor s = Tensor.randn(11, 4, 4);
        s = s.add(mT(s));
        Tensor x = s.detach().requiresGrad();
        Tensor g = Autodiff.grad(LinalgQrEighTorchTest.eighPacked(x, "L").mul(Tensor.randn(12, 20)).sum(), x)[0];
        near("symmetric gradient", g, mT(g), 1e-14);
        Tensor k = Tensor.randn(13, 4, 4);
        Tensor anti = k.sub(mT(k));
        Tensor t = Autodiff.jvp(y -> LinalgQrEighTorchTest.eighPacked(y, "L"), s, anti).tangent();
        near("antisymmetric tangent", Tensor.zeros(20), t, 0);
    }
}
