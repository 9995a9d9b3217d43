package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every activation and loss exactly at its kinks (and at a few smooth points): value, derivative in reverse
 * mode, forward mode (jvp, batched jacfwd), and second order four ways (reverse over reverse, forward over
 * reverse through Autodiff.hvp and hessian, forward over forward, reverse over forward). The oracle is
 * PyTorch 1.13 in float64 (fixtures "kink.*" and "kinkLoss.*" of fixtures/generate.py); where PyTorch has
 * no answer or a wrong one, hand-derived values or finite differences of our own first derivative, as
 * noted case by case.
 */
class KinkTest {
    private static final TorchFixtures F = new TorchFixtures("torch_reference.txt", "torch_activations.txt");
    private static final double RTOL = 1e-12;

    /** An activation, with hand values replacing PyTorch's where PyTorch is wrong or silent (null: use PyTorch's). */
    record Act(String name, UnaryOperator<Tensor> f, double[] y, double[] d1, double[] d2) {
        @Override
        public String toString() {
            return name;
        }

        double[] expected(String what, double[] hand) {
            return hand != null ? hand : F.get("kink." + name + "." + what).toArray();
        }
    }

    private static final double TINY = Math.scalb(1.0, -54); // 2^-54: 0.25 (2^-52 - 2) + 0.5, exactly

    static Stream<Act> activations() {
        return Stream.of(
                new Act("relu", Activations::relu, null, null, null),
                new Act("leakyRelu", x -> Activations.leakyRelu(x, 0.1), null, null, null),
                new Act("elu", x -> Activations.elu(x, 1.3), null, null, null),
                new Act("selu", Activations::selu, null, null, null),
                new Act("softplus", Activations::softplus, null, null, null),
                new Act("hardTanh", Activations::hardTanh, null, null, null),
                // PyTorch's oracle here is its hardsigmoid at 1.5 x: its derivative carries 1/6 as a float
                // (0.25000000745), its value at -2 + ulp the rounding of 1.5 x, and it has no double backward.
                // Points: -2, 2, -2 + ulp, -2 - ulp, 2 - ulp, 2 + ulp, 0, 5, -5.
                new Act("hardSigmoid", Activations::hardSigmoid, new double[] {0, 1, TINY, 0, 1, 1, 0.5, 1, 0},
                        new double[] {0, 0, 0.25, 0, 0.25, 0, 0.25, 0, 0}, new double[9]),
                new Act("prelu", x -> Activations.prelu(x, Tensor.scalar(0.25)), null, null, null),
                new Act("sigmoid", Activations::sigmoid, null, null, null),
                new Act("tanh", Activations::tanh, null, null, null),
                new Act("gelu", Activations::gelu, null, null, null),
                new Act("swish", x -> Activations.swish(x, Tensor.scalar(1.5)), null, null, null),
                // issue 17 (fixtures/generate_activations.py, each point alone: PyTorch's scalar kernel, see there)
                new Act("hardSwish", Activations::hardSwish, null, null, null),
                new Act("softsign", Activations::softsign, null, null, null),
                new Act("celu", x -> Activations.celu(x, 1.25), null, null, null),
                new Act("rreluEval", x -> Activations.rrelu(x, 1.0 / 8, 1.0 / 3), null, null, null),
                new Act("logSigmoid", Activations::logSigmoid, null, null, null),
                new Act("mish", Activations::mish, null, null, null),
                new Act("silu", Activations::silu, null, null, null));
    }

    private static Tensor points(Act a) {
        return F.get("kink." + a.name + ".x");
    }

    static void close(double[] expected, Tensor actual, String what) {
        double[] got = actual.toArray();
        assertEquals(expected.length, got.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = got[i];
            boolean ok = e == a || (Double.isNaN(e) && Double.isNaN(a)) || Math.abs(e - a) <= RTOL * Math.abs(e);
            assertTrue(ok, what + " at element " + i + ": expected " + e + ", got " + a);
        }
    }

    /** The elementwise second derivative by reverse over reverse: d/dx sum(d/dx sum f(x)). */
    private static Tensor secondReverse(UnaryOperator<Tensor> f, Tensor x) {
        Tensor xg = x.detach().requiresGrad();
        Tensor d1 = Autodiff.grad(f.apply(xg).sum(), true, xg)[0];
        return d1.needsGrad() ? Autodiff.grad(d1.sum(), xg)[0] : Tensor.zeros(x.shape());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void valueAndReverseMode(Act a) {
        Tensor x = points(a).requiresGrad();
        Tensor y = a.f.apply(x);
        close(a.expected("y", a.y), y, a + " value");
        close(a.expected("d1", a.d1), Autodiff.grad(y.sum(), x)[0], a + " derivative, reverse mode");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void forwardModeEqualsTheReverseDerivative(Act a) {
        Tensor x = points(a);
        double[] d1 = a.expected("d1", a.d1);
        close(d1, Autodiff.jvp(a.f, x, Tensor.ones(x.shape())).tangent(), a + " jvp");
        // batched: one pass with the n basis tangents gives the diagonal Jacobian
        Tensor jac = Autodiff.jacfwd(a.f, x);
        close(diagonal(d1), jac, a + " jacfwd");
        if (F.has("kink." + a.name + ".jvp") && a.d1 == null) {
            close(d1, F.get("kink." + a.name + ".jvp"), a + ": PyTorch's own forward mode agrees with its reverse mode");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void secondOrderEveryWay(Act a) {
        Tensor x = points(a);
        double[] d2 = a.expected("d2", a.d2);
        UnaryOperator<Tensor> f = a.f;
        close(d2, secondReverse(f, x), a + " second derivative, reverse over reverse");
        close(d2, Autodiff.hvp(v -> f.apply(v).sum(), x, Tensor.ones(x.shape())), a + " forward over reverse (hvp)");
        close(diagonal(d2), Autodiff.hessian(v -> f.apply(v).sum(), x), a + " forward over reverse (hessian)");
        Tensor ones = Tensor.ones(x.shape());
        close(d2, Autodiff.jvp(v -> Autodiff.jvp(f, v, ones).tangent(), x, ones).tangent(), a + " forward over forward");
        Tensor xg = x.detach().requiresGrad();
        Tensor t = Autodiff.jvp(f, xg, ones).tangent();
        close(d2, t.needsGrad() ? Autodiff.grad(t.sum(), xg)[0] : Tensor.zeros(x.shape()), a + " reverse over forward");
    }

    private static double[] diagonal(double[] d) {
        double[] m = new double[d.length * d.length];
        for (int i = 0; i < d.length; i++) {
            m[i * d.length + i] = d[i];
        }
        return m;
    }

    @Test
    void preluSlopeGradientAtTheKink() {
        // d/da prelu(x, a) = x where x <= 0 and 0 where x > 0 (PyTorch); d^2/(dx da) = 1 where x <= 0, d^2/da^2 = 0
        Tensor x = points(activations().filter(a -> a.name.equals("prelu")).findFirst().orElseThrow()).requiresGrad();
        Tensor a = Tensor.fromArray(new double[] {0.25}).requiresGrad();
        Tensor[] g = Autodiff.grad(Activations.prelu(x, a).sum(), true, x, a);
        close(F.get("kink.prelu.dSlope").toArray(), g[1], "prelu d/da");
        close(new double[] {1, 1, 0, 1, 0, 1}, Autodiff.grad(g[1].sum(), x)[0], "prelu d2/(da dx)");
        // the same per channel, where the input has an exact 0 in every channel
        Tensor xc = Tensor.zeros(2, 3).requiresGrad();
        Tensor ac = Tensor.fromArray(new double[] {0.1, 0.2, 0.3}).requiresGrad();
        Tensor[] gc = Autodiff.grad(Activations.prelu(xc, ac).sum(), xc, ac);
        close(new double[] {0.1, 0.2, 0.3, 0.1, 0.2, 0.3}, gc[0], "per-channel prelu d/dx at 0");
        close(new double[] {0, 0, 0}, gc[1], "per-channel prelu d/da at 0");
        // and through the module: an infinite input must not make the slope's gradient NaN (0 times inf)
        PRelu m = new PRelu(1);
        Tensor big = Tensor.fromArray(new double[] {Double.POSITIVE_INFINITY, -2.0});
        m.forward(big).sum().backward();
        close(new double[] {-2.0}, m.parameters().get("weight").grad(), "PRelu slope gradient with an infinite input");
    }

    @Test
    void discardedBranchesLeakNoNaNAtAnyOrder() {
        // each where-branch sees safe inputs where it is not taken: infinities give finite derivatives
        double inf = Double.POSITIVE_INFINITY;
        Tensor x = Tensor.fromArray(new double[] {inf, -inf, 800, -800});
        List<UnaryOperator<Tensor>> fs = List.of(v -> Activations.elu(v, 1.3), Activations::selu, Activations::softplus,
                v -> Activations.leakyRelu(v, 0.1), Activations::hardTanh, Activations::hardSigmoid,
                v -> Activations.prelu(v, Tensor.scalar(0.25)));
        for (UnaryOperator<Tensor> f : fs) {
            Tensor d1 = Autodiff.jvp(f, x, Tensor.ones(4)).tangent();
            Tensor d2 = secondReverse(f, x);
            Tensor h = Autodiff.hvp(v -> f.apply(v).sum(), x, Tensor.ones(4));
            for (Tensor t : new Tensor[] {d1, d2, h}) {
                for (double v : t.toArray()) {
                    assertTrue(Double.isFinite(v), "a derivative at +-inf or +-800 is " + v + ": " + t);
                }
            }
        }
    }

    @Test
    void infinitiesAsPyTorch() {
        // value and derivative at +inf and -inf, as PyTorch 1.13 gives them (gelu and swish are NaN at -inf there too)
        double inf = Double.POSITIVE_INFINITY;
        Object[][] rows = {
                {"elu", (UnaryOperator<Tensor>) v -> Activations.elu(v, 1.0), new double[] {inf, -1}, new double[] {1, 0}},
                {"selu", (UnaryOperator<Tensor>) Activations::selu, new double[] {inf, -Activations.SELU_SCALE * Activations.SELU_ALPHA},
                        new double[] {Activations.SELU_SCALE, 0}},
                {"softplus", (UnaryOperator<Tensor>) Activations::softplus, new double[] {inf, 0}, new double[] {1, 0}},
                {"leakyRelu", (UnaryOperator<Tensor>) v -> Activations.leakyRelu(v, 0.1), new double[] {inf, -inf}, new double[] {1, 0.1}},
                {"prelu", (UnaryOperator<Tensor>) v -> Activations.prelu(v, Tensor.scalar(0.25)), new double[] {inf, -inf},
                        new double[] {1, 0.25}},
                {"hardTanh", (UnaryOperator<Tensor>) Activations::hardTanh, new double[] {1, -1}, new double[] {0, 0}},
                {"hardSigmoid", (UnaryOperator<Tensor>) Activations::hardSigmoid, new double[] {1, 0}, new double[] {0, 0}},
                {"relu", (UnaryOperator<Tensor>) Activations::relu, new double[] {inf, 0}, new double[] {1, 0}},
                {"sigmoid", (UnaryOperator<Tensor>) Activations::sigmoid, new double[] {1, 0}, new double[] {0, 0}},
                {"tanh", (UnaryOperator<Tensor>) Activations::tanh, new double[] {1, -1}, new double[] {0, 0}}};
        for (Object[] r : rows) {
            @SuppressWarnings("unchecked")
            UnaryOperator<Tensor> f = (UnaryOperator<Tensor>) r[1];
            Tensor x = Tensor.fromArray(new double[] {inf, -inf}).requiresGrad();
            Tensor y = f.apply(x);
            close((double[]) r[2], y, r[0] + " at +-inf");
            close((double[]) r[3], Autodiff.grad(y.sum(), x)[0], r[0] + "' at +-inf");
        }
    }

    @Test
    void nanStaysNaN() {
        Tensor nan = Tensor.scalar(Double.NaN);
        for (UnaryOperator<Tensor> f : List.<UnaryOperator<Tensor>>of(Activations::relu, v -> Activations.elu(v, 1.0),
                Activations::selu, Activations::softplus, Activations::hardTanh, Activations::hardSigmoid,
                v -> Activations.leakyRelu(v, 0.1), v -> Activations.prelu(v, Tensor.scalar(0.25)))) {
            Tensor y = f.apply(nan);
            assertArrayEquals(new int[0], y.shape());
            assertTrue(Double.isNaN(y.item()), "NaN in, " + y.item() + " out");
        }
    }

    @Test
    void l1PenaltyAtZero() {
        // |w|' = sign w, 0 at 0 (PyTorch's abs); second derivative 0
        UnaryOperator<Tensor> f = w -> Losses.l1Penalty(List.of(w));
        Tensor w = Tensor.fromArray(new double[] {0.0, -0.0, 2.0, -3.0});
        close(new double[] {0, 0, 1, -1}, Autodiff.grad(f.apply(w.requiresGrad()), w)[0], "l1 reverse");
        close(new double[] {0}, Autodiff.jvp(f, w.detach(), Tensor.fromArray(new double[] {1, 1, 0, 0})).tangent(), "l1 jvp at 0");
        close(new double[16], Autodiff.hessian(f, w.detach()), "l1 hessian");
    }

    @Test
    void maxoutSharesTiedPiecesEqually() {
        // two identical pieces: as PyTorch's amax, each gets half of the gradient
        Maxout m = new Maxout(2, 1, 2, 3);
        m.parameters().get("linear.weight").assign(Tensor.fromArray(new double[] {1, 1, 2, 2}, 2, 2));
        m.parameters().get("linear.bias").assign(Tensor.fromArray(new double[] {0.5, 0.5}));
        Tensor x = Tensor.fromArray(new double[] {3, -1}, 1, 2);
        m.forward(x).sum().backward();
        close(new double[] {1.5, 1.5, -0.5, -0.5}, m.parameters().get("linear.weight").grad(), "tied maxout weight gradient");
        close(new double[] {0.5, 0.5}, m.parameters().get("linear.bias").grad(), "tied maxout bias gradient");
    }

    // ---------------------------------------------------------------------------------------------- losses

    /** Each case of a loss fixture alone (n = 1): PyTorch's elementwise value, and its gradients times n. */
    private static void lossCaseByCase(String name, BinaryOperator<Tensor> loss) {
        double[] in = F.get("kinkLoss." + name + ".input").toArray();
        double[] tg = F.get("kinkLoss." + name + ".target").toArray();
        double[] each = F.get("kinkLoss." + name + ".each").toArray();
        double[] gIn = F.get("kinkLoss." + name + ".gradInput").toArray();
        double[] gT = F.get("kinkLoss." + name + ".gradTarget").toArray();
        int n = in.length;
        for (int i = 0; i < n; i++) {
            String at = name + " at input " + in[i] + ", target " + tg[i];
            Tensor x = Tensor.fromArray(new double[] {in[i]}).requiresGrad();
            Tensor t = Tensor.fromArray(new double[] {tg[i]}).requiresGrad();
            Tensor v = loss.apply(x, t);
            close(new double[] {each[i]}, v, at + ": value");
            Tensor[] g = Autodiff.grad(v, x, t);
            close(new double[] {gIn[i] * n}, g[0], at + ": d/dinput");
            close(new double[] {gT[i] * n}, g[1], at + ": d/dtarget");
            // forward mode, with a tangent on the input only: finite wherever the gradient is, even where the
            // target's partial derivative is infinite (a target without a tangent contributes exactly 0)
            Tensor tc = t.detach();
            close(new double[] {gIn[i] * n}, Autodiff.jvp(z -> loss.apply(z, tc), x.detach(), Tensor.ones(1)).tangent(),
                    at + ": jvp in the input");
            Tensor xc = x.detach();
            if (Double.isFinite(gT[i])) {
                close(new double[] {gT[i] * n}, Autodiff.jvp(s -> loss.apply(xc, s), t.detach(), Tensor.ones(1)).tangent(),
                        at + ": jvp in the target");
            }
        }
    }

    @Test
    void bceWithLogitsAtItsEdges() {
        BinaryOperator<Tensor> loss = Losses::binaryCrossEntropyWithLogits;
        lossCaseByCase("bceWithLogits", loss);
        // the mean over the finite cases, as one call
        Tensor z = F.get("kinkLoss.bceWithLogitsFinite.input").requiresGrad();
        Tensor t = F.get("kinkLoss.bceWithLogitsFinite.target").requiresGrad();
        Tensor v = loss.apply(z, t);
        close(F.get("kinkLoss.bceWithLogitsFinite.value").toArray(), v, "bceWithLogits mean");
        Tensor[] g = Autodiff.grad(v, true, z, t);
        close(F.get("kinkLoss.bceWithLogitsFinite.gradInput").toArray(), g[0], "bceWithLogits d/dz");
        close(F.get("kinkLoss.bceWithLogitsFinite.gradTarget").toArray(), g[1], "bceWithLogits d/dt");
        // second order by hand: d2/dz2 = sigmoid'(z) / n (1/4 / n at z = 0), d2/(dz dt) = -1 / n, d2/dt2 = 0
        int n = z.size();
        double[] zs = z.toArray();
        double[] hzz = new double[n * n];
        for (int i = 0; i < n; i++) {
            double s = 1 / (1 + Math.exp(-zs[i]));
            hzz[i * n + i] = s * (1 - s) / n;
        }
        close(hzz, Autodiff.jacrev(w -> Autodiff.grad(loss.apply(w, t.detach()), true, w)[0], z.detach()),
                "bceWithLogits d2/dz2, reverse over reverse");
        close(hzz, Autodiff.hessian(w -> loss.apply(w, t.detach()), z.detach()), "bceWithLogits d2/dz2, forward over reverse");
        double[] cross = new double[n];
        java.util.Arrays.fill(cross, -1.0 / n);
        close(cross, Autodiff.grad(g[0].sum(), t)[0], "bceWithLogits d2/(dz dt)");
    }

    @Test
    void bceWithLogitsOfInfinity() {
        Tensor inf = Tensor.fromArray(new double[] {Double.POSITIVE_INFINITY}).requiresGrad();
        Tensor v = Losses.binaryCrossEntropyWithLogits(inf, Tensor.zeros(1));
        assertEquals(Double.POSITIVE_INFINITY, v.item()); // PyTorch: inf (it was NaN)
        assertEquals(1.0, Autodiff.grad(v, inf)[0].item());
    }

    @Test
    void bceAtZeroAndOne() {
        BinaryOperator<Tensor> loss = Losses::binaryCrossEntropy;
        lossCaseByCase("bce", loss);
        Tensor p = F.get("kinkLoss.bce.input").requiresGrad();
        Tensor t = F.get("kinkLoss.bce.target").requiresGrad();
        Tensor v = loss.apply(p, t);
        close(F.get("kinkLoss.bce.value").toArray(), v, "bce mean");
        Tensor[] g = Autodiff.grad(v, p, t);
        close(F.get("kinkLoss.bce.gradInput").toArray(), g[0], "bce d/dp");
        close(F.get("kinkLoss.bce.gradTarget").toArray(), g[1], "bce d/dt");
    }

    /**
     * Second order of BCE. PyTorch's own double backward of binary_cross_entropy is known to be wrong, so it is
     * no oracle: where the gradient (p - t) / max(p (1 - p), eps) is smooth, its derivative is checked against
     * central finite differences of our first derivative; at p = 0 and 1, where p (1 - p) &lt; eps is flat, by
     * hand: d/dp (p - t) / eps = 1 / eps and d/dt = -1 / eps.
     */
    @Test
    void bceSecondOrder() {
        double eps = (double) 1e-12f;
        double[][] smooth = {{0.25, 0.6}, {0.5, 0.3}, {0.9, 1.0}, {1e-3, 0.0}};
        for (double[] c : smooth) {
            Tensor t = Tensor.fromArray(new double[] {c[1]});
            UnaryOperator<Tensor> grad = w -> Autodiff.grad(Losses.binaryCrossEntropy(w, t), true, w)[0];
            double h = 1e-6 * c[0];
            double fd = (grad.apply(Tensor.fromArray(new double[] {c[0] + h}).requiresGrad()).item()
                    - grad.apply(Tensor.fromArray(new double[] {c[0] - h}).requiresGrad()).item()) / (2 * h);
            Tensor p = Tensor.fromArray(new double[] {c[0]});
            double rr = secondReverse(w -> Losses.binaryCrossEntropy(w, t), p).item();
            double fr = Autodiff.hessian(w -> Losses.binaryCrossEntropy(w, t), p).item();
            assertEquals(fd, rr, 1e-6 * Math.abs(fd), "bce d2/dp2 at p = " + c[0] + ", t = " + c[1] + " against finite differences");
            assertEquals(rr, fr, 1e-12 * Math.abs(rr), "bce d2/dp2 forward over reverse at p = " + c[0]);
        }
        for (double p0 : new double[] {0.0, 1.0}) {
            Tensor t = Tensor.fromArray(new double[] {0.3}).requiresGrad();
            Tensor p = Tensor.fromArray(new double[] {p0}).requiresGrad();
            Tensor gp = Autodiff.grad(Losses.binaryCrossEntropy(p, t), true, p)[0];
            Tensor[] h = Autodiff.grad(gp.sum(), p, t);
            assertEquals(1 / eps, h[0].item(), 1e-12 / eps, "bce d2/dp2 at p = " + p0);
            assertEquals(-1 / eps, h[1].item(), 1e-12 / eps, "bce d2/(dp dt) at p = " + p0);
            assertEquals(1 / eps, Autodiff.hessian(w -> Losses.binaryCrossEntropy(w, t.detach()), p.detach()).item(), 1e-12 / eps,
                    "bce d2/dp2 forward over reverse at p = " + p0);
        }
    }
}
