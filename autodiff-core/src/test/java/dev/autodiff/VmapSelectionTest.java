package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * vmap of the selection ops, of gathering by a batched index and of the linear algebra (custom ops batched over
 * leading dimensions), against the oracle that defines vmap: the unbatched op on each example's slices, stacked.
 * The selections must agree bit for bit (the same stable order per example, the values copied through it), ties,
 * signed zeros, infinities and NaN included; the linear algebra to rounding (its rules' matrix products may sum in
 * another order when their shape gains the batch axis).
 */
class VmapSelectionTest {
    private static final double LINALG_TOL = 1e-12;

    private static Integer[] axes(Integer... a) {
        return a;
    }

    /** Values drawn from a small pool: many ties, -0.0 beside 0.0, both infinities and NaN. */
    private static Tensor tied(long seed, int... shape) {
        double[] pool = {-1.0, -0.0, 0.0, 0.5, 0.5, 1.0, 2.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.NaN};
        Random r = new Random(seed);
        double[] v = new double[Tensor.zeros(shape).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = pool[r.nextInt(pool.length)];
        }
        return Tensor.fromArray(v, shape);
    }

    /** Equal shapes and equal bits (-0.0 differs from 0.0; every NaN is one NaN). */
    private static void assertBits(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(Double.doubleToLongBits(e[i]), Double.doubleToLongBits(a[i]),
                    what + ": element " + i + ", expected " + e[i] + " got " + a[i]);
        }
    }

    private static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertArrayEquals(expected.toArray(), actual.toArray(), tol, what);
    }

    /** The selections, values and indices separately; the values' names start with "values". */
    private static Map<String, Fn> selections() {
        Map<String, Fn> ops = new LinkedHashMap<>();
        ops.put("values: sort along 1", a -> a[0].sort(1).values());
        ops.put("indices: sort along 1", a -> a[0].sort(1).indices());
        ops.put("values: sort descending along 0", a -> a[0].sort(0, true).values());
        ops.put("indices: sort descending along 0", a -> a[0].sort(0, true).indices());
        ops.put("indices: argsort descending along -1", a -> a[0].argsort(-1, true));
        ops.put("values: topk 2 largest along 1", a -> a[0].topk(2, 1, true, true).values());
        ops.put("indices: topk 2 largest along 1", a -> a[0].topk(2, 1, true, true).indices());
        ops.put("values: topk 3 smallest along 0", a -> a[0].topk(3, 0, false, true).values());
        ops.put("indices: topk 3 smallest along 0", a -> a[0].topk(3, 0, false, true).indices());
        ops.put("values: kthvalue 2 along 1", a -> a[0].kthvalue(2, 1).values());
        ops.put("indices: kthvalue 2 along 1", a -> a[0].kthvalue(2, 1).indices());
        ops.put("values: kthvalue 3 along 0 keepDims", a -> a[0].kthvalue(3, 0, true).values());
        ops.put("indices: kthvalue 3 along 0 keepDims", a -> a[0].kthvalue(3, 0, true).indices());
        ops.put("values: median along 0", a -> a[0].median(0).values());
        ops.put("indices: median along 0", a -> a[0].median(0).indices());
        ops.put("values: median along 1 keepDims", a -> a[0].median(1, true).values());
        ops.put("indices: median along 1 keepDims", a -> a[0].median(1, true).indices());
        ops.put("values: median of all", a -> a[0].median());
        ops.put("values: gather by its own argsort", a -> a[0].gather(1, a[0].argsort(1, false)));
        ops.put("values: scatterAdd by its own argsort", a -> a[0].scatterAdd(1, a[0].argsort(1, false), a[0].mul(2.0)));
        return ops;
    }

    /** A scalar loss of f's result with fixed weights, so that each position's gradient differs. */
    private static Fn loss(Fn f) {
        return a -> {
            Tensor y = f.apply(a);
            return y.mul(Tensor.randn(7, y.shape())).sum();
        };
    }

    private static Fn grad(Fn f) {
        return a -> Autodiff.valueAndGrad(loss(f), a).grads()[0];
    }

    @Test
    void selectionsAgreeWithTheLoopBitForBit() {
        // lanes of 40 go through the merge sort's merges, not only its runs of 16
        Tensor[] inputs = {tied(1, 6, 4, 5), Tensor.randn(2, 6, 4, 5), tied(14, 4, 3, 40)};
        for (Tensor x : inputs) {
            for (Map.Entry<String, Fn> e : selections().entrySet()) {
                Fn f = e.getValue();
                assertBits(VmapTest.loop(f, axes(0), 0, x), Autodiff.vmap(f, axes(0), 0).apply(x), e.getKey() + ", axis 0");
                // the examples along the last axis, and so the result's
                Tensor xt = x.permute(1, 2, 0);
                assertBits(VmapTest.loop(f, axes(-1), -1, xt), Autodiff.vmap(f, axes(-1), -1).apply(xt),
                        e.getKey() + ", axis -1");
            }
        }
    }

    /** The chosen ties, spelt out for one input: the first occurrence in the stable order, per example. */
    @Test
    void tiesAreBrokenTowardsTheFirstOccurrenceInEveryExample() {
        Tensor x = Tensor.fromArray(new double[] {
            2, 1, 1, 0, // example 0
            1, 1, 2, 1, // example 1
            -0.0, 0.0, 0.0, -0.0}, 3, 4);
        Tensor sorted = Autodiff.vmap(a -> a[0].argsort(0, false)).apply(x);
        assertArrayEquals(new double[] {3, 1, 2, 0, 0, 1, 3, 2, 0, 1, 2, 3}, sorted.toArray(), 0.0);
        Tensor desc = Autodiff.vmap(a -> a[0].argsort(0, true)).apply(x);
        assertArrayEquals(new double[] {0, 1, 2, 3, 2, 0, 1, 3, 0, 1, 2, 3}, desc.toArray(), 0.0);
        Tensor med = Autodiff.vmap(a -> a[0].median(0).indices()).apply(x);
        assertArrayEquals(new double[] {1, 1, 1}, med.toArray(), 0.0); // lower middle of each stable order
        // the median of all elements is the element at the lower middle of the stable order, its sign kept
        Tensor m = Autodiff.vmap(a -> a[0].median()).apply(Tensor.fromArray(new double[] {-0.0, 0.0, 0.0, 1.0}, 1, 4));
        assertEquals(Double.doubleToLongBits(0.0), Double.doubleToLongBits(m.get(0)));
        Tensor m2 = Autodiff.vmap(a -> a[0].median()).apply(Tensor.fromArray(new double[] {1.0, 0.0, -0.0, 3.0}, 1, 4));
        assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(m2.get(0)));
    }

    @Test
    void selectionsNestWithVmap() {
        Tensor x = tied(3, 3, 4, 5, 2); // outer examples along 0, inner along 3 of the original (2 of the example)
        for (Map.Entry<String, Fn> e : selections().entrySet()) {
            Fn f = e.getValue();
            Fn nested = Autodiff.vmap(Autodiff.vmap(f, axes(2), 0), axes(0), 0);
            Fn oracle = a -> VmapTest.loop(f, axes(2), 0, a);
            assertBits(VmapTest.loop(oracle, axes(0), 0, x), nested.apply(x), e.getKey() + ", nested");
        }
    }

    @Test
    void perExampleGradientsAreEachExamplesGradient() {
        Tensor[] inputs = {tied(4, 6, 4, 5).clamp(-3.0, 3.0), Tensor.randn(5, 6, 4, 5)};
        for (Tensor x : inputs) {
            for (Map.Entry<String, Fn> e : selections().entrySet()) {
                if (!e.getKey().startsWith("values")) {
                    continue;
                }
                Fn g = grad(e.getValue());
                assertBits(VmapTest.loop(g, axes(0), 0, x), Autodiff.vmap(g, axes(0), 0).apply(x), e.getKey() + ", vmap(grad)");
                Tensor xt = x.transpose(0, 1);
                assertBits(VmapTest.loop(g, axes(1), 0, xt), Autodiff.vmap(g, axes(1), 0).apply(xt),
                        e.getKey() + ", vmap(grad) over axis 1");
            }
        }
    }

    /** The gradient of the median of all elements is split evenly among its ties, per example. */
    @Test
    void perExampleMedianGradientsSplitAmongEachExamplesTies() {
        Tensor x = Tensor.fromArray(new double[] {
            1, 2, 2, 3, 2, // median 2, three ties
            5, 4, 4, 1, 0}, 2, 5); // median 4, two ties
        Tensor g = Autodiff.vmap(a -> Autodiff.valueAndGrad(b -> b[0].median(), a).grads()[0]).apply(x);
        assertArrayEquals(new double[] {0, 1 / 3.0, 1 / 3.0, 0, 1 / 3.0, 0, 0.5, 0.5, 0, 0}, g.toArray(), 1e-16);
    }

    @Test
    void forwardModeThroughTheBatchedSelections() {
        Tensor x = tied(6, 5, 4, 3).clamp(-3.0, 3.0);
        Tensor v = Tensor.randn(7, 5, 4, 3);
        for (Map.Entry<String, Fn> e : selections().entrySet()) {
            if (!e.getKey().startsWith("values")) {
                continue;
            }
            Fn f = e.getValue();
            Fn each = a -> Autodiff.jvp(b -> f.apply(b), new Tensor[] {a[0]}, new Tensor[] {a[1]}).tangent();
            Tensor expected = VmapTest.loop(each, axes(0, 0), 0, x, v);
            assertBits(expected, Autodiff.vmap(each, axes(0, 0), 0).apply(x, v), e.getKey() + ", jvp inside vmap");
            Tensor outside = Autodiff.jvp(a -> Autodiff.vmap(f).apply(a), x, v).tangent();
            assertBits(expected, outside, e.getKey() + ", vmap inside jvp");
        }
    }

    @Test
    void reverseModeThroughTheBatchedSelections() {
        Tensor x0 = tied(8, 5, 4, 3).clamp(-3.0, 3.0);
        for (Map.Entry<String, Fn> e : selections().entrySet()) {
            if (!e.getKey().startsWith("values")) {
                continue;
            }
            Fn f = e.getValue();
            Tensor x = x0.detach().requiresGrad();
            Tensor y = Autodiff.vmap(f).apply(x);
            Tensor g = Autodiff.grad(y.mul(Tensor.randn(9, y.shape())).sum(), x)[0];
            Tensor xl = x0.detach().requiresGrad();
            Tensor yl = VmapTest.loop(f, axes(0), 0, xl);
            Tensor expected = Autodiff.grad(yl.mul(Tensor.randn(9, yl.shape())).sum(), xl)[0];
            assertBits(expected, g, e.getKey() + ", grad of vmap");
        }
    }

    /** Batched forward mode (n tangents at once) and reverse over it, per example: jacfwd, jacrev, hessian. */
    @Test
    void perExampleJacobiansAndHessians() {
        Tensor x = tied(10, 3, 4, 3).clamp(-3.0, 3.0);
        for (Map.Entry<String, Fn> e : selections().entrySet()) {
            if (!e.getKey().startsWith("values")) {
                continue;
            }
            java.util.function.Function<Tensor, Tensor> f = t -> e.getValue().apply(new Tensor[] {t});
            java.util.function.Function<Tensor, Tensor> cubed = t -> f.apply(t).pow(3.0).mul(Tensor.randn(7, f.apply(t).shape())).sum();
            Map<String, Fn> jacobians = new LinkedHashMap<>();
            jacobians.put("jacfwd", a -> Autodiff.jacfwd(f, a[0]));
            jacobians.put("jacrev", a -> Autodiff.jacrev(f, a[0]));
            jacobians.put("hessian", a -> Autodiff.hessian(cubed, a[0]));
            for (Map.Entry<String, Fn> j : jacobians.entrySet()) {
                assertBits(VmapTest.loop(j.getValue(), axes(0), 0, x), Autodiff.vmap(j.getValue()).apply(x),
                        e.getKey() + ", vmap(" + j.getKey() + ")");
            }
        }
    }

    @Test
    void gatherAndScatterAddTakeABatchedIndex() {
        Tensor x = Tensor.randn(10, 6, 4, 5);
        Tensor shared = Tensor.randn(11, 4, 5);
        Tensor index = Tensor.randn(12, 6, 4, 3).abs().mul(2.0).floor().clamp(0.0, 4.0); // whole numbers in [0, 5)
        Tensor src = Tensor.randn(13, 6, 4, 3);
        Map<String, Fn> ops = new LinkedHashMap<>();
        ops.put("gather", a -> a[0].gather(1, a[1]));
        ops.put("scatterAdd", a -> a[0].scatterAdd(1, a[1], a[2]));
        ops.put("gather's gradient", grad(a -> a[0].gather(1, a[1])));
        ops.put("scatterAdd's gradient for src",
                a -> Autodiff.valueAndGrad(loss(b -> b[0].scatterAdd(1, b[1], b[2].square())), a).grads()[2]);
        for (Map.Entry<String, Fn> e : ops.entrySet()) {
            Fn f = e.getValue();
            assertBits(VmapTest.loop(f, axes(0, 0, 0), 0, x, index, src),
                    Autodiff.vmap(f, axes(0, 0, 0), 0).apply(x, index, src), e.getKey() + ": both batched");
            assertBits(VmapTest.loop(f, axes(null, 0, 0), 0, shared, index, src),
                    Autodiff.vmap(f, axes(null, 0, 0), 0).apply(shared, index, src), e.getKey() + ": shared tensor");
            Tensor index0 = index.slice(0, 0, 1).squeeze(0);
            assertBits(VmapTest.loop(f, axes(0, null, 0), 0, x, index0, src),
                    Autodiff.vmap(f, axes(0, null, 0), 0).apply(x, index0, src), e.getKey() + ": shared index");
            Tensor it = index.permute(1, 2, 0);
            assertBits(VmapTest.loop(f, axes(null, 2, 0), 1, shared, it, src),
                    Autodiff.vmap(f, axes(null, 2, 0), 1).apply(shared, it, src), e.getKey() + ": index batched along 2");
        }
        // the gradient of the shared tensor per example, and its second derivative (zero) through the index
        Fn perExample = a -> Autodiff.valueAndGrad(b -> b[0].gather(1, b[1]).square().sum(), a[0], a[1]).grads()[0];
        assertBits(VmapTest.loop(perExample, axes(null, 0), 0, shared, index),
                Autodiff.vmap(perExample, axes(null, 0), 0).apply(shared, index), "per-example gradient of a shared tensor");
        // reverse mode over vmap into the shared tensor: every example's gradient summed (in another order than the
        // loop's, so to rounding)
        Tensor w = shared.detach().requiresGrad();
        Tensor y = Autodiff.vmap(a -> a[0].gather(1, a[1]).square(), axes(null, 0), 0).apply(w, index);
        Tensor wl = shared.detach().requiresGrad();
        Tensor yl = VmapTest.loop(a -> a[0].gather(1, a[1]).square(), axes(null, 0), 0, wl, index);
        assertClose(Autodiff.grad(yl.sum(), wl)[0], Autodiff.grad(y.sum(), w)[0], 1e-13, "grad of vmap for the shared tensor");
        // a bad index value is named by the op, inside vmap as outside
        Tensor bad = index.add(Tensor.fromArray(new double[] {0, 0, 9}).reshape(1, 1, 3));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Autodiff.vmap(a -> a[0].gather(1, a[1]), axes(null, 0), 0).apply(shared, bad));
        assertTrue(ex.getMessage().startsWith("gather: index value"), ex.getMessage());
    }

    // ================================================================================ linear algebra

    /** Well conditioned: random plus 4 I. */
    private static Tensor wellConditioned(long seed, int n, int... batch) {
        int[] s = java.util.Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = n;
        s[batch.length + 1] = n;
        return Tensor.randn(seed, s).add(Tensor.eye(n).mul(4.0));
    }

    private static Map<String, Fn> linalg() {
        Map<String, Fn> ops = new LinkedHashMap<>();
        ops.put("solve", a -> Linalg.solve(a[0], a[1]));
        ops.put("solve a vector", a -> Linalg.solve(a[0], a[1].slice(1, 0, 1).squeeze(1)));
        ops.put("solve left = false", a -> Linalg.solve(a[0], a[1].transpose(0, 1), false));
        ops.put("solveTriangular upper", a -> Linalg.solveTriangular(a[0], a[1], true));
        ops.put("solveTriangular lower, right, unit", a -> Linalg.solveTriangular(a[0], a[1].transpose(0, 1), false, false, true));
        ops.put("inv", a -> Linalg.inv(a[0]));
        ops.put("cholesky", a -> Linalg.cholesky(a[0].matmul(a[0].transpose(0, 1))));
        ops.put("cholesky upper", a -> Linalg.cholesky(a[0].matmul(a[0].transpose(0, 1)), true));
        ops.put("det", a -> Linalg.det(a[0]));
        ops.put("slogdet", a -> {
            Tensor[] s = Linalg.slogdet(a[0].neg());
            return s[1].add(s[0].mul(10.0));
        });
        // singular vectors through sign-free functions: U diag(S) Vh (= A) weighted, and U diag(S^2) U^T
        ops.put("svd", a -> {
            Linalg.SVD r = Linalg.svd(a[0].slice(1, 0, 2), false);
            return r.u().mul(r.s().square().unsqueeze(0)).matmul(r.u().transpose(0, 1)).add(r.s().sum());
        });
        ops.put("svdvals", a -> Linalg.svdvals(a[0]));
        ops.put("pinv", a -> Linalg.pinv(a[0].slice(0, 0, 2)));
        ops.put("matrixNorm nuc", a -> Linalg.matrixNorm(a[0], "nuc"));
        return ops;
    }

    private static final String[] LINALG_OPS = {"solve", "inv", "solveTriangular", "cholesky", "det", "slogdet", "svd",
        "svdvals", "pinv", "matrixNorm"};

    /** Records what the vmap logger reports while {@code body} runs. */
    private static List<String> vmapWarnings(Runnable body) {
        Logger log = Logger.getLogger("dev.autodiff.vmap");
        List<String> messages = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                messages.add(r.getParameters() == null ? r.getMessage()
                        : java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        try {
            body.run();
        } finally {
            log.removeHandler(h);
        }
        return messages;
    }

    @Test
    void linearAlgebraRunsOnceOnTheBatchAndAgreesWithTheLoop() {
        Tensor a = wellConditioned(20, 3, 5);
        Tensor b = Tensor.randn(21, 5, 3, 2);
        Tensor a0 = wellConditioned(22, 3);
        Tensor b0 = Tensor.randn(23, 3, 2);
        List<String> warnings = vmapWarnings(() -> {
            for (Map.Entry<String, Fn> e : linalg().entrySet()) {
                Fn f = e.getValue();
                String k = e.getKey();
                assertClose(VmapTest.loop(f, axes(0, 0), 0, a, b), Autodiff.vmap(f, axes(0, 0), 0).apply(a, b), LINALG_TOL,
                        k + ": both batched");
                assertClose(VmapTest.loop(f, axes(0, null), 0, a, b0), Autodiff.vmap(f, axes(0, null), 0).apply(a, b0),
                        LINALG_TOL, k + ": shared B");
                assertClose(VmapTest.loop(f, axes(null, 0), 0, a0, b), Autodiff.vmap(f, axes(null, 0), 0).apply(a0, b),
                        LINALG_TOL, k + ": shared A");
                Tensor at = a.permute(1, 2, 0);
                Tensor bt = b.permute(1, 0, 2);
                assertClose(VmapTest.loop(f, axes(2, 1), -1, at, bt), Autodiff.vmap(f, axes(2, 1), -1).apply(at, bt),
                        LINALG_TOL, k + ": in axes 2 and 1, out axis -1");
                // per-example gradients with respect to A and to B
                Fn gradA = t -> Autodiff.valueAndGrad(loss(f), t).grads()[0];
                Fn gradB = t -> Autodiff.valueAndGrad(loss(f), t).grads()[1];
                assertClose(VmapTest.loop(gradA, axes(0, null), 0, a, b0), Autodiff.vmap(gradA, axes(0, null), 0).apply(a, b0),
                        LINALG_TOL, k + ": vmap(grad) for A");
                assertClose(VmapTest.loop(gradB, axes(null, 0), 0, a0, b), Autodiff.vmap(gradB, axes(null, 0), 0).apply(a0, b),
                        LINALG_TOL, k + ": vmap(grad) for B of a shared A");
                // forward mode, inside and outside
                Tensor va = Tensor.randn(24, 5, 3, 3);
                Fn tangent = t -> Autodiff.jvp(f, new Tensor[] {t[0], t[1]}, new Tensor[] {t[2], null}).tangent();
                Tensor expected = VmapTest.loop(tangent, axes(0, 0, 0), 0, a, b, va);
                assertClose(expected, Autodiff.vmap(tangent, axes(0, 0, 0), 0).apply(a, b, va), LINALG_TOL,
                        k + ": jvp inside vmap");
                Tensor outside = Autodiff.jvp(t -> Autodiff.vmap(f, axes(0, 0), 0).apply(t), new Tensor[] {a, b},
                        new Tensor[] {va, null}).tangent();
                assertClose(expected, outside, LINALG_TOL, k + ": vmap inside jvp");
                // nested: 2 x 5 examples
                Tensor a2 = wellConditioned(25, 3, 2, 5);
                Tensor b2 = Tensor.randn(26, 2, 5, 3, 2);
                Fn nested = Autodiff.vmap(Autodiff.vmap(f, axes(0, 0), 0), axes(0, 0), 0);
                Fn inner = t -> VmapTest.loop(f, axes(0, 0), 0, t);
                assertClose(VmapTest.loop(inner, axes(0, 0), 0, a2, b2), nested.apply(a2, b2), LINALG_TOL, k + ": nested");
            }
        });
        for (String op : LINALG_OPS) {
            assertFalse(Batching.looped(op), op + " ran once per example");
            for (String w : warnings) {
                assertFalse(w.contains("'" + op + "'"), w);
            }
        }
    }

    @Test
    void perExampleJacobiansAndHessiansOfLinearAlgebra() {
        Tensor a = wellConditioned(27, 3, 4);
        Map<String, Fn> ops = new LinkedHashMap<>();
        ops.put("jacfwd of inv", t -> Autodiff.jacfwd(Linalg::inv, t[0]));
        ops.put("jacrev of cholesky", t -> Autodiff.jacrev(m -> Linalg.cholesky(m.matmul(m.transpose(0, 1))), t[0]));
        ops.put("hessian of log|det|", t -> Autodiff.hessian(m -> Linalg.slogdet(m)[1], t[0]));
        ops.put("hessian of det", t -> Autodiff.hessian(Linalg::det, t[0]));
        List<String> warnings = vmapWarnings(() -> {
            for (Map.Entry<String, Fn> e : ops.entrySet()) {
                assertClose(VmapTest.loop(e.getValue(), axes(0), 0, a), Autodiff.vmap(e.getValue()).apply(a), LINALG_TOL,
                        e.getKey());
            }
        });
        assertEquals(List.of(), warnings);
    }

    @Test
    void reverseModeOverVmappedLinearAlgebra() {
        for (Map.Entry<String, Fn> e : linalg().entrySet()) {
            Fn f = e.getValue();
            Tensor a = wellConditioned(30, 3, 4).requiresGrad();
            Tensor b = Tensor.randn(31, 4, 3, 2).requiresGrad();
            Tensor[] g = Autodiff.grad(loss(t -> Autodiff.vmap(f, axes(0, 0), 0).apply(t)).apply(a, b), a, b);
            Tensor al = a.detach().requiresGrad();
            Tensor bl = b.detach().requiresGrad();
            Tensor[] gl = Autodiff.grad(loss(t -> VmapTest.loop(f, axes(0, 0), 0, t)).apply(al, bl), al, bl);
            assertClose(gl[0], g[0], LINALG_TOL, e.getKey() + ": gradient for A through vmap");
            assertClose(gl[1], g[1], LINALG_TOL, e.getKey() + ": gradient for B through vmap");
        }
    }

    /** A singular example is still named, with the op's own message (its index is that in the batch). */
    @Test
    void aBadExampleIsNamedByTheOp() {
        Tensor a = wellConditioned(40, 2, 3).mul(Tensor.fromArray(new double[] {1, 0, 1}).reshape(3, 1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Autodiff.vmap(t -> Linalg.inv(t[0])).apply(a));
        assertTrue(e.getMessage().startsWith("inv: the matrix A at batch index 1 is singular"), e.getMessage());
    }

    // ================================================================================ custom ops

    @Test
    void aCustomOpBatchedOverLeadingDimsRunsOnceAndAnotherOncePerExample() {
        int[] calls = new int[2];
        // y = x / sum(x, -1): dy = (dx - y sum(dx)) / s; gx = (g - sum(g y)) / s
        CustomOp.Vjp vjp = (i, g, in, y) -> g.sub(g.mul(y).sum(true, -1)).div(in[0].sum(true, -1));
        CustomOp.Jvp jvp = (in, t, y) -> t[0].sub(y.mul(t[0].sum(true, -1))).div(in[0].sum(true, -1));
        CustomOp marked = CustomOp.batchedOverLeadingDims("vmapSelectionTestMarked", in -> {
            calls[0]++;
            return in[0].div(in[0].sum(true, -1));
        }, vjp, jvp);
        CustomOp looped = CustomOp.of("vmapSelectionTestLooped", in -> {
            calls[1]++;
            return in[0].div(in[0].sum(true, -1));
        }, vjp, jvp);
        Tensor x = Tensor.randn(50, 6, 4).abs().add(0.5);
        List<String> warnings = vmapWarnings(() -> {
            Tensor ym = Autodiff.vmap(t -> marked.apply(t[0])).apply(x);
            Tensor yl = Autodiff.vmap(t -> looped.apply(t[0])).apply(x);
            assertBits(VmapTest.loop(t -> marked.apply(t[0]), axes(0), 0, x), ym, "marked");
            assertBits(VmapTest.loop(t -> looped.apply(t[0]), axes(0), 0, x), yl, "looped");
        });
        // one batched call and 6 loop calls, then 6 + 6 for the oracles
        assertArrayEquals(new int[] {1 + 6, 6 + 6}, calls);
        assertEquals(List.of("vmap: 'vmapSelectionTestLooped' has no batching rule; it runs once per example"), warnings);
        assertTrue(Batching.looped("vmapSelectionTestLooped"));
        assertFalse(Batching.looped("vmapSelectionTestMarked"));
        Fn g = t -> Autodiff.valueAndGrad(loss(u -> marked.apply(u[0])), t).grads()[0];
        assertBits(VmapTest.loop(g, axes(0), 0, x), Autodiff.vmap(g).apply(x), "vmap(grad) of the marked op");
        // an op that does not broadcast as declared is named
        CustomOp liar = CustomOp.batchedOverLeadingDims("vmapSelectionTestLiar", in -> in[0].sum(), (i, gr, in, y) -> gr, null);
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> Autodiff.vmap(t -> liar.apply(t[0])).apply(x));
        assertTrue(ex.getMessage().startsWith("customOp 'vmapSelectionTestLiar' is declared batched over leading"),
                ex.getMessage());
    }
}
