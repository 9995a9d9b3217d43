package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.Fn;
import dev.autodiff.Tensor;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The losses of issue 17 exactly at their kinks (huber at |x| = delta, smooth L1 at |x| = beta and at 0 for
 * beta = 0, L1 at 0, the hinges of margin ranking, hinge and cosine embedding, multi-margin at a zero margin
 * violation, KL divergence at p = 0), as KinkTest does for the activations: value, gradient with respect to
 * every input in reverse mode, forward mode along each input, and second order four ways. The oracle is
 * PyTorch 1.13 in float64 (fixtures "lk.*" of fixtures/generate_losses.py), with hand values where PyTorch
 * has none (multi-margin's forward mode and double backward) or a NaN (KL's target derivative at p = 0).
 */
class LossKinkTest {
    private static final TorchFixtures F = LossOptionsTest.F;

    /** An elementwise loss (reduction none) of its inputs; {@code hand} replaces PyTorch's arrays by name. */
    record Kink(String name, Fn f, boolean elementwise, double atol, Map<String, double[]> hand) {
        @Override
        public String toString() {
            return name;
        }

        Tensor[] inputs() {
            int n = 0;
            while (F.has("lk." + name + ".in" + n)) {
                n++;
            }
            Tensor[] xs = new Tensor[n];
            for (int k = 0; k < n; k++) {
                xs[k] = F.get("lk." + name + ".in" + k);
            }
            return xs;
        }

        double[] expected(String what) {
            return hand.containsKey(what) ? hand.get(what) : F.get("lk." + name + "." + what).toArray();
        }
    }

    private static final double INF = Double.POSITIVE_INFINITY;

    static Stream<Kink> kinks() {
        Reduction none = Reduction.NONE;
        Tensor hingeY = F.get("lk.hingeEmbedding.target");
        Tensor cosineY = F.get("lk.cosineEmbedding.target");
        double[] klTarget = F.get("lk.klDiv.in1").toArray();
        double[] klInput = F.get("lk.klDiv.in0").toArray();
        double[] klD1 = new double[klTarget.length]; // d/dp (p log p - p x) = log p + 1 - x: -inf at p = 0 (PyTorch: NaN)
        for (int i = 0; i < klD1.length; i++) {
            klD1[i] = klTarget[i] == 0 ? -INF : F.get("lk.klDiv.d1.1").toArray()[i];
            assertTrue(klTarget[i] == 0 || Math.abs(klD1[i] - (Math.log(klTarget[i]) + 1 - klInput[i])) < 1e-12 * Math.abs(klD1[i]));
        }
        return Stream.of(
                new Kink("huber", xs -> Losses.huber(xs[0], xs[1], none, 1.0), true, 0, Map.of()),
                new Kink("huberHalf", xs -> Losses.huber(xs[0], xs[1], none, 0.5), true, 0, Map.of()),
                new Kink("smoothL1", xs -> Losses.smoothL1(xs[0], xs[1], none, 1.0), true, 0, Map.of()),
                new Kink("smoothL1Beta", xs -> Losses.smoothL1(xs[0], xs[1], none, 0.25), true, 0, Map.of()),
                new Kink("smoothL1Beta0", xs -> Losses.smoothL1(xs[0], xs[1], none, 0.0), true, 0, Map.of()),
                new Kink("l1", xs -> Losses.l1(xs[0], xs[1], none), true, 0, Map.of()),
                new Kink("hingeEmbedding", xs -> Losses.hingeEmbedding(xs[0], hingeY, 1.0, none), true, 0, Map.of()),
                new Kink("marginRanking", xs -> Losses.marginRanking(xs[0], xs[1], xs[2], 0.5, none), true, 0, Map.of()),
                new Kink("cosineEmbedding", xs -> Losses.cosineEmbedding(xs[0], xs[1], cosineY, 0.0, none), false, 1e-15, Map.of()),
                new Kink("klDiv", xs -> Losses.klDiv(xs[0], xs[1], none, false), true, 0, Map.of("d1.1", klD1, "jvp.1", klD1)));
    }

    static void close(double[] expected, Tensor actual, String what) {
        close(expected, actual, what, 0);
    }

    /**
     * To 1e-12 relative, plus {@code atol}: nonzero only for cosineEmbedding, whose inputs are of order 1 and one of
     * whose derivatives is 0 in exact arithmetic (cos - cos) and rounding noise of 5e-13 in PyTorch and here alike.
     */
    static void close(double[] expected, Tensor actual, String what, double atol) {
        double[] got = actual.toArray();
        assertEquals(expected.length, got.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = got[i];
            boolean ok = e == a || (Double.isNaN(e) && Double.isNaN(a)) || Math.abs(e - a) <= 1e-12 * Math.abs(e) + atol;
            assertTrue(ok, what + " at element " + i + ": expected " + e + ", got " + a);
        }
    }

    private static Tensor[] with(Tensor[] xs, int k, Tensor x) {
        Tensor[] ys = xs.clone();
        ys[k] = x;
        return ys;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinks")
    void valueAndReverseModeInEveryInput(Kink c) {
        Tensor[] xs = c.inputs();
        Tensor[] leaves = new Tensor[xs.length];
        for (int k = 0; k < xs.length; k++) {
            leaves[k] = xs[k].detach().requiresGrad();
        }
        Tensor v = c.f.apply(leaves);
        close(c.expected("value"), v, c + " value", c.atol);
        Tensor[] g = Autodiff.grad(v.sum(), leaves);
        for (int k = 0; k < xs.length; k++) {
            close(c.expected("d1." + k), g[k], c + " d/d input " + k, c.atol);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinks")
    void forwardModeAlongEachInput(Kink c) {
        Tensor[] xs = c.inputs();
        for (int k = 0; k < xs.length; k++) {
            int at = k;
            UnaryOperator<Tensor> along = x -> c.f.apply(with(xs, at, x));
            Tensor tangent = Autodiff.jvp(along, xs[k], Tensor.ones(xs[k].shape())).tangent();
            // elementwise, the tangent along ones is the gradient of the sum; else PyTorch's forward mode
            close(c.expected((c.elementwise ? "d1." : "jvp.") + k), tangent, c + " jvp along input " + k, c.atol);
            if (c.elementwise && F.has("lk." + c.name + ".jvp." + k) && !c.hand.containsKey("jvp." + k)) {
                close(c.expected("d1." + k), F.get("lk." + c.name + ".jvp." + k), c + ": PyTorch's forward mode agrees with its reverse mode", c.atol);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinks")
    void secondOrderEveryWay(Kink c) {
        Tensor[] xs = c.inputs();
        Tensor[] leaves = new Tensor[xs.length];
        for (int k = 0; k < xs.length; k++) {
            leaves[k] = xs[k].detach().requiresGrad();
        }
        // reverse over reverse: d/d input k of sum(d/d input 0 of sum f)
        Tensor d1 = Autodiff.grad(c.f.apply(leaves).sum(), true, leaves[0])[0];
        Tensor[] d2 = d1.needsGrad() ? Autodiff.grad(d1.sum(), leaves) : null;
        for (int k = 0; k < xs.length; k++) {
            close(c.expected("d2." + k), d2 == null ? Tensor.zeros(xs[k].shape()) : d2[k], c + " d2 / (d input 0, d input " + k + ")", c.atol);
        }
        double[] d2x = c.expected("d2.0");
        UnaryOperator<Tensor> f0 = x -> c.f.apply(with(xs, 0, x));
        Tensor ones = Tensor.ones(xs[0].shape());
        // forward over reverse: the Hessian in input 0 times ones (symmetric, so the same contraction)
        close(d2x, Autodiff.hvp(x -> f0.apply(x).sum(), xs[0], ones), c + " forward over reverse (hvp)", c.atol);
        if (c.elementwise) {
            close(d2x, Autodiff.jvp(v -> Autodiff.jvp(f0, v, ones).tangent(), xs[0], ones).tangent(), c + " forward over forward", c.atol);
            Tensor x0 = xs[0].detach().requiresGrad();
            Tensor t = Autodiff.jvp(f0, x0, ones).tangent();
            close(d2x, t.needsGrad() ? Autodiff.grad(t.sum(), x0)[0] : Tensor.zeros(xs[0].shape()), c + " reverse over forward", c.atol);
        }
    }

    /**
     * Multi-margin at margin - x[y] + x[j] = 0, where PyTorch's kernel counts only z &gt; 0 (derivative 0 there).
     * Its reverse mode is PyTorch's fixture; forward mode and second order, which PyTorch lacks, by hand: the row
     * loss sum over active j of z_j^p / C has the Jacobian of the fixture's gradient, and for p = 2 the Hessian
     * 2/C on (j, j), -2/C on (j, y) and (y, j), 2 |active| / C on (y, y), over the j with z_j &gt; 0.
     */
    @Test
    void multiMarginAtItsHinges() {
        int[] y = F.labels("lk.multiMargin.labels");
        for (int p = 1; p <= 2; p++) {
            String name = p == 1 ? "multiMargin" : "multiMarginP2";
            int pp = p;
            Tensor x = F.get("lk." + name + ".in0");
            UnaryOperator<Tensor> f = v -> Losses.multiMargin(v, y, pp, 1.0, null, Reduction.NONE);
            Tensor leaf = x.detach().requiresGrad();
            Tensor v = f.apply(leaf);
            close(F.get("lk." + name + ".value").toArray(), v, name + " value");
            double[] g = F.get("lk." + name + ".d1.0").toArray();
            close(g, Autodiff.grad(v.sum(), leaf)[0], name + " reverse");
            int n = x.dim(0);
            int c = x.dim(1);
            // the Jacobian (n, n c): row i holds the gradient of loss i, which reads row i of x only
            double[] jac = new double[n * n * c];
            for (int i = 0; i < n; i++) {
                System.arraycopy(g, i * c, jac, i * n * c + i * c, c);
            }
            close(jac, Autodiff.jacfwd(f, x), name + " jacfwd");
            double[] xv = x.toArray();
            double[] h = new double[n * c * n * c];
            for (int i = 0; p == 2 && i < n; i++) {
                int yi = i * c + y[i];
                for (int j = 0; j < c; j++) {
                    int ij = i * c + j;
                    if (j != y[i] && 1.0 - xv[yi] + xv[ij] > 0) {
                        h[ij * n * c + ij] += 2.0 / c;
                        h[ij * n * c + yi] -= 2.0 / c;
                        h[yi * n * c + ij] -= 2.0 / c;
                        h[yi * n * c + yi] += 2.0 / c;
                    }
                }
            }
            close(h, Autodiff.hessian(w -> f.apply(w).sum(), x), name + " Hessian, forward over reverse");
            close(h, Autodiff.jacrev(w -> Autodiff.grad(f.apply(w).sum(), true, w)[0], x.detach()), name + " Hessian, reverse over reverse");
            close(h, Autodiff.jacfwd(w -> Autodiff.jacfwd(u -> f.apply(u).sum().reshape(1), w).reshape(n, c), x),
                    name + " Hessian, forward over forward");
        }
    }

    /** smoothL1 with beta = 0 at x = 0: PyTorch's -1 in both the input and the target (l1's 0 and 0 are not it). */
    @Test
    void smoothL1WithBetaZeroAtZeroIsMinusOneInBothArguments() {
        Tensor a = Tensor.fromArray(new double[] {0.5}).requiresGrad();
        Tensor b = Tensor.fromArray(new double[] {0.5}).requiresGrad();
        Tensor[] g = Autodiff.grad(Losses.smoothL1(a, b, Reduction.SUM, 0.0), a, b);
        assertEquals(-1.0, g[0].item());
        assertEquals(-1.0, g[1].item());
        Tensor[] l = Autodiff.grad(Losses.l1(a, b, Reduction.SUM), a, b);
        assertTrue(l[0].item() == 0 && l[1].item() == 0, "l1 at 0: " + l[0] + ", " + l[1]);
    }
}
