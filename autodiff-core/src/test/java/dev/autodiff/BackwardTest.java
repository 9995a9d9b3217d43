package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

class BackwardTest {
    @Test
    void millionOpChainBackpropagatesWithoutStackOverflow() {
        Tensor x = Tensor.scalar(0.5).requiresGrad();
        Tensor y = x;
        // y = x + 1e-6 * n after n steps of y <- y * 1 + 1e-6; dy/dx = 1
        Tensor one = Tensor.scalar(1.0);
        for (int i = 0; i < 500_000; i++) {
            y = y.mul(one).add(1e-6);
        }
        assertEquals(0.5 + 0.5, y.item(), 1e-9);
        y.backward();
        assertEquals(1.0, x.grad().item(), 0.0);
    }

    @Test
    void gradientsFromSeveralPathsAreSummed() {
        Tensor x = Tensor.scalar(3.0).requiresGrad();
        // f = x*x + x*x*x: f' = 2x + 3x^2 = 33 at x = 3
        Tensor f = x.mul(x).add(x.mul(x).mul(x));
        f.backward();
        assertEquals(33.0, x.grad().item(), 0.0);
    }

    /**
     * Slices and permutes scatter their gradients straight into the input's buffer once it is private to
     * the pass; mixed with ordinary paths before and after, on a leaf and on an intermediate, the sums must
     * stay exact, and the user's seed and the returned gradients must not alias each other.
     */
    @Test
    void slicePathsScatteredIntoTheBufferSumExactly() {
        Tensor x = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad();
        Tensor m = x.mul(2.0); // an intermediate reached by several slice paths
        // f = sum(m[:, 0:2] * 3) + sum(m[:, 1:3]^2) + sum(m^T * 5) + sum(x[:, 2:3]) + sum(x * 7)
        Tensor f = m.slice(1, 0, 2).mul(3.0).sum()
                .add(m.slice(1, 1, 3).square().sum())
                .add(m.permute(1, 0).mul(5.0).sum())
                .add(x.slice(1, 2, 3).sum())
                .add(x.mul(7.0).sum());
        Tensor[] g = Autodiff.grad(f, x);
        // by hand: df/dm = 3 [j < 2] + 2 m [j >= 1] + 5; df/dx = 2 df/dm + [j = 2] + 7, with m = 2x
        double[] xs = x.toArray();
        double[] expected = new double[6];
        for (int k = 0; k < 6; k++) {
            int j = k % 3;
            double dm = (j < 2 ? 3 : 0) + (j >= 1 ? 2 * 2 * xs[k] : 0) + 5;
            expected[k] = 2 * dm + (j == 2 ? 1 : 0) + 7;
        }
        assertArrayEquals(expected, g[0].toArray(), 0.0);
        // through a retained graph twice: the same again, and the first result left untouched
        Tensor y = x.slice(1, 0, 1).sum().add(x.slice(1, 0, 3).sum());
        Tensor seed = Tensor.scalar(1.0);
        Tensor[] g1 = Autodiff.grad(y, seed, true, false, x);
        Tensor[] g2 = Autodiff.grad(y, seed, false, false, x);
        assertArrayEquals(new double[] {2, 1, 1, 2, 1, 1}, g1[0].toArray(), 0.0);
        assertArrayEquals(new double[] {2, 1, 1, 2, 1, 1}, g2[0].toArray(), 0.0);
        assertEquals(1.0, seed.item(), 0.0);
    }

    /**
     * A weight used by several products (plain, transposed, broadcast over a batch) and a batched operand
     * used twice: their products are added straight into the gradient buffers. Expected values by loops here.
     */
    @Test
    void productPathsMultipliedIntoTheBufferSum() {
        Tensor w = Tensor.randn(4, 3, 4).requiresGrad();
        Tensor x1 = Tensor.randn(5, 2, 3);
        Tensor x2 = Tensor.randn(6, 5, 4);
        Tensor x3 = Tensor.randn(7, 6, 2, 3);
        Tensor bb = Tensor.randn(8, 6, 3, 4).requiresGrad();
        Tensor r1 = Tensor.randn(9, 2, 4);
        Tensor r2 = Tensor.randn(10, 5, 3);
        Tensor r3 = Tensor.randn(11, 6, 2, 4);
        Tensor x4 = Tensor.randn(12, 4, 5);
        Tensor r4 = Tensor.randn(13, 3, 5);
        Tensor x5 = Tensor.randn(14, 3, 2);
        Tensor r5 = Tensor.randn(15, 4, 2);
        Tensor h = w.mul(1.0); // an intermediate: its buffer is private to the pass
        // f = sum(r1 * x1 h) + sum(r2 * x2 h^T) + sum(r3 * x3 h) + sum(r3 * x3 bb) + sum(r3 * x3 bb) + sum(h)
        //   + sum(r4 * h x4) + sum(r5 * h^T x5): h on either side of a product, plain and transposed
        Tensor f = h.matmul(x4).mul(r4).sum()
                .add(h.matmulTransA(x5).mul(r5).sum())
                .add(x1.matmul(h).mul(r1).sum())
                .add(x2.matmulTransB(h).mul(r2).sum())
                .add(x3.matmul(h).mul(r3).sum())
                .add(x3.matmul(bb).mul(r3).sum())
                .add(x3.matmul(bb).mul(r3).sum())
                .add(h.sum());
        Tensor[] g = Autodiff.grad(f, w, bb);
        // by hand: dW = x1^T r1 + r2^T x2 + sum_p x3_p^T r3_p + 1 + r4 x4^T + x5 r5^T; dB_p = 2 x3_p^T r3_p
        double[] dw = new double[12];
        double[] db = new double[72];
        double[] a1 = x1.toArray(), a2 = x2.toArray(), a3 = x3.toArray();
        double[] s1 = r1.toArray(), s2 = r2.toArray(), s3 = r3.toArray();
        double[] a4 = x4.toArray(), a5 = x5.toArray(), s4 = r4.toArray(), s5 = r5.toArray();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                double v = 1;
                for (int q = 0; q < 2; q++) {
                    v += a1[q * 3 + i] * s1[q * 4 + j];
                }
                for (int q = 0; q < 5; q++) {
                    v += s2[q * 3 + i] * a2[q * 4 + j] + s4[i * 5 + q] * a4[j * 5 + q];
                }
                for (int q = 0; q < 2; q++) {
                    v += a5[i * 2 + q] * s5[j * 2 + q];
                }
                for (int p = 0; p < 6; p++) {
                    double t = 0;
                    for (int q = 0; q < 2; q++) {
                        t += a3[p * 6 + q * 3 + i] * s3[p * 8 + q * 4 + j];
                    }
                    v += t;
                    db[p * 12 + i * 4 + j] = 2 * t;
                }
                dw[i * 4 + j] = v;
            }
        }
        assertArrayEquals(dw, g[0].toArray(), 1e-12);
        assertArrayEquals(db, g[1].toArray(), 1e-12);
    }

    @Test
    void repeatedBackwardAccumulatesUntilZeroGrad() {
        Tensor w = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        w.mul(3.0).sum().backward();
        w.mul(3.0).sum().backward();
        assertArrayEquals(new double[] {6, 6}, w.grad().toArray());
        w.zeroGrad();
        assertNull(w.grad());
        w.square().sum().backward();
        assertArrayEquals(new double[] {2, 4}, w.grad().toArray());
    }

    @Test
    void secondBackwardThroughAFreedGraphThrowsAndRetainGraphAllowsIt() {
        Tensor x = Tensor.scalar(2.0).requiresGrad();
        Tensor y = x.exp().mul(x);
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("second time") && e.getMessage().contains("retainGraph"), e.getMessage());

        Tensor z = x.exp().mul(x);
        x.zeroGrad();
        z.backward(true);
        z.backward(true);
        // d/dx x e^x = (1 + x) e^x, accumulated twice
        assertEquals(2 * 3 * Math.exp(2), x.grad().item(), 1e-12);
    }

    @Test
    void aFreedNodeDeepInTheGraphIsReportedAndNoGradientIsDelivered() {
        Tensor x = Tensor.scalar(0.5).requiresGrad();
        Tensor shared = x.exp().mul(3.0);
        shared.backward(); // frees shared's graph
        x.zeroGrad();
        Tensor y = shared.add(x.sin()).mul(x); // the top is new, the part below shared is freed
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("second time"), e.getMessage());
        assertFalse(x.hasGrad(), "nothing delivered by a pass that failed");
        // the failed pass left no gradient behind on the nodes it had reached
        Tensor fresh = x.sin().mul(x);
        fresh.backward();
        assertEquals(Math.cos(0.5) * 0.5 + Math.sin(0.5), x.grad().item(), 1e-15);
    }

    @Test
    void aRuleThatThrowsMidPassLeavesNoGradientBehind() {
        CustomOp bad = CustomOp.of("bad", a -> a[0].mul(1.0), (i, g, in, out) -> {
            throw new ArithmeticException("bad rule");
        }, null);
        Tensor x = Tensor.scalar(1.5).requiresGrad();
        Tensor mid = x.square().sin();
        // the rule sits deeper than mid, so it throws while mid waits with its gradient from y's add
        Tensor y = bad.apply(x.exp().exp().exp()).add(mid);
        assertThrows(ArithmeticException.class, y::backward);
        assertFalse(x.hasGrad());
        mid.mul(mid).backward(); // a stale gradient on mid would be added to this pass's, or stop mid being visited
        // d/dx sin(x^2)^2 = 4 x sin(x^2) cos(x^2)
        assertEquals(4 * 1.5 * Math.sin(2.25) * Math.cos(2.25), x.grad().item(), 1e-12);
    }

    /**
     * Depth order with paths of very different lengths: x reaches the output directly, through a chain of 200 ops and
     * through 30 diamonds, so its consumers sit at many depths; the gradient is each path's sum.
     */
    @Test
    void pathsOfEveryLengthAreSummedOnce() {
        Tensor x = Tensor.scalar(0.3).requiresGrad();
        Tensor chain = x;
        for (int k = 0; k < 200; k++) {
            chain = chain.mul(1.01);
        }
        Tensor d = x;
        for (int k = 0; k < 30; k++) {
            d = d.mul(0.5).add(d.mul(0.5)); // each diamond is the identity
        }
        Tensor y = chain.add(d).add(x.mul(x));
        y.backward();
        // dy/dx = 1.01^200 + 1 + 2x
        assertEquals(Math.pow(1.01, 200) + 1 + 0.6, x.grad().item(), 1e-12);
    }

    /** Builds y = exp(x) * 2 and returns a weak reference to the intermediate exp(x), which mul saves. */
    private static Tensor buildHoldingOnlyAWeakReference(Tensor x, List<WeakReference<Tensor>> refs) {
        Tensor saved = x.exp();
        refs.add(new WeakReference<>(saved));
        return saved.mul(x);
    }

    @Test
    void savedValuesAreReleasedAfterBackward() throws InterruptedException {
        Tensor x = Tensor.randn(1, 1000).requiresGrad();
        List<WeakReference<Tensor>> refs = new ArrayList<>();
        Tensor y = buildHoldingOnlyAWeakReference(x, refs);
        Tensor loss = y.sum();
        // while the graph is alive, the saved intermediate is reachable from the output
        System.gc();
        assertTrue(refs.get(0).get() != null, "the graph keeps its saved values before backward");
        loss.backward();
        for (int i = 0; i < 50 && refs.get(0).get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(refs.get(0).get(), "after backward the saved value must be unreachable from the output");
        assertTrue(loss.needsGrad());
    }

    @Test
    void nonScalarBackwardNeedsASeedOfTheRightShape() {
        Tensor x = Tensor.fromArray(new double[] {1, 2, 3}).requiresGrad();
        Tensor y = x.square();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, y::backward);
        assertTrue(e.getMessage().contains("seed") && e.getMessage().contains("[3]"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.ones(2)));
        assertTrue(e2.getMessage().contains("[2]") && e2.getMessage().contains("[3]"), e2.getMessage());
        y.backward(Tensor.fromArray(new double[] {1, 0, 2}));
        assertArrayEquals(new double[] {2, 0, 12}, x.grad().toArray());
    }

    @Test
    void backwardOnSomethingThatNeedsNoGradThrows() {
        Tensor c = Tensor.scalar(2).exp();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::backward);
        assertTrue(e.getMessage().contains("requiresGrad"), e.getMessage());
    }

    @Test
    void detachCutsTheGraph() {
        Tensor x = Tensor.scalar(2.0).requiresGrad();
        // f = x * stop(x): f' = stop(x) = 2
        Tensor f = x.mul(x.detach());
        f.backward();
        assertEquals(2.0, x.grad().item(), 0.0);
        assertFalse(x.detach().needsGrad());
    }

    @Test
    void requiresGradOnlyOnLeaves() {
        Tensor y = Tensor.scalar(1).requiresGrad().exp();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::requiresGrad);
        assertTrue(e.getMessage().contains("exp") && e.getMessage().contains("detach"), e.getMessage());
    }

    @Test
    void noGradScopeRecordsNothingAndIsRestored() {
        Tensor x = Tensor.scalar(1).requiresGrad();
        try (GradScope s = Autodiff.noGrad()) {
            assertFalse(Autodiff.isGradEnabled());
            Tensor y = x.exp();
            assertFalse(y.needsGrad());
            assertTrue(y.isLeaf());
            try (GradScope inner = Autodiff.enableGrad()) {
                assertTrue(x.exp().needsGrad());
            }
            assertFalse(x.exp().needsGrad());
        }
        assertTrue(Autodiff.isGradEnabled());
        assertTrue(x.exp().needsGrad());
    }

    @Test
    void functionalGradLeavesGradUntouched() {
        Tensor w = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        Tensor b = Tensor.scalar(3).requiresGrad();
        Tensor unused = Tensor.scalar(7).requiresGrad();
        Tensor loss = w.mul(b).sum();
        Tensor[] g = Autodiff.grad(loss, w, b, unused);
        assertArrayEquals(new double[] {3, 3}, g[0].toArray());
        assertEquals(3.0, g[1].item(), 0.0);
        assertEquals(0.0, g[2].item(), 0.0);
        assertNull(w.grad());
        assertNull(b.grad());
    }

    @Test
    void functionalGradWithRespectToAnIntermediate() {
        Tensor x = Tensor.scalar(0.3).requiresGrad();
        Tensor h = x.mul(2.0);
        Tensor y = h.square().mul(h.sigmoid());
        Tensor[] g = Autodiff.grad(y, h, x);
        // y = h^2 sigmoid(h): compare with central differences in h
        double eps = 1e-6;
        double hv = h.item();
        double num = (f(hv + eps) - f(hv - eps)) / (2 * eps);
        assertEquals(num, g[0].item(), 1e-8);
        assertEquals(2 * num, g[1].item(), 1e-8);
    }

    private static double f(double h) {
        return h * h / (1 + Math.exp(-h));
    }

    @Test
    void gradOfGrad() {
        Tensor x = Tensor.scalar(1.5).requiresGrad();
        Tensor y = x.pow(3.0);
        Tensor dy = Autodiff.grad(y, true, x)[0];
        assertEquals(3 * 1.5 * 1.5, dy.item(), 1e-12);
        assertTrue(dy.needsGrad());
        Tensor d2y = Autodiff.grad(dy, true, x)[0];
        assertEquals(6 * 1.5, d2y.item(), 1e-12);
        Tensor d3y = Autodiff.grad(d2y, x)[0];
        assertEquals(6.0, d3y.item(), 1e-12);
    }

    @Test
    void backwardWithCreateGraphMakesLeafGradsDifferentiable() {
        Tensor x = Tensor.scalar(2.0).requiresGrad();
        x.exp().mul(x).backward(null, false, true);
        Tensor g = x.grad(); // (1 + x) e^x
        x.zeroGrad();
        g.backward();        // (2 + x) e^x
        assertEquals(4 * Math.exp(2), x.grad().item(), 1e-12);
    }

    @Test
    void retainGradKeepsIntermediateGradients() {
        Tensor x = Tensor.scalar(2.0).requiresGrad();
        Tensor h = x.mul(3.0).retainGrad();
        h.square().backward();
        assertEquals(12.0, h.grad().item(), 0.0);
        assertEquals(36.0, x.grad().item(), 0.0);
    }

    /** A small MLP trained for a few SGD steps: the result depends on every gradient being exact. */
    private static double[] train(long seed) {
        Tensor x = Tensor.randn(seed, 16, 3);
        Tensor t = Tensor.randn(seed + 1, 16, 1);
        Tensor w1 = Tensor.randn(seed + 2, 3, 8).mul(0.5).requiresGrad();
        Tensor w2 = Tensor.randn(seed + 3, 8, 1).mul(0.5).requiresGrad();
        for (int step = 0; step < 200; step++) {
            Tensor loss = x.matmul(w1).tanh().matmul(w2).sub(t).square().mean();
            Tensor[] g = Autodiff.grad(loss, w1, w2);
            try (GradScope s = Autodiff.noGrad()) {
                w1 = w1.sub(g[0].mul(0.1)).requiresGrad();
                w2 = w2.sub(g[1].mul(0.1)).requiresGrad();
            }
        }
        double[] a = w1.toArray();
        double[] b = w2.toArray();
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void twoThreadsTrainingSeparateModelsGetTheSameResultsAsOne() throws Exception {
        double[] expected0 = train(10);
        double[] expected1 = train(20);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CyclicBarrier start = new CyclicBarrier(2);
            Callable<double[]> a = () -> {
                start.await();
                try (GradScope s = Autodiff.noGrad()) {
                    // this thread's noGrad must not leak into the other thread
                    start.await();
                    start.await();
                }
                return train(10);
            };
            Callable<double[]> b = () -> {
                start.await();
                start.await();
                assertTrue(Autodiff.isGradEnabled(), "grad mode is per thread");
                start.await();
                return train(20);
            };
            Future<double[]> fa = pool.submit(a);
            Future<double[]> fb = pool.submit(b);
            assertArrayEquals(expected0, fa.get());
            assertArrayEquals(expected1, fb.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Two threads multiplying at once through the blocked and few-row GEMM paths, large enough to split over
     * the shared pool's workers, whose packing buffers are per thread: each gets what it gets alone.
     */
    @Test
    void twoThreadsMultiplyingAtOnceGetTheSameProductsAsOne() throws Exception {
        Tensor a = Tensor.randn(40, 200, 300);
        Tensor b = Tensor.randn(41, 300, 250);
        Tensor few = Tensor.randn(42, 5, 300);
        double[] big = a.matmul(b).toArray();
        double[] small = few.matmul(b).toArray();
        double[] grad = Autodiff.grad(a.requiresGrad().matmul(b).sum(), a)[0].toArray();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<Boolean> work = () -> {
                for (int r = 0; r < 20; r++) {
                    Tensor ar = a.detach().requiresGrad();
                    if (!java.util.Arrays.equals(big, a.matmul(b).toArray())
                            || !java.util.Arrays.equals(small, few.matmul(b).toArray())
                            || !java.util.Arrays.equals(grad, Autodiff.grad(ar.matmul(b).sum(), ar)[0].toArray())) {
                        return false;
                    }
                }
                return true;
            };
            Future<Boolean> f1 = pool.submit(work);
            Future<Boolean> f2 = pool.submit(work);
            assertTrue(f1.get(), "thread 1 got a different product");
            assertTrue(f2.get(), "thread 2 got a different product");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Backward sums paths in place into private buffers; it must never write into a tensor the user holds. */
    @Test
    void backwardNeverWritesIntoTensorsTheUserHolds() {
        Tensor a = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        Tensor seed = Tensor.fromArray(new double[] {1, 1});
        a.add(a).add(a).add(a.mul(a)).backward(seed); // a reaches the output by four paths
        assertArrayEquals(new double[] {1, 1}, seed.toArray());
        Tensor first = a.grad();
        assertArrayEquals(new double[] {5, 7}, first.toArray());
        a.add(a).add(a).sum().backward();
        assertArrayEquals(new double[] {5, 7}, first.toArray(), "an earlier grad() must not change");
        assertArrayEquals(new double[] {8, 10}, a.grad().toArray());
        Tensor h = a.mul(2.0).retainGrad();
        h.add(h).add(h).sum().backward();
        Tensor hGrad = h.grad();
        assertArrayEquals(new double[] {3, 3}, hGrad.toArray());
    }
    /**
     * ReLU's backward writes over its incoming gradient when the pass alone holds that buffer. Where the
     * buffer is also delivered (grad of the ReLU's output, retainGrad) or handed to a second input (an add's
     * two operands share its g), it must not: every gradient here is derived by hand.
     */
    @Test
    void reluBackwardOverwritesOnlyABufferNobodyElseSees() {
        Tensor u = Tensor.fromArray(new double[] {1, -2, 3, -4, 5, -6}, 2, 3).requiresGrad();
        Tensor v = Tensor.fromArray(new double[] {-1, 2, -3, 4, 5, 6}, 2, 3).requiresGrad();
        Tensor w = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
        // f = sum((relu(u) + relu(v)) W): dz = 1 W^T, each row (3, 7, 11); du = dz [u > 0], dv = dz [v > 0]
        Tensor ru = u.relu();
        Tensor rv = v.relu();
        Tensor f = ru.add(rv).matmul(w).sum();
        Tensor[] g = Autodiff.grad(f, u, v, ru);
        assertArrayEquals(new double[] {3, 0, 11, 0, 7, 0}, g[0].toArray());
        assertArrayEquals(new double[] {0, 7, 0, 3, 7, 11}, g[1].toArray());
        assertArrayEquals(new double[] {3, 7, 11, 3, 7, 11}, g[2].toArray(), "the ReLU's output gradient, unmasked");

        // a matmul's fresh gradient into a ReLU whose output is also asked for, or retained
        Tensor r = u.relu();
        Tensor[] gr = Autodiff.grad(r.matmul(w).sum(), u, r);
        assertArrayEquals(new double[] {3, 0, 11, 0, 7, 0}, gr[0].toArray());
        assertArrayEquals(new double[] {3, 7, 11, 3, 7, 11}, gr[1].toArray());

        Tensor h = u.relu().retainGrad();
        h.matmul(w).sum().backward();
        assertArrayEquals(new double[] {3, 7, 11, 3, 7, 11}, h.grad().toArray());
        assertArrayEquals(new double[] {3, 0, 11, 0, 7, 0}, u.grad().toArray());

        // ReLU of a ReLU, and a ReLU whose input reaches the output by a second path: buffers summed in place
        Tensor x = Tensor.fromArray(new double[] {2, -1, 0.5, -3, 4, 1}, 2, 3).requiresGrad();
        Tensor y = x.relu().relu().matmul(w).sum().add(x.matmul(w).sum());
        assertArrayEquals(new double[] {6, 7, 22, 3, 14, 22}, Autodiff.grad(y, x)[0].toArray());
    }
    /**
     * addmm is matmul then add: the same values bit for bit (addition commutes), and the same gradients and
     * tangents, through a two-layer ReLU network whose hidden gradient is addmm's fresh buffer (which the
     * ReLU's backward then writes over).
     */
    @Test
    void addmmMatchesMatmulThenAdd() {
        Tensor x = Tensor.randn(30, 6, 5).requiresGrad();
        Tensor w1 = Tensor.randn(31, 5, 7).requiresGrad();
        Tensor b1 = Tensor.randn(32, 7).requiresGrad();
        Tensor w2 = Tensor.randn(33, 7, 3).requiresGrad();
        Tensor b2 = Tensor.randn(34, 6, 1).requiresGrad();
        Tensor r = Tensor.randn(35, 6, 3);
        Tensor fused = b2.addmm(b1.addmm(x, w1).relu(), w2);
        Tensor plain = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
        assertArrayEquals(plain.toArray(), fused.toArray(), 0.0);
        Tensor[] gf = Autodiff.grad(fused.mul(r).sum(), x, w1, b1, w2, b2);
        Tensor[] gp = Autodiff.grad(plain.mul(r).sum(), x, w1, b1, w2, b2);
        for (int i = 0; i < gf.length; i++) {
            assertArrayEquals(gp[i].toArray(), gf[i].toArray(), 0.0, "gradient " + i);
        }
        Tensor dx = Tensor.randn(36, 6, 5);
        Tensor db = Tensor.randn(37, 7);
        Autodiff.Jvp tf = Autodiff.jvp(v -> v[2].addmm(v[0], v[1]), new Tensor[] {x, w1, b1}, new Tensor[] {dx, null, db});
        Autodiff.Jvp tp = Autodiff.jvp(v -> v[0].matmul(v[1]).add(v[2]), new Tensor[] {x, w1, b1}, new Tensor[] {dx, null, db});
        assertArrayEquals(tp.tangent().toArray(), tf.tangent().toArray(), 0.0);
    }
}
