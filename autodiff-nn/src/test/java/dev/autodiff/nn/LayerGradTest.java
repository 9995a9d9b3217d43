package dev.autodiff.nn;

import dev.autodiff.Tensor;
import dev.autodiff.check.GradCheck;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every activation, loss and layer gradchecked end to end, in both modes and to second order. */
class LayerGradTest {
    private static final Tensor X = Tensor.randn(11, 3, 4).mul(1.5);

    static Stream<Arguments> functions() {
        Linear lin = new Linear(4, 2, 5);
        Maxout maxout = new Maxout(4, 2, 3, 6);
        PRelu prelu = new PRelu(3);
        Swish swish = new Swish(1.2, true);
        Mlp mlp = new Mlp(new int[] {4, 5, 2}, "tanh", Tensor::tanh, 7);
        int[] labels = {1, 0, 3};
        Tensor target = Tensor.rand(12, 3, 4);
        return Stream.of(
                Arguments.of("leakyRelu", (dev.autodiff.Fn) xs -> Activations.leakyRelu(xs[0], 0.1)),
                Arguments.of("elu", (dev.autodiff.Fn) xs -> Activations.elu(xs[0], 1.3)),
                Arguments.of("selu", (dev.autodiff.Fn) xs -> Activations.selu(xs[0])),
                Arguments.of("swish", (dev.autodiff.Fn) xs -> swish.forward(xs[0])),
                Arguments.of("hardSigmoid", (dev.autodiff.Fn) xs -> Activations.hardSigmoid(xs[0])),
                Arguments.of("hardTanh", (dev.autodiff.Fn) xs -> Activations.hardTanh(xs[0])),
                Arguments.of("prelu per channel", (dev.autodiff.Fn) xs -> prelu.forward(xs[0].transpose(0, 1))),
                Arguments.of("linear", (dev.autodiff.Fn) xs -> lin.forward(xs[0])),
                Arguments.of("maxout", (dev.autodiff.Fn) xs -> maxout.forward(xs[0])),
                Arguments.of("mlp", (dev.autodiff.Fn) xs -> mlp.forward(xs[0])),
                Arguments.of("mse", (dev.autodiff.Fn) xs -> Losses.mse(xs[0], target)),
                Arguments.of("bce", (dev.autodiff.Fn) xs -> Losses.binaryCrossEntropy(xs[0].sigmoid(), target)),
                Arguments.of("bceWithLogits", (dev.autodiff.Fn) xs -> Losses.binaryCrossEntropyWithLogits(xs[0], target)),
                Arguments.of("crossEntropy", (dev.autodiff.Fn) xs -> Losses.crossEntropy(xs[0], labels)),
                Arguments.of("l1 + l2", (dev.autodiff.Fn) xs -> Losses.l1Penalty(java.util.List.of(xs[0]))
                        .add(Losses.l2Penalty(java.util.List.of(xs[0])))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void gradcheckBothModesAndSecondOrder(String name, dev.autodiff.Fn f) {
        GradCheck.of(f).tolerance(1e-6, 1e-5).check(X);
        GradCheck.of(f).tolerance(1e-6, 1e-5).checkSecondOrder(X);
    }
}
