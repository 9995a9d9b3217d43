package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The activations of issue 17 against PyTorch 1.13 in float64 (fixtures/generate_activations.py, "acts.*"), to
 * 1e-10 relative with an absolute floor of 1e-10, on random points and the extremes 0, -0, +-1e-3, +-3, +-25,
 * +-1e3: the value, the gradient of sum(f(x) r) (reverse mode), the tangent J u (forward mode) and the
 * Hessian-vector product d/dx <grad, u> (reverse over reverse, and forward over reverse through Autodiff.hvp).
 * The random parts (RReLU's slopes while training, the noisy ReLU's noise) are PyTorch's, fed in.
 */
class ActivationsReferenceTest {
    private static final TorchFixtures F = new TorchFixtures("torch_activations.txt");
    private static final double TOL = 1e-10;

    static void close(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], TOL * Math.max(1, Math.abs(e[i])), what + " at " + i);
        }
    }

    static Stream<Arguments> activations() {
        Tensor noise = F.get("acts.noisyRelu.noise");
        return Stream.of(
                Arguments.of("hardSwish", "acts", (UnaryOperator<Tensor>) Activations::hardSwish),
                Arguments.of("mish", "acts", (UnaryOperator<Tensor>) Activations::mish),
                Arguments.of("silu", "acts", (UnaryOperator<Tensor>) Activations::silu),
                Arguments.of("logSigmoid", "acts", (UnaryOperator<Tensor>) Activations::logSigmoid),
                Arguments.of("softsign", "acts", (UnaryOperator<Tensor>) Activations::softsign),
                Arguments.of("celu", "acts", (UnaryOperator<Tensor>) x -> Activations.celu(x, 1.25)),
                Arguments.of("rreluEval", "acts", (UnaryOperator<Tensor>) x -> Activations.rrelu(x, 1.0 / 8, 1.0 / 3)),
                Arguments.of("rreluEvalWide", "acts", (UnaryOperator<Tensor>) x -> Activations.rrelu(x, 0.1, 0.7)),
                Arguments.of("noisyRelu", "acts", (UnaryOperator<Tensor>) x -> Activations.noisyRelu(x, noise)),
                Arguments.of("glu", "acts.glu", (UnaryOperator<Tensor>) x -> Activations.glu(x, -1)),
                Arguments.of("glu0", "acts.glu0", (UnaryOperator<Tensor>) x -> Activations.glu(x, 0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void valueGradientTangentAndHessianVectorProduct(String name, String inputs, UnaryOperator<Tensor> f) {
        Tensor x = F.get(inputs + ".x");
        Tensor r = F.get(inputs + ".r");
        Tensor u = F.get(inputs + ".u");
        Tensor xg = x.detach().requiresGrad();
        Tensor y = f.apply(xg);
        close(F.get("acts." + name + ".y"), y, name + " value");
        Tensor g = Autodiff.grad(y.mul(r).sum(), true, xg)[0];
        close(F.get("acts." + name + ".grad"), g, name + " gradient");
        close(F.get("acts." + name + ".jvp"), Autodiff.jvp(f, x, u).tangent(), name + " jvp");
        Tensor h = g.needsGrad() ? Autodiff.grad(g.mul(u).sum(), xg)[0] : Tensor.zeros(x.shape());
        close(F.get("acts." + name + ".hvp"), h, name + " hvp, reverse over reverse");
        close(F.get("acts." + name + ".hvp"), Autodiff.hvp(v -> f.apply(v).mul(r).sum(), x, u), name + " hvp, forward over reverse");
    }

    static Stream<String> rreluTraining() {
        return Stream.of("rreluTrain", "rreluTrainWide");
    }

    /** PyTorch's own slopes (its noise: a slope where x &lt;= 0, 1 elsewhere) fed to rrelu(x, slopes). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("rreluTraining")
    void rreluWhileTrainingWithPyTorchsSlopes(String name) {
        Tensor x = F.get("acts.x").requiresGrad();
        Tensor slopes = F.get("acts." + name + ".noise");
        Tensor y = Activations.rrelu(x, slopes);
        close(F.get("acts." + name + ".y"), y, name + " value");
        Tensor g = Autodiff.grad(y.mul(F.get("acts.r")).sum(), true, x)[0];
        close(F.get("acts." + name + ".grad"), g, name + " gradient");
        close(F.get("acts." + name + ".hvp"), g.needsGrad() ? Autodiff.grad(g.mul(F.get("acts.u")).sum(), x)[0]
                : Tensor.zeros(x.shape()), name + " hvp");
        // PyTorch has no forward mode here: the tangent is the reverse derivative times u, elementwise
        Tensor d1 = Autodiff.grad(Activations.rrelu(x, slopes).sum(), x)[0];
        close(d1.mul(F.get("acts.u")), Autodiff.jvp(v -> Activations.rrelu(v, slopes), x.detach(), F.get("acts.u")).tangent(),
                name + " jvp");
    }

    static Stream<Arguments> elementwise() {
        return Stream.of(
                Arguments.of("hardSwish", (UnaryOperator<Tensor>) Activations::hardSwish),
                Arguments.of("softsign", (UnaryOperator<Tensor>) Activations::softsign),
                Arguments.of("celu", (UnaryOperator<Tensor>) x -> Activations.celu(x, 1.25)),
                Arguments.of("rreluEval", (UnaryOperator<Tensor>) x -> Activations.rrelu(x, 1.0 / 8, 1.0 / 3)),
                Arguments.of("logSigmoid", (UnaryOperator<Tensor>) Activations::logSigmoid),
                Arguments.of("mish", (UnaryOperator<Tensor>) Activations::mish),
                Arguments.of("silu", (UnaryOperator<Tensor>) Activations::silu));
    }

    /** At +inf, -inf and NaN, value and derivative are PyTorch's, exactly (NaN where PyTorch gives NaN). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elementwise")
    void infinitiesAndNaNAsPyTorch(String name, UnaryOperator<Tensor> f) {
        double[] x = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};
        double[] y = F.get("inf." + name + ".y").toArray();
        double[] d1 = F.get("inf." + name + ".d1").toArray();
        for (int i = 0; i < x.length; i++) {
            Tensor xi = Tensor.scalar(x[i]).requiresGrad();
            Tensor yi = f.apply(xi);
            assertEquals(y[i], yi.item(), 0.0, name + " at " + x[i]);
            assertEquals(d1[i], Autodiff.grad(yi, xi)[0].item(), 0.0, name + "' at " + x[i]);
        }
    }
}
