package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * vmap against its definition: stacking f over the examples, each computed by the ordinary (unbatched) path. Values
 * must agree to rounding (the batched kernels may sum in another order only where a product's shape changes).
 */
class VmapTest {
    private static final double TOL = 1e-13;

    /** The oracle: f run on each example's slices, the results stacked along outAxis. */
    static Tensor loop(Fn f, Integer[] inAxes, int outAxis, Tensor... xs) {
        int n = -1;
        for (int i = 0; i < xs.length; i++) {
            if (inAxes[i] != null) {
                n = xs[i].dim(inAxes[i]);
            }
        }
        Tensor[] outs = new Tensor[n];
        for (int k = 0; k < n; k++) {
            Tensor[] args = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                args[i] = inAxes[i] == null ? xs[i] : xs[i].slice(inAxes[i], k, k + 1).squeeze(inAxes[i]);
            }
            outs[k] = f.apply(args);
        }
        return Tensor.stack(outAxis, outs);
    }

    private static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertArrayEquals(expected.toArray(), actual.toArray(), tol, what);
    }

    private static void check(String what, Fn f, Integer[] inAxes, int outAxis, Tensor... xs) {
        assertClose(loop(f, inAxes, outAxis, xs), Autodiff.vmap(f, inAxes, outAxis).apply(xs), TOL, what);
    }

    private static Integer[] axes(Integer... a) {
        return a;
    }

    @Test
    void everyPrimitiveKindAndTheConstantOpsAgreeWithTheLoop() {
        Tensor x = Tensor.randn(1, 5, 3, 4);
        Tensor y = Tensor.randn(2, 5, 4);
        Tensor w = Tensor.randn(3, 4, 2);
        Map<String, Fn> ops = new LinkedHashMap<>();
        ops.put("unary", a -> a[0].exp().tanh().sin().abs().sqrt().neg());
        ops.put("rounding", a -> a[0].mul(3).floor());
        ops.put("binary with a row", a -> a[0].mul(a[1]).add(a[1]).div(a[0].exp()).pow(2.0));
        ops.put("maximum and compare", a -> a[0].maximum(a[1]).add(a[0].gt(a[1])).add(a[0].sign()));
        ops.put("where", a -> Tensor.where(a[0].gt(0.0), a[0], a[1]));
        ops.put("matmul by a shared matrix", a -> a[0].matmul(a[2]));
        ops.put("vector times matrix", a -> a[1].matmul(a[2]));
        ops.put("matrix times its transpose", a -> a[0].matmul(a[0].transpose(0, 1)));
        ops.put("reductions", a -> a[0].sum(1).add(a[0].max(0).sum()).add(a[0].min(1).mean()));
        ops.put("softmax and logSumExp", a -> a[0].softmax(1).add(a[0].logSoftmax(0)).add(a[0].logSumExp(1).unsqueeze(1)));
        ops.put("argmax", a -> a[0].argmax(1));
        ops.put("reshape, permute, slice", a -> a[0].reshape(4, 3).permute(1, 0).slice(1, 1, 3));
        ops.put("broadcastTo", a -> a[1].broadcastTo(2, 3, 4));
        ops.put("pad", a -> a[0].pad(new int[] {1, 0}, new int[] {0, 2}, 0.5));
        ops.put("concat and stack", a -> Tensor.concat(0, a[0], a[1].unsqueeze(0), a[2].transpose(0, 1)));
        ops.put("stack", a -> Tensor.stack(1, a[1], a[1].mul(2)));
        ops.put("cumsum", a -> a[0].cumsum(1));
        ops.put("indexSelect", a -> a[0].indexSelect(1, 3, 0, 3));
        ops.put("gather and scatterAdd by a batched index", a -> a[0].gather(1, a[0].argsort(1, false))
                .scatterAdd(0, a[0].argsort(0, true), a[0].exp()));
        ops.put("einsum", a -> Tensor.einsum("ij,jk->ik", a[0], a[2]));
        ops.put("to(float32) and back", a -> a[0].to(DType.FLOAT32).mul(a[1].to(DType.FLOAT32)).to(DType.FLOAT64));
        for (Map.Entry<String, Fn> e : ops.entrySet()) {
            check(e.getKey(), e.getValue(), axes(0, 0, null), 0, x, y, w);
        }
    }

    /**
     * Every primitive class declares its own batching rule; only a custom op not declared batched over leading
     * dimensions falls back to the loop.
     */
    @Test
    void everyBuiltInPrimitiveClassHasABatchingRule() throws Exception {
        int classes = 0;
        for (Class<?> c : Primitives.class.getDeclaredClasses()) {
            if (Primitive.class.isAssignableFrom(c) && !java.lang.reflect.Modifier.isAbstract(c.getModifiers())) {
                classes++;
                assertEquals(c, c.getDeclaredMethod("batch", Tensor[].class, boolean[].class, int.class)
                        .getDeclaringClass(), c.getSimpleName() + " has no batching rule");
            }
        }
        assertEquals(15, classes, "primitive classes in Primitives: a new one needs a batching rule and a case above");
        int fused = 0;
        for (Class<?> c : Fused.class.getDeclaredClasses()) {
            if (Primitive.class.isAssignableFrom(c) && !java.lang.reflect.Modifier.isAbstract(c.getModifiers())) {
                fused++;
                // its own rule or one its family shares (the LSTM cell's two parts), never Primitive's loop
                Class<?> declaring = c;
                while (!declaresBatch(declaring)) {
                    declaring = declaring.getSuperclass();
                }
                assertTrue(declaring != Primitive.class, c.getSimpleName() + " has no batching rule");
            }
        }
        assertEquals(3, fused, "primitive classes in Fused: a new one needs a batching rule and a case in fusedLayers...");
    }

    private static boolean declaresBatch(Class<?> c) {
        for (java.lang.reflect.Method m : c.getDeclaredMethods()) {
            if (m.getName().equals("batch") && m.getParameterCount() == 3) {
                return true;
            }
        }
        return false;
    }

    /** The fused layers batched over any combination of their inputs, against the loop. */
    @Test
    void fusedLayersAgreeWithTheLoop() {
        Tensor x = Tensor.randn(81, 3, 2, 2, 5, 6);
        Tensor w = Tensor.randn(82, 3, 4, 1, 2, 3);
        Tensor b = Tensor.randn(83, 3, 4);
        int[] s = {1, 2};
        int[] p = {1, 0};
        int[] d = {2, 1};
        Fn conv = a -> Fused.conv(a[0], a[1], a[2], s, p, d, 2);
        check("conv, input batched", conv, axes(0, null, null), 0, x, w.slice(0, 0, 1).squeeze(0), b.slice(0, 0, 1).squeeze(0));
        check("conv, weight batched", conv, axes(null, 0, null), 0, x.slice(0, 0, 1).squeeze(0), w, b.slice(0, 0, 1).squeeze(0));
        check("conv, bias batched", conv, axes(null, null, 0), 0, x.slice(0, 0, 1).squeeze(0), w.slice(0, 0, 1).squeeze(0), b);
        check("conv, all batched", conv, axes(0, 0, 0), 0, x, w, b);
        check("conv without bias, weight batched", a -> Fused.conv(a[0], a[1], null, s, p, d, 2), axes(0, 0), 0, x, w);
        Tensor pre = Tensor.randn(84, 3, 2, 8);
        Tensor c = Tensor.randn(85, 3, 2, 2);
        Fn cell = a -> {
            Tensor c2 = Fused.lstmCell(a[0], a[1]);
            return Fused.lstmHidden(a[0], c2).add(c2);
        };
        check("lstm cell, pre batched", cell, axes(0, null), 0, pre, c.slice(0, 0, 1).squeeze(0));
        check("lstm cell, c batched", cell, axes(null, 0), 0, pre.slice(0, 0, 1).squeeze(0), c);
        check("lstm cell, both batched", cell, axes(0, 0), 0, pre, c);
    }

    @Test
    void inputAndOutputAxesMayBeAnyAndInputsMayBeShared() {
        Tensor x = Tensor.randn(4, 4, 6, 2); // batched along axis 1 (6 examples of shape (4, 2))
        Tensor b = Tensor.randn(5, 2, 4, 6); // batched along its last axis (examples (2, 4))
        Tensor c = Tensor.randn(6, 4, 2);    // shared
        Fn f = a -> a[0].mul(a[2]).add(a[1].transpose(0, 1)).sum(0);
        check("axes 1, -1, shared; out 0", f, axes(1, -1, null), 0, x, b, c);
        check("out axis 1", f, axes(1, -1, null), 1, x, b, c);
        check("out axis -1", f, axes(1, 2, null), -1, x, b, c);
    }

    @Test
    void aResultThatIgnoresTheBatchIsCopiedForEachExample() {
        Tensor x = Tensor.randn(6, 4, 3);
        Tensor c = Tensor.randn(7, 3);
        Tensor v = Autodiff.vmap(a -> a[1].mul(2.0), axes(0, null), 0).apply(x, c);
        assertClose(Tensor.stack(0, c.mul(2.0), c.mul(2.0), c.mul(2.0), c.mul(2.0)), v, 0.0, "copied");
    }

    /** Per-example gradients of a two-layer network's squared error with respect to its weights, in one pass. */
    @Test
    void perExampleGradientsEqualOneGradientPerExample() {
        Tensor w1 = Tensor.randn(10, 5, 8).mul(0.3);
        Tensor w2 = Tensor.randn(11, 8, 2).mul(0.3);
        Tensor xs = Tensor.randn(12, 16, 5);
        Tensor ys = Tensor.randn(13, 16, 2);
        Fn loss = a -> a[2].matmul(a[0]).tanh().matmul(a[1]).sub(a[3]).square().sum();
        FnN grads = Autodiff.grad(loss, 0, 1, 2, 3);
        Tensor[] batched = Autodiff.vmap(grads, axes(null, null, 0, 0), new int[] {0, 0, 0, 0}).apply(w1, w2, xs, ys);
        for (int k = 0; k < 16; k++) {
            Tensor xk = xs.slice(0, k, k + 1).squeeze(0);
            Tensor yk = ys.slice(0, k, k + 1).squeeze(0);
            Tensor[] g = Autodiff.valueAndGrad(loss, w1, w2, xk, yk).grads();
            for (int j = 0; j < 4; j++) {
                assertClose(g[j], batched[j].slice(0, k, k + 1).squeeze(0), TOL, "example " + k + ", gradient " + j);
            }
        }
    }

    @Test
    void perExampleGradientsMatchFiniteDifferences() {
        Tensor w = Tensor.randn(20, 3);
        Tensor xs = Tensor.randn(21, 4, 3);
        // f(w; x) = sum(sin(w * x)) / (1 + |w|^2): df/dw = x cos(w x) / (1 + |w|^2) - 2 w f / (1 + |w|^2)
        Fn f = a -> a[0].mul(a[1]).sin().sum().div(a[0].square().sum().add(1.0));
        Tensor g = Autodiff.vmap(a -> Autodiff.valueAndGrad(f, a[0], a[1]).grads()[0], axes(null, 0), 0).apply(w, xs);
        double[] wv = w.toArray();
        for (int k = 0; k < 4; k++) {
            double[] x = xs.slice(0, k, k + 1).squeeze(0).toArray();
            double s = 0;
            double q = 1;
            for (int i = 0; i < 3; i++) {
                s += Math.sin(wv[i] * x[i]);
                q += wv[i] * wv[i];
            }
            for (int i = 0; i < 3; i++) {
                double expected = x[i] * Math.cos(wv[i] * x[i]) / q - 2 * wv[i] * (s / q) / q;
                assertEquals(expected, g.get(k, i), 1e-13, "example " + k + ", w" + i);
            }
        }
    }

    @Test
    void vmapNestsWithItself() {
        Tensor x = Tensor.randn(30, 3, 4, 5);
        Tensor w = Tensor.randn(31, 5, 2);
        Fn inner = a -> a[0].matmul(a[1]).exp().sum();
        Fn nested = Autodiff.vmap(Autodiff.vmap(inner, axes(0, null), 0), axes(0, null), 0);
        Tensor got = nested.apply(x, w);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                Tensor xij = x.slice(0, i, i + 1).squeeze(0).slice(0, j, j + 1).squeeze(0);
                assertEquals(inner.apply(xij, w).item(), got.get(i, j), 1e-12);
            }
        }
        // the inner map over the outer one's second input axis: out[i][j] = f(x[i], y[j])
        Tensor y = Tensor.randn(32, 6, 5);
        Fn pair = a -> a[0].mul(a[1]).sum();
        Tensor table = Autodiff.vmap(Autodiff.vmap(pair, axes(null, 0), 0), axes(0, null), 0)
                .apply(x.slice(0, 0, 1).squeeze(0), y);
        assertArrayEquals(new int[] {4, 6}, table.shape());
        Tensor x0 = x.slice(0, 0, 1).squeeze(0);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                double e = x0.slice(0, i, i + 1).mul(y.slice(0, j, j + 1)).sum().item();
                assertEquals(e, table.get(i, j), 1e-13);
            }
        }
    }

    @Test
    void vmapNestsWithForwardModeBothWays() {
        Tensor x = Tensor.randn(40, 6, 3);
        Tensor v = Tensor.randn(41, 6, 3);
        java.util.function.Function<Tensor, Tensor> f = a -> a.sin().mul(a.sum()).tanh();
        // jvp inside vmap: one jvp per example
        Tensor inside = Autodiff.vmap(a -> Autodiff.jvp(f, a[0], a[1]).tangent()).apply(x, v);
        // vmap inside jvp: the tangent of the batched function
        Tensor outside = Autodiff.jvp(a -> Autodiff.vmap(b -> f.apply(b[0])).apply(a), x, v).tangent();
        for (int k = 0; k < 6; k++) {
            Tensor xk = x.slice(0, k, k + 1).squeeze(0);
            Tensor vk = v.slice(0, k, k + 1).squeeze(0);
            Tensor e = Autodiff.jvp(f, xk, vk).tangent();
            assertClose(e, inside.slice(0, k, k + 1).squeeze(0), TOL, "jvp inside vmap, example " + k);
            assertClose(e, outside.slice(0, k, k + 1).squeeze(0), TOL, "vmap inside jvp, example " + k);
        }
    }

    @Test
    void reverseModeRunsThroughAVmappedFunction() {
        Tensor w = Tensor.randn(50, 4, 3).requiresGrad();
        Tensor xs = Tensor.randn(51, 7, 4);
        Fn f = a -> a[1].matmul(a[0]).sigmoid().sum();
        Tensor batched = Autodiff.vmap(f, axes(null, 0), 0).apply(w, xs);
        Tensor g = Autodiff.grad(batched.square().sum(), w)[0];
        Tensor w0 = w.detach().requiresGrad();
        Tensor total = Tensor.scalar(0.0);
        for (int k = 0; k < 7; k++) {
            total = total.add(f.apply(w0, xs.slice(0, k, k + 1).squeeze(0)).square());
        }
        assertClose(Autodiff.grad(total, w0)[0], g, 1e-12, "gradient through vmap");
    }

    /** Reverse over vmap(reverse): the per-example gradients are recorded for the outer pass. */
    @Test
    void reverseModeOverPerExampleGradients() {
        Tensor xs = Tensor.randn(55, 6, 3).requiresGrad();
        // f(x) = sum(x^3) / 3: per-example gradient x^2; the outer loss sum over examples of sum(x^2) has gradient 2x
        Fn grad = a -> Autodiff.valueAndGrad(b -> b[0].pow(3.0).sum().div(3.0), a[0]).grads()[0];
        Tensor perExample = Autodiff.vmap(grad).apply(xs);
        assertClose(xs.detach().square(), perExample.detach(), 1e-14, "x^2 per example");
        assertClose(xs.detach().mul(2.0), Autodiff.grad(perExample.sum(), xs)[0], 1e-14, "d/dx sum(x^2) = 2x");
    }

    /** Second order through per-example gradients: the Hessian of each example's loss, by jacfwd over vmap(grad). */
    @Test
    void perExampleHessianDiagonalsByForwardOverReverse() {
        Tensor xs = Tensor.randn(60, 5, 3);
        // f(x) = sum(x^3) / 3: gradient x^2, Hessian diag(2x)
        Fn grad = a -> Autodiff.valueAndGrad(b -> b[0].pow(3.0).sum().div(3.0), a[0]).grads()[0];
        Tensor tangent = Autodiff.jvp(a -> Autodiff.vmap(grad).apply(a), xs, Tensor.ones(xs.shape())).tangent();
        assertClose(xs.mul(2.0), tangent, 1e-13, "H 1 = 2x per example");
    }

    @Test
    void customOpsRunOncePerExampleWithTheirRules() {
        Tensor a = Tensor.randn(70, 5, 3, 3);
        Tensor b = Tensor.randn(71, 3, 2);
        // y = x^3 elementwise, written for one example at a time (it is not declared batched over leading dims)
        CustomOp cube = CustomOp.of("cubeForVmapTest", x -> x[0].pow(3.0), (i, g, in, out) -> g.mul(in[0].square()).mul(3.0),
                (in, t, out) -> t[0].mul(in[0].square()).mul(3.0));
        Fn f = t -> cube.apply(t[0]).matmul(t[1]).sum();
        check("a custom op in vmap", f, axes(0, null), 0, a, b);
        Fn gradA = t -> Autodiff.valueAndGrad(f, t).grads()[0];
        check("gradient through a custom op in vmap", gradA, axes(0, null), 0, a, b);
        assertTrue(Batching.looped("cubeForVmapTest"));
    }

    @Test
    void anEmptyBatchGivesEmptyResults() {
        Tensor x = Tensor.zeros(0, 3);
        Tensor w = Tensor.randn(80, 3, 2);
        Tensor y = Autodiff.vmap(a -> a[0].matmul(a[1]).exp(), axes(0, null), 0).apply(x, w);
        assertArrayEquals(new int[] {0, 2}, y.shape());
        CustomOp cube = CustomOp.of("cube", a -> a[0].pow(3.0), (i, g, in, out) -> g.mul(in[0].square()).mul(3.0), null);
        Tensor z = Autodiff.vmap(a -> cube.apply(a[0]), axes(0), 0).apply(Tensor.zeros(0, 2, 2));
        assertArrayEquals(new int[] {0, 2, 2}, z.shape());
        // an op without a rule is run on one example of zeros to learn its result's shape; this one cannot be
        CustomOp recip = CustomOp.of("strictReciprocal", a -> {
            if (a[0].eq(0.0).sum().item() > 0) {
                throw new IllegalArgumentException("strictReciprocal: a zero");
            }
            return a[0].reciprocal();
        }, (i, g, in, out) -> g.mul(out.square()).neg(), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Autodiff.vmap(a -> recip.apply(a[0]), axes(0), 0).apply(Tensor.zeros(0, 2, 2)));
        assertTrue(e.getMessage().startsWith("vmap: 'strictReciprocal' has no batching rule"), e.getMessage());
        // an op batched over leading dimensions runs on the empty batch itself
        assertArrayEquals(new int[] {0, 2, 2}, Autodiff.vmap(a -> Linalg.inv(a[0]), axes(0), 0).apply(Tensor.zeros(0, 2, 2)).shape());
    }

    @Test
    void perExampleValuesAreNotReadableInside() {
        Tensor x = Tensor.randn(90, 4, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Autodiff.vmap(a -> Tensor.scalar(a[0].sum().item())).apply(x));
        assertTrue(e.getMessage().startsWith("item: this tensor is batched inside vmap"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Autodiff.vmap(a -> Tensor.fromArray(a[0].toArray())).apply(x));
        assertTrue(Autodiff.vmap(a -> {
            assertTrue(a[0].toString().contains("batched inside vmap"), a[0].toString());
            return a[0];
        }).apply(x).allClose(x, 0, 0));
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = Tensor.randn(100, 4, 3);
        Tensor y = Tensor.randn(101, 5, 3);
        Fn f = a -> a[0].add(a[1]);
        assertMessage("vmap: inputs are batched along axes of different sizes: 4 and 5",
                () -> Autodiff.vmap(f).apply(x, y));
        assertMessage("vmap: no input is batched", () -> Autodiff.vmap(f, axes(null, null), 0).apply(x, y));
        assertMessage("vmap: 1 input axes for 2 inputs", () -> Autodiff.vmap(f, axes(0), 0).apply(x, y));
        assertMessage("vmap: input 0 is a scalar", () -> Autodiff.vmap(f, axes(0, null), 0).apply(Tensor.scalar(1), y));
        assertThrows(IllegalArgumentException.class, () -> Autodiff.vmap(f, axes(2, 0), 0).apply(x, x));
        assertThrows(IllegalArgumentException.class, () -> Autodiff.vmap(f, axes(0, 0), 3).apply(x, x));
        assertMessage("vmap: the function returned 1 tensors but 2 output axes",
                () -> Autodiff.vmap(a -> new Tensor[] {a[0]}, axes(0), new int[] {0, 0}).apply(x));
    }

    private static void assertMessage(String prefix, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    }
}
