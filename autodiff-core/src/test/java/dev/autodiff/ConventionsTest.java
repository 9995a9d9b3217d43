package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The derivatives at the points where a convention decides them (kinks, ties, singular partials), each
 * the value PyTorch gives (README, "Derivatives at kinks"), in every mode: reverse, forward, and to second
 * order in all four nestings. Values are derived by hand.
 */
class ConventionsTest {
    /** f's first derivative at x by reverse and forward mode, and its second by the four nestings. */
    private static void assertDerivatives(String what, Function<Tensor, Tensor> f, double x, double d1, double d2) {
        Tensor one = Tensor.scalar(1.0);
        Tensor xr = Tensor.scalar(x).requiresGrad();
        assertEquals(d1, Autodiff.grad(f.apply(xr), xr)[0].item(), 1e-15, what + ": reverse");
        assertEquals(d1, Autodiff.jvp(f, Tensor.scalar(x), one).tangent().item(), 1e-15, what + ": forward");
        Tensor x2 = Tensor.scalar(x).requiresGrad();
        Tensor g = Autodiff.grad(f.apply(x2), true, x2)[0];
        double revRev = g.needsGrad() ? Autodiff.grad(g, x2)[0].item() : 0.0;
        assertEquals(d2, revRev, 1e-15, what + ": reverse over reverse");
        assertEquals(d2, Autodiff.hessian(f, Tensor.scalar(x)).item(), 1e-15, what + ": forward over reverse");
        Function<Tensor, Tensor> fwd = t -> Autodiff.jvp(f, t, one).tangent();
        assertEquals(d2, Autodiff.jvp(fwd, Tensor.scalar(x), one).tangent().item(), 1e-15, what + ": forward over forward");
        Tensor x3 = Tensor.scalar(x).requiresGrad();
        Tensor t = fwd.apply(x3);
        double revFwd = t.needsGrad() ? Autodiff.grad(t, x3)[0].item() : 0.0;
        assertEquals(d2, revFwd, 1e-15, what + ": reverse over forward");
    }

    @Test
    void reluAndAbsHaveDerivativeZeroAtZero() {
        assertDerivatives("relu at 0", Tensor::relu, 0.0, 0.0, 0.0);
        assertDerivatives("abs at 0", Tensor::abs, 0.0, 0.0, 0.0);
        assertDerivatives("abs at -0.0", Tensor::abs, -0.0, 0.0, 0.0);
        assertDerivatives("relu at 2", x -> x.relu().square(), 2.0, 4.0, 2.0);
    }

    /** softplus is smooth (1/2 and 1/4 at 0) and follows PyTorch's threshold 20 (x above it, slope 1, curvature 0). */
    @Test
    void softplusIsSmoothWithPyTorchsThreshold() {
        assertDerivatives("softplus at 0", Tensor::softplus, 0.0, 0.5, 0.25);
        double s20 = 1 / (1 + Math.exp(-20));
        assertDerivatives("softplus at its threshold", Tensor::softplus, 20.0, s20, 0.0);
        assertDerivatives("softplus above its threshold", Tensor::softplus, 20.5, 1.0, 0.0);
        double s = 1 / (1 + Math.exp(-3));
        assertDerivatives("softplus at -3", Tensor::softplus, -3.0, 1 / (1 + Math.exp(3)),
                s * (1 - s));
        assertEquals(Math.log1p(Math.exp(20)), Tensor.scalar(20).softplus().item(), 0.0);
        assertEquals(20.5, Tensor.scalar(20.5).softplus().item(), 0.0);
        assertEquals(Math.exp(-40), Tensor.scalar(-40).softplus().item(), 1e-16 * Math.exp(-40), "accurate far below 0");
        assertEquals(0.0, Tensor.scalar(-800).softplus().item());
        assertEquals(Double.POSITIVE_INFINITY, Tensor.scalar(Double.POSITIVE_INFINITY).softplus().item());
        assertTrue(Double.isNaN(Tensor.scalar(Double.NaN).softplus().item()));
    }

    @Test
    void clampPassesTheGradientOnItsClosedInterval() {
        Function<Tensor, Tensor> f = x -> x.clamp(-1.0, 1.0).mul(3.0);
        assertDerivatives("clamp at its lower bound", f, -1.0, 3.0, 0.0);
        assertDerivatives("clamp at its upper bound", f, 1.0, 3.0, 0.0);
        assertDerivatives("clamp inside", f, 0.25, 3.0, 0.0);
        assertDerivatives("clamp below", f, -1.5, 0.0, 0.0);
        assertDerivatives("clamp above", f, 7.0, 0.0, 0.0);
        assertDerivatives("clamp of a square at its bound", x -> x.square().clamp(0.0, 4.0), 2.0, 4.0, 2.0);
        assertDerivatives("clamp to a point", x -> x.clamp(0.5, 0.5), 0.5, 1.0, 0.0);
        assertTrue(Double.isNaN(Tensor.scalar(Double.NaN).clamp(-1, 1).item()), "NaN stays NaN, as PyTorch");
        assertArrayEquals(new double[] {-1, -1, 0.5, 1, 1},
                Tensor.fromArray(new double[] {-7, -1, 0.5, 1, Double.POSITIVE_INFINITY}).clamp(-1, 1).toArray(), 0.0);
    }

    @Test
    void tiesShareTheGradient() {
        // maximum and minimum: half to each input on a tie, as PyTorch
        assertDerivatives("maximum(x, 0) at 0", x -> x.maximum(0.0), 0.0, 0.5, 0.0);
        assertDerivatives("minimum(x, 0) at 0", x -> x.minimum(0.0), 0.0, 0.5, 0.0);
        assertDerivatives("maximum(x, x)", x -> x.maximum(x), 1.5, 1.0, 0.0);
        // max and min over axes: shared equally among the k tied elements, as torch.amax
        Tensor c = Tensor.fromArray(new double[] {2.0, 2.0, -1.0});
        assertDerivatives("max over a three-way tie", x -> Tensor.concat(0, x.reshape(1), c).max(), 2.0, 1.0 / 3, 0.0);
        assertDerivatives("min without a tie", x -> Tensor.concat(0, x.reshape(1), c).min(), 2.0, 0.0, 0.0);
    }

    @Test
    void powAtZeroExponentAndBase() {
        // x^0 = 1 for every x: every derivative is 0, also at x = 0 (PyTorch: 0; this was NaN at second order)
        assertDerivatives("x^0 at 0", x -> x.pow(0.0), 0.0, 0.0, 0.0);
        assertDerivatives("x^0 at 2", x -> x.pow(0.0), 2.0, 0.0, 0.0);
        assertDerivatives("x^1 at 0", x -> x.pow(1.0), 0.0, 1.0, 0.0);
        assertDerivatives("x^2 at 0", x -> x.pow(2.0), 0.0, 0.0, 2.0);
        assertDerivatives("x^3 at 0", x -> x.pow(3.0), 0.0, 0.0, 0.0);
        // d/db a^b = a^b log a, taken as 0 at a = 0 for b >= 0 (as PyTorch); its derivative stays finite
        assertDerivatives("0^b at b = 0", b -> Tensor.scalar(0.0).pow(b), 0.0, 0.0, 0.0);
        assertDerivatives("0^b at b = 2", b -> Tensor.scalar(0.0).pow(b), 2.0, 0.0, 0.0);
        assertDerivatives("2^b at b = 0", b -> Tensor.scalar(2.0).pow(b), 0.0, Math.log(2), Math.log(2) * Math.log(2));
    }

    /**
     * The mixed partial d/db (d/da a^b) at b = 0 is 1/a (a > 0); PyTorch's mask on its rule gives 0 there, a
     * known PyTorch defect. Checked by hand and by finite differences of the first derivative. (For a < 0,
     * b -> a^b is not real away from the integers, and the b-derivatives are NaN, as PyTorch's.)
     */
    @Test
    void powCrossDerivativeAtZeroExponentIsOneOverTheBase() {
        for (double a : new double[] {2.0, 0.5, 3.0}) {
            Tensor ta = Tensor.scalar(a).requiresGrad();
            Tensor tb = Tensor.scalar(0.0).requiresGrad();
            Tensor dA = Autodiff.grad(ta.pow(tb), true, ta, tb)[0];
            assertEquals(1 / a, Autodiff.grad(dA, tb)[0].item(), 1e-15, "d2/(db da) a^b at b = 0, a = " + a);
            Fn f = xs -> xs[0].pow(xs[1]);
            GradCheck.of(f).tolerance(1e-7, 1e-6).checkSecondOrder(Tensor.scalar(a), Tensor.scalar(0.0));
        }
    }

    /** Every order of pow at its special points is finite: where's discarded branch never leaks 0 * inf. */
    @Test
    void powRulesStayFiniteToThirdOrder() {
        double[][] points = {{0, 0}, {0, 1}, {0, 2}, {0, 3}, {2, 0}, {1, 0}, {0.5, 0}};
        for (double[] p : points) {
            Tensor a = Tensor.scalar(p[0]).requiresGrad();
            Tensor b = Tensor.scalar(p[1]).requiresGrad();
            Tensor y = a.pow(b);
            for (int order = 1; order <= 3; order++) {
                Tensor[] g = Autodiff.grad(y, true, a, b);
                for (Tensor gi : g) {
                    assertTrue(Double.isFinite(gi.item()), "order " + order + " at a=" + p[0] + ", b=" + p[1] + ": " + gi);
                }
                y = g[0].add(g[1]);
                if (!y.needsGrad()) {
                    break;
                }
            }
        }
    }

    @Test
    void softmaxFamilyIsExactAtAnyMagnitude() {
        assertArrayEquals(new double[] {0.5, 0.5}, Tensor.fromArray(new double[] {1e16, 1e16}).softmax(0).toArray(), 0.0);
        double ln2 = Math.log(2);
        assertArrayEquals(new double[] {-ln2, -ln2}, Tensor.fromArray(new double[] {1e300, 1e300}).logSoftmax(0).toArray(), 1e-16);
        assertArrayEquals(new double[] {-ln2, -ln2}, Tensor.fromArray(new double[] {-1e300, -1e300}).logSoftmax(0).toArray(), 1e-16);
        double z = 1 + Math.exp(-1) + Math.exp(-2);
        double[] expected = {1 / z, Math.exp(-1) / z, Math.exp(-2) / z};
        for (double m : new double[] {0, 1e12, 1e15, -1e15}) {
            double[] got = Tensor.fromArray(new double[] {m, m - 1, m - 2}).softmax(0).toArray();
            for (int i = 0; i < 3; i++) {
                assertEquals(expected[i], got[i], 4e-16 * expected[i], "softmax at m = " + m + ", element " + i);
            }
            double[] log = Tensor.fromArray(new double[] {m, m - 1, m - 2}).logSoftmax(0).toArray();
            for (int i = 0; i < 3; i++) {
                assertEquals(-i - Math.log(z), log[i], 1e-15, "logSoftmax at m = " + m + ", element " + i);
            }
        }
        assertEquals(1e300 + 0.0, Tensor.fromArray(new double[] {1e300, 1e300}).logSumExp().item(), 0.0);
        // the gradient of softmax's first element at equal logits: p (1 - p) = 1/4, -p q = -1/4
        Tensor x = Tensor.fromArray(new double[] {1e16, 1e16}).requiresGrad();
        assertArrayEquals(new double[] {0.25, -0.25}, Autodiff.grad(x.softmax(0).slice(0, 0, 1).sum(), x)[0].toArray(), 1e-16);
    }

    /** Non-finite logits as PyTorch: a line holding +infinity, or only -infinity, gives NaN; logsumexp gives +-inf. */
    @Test
    void softmaxFamilyAtInfinityMatchesPyTorch() {
        double inf = Double.POSITIVE_INFINITY;
        for (double v : Tensor.fromArray(new double[] {inf, 1}).softmax(0).toArray()) {
            assertTrue(Double.isNaN(v));
        }
        for (double v : Tensor.fromArray(new double[] {-inf, -inf}).logSoftmax(0).toArray()) {
            assertTrue(Double.isNaN(v));
        }
        assertEquals(inf, Tensor.fromArray(new double[] {inf, 1}).logSumExp().item());
        assertEquals(-inf, Tensor.fromArray(new double[] {-inf, -inf}).logSumExp().item());
        // a -infinity logit has probability 0 and passes no gradient
        Tensor x = Tensor.fromArray(new double[] {-inf, 1, 2}).requiresGrad();
        Tensor p = x.softmax(0);
        assertEquals(0.0, p.toArray()[0]);
        assertArrayEquals(new double[] {0, 0, 0}, Autodiff.grad(p.sum(), x)[0].toArray(), 1e-16);
    }

    @Test
    void softmaxFamilyOverAnEmptyAxis() {
        Tensor e = Tensor.zeros(3, 0).requiresGrad();
        assertArrayEquals(new int[] {3, 0}, e.softmax(1).shape());
        assertArrayEquals(new int[] {3, 0}, e.logSoftmax(-1).shape());
        Tensor lse = e.logSumExp(1);
        assertArrayEquals(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY},
                lse.toArray());
        assertArrayEquals(new int[] {3, 0}, Autodiff.grad(lse.sum(), e)[0].shape());
        assertArrayEquals(new int[] {0, 1}, Tensor.zeros(0, 4).logSumExp(true, 1).shape());
        // the Jacobian is empty, so every tangent of the result is 0 (it was 0 / 0)
        assertArrayEquals(new double[] {0, 0}, Autodiff.jvp(x -> x.logSumExp(0), Tensor.zeros(0, 2), Tensor.zeros(0, 2))
                .tangent().toArray());
        assertArrayEquals(new int[] {2, 0, 2}, Autodiff.jacfwd(x -> x.logSumExp(0), Tensor.zeros(0, 2)).shape());
    }

    /** A rank-0 tensor accepts axis 0 or -1 wherever PyTorch's reductions and squeeze/transpose do. */
    @Test
    void rankZeroTensorsAcceptAxisZeroAndMinusOne() {
        Tensor s = Tensor.scalar(3.0);
        for (int axis : new int[] {0, -1}) {
            assertEquals(3.0, s.sum(axis).item());
            assertEquals(3.0, s.mean(axis).item());
            assertEquals(3.0, s.max(axis).item());
            assertEquals(3.0, s.min(true, axis).item());
            assertEquals(3.0, s.logSumExp(axis).item(), 1e-15);
            assertEquals(1.0, s.softmax(axis).item());
            assertEquals(0.0, s.logSoftmax(axis).item());
            assertEquals(0.0, s.argmax(axis).item());
            assertEquals(0.0, s.argmin(axis).item());
            assertEquals(0, s.squeeze(axis).rank());
            assertEquals(0, s.transpose(axis, 0).rank());
            assertEquals(0, s.sum(axis).rank());
        }
        assertThrows(IllegalArgumentException.class, () -> s.sum(1));
        assertThrows(IllegalArgumentException.class, () -> s.sum(0, -1));
        assertThrows(IllegalArgumentException.class, () -> s.softmax(-2));
        Tensor x = Tensor.scalar(0.5).requiresGrad();
        assertEquals(0.0, Autodiff.grad(x.softmax(0), x)[0].item());
        assertEquals(1.0, Autodiff.grad(x.sum(-1), x)[0].item());
    }
}
