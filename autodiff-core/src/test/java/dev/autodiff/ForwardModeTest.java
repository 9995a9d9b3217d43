package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import java.lang.ref.WeakReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ForwardModeTest {
    @Test
    void jvpOfTheTextbookFunctionMatchesTheHandDerivative() {
        Tensor x = Tensor.scalar(1.0);
        Tensor b = Tensor.scalar(0.0);
        // d f/dw at w = 0 along tangent 1: x f (1 - f) = 0.25
        Autodiff.Jvp r = Autodiff.jvp(w -> w.mul(x).add(b).neg().exp().add(1.0).reciprocal(), Tensor.scalar(0.0), Tensor.scalar(1.0));
        assertEquals(0.5, r.value().item(), 0.0);
        assertEquals(0.25, r.tangent().item(), 1e-15);
        assertFalse(r.value().isDual());
    }

    /** The classic perturbation-confusion case: d/dx [x * (d/dy (x + y)) at y = 1] at x = 1 is 1, not 2. */
    @Test
    void perturbationsOfDifferentLevelsNeverMix() {
        Function<Tensor, Tensor> outer = x -> {
            Tensor inner = Autodiff.jvp(y -> x.add(y), Tensor.scalar(1.0), Tensor.scalar(1.0)).tangent();
            return x.mul(inner);
        };
        assertEquals(1.0, Autodiff.jvp(outer, Tensor.scalar(1.0), Tensor.scalar(1.0)).tangent().item(), 0.0);
        // the same with reverse mode outside and forward mode inside
        Tensor x = Tensor.scalar(1.0).requiresGrad();
        assertEquals(1.0, Autodiff.grad(outer.apply(x), x)[0].item(), 0.0);
        // and reverse inside reverse
        Function<Tensor, Tensor> outerRev = xx -> {
            Tensor y = Tensor.scalar(1.0).requiresGrad();
            Tensor inner = Autodiff.grad(xx.add(y), true, y)[0];
            return xx.mul(inner);
        };
        Tensor x2 = Tensor.scalar(1.0).requiresGrad();
        assertEquals(1.0, Autodiff.grad(outerRev.apply(x2), x2)[0].item(), 0.0);
    }

    @Test
    void forwardOverForwardGivesSecondDerivatives() {
        // d^2/dx^2 tanh x = -2 t (1 - t^2)
        double xv = 0.3;
        Function<Tensor, Tensor> d1 = x -> Autodiff.jvp(Tensor::tanh, x, Tensor.scalar(1.0)).tangent();
        double d2 = Autodiff.jvp(d1, Tensor.scalar(xv), Tensor.scalar(1.0)).tangent().item();
        double t = Math.tanh(xv);
        assertEquals(-2 * t * (1 - t * t), d2, 1e-14);
        // third order: d/dx of that = -2 (1 - t^2)^2 + 4 t^2 (1 - t^2)
        Function<Tensor, Tensor> d2f = x -> Autodiff.jvp(d1, x, Tensor.scalar(1.0)).tangent();
        double d3 = Autodiff.jvp(d2f, Tensor.scalar(xv), Tensor.scalar(1.0)).tangent().item();
        assertEquals(-2 * (1 - t * t) * (1 - t * t) + 4 * t * t * (1 - t * t), d3, 1e-13);
    }

    /** f(x) = sum(x_i^2 x_{i+1}) has a Hessian derived by hand: H[i][i] = 2 x_{i+1}, H[i][i+1] = H[i+1][i] = 2 x_i. */
    private static Tensor f(Tensor x) {
        int n = x.dim(0);
        return x.slice(0, 0, n - 1).square().mul(x.slice(0, 1, n)).sum();
    }

    private static double[] handHessian(double[] x) {
        int n = x.length;
        double[] h = new double[n * n];
        for (int i = 0; i + 1 < n; i++) {
            h[i * n + i] += 2 * x[i + 1];
            h[i * n + i + 1] += 2 * x[i];
            h[(i + 1) * n + i] += 2 * x[i];
        }
        return h;
    }

    @Test
    void hessianAndHvpByForwardOverReverseMatchTheHandHessian() {
        double[] xv = {0.5, -1.0, 2.0, 0.25};
        Tensor x = Tensor.fromArray(xv);
        double[] h = handHessian(xv);
        assertArrayEquals(h, Autodiff.hessian(ForwardModeTest::f, x).toArray(), 1e-14);
        Tensor v = Tensor.fromArray(new double[] {1, 2, -1, 0.5});
        double[] hv = new double[4];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                hv[i] += h[i * 4 + j] * v.get(j);
            }
        }
        assertArrayEquals(hv, Autodiff.hvp(ForwardModeTest::f, x, v).toArray(), 1e-14);
        // reverse over reverse gives the same Hessian
        assertArrayEquals(h, Autodiff.jacrev(Autodiff.gradient(ForwardModeTest::f), x).toArray(), 1e-14);
        // and reverse over forward: the gradient of the jvp along v is H v
        Tensor xl = x.detach().requiresGrad();
        Tensor dir = Autodiff.jvp(ForwardModeTest::f, xl, v).tangent();
        assertArrayEquals(hv, Autodiff.grad(dir, xl)[0].toArray(), 1e-14);
    }

    /** f(x) = W2 tanh(W1 x): J = W2 diag(1 - tanh^2(W1 x)) W1, by hand. */
    @Test
    void jacobiansByReverseForwardAndBatchedForwardAgreeWithTheHandJacobian() {
        int n = 5;
        int hdim = 4;
        int m = 3;
        Tensor w1 = Tensor.randn(1, hdim, n);
        Tensor w2 = Tensor.randn(2, m, hdim);
        Tensor x = Tensor.randn(3, n);
        Function<Tensor, Tensor> fn = v -> w2.matmul(w1.matmul(v).tanh());
        double[] z = w1.matmul(x).toArray();
        double[] hand = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < hdim; k++) {
                    double t = Math.tanh(z[k]);
                    hand[i * n + j] += w2.get(i, k) * (1 - t * t) * w1.get(k, j);
                }
            }
        }
        Tensor rev = Autodiff.jacrev(fn, x);
        Tensor fwd = Autodiff.jacfwd(fn, x, false);
        Tensor batched = Autodiff.jacfwd(fn, x);
        assertArrayEquals(new int[] {m, n}, rev.shape());
        assertArrayEquals(new int[] {m, n}, batched.shape());
        assertArrayEquals(hand, rev.toArray(), 1e-14);
        assertArrayEquals(hand, fwd.toArray(), 1e-14);
        assertArrayEquals(hand, batched.toArray(), 1e-14);
    }

    @Test
    void batchedJacobianThroughEveryKindOfOp() {
        Tensor x = Tensor.randn(4, 2, 3);
        Function<Tensor, Tensor> fn = v -> {
            Tensor a = v.matmul(Tensor.randn(5, 3, 4)).tanh();                 // (2, 4)
            Tensor b = a.permute(1, 0).slice(0, 1, 4).reshape(2, 3);            // take, reshape
            Tensor c = Tensor.concat(0, b, v.exp()).max(true, 1);             // concat, max
            Tensor d = c.broadcastTo(4, 3).add(v.sum(0)).logSoftmax(1);      // broadcast, sum, add
            Tensor e = Tensor.where(d.gt(-1.2), d, d.square()).pad(new int[] {1, 0}, new int[] {0, 1}, 0.5);
            return e.indexSelect(0, 0, 2, 2).sigmoid().mul(v.sum().sqrt().add(3.0).log()).abs().sub(v.mean());
        };
        assertTrue(Autodiff.jacfwd(fn, x).allClose(Autodiff.jacrev(fn, x), 1e-12, 1e-13));
        assertTrue(Autodiff.jacfwd(fn, x, false).allClose(Autodiff.jacrev(fn, x), 1e-12, 1e-13));
    }

    @Test
    void severalInputsWithSomeTangentsMissing() {
        Tensor a = Tensor.fromArray(new double[] {1, 2});
        Tensor b = Tensor.fromArray(new double[] {3, 4});
        Fn f = xs -> xs[0].mul(xs[1]).sum();
        // d/da sum(a b) . va = b . va
        Autodiff.Jvp r = Autodiff.jvp(f, new Tensor[] {a, b}, new Tensor[] {Tensor.fromArray(new double[] {1, 1}), null});
        assertEquals(7.0, r.tangent().item(), 0.0);
        Autodiff.Jvp both = Autodiff.jvp(f, new Tensor[] {a, b},
                new Tensor[] {Tensor.fromArray(new double[] {1, 0}), Tensor.fromArray(new double[] {0, 1})});
        assertEquals(3.0 + 2.0, both.tangent().item(), 0.0);
    }

    @Test
    void functionIndependentOfTheInputHasAZeroTangent() {
        Autodiff.Jvp r = Autodiff.jvp(x -> Tensor.ones(2, 2), Tensor.scalar(1.0), Tensor.scalar(1.0));
        assertArrayEquals(new double[] {0, 0, 0, 0}, r.tangent().toArray());
        Autodiff.Jvp rb = Autodiff.jvp(x -> Tensor.ones(2), Tensor.zeros(3), Tensor.eye(3));
        assertArrayEquals(new int[] {3, 2}, rb.tangent().shape());
    }

    @Test
    void forwardModeRecordsNothingAndKeepsNoIntermediates() {
        WeakReference<?>[] early = new WeakReference<?>[1];
        boolean[] collected = new boolean[1];
        Autodiff.Jvp r = Autodiff.jvp(x -> {
            Tensor y = x.exp();
            early[0] = new WeakReference<>(y);
            for (int i = 0; i < 10_000; i++) {
                y = y.mul(0.9999).add(1e-6);
            }
            // still inside the computation: nothing may hold on to the first intermediate
            for (int i = 0; i < 50 && early[0].get() != null; i++) {
                System.gc();
            }
            collected[0] = early[0].get() == null;
            return y;
        }, Tensor.scalar(0.1), Tensor.scalar(1.0));
        assertTrue(collected[0], "forward mode must not keep intermediate values alive");
        assertTrue(r.value().isLeaf() && r.tangent().isLeaf());
        assertFalse(r.value().needsGrad());
        assertEquals(Math.exp(0.1) * Math.pow(0.9999, 10_000), r.tangent().item(), 1e-12);
    }

    @Test
    void valueAndGradAndVjp() {
        Tensor a = Tensor.fromArray(new double[] {1, 2, 3});
        Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(xs -> xs[0].square().sum(), a);
        assertEquals(14.0, vg.value().item(), 0.0);
        assertArrayEquals(new double[] {2, 4, 6}, vg.grads()[0].toArray());
        assertFalse(a.needsGrad(), "the caller's tensor is not marked");
        Autodiff.Vjp v = Autodiff.vjp(xs -> xs[0].mul(2.0).exp(), a);
        Tensor u = Tensor.fromArray(new double[] {1, 0, 1});
        // pullback twice: the graph is retained
        for (int k = 0; k < 2; k++) {
            double[] g = v.pullback(u)[0].toArray();
            assertEquals(2 * Math.exp(2), g[0], 1e-12);
            assertEquals(0.0, g[1], 0.0);
            assertEquals(2 * Math.exp(6), g[2], 1e-9);
        }
    }

    @Test
    void customOpRulesAreUsedAndCheckedInBothModes() {
        int[] calls = new int[2];
        CustomOp cube = CustomOp.of("cube", xs -> xs[0].pow(3.0),
                (i, g, xs, y) -> {
                    calls[0]++;
                    return g.mul(xs[0].square().mul(3.0));
                },
                (xs, ts, y) -> {
                    calls[1]++;
                    return ts[0].mul(xs[0].square().mul(3.0));
                });
        Tensor x = Tensor.fromArray(new double[] {0.5, -2});
        GradCheck.of(xs -> cube.apply(xs[0])).check(x);
        GradCheck.of(xs -> cube.apply(xs[0])).checkSecondOrder(x);
        assertTrue(calls[0] > 0 && calls[1] > 0);
        // batched forward mode calls the unbatched rule once per tangent
        assertArrayEquals(new double[] {0.75, 0, 0, 12}, Autodiff.jacfwd(cube::apply, x).toArray(), 1e-15);
    }

    @Test
    void customOpWithoutJvpFailsForwardModeClearly() {
        CustomOp noJvp = CustomOp.of("reverseOnly", xs -> xs[0].exp(), (i, g, xs, y) -> g.mul(y), null);
        Tensor x = Tensor.fromArray(new double[] {0.5});
        GradCheck.of(xs -> noJvp.apply(xs[0])).modes(GradCheck.Mode.REV).check(x);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Autodiff.jvp(noJvp::apply, x, Tensor.ones(1)));
        assertTrue(e.getMessage().contains("reverseOnly") && e.getMessage().contains("no jvp"), e.getMessage());
    }

    @Test
    void customOpRuleReturningTheWrongShapeIsReported() {
        CustomOp bad = CustomOp.of("bad", xs -> xs[0].exp(), (i, g, xs, y) -> g.sum(), (xs, ts, y) -> ts[0].sum());
        Tensor x = Tensor.ones(3).requiresGrad();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bad.apply(x).sum().backward());
        assertTrue(e.getMessage().contains("bad") && e.getMessage().contains("[3]"), e.getMessage());
        IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> Autodiff.jvp(bad::apply, Tensor.ones(3), Tensor.ones(3)));
        assertTrue(e2.getMessage().contains("jvp returned"), e2.getMessage());
    }

    @Test
    void tangentShapeIsChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Autodiff.jvp(Tensor::exp, Tensor.ones(2, 3), Tensor.ones(3, 2)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 2]"), e.getMessage());
    }

    @Test
    void dualsLeaveNoTraceOutsideJvp() {
        Tensor x = Tensor.scalar(2.0);
        Autodiff.Jvp r = Autodiff.jvp(Tensor::exp, x, Tensor.scalar(1.0));
        assertFalse(x.isDual());
        assertNull(x.dual);
        assertFalse(r.tangent().isDual());
    }

    /** A batch of no tangents through a custom op: an empty tangent, not an error (jacfwd of an empty input). */
    @Test
    void customOpPushesAnEmptyBatchOfTangents() {
        CustomOp twice = CustomOp.of("twice", xs -> xs[0].mul(2.0), (i, g, xs, y) -> g.mul(2.0), (xs, ts, y) -> ts[0].mul(2.0));
        assertArrayEquals(new int[] {0, 0}, Autodiff.jacfwd(x -> twice.apply(x), Tensor.zeros(0)).shape());
        assertArrayEquals(new int[] {0, 3}, Autodiff.jvp(x -> twice.apply(x), Tensor.zeros(3), Tensor.zeros(0, 3)).tangent().shape());
    }
}
