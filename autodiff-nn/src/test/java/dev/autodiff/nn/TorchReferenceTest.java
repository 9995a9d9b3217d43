package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Adadelta;
import dev.autodiff.nn.optim.Adagrad;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Lamb;
import dev.autodiff.nn.optim.NAdam;
import dev.autodiff.nn.optim.Optimizer;
import dev.autodiff.nn.optim.RAdam;
import dev.autodiff.nn.optim.RmsProp;
import dev.autodiff.nn.optim.Schedules;
import dev.autodiff.nn.optim.Sgd;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Forward values and gradients equal PyTorch's (float64) to 1e-10 on the committed fixtures. */
class TorchReferenceTest {
    private static final TorchFixtures F = new TorchFixtures();
    private static final double TOL = 1e-10;

    private static void close(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], TOL * Math.max(1, Math.abs(e[i])), what + " at " + i);
        }
    }

    static Stream<Arguments> activations() {
        Map<String, UnaryOperator<Tensor>> m = Map.ofEntries(
                Map.entry("sigmoid", Activations::sigmoid),
                Map.entry("tanh", Activations::tanh),
                Map.entry("relu", Activations::relu),
                Map.entry("leakyRelu", x -> Activations.leakyRelu(x, 0.1)),
                Map.entry("elu", x -> Activations.elu(x, 1.3)),
                Map.entry("selu", Activations::selu),
                Map.entry("softplus", Activations::softplus),
                Map.entry("swish", x -> Activations.swish(x, Tensor.scalar(1.5))),
                Map.entry("hardSigmoid", Activations::hardSigmoid),
                Map.entry("hardTanh", Activations::hardTanh),
                Map.entry("softmax", x -> Activations.softmax(x, 0)),
                Map.entry("logSoftmax", x -> Activations.logSoftmax(x, 0)),
                Map.entry("prelu", x -> Activations.prelu(x, Tensor.scalar(0.25))),
                Map.entry("gelu", Activations::gelu));
        return m.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void activationValuesAndGradients(String name, UnaryOperator<Tensor> f) {
        Tensor x = F.get("act.x").requiresGrad();
        Tensor y = f.apply(x);
        close(F.get("act." + name + ".y"), y, name);
        Tensor g = Autodiff.grad(y.mul(F.get("act.r")).sum(), x)[0];
        close(F.get("act." + name + ".grad"), g, name + " gradient");
    }

    static Stream<Arguments> losses() {
        int[] labels = F.labels("loss.labels");
        return Stream.of(
                Arguments.of("mse", "loss.pred", (Function<Tensor, Tensor>) p -> Losses.mse(p, F.get("loss.target"))),
                Arguments.of("bce", "loss.prob", (Function<Tensor, Tensor>) p -> Losses.binaryCrossEntropy(p, F.get("loss.binTarget"))),
                Arguments.of("bceWithLogits", "loss.pred",
                        (Function<Tensor, Tensor>) p -> Losses.binaryCrossEntropyWithLogits(p, F.get("loss.binTarget"))),
                Arguments.of("crossEntropy", "loss.logits", (Function<Tensor, Tensor>) p -> Losses.crossEntropy(p, labels)),
                Arguments.of("nll", "loss.logits", (Function<Tensor, Tensor>) p -> Losses.nll(p.logSoftmax(1), labels)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void lossValuesAndGradients(String name, String input, Function<Tensor, Tensor> loss) {
        Tensor p = F.get(input).requiresGrad();
        Tensor l = loss.apply(p);
        close(F.get("loss." + name + ".value"), l, name);
        close(F.get("loss." + name + ".grad"), Autodiff.grad(l, p)[0], name + " gradient");
    }

    @Test
    void l1AndL2PenaltiesOverSeveralTensors() {
        for (String name : new String[] {"l1", "l2"}) {
            Tensor w0 = F.get("penalty.w0").requiresGrad();
            Tensor w1 = F.get("penalty.w1").requiresGrad();
            List<Tensor> ws = List.of(w0, w1);
            Tensor v = name.equals("l1") ? Losses.l1Penalty(ws) : Losses.l2Penalty(ws);
            close(F.get("penalty." + name + ".value"), v, name);
            Tensor[] g = Autodiff.grad(v, w0, w1);
            close(F.get("penalty." + name + ".grad0"), g[0], name + " gradient, first tensor (with a 0)");
            close(F.get("penalty." + name + ".grad1"), g[1], name + " gradient, second tensor");
        }
    }

    @Test
    void linearLayer() {
        Linear lin = new Linear(F.get("linear.weightInOut"), F.get("linear.bias"));
        Tensor y = lin.forward(F.get("linear.x"));
        close(F.get("linear.y"), y, "linear");
        y.mul(F.get("linear.r")).sum().backward();
        close(F.get("linear.gradWeightInOut"), lin.weight().grad(), "linear weight gradient");
        close(F.get("linear.gradBias"), lin.bias().grad(), "linear bias gradient");
    }

    static Stream<Arguments> optimizers() {
        return Stream.of(
                Arguments.of("sgd", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.1)),
                Arguments.of("sgdMomentum", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.1, 0.9, false, 0)),
                Arguments.of("sgdNesterovWd", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.1, 0.9, true, 0.01)),
                Arguments.of("adam", (Function<List<Tensor>, Optimizer>) ps -> new Adam(ps, 0.01)),
                Arguments.of("adamL2", (Function<List<Tensor>, Optimizer>) ps -> new Adam(ps, 0.01, 0.9, 0.999, 1e-8, 0.05, false)),
                Arguments.of("adamW", (Function<List<Tensor>, Optimizer>) ps -> Adam.adamW(ps, 0.01, 0.1)),
                Arguments.of("rmsprop", (Function<List<Tensor>, Optimizer>) ps -> new RmsProp(ps, 0.01)),
                Arguments.of("adagrad", (Function<List<Tensor>, Optimizer>) ps -> new Adagrad(ps, 0.1)),
                Arguments.of("adadelta", (Function<List<Tensor>, Optimizer>) Adadelta::new),
                Arguments.of("adadeltaWd", (Function<List<Tensor>, Optimizer>) ps -> new Adadelta(ps, 0.5, 0.8, 1e-3, 0.1)),
                // issue 17, fixtures in torch_optim.txt (generate_optim.py): weight decay where it was missing, NAdam, RAdam, LAMB
                Arguments.of("sgdWd", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.1, 0, false, 0.05)),
                Arguments.of("rmspropWd", (Function<List<Tensor>, Optimizer>) ps -> new RmsProp(ps, 0.01, 0.99, 1e-8, 0.05)),
                Arguments.of("adagradWd", (Function<List<Tensor>, Optimizer>) ps -> new Adagrad(ps, 0.1, 1e-10, 0.05)),
                Arguments.of("nadam", (Function<List<Tensor>, Optimizer>) ps -> new NAdam(ps, 0.01)),
                Arguments.of("nadamWd", (Function<List<Tensor>, Optimizer>) ps -> new NAdam(ps, 0.01, 0.9, 0.999, 1e-8, 0.05, 0.01)),
                Arguments.of("radam", (Function<List<Tensor>, Optimizer>) ps -> new RAdam(ps, 0.01)),
                Arguments.of("radamWd", (Function<List<Tensor>, Optimizer>) ps -> new RAdam(ps, 0.01, 0.9, 0.999, 1e-8, 0.05)),
                Arguments.of("lamb", (Function<List<Tensor>, Optimizer>) ps -> new Lamb(ps, 0.01)),
                Arguments.of("lambNoWd", (Function<List<Tensor>, Optimizer>) ps -> new Lamb(ps, 0.01, 0.9, 0.999, 1e-6, 0, true)));
    }

    /** The fixtures of generate_optim.py, for the optimizers above that torch_reference.txt does not have. */
    private static final TorchFixtures OPTIM = new TorchFixtures("torch_optim.txt");

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void fiveOptimizerSteps(String name, Function<List<Tensor>, Optimizer> make) {
        Tensor p = F.get("opt.p0").detach().mul(1.0).requiresGrad();
        Tensor c = F.get("opt.c");
        Tensor d = F.get("opt.d");
        Optimizer opt = make.apply(List.of(p));
        for (int step = 0; step < 5; step++) {
            opt.zeroGrad();
            p.mul(c).tanh().sum().add(d.mul(p).mul(p).sum().mul(0.5)).backward();
            opt.step();
        }
        close((F.has("opt." + name + ".p5") ? F : OPTIM).get("opt." + name + ".p5"), p, name);
    }

    /**
     * Adadelta's parameter and both of its state slots after five steps, to 1e-12 relative: its first steps are
     * only about sqrt(eps / (1 - rho)) long, so the parameter alone (checked to 1e-10 of its size above) would
     * say little about the step; acc_delta, the running mean of the squared steps, says it to the last digits.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("adadeltas")
    void adadeltaStateAfterFiveStepsIsPyTorchs(String name, Function<List<Tensor>, Optimizer> make) {
        Tensor p = F.get("opt.p0").detach().mul(1.0).requiresGrad();
        Tensor c = F.get("opt.c");
        Tensor d = F.get("opt.d");
        Optimizer opt = make.apply(List.of(p));
        for (int step = 0; step < 5; step++) {
            opt.zeroGrad();
            p.mul(c).tanh().sum().add(d.mul(p).mul(p).sum().mul(0.5)).backward();
            opt.step();
        }
        Map<String, Tensor> state = opt.state();
        assertEquals(java.util.Set.of("acc_delta.0", "square_avg.0", "step.0"), state.keySet(), name);
        assertEquals(5, state.get("step.0").item(), name);
        relative(F.get("opt." + name + ".p5"), p, name + " p");
        relative(F.get("opt." + name + ".square_avg"), state.get("square_avg.0"), name + " square_avg");
        relative(F.get("opt." + name + ".acc_delta"), state.get("acc_delta.0"), name + " acc_delta");
    }

    static Stream<Arguments> adadeltas() {
        return optimizers().filter(a -> ((String) a.get()[0]).startsWith("adadelta"));
    }

    private static void relative(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-12 * Math.abs(e[i]), what + " at " + i);
        }
    }

    @Test
    void schedules() {
        Schedules.Schedule[] s = {Schedules.step(0.5, 3, 0.5), Schedules.exponential(0.5, 0.9), Schedules.cosine(0.5, 10, 0.01)};
        String[] names = {"step", "exponential", "cosine"};
        for (int k = 0; k < s.length; k++) {
            double[] expected = F.get("sched." + names[k]).toArray();
            for (int e = 0; e < expected.length; e++) {
                assertEquals(expected[e], s[k].lr(e), 1e-12, names[k] + " at epoch " + e);
            }
        }
    }
}
