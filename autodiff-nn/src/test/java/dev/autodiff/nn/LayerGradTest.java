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
        dev.autodiff.nn.conv.Conv conv = new dev.autodiff.nn.conv.Conv(3, 4, new int[] {2, 2}, new int[] {1, 2},
                new int[] {1, 0}, new int[] {1, 1}, 1, true, 8);
        dev.autodiff.nn.conv.Conv grouped = new dev.autodiff.nn.conv.Conv(4, 2, new int[] {2}, new int[] {1},
                new int[] {0}, new int[] {2}, 2, true, 9);
        dev.autodiff.nn.conv.Pool2d maxPool = dev.autodiff.nn.conv.Pool2d.max(2, 1, 1);
        dev.autodiff.nn.conv.Pool2d avgPool = dev.autodiff.nn.conv.Pool2d.avg(2, 2, 0);
        BatchNorm bn = new BatchNorm(3);
        LayerNorm ln = new LayerNorm(4);
        dev.autodiff.nn.rnn.LstmCell lstm = new dev.autodiff.nn.rnn.LstmCell(4, 3, 10);
        dev.autodiff.nn.rnn.GruCell gru = new dev.autodiff.nn.rnn.GruCell(4, 3, 11);
        dev.autodiff.nn.rnn.RnnCell rnn = new dev.autodiff.nn.rnn.RnnCell(4, 3, 12);
        Residual res = new Residual(new Linear(4, 4, 13));
        Residual proj = new Residual(new Linear(4, 2, 14), new Linear(4, 2, 15));
        return Stream.of(
                Arguments.of("conv2d", (dev.autodiff.Fn) xs -> conv.forward(xs[0].reshape(1, 3, 2, 2))),
                Arguments.of("conv1d grouped dilated", (dev.autodiff.Fn) xs -> grouped.forward(xs[0].reshape(1, 4, 3))),
                Arguments.of("maxPool padded", (dev.autodiff.Fn) xs -> maxPool.forward(xs[0].reshape(1, 1, 3, 4))),
                Arguments.of("avgPool", (dev.autodiff.Fn) xs -> avgPool.forward(xs[0].reshape(1, 3, 2, 2))),
                Arguments.of("batchNorm", (dev.autodiff.Fn) xs -> bn.forward(xs[0].reshape(4, 3))),
                Arguments.of("layerNorm", (dev.autodiff.Fn) xs -> ln.forward(xs[0])),
                Arguments.of("lstm unrolled", (dev.autodiff.Fn) xs -> dev.autodiff.nn.rnn.Recurrent.last(lstm, xs[0].reshape(3, 1, 4))),
                Arguments.of("gru unrolled", (dev.autodiff.Fn) xs -> dev.autodiff.nn.rnn.Recurrent.last(gru, xs[0].reshape(3, 1, 4))),
                Arguments.of("rnn unrolled", (dev.autodiff.Fn) xs -> dev.autodiff.nn.rnn.Recurrent.unroll(rnn, xs[0].reshape(3, 1, 4), null).stacked()),
                Arguments.of("residual", (dev.autodiff.Fn) xs -> res.forward(xs[0])),
                Arguments.of("residual with projection", (dev.autodiff.Fn) xs -> proj.forward(xs[0])),
                Arguments.of("gelu", (dev.autodiff.Fn) xs -> Activations.gelu(xs[0])),
                Arguments.of("leakyRelu", (dev.autodiff.Fn) xs -> Activations.leakyRelu(xs[0], 0.1)),
                Arguments.of("elu", (dev.autodiff.Fn) xs -> Activations.elu(xs[0], 1.3)),
                Arguments.of("selu", (dev.autodiff.Fn) xs -> Activations.selu(xs[0])),
                Arguments.of("swish", (dev.autodiff.Fn) xs -> swish.forward(xs[0])),
                Arguments.of("hardSigmoid", (dev.autodiff.Fn) xs -> Activations.hardSigmoid(xs[0])),
                Arguments.of("hardTanh", (dev.autodiff.Fn) xs -> Activations.hardTanh(xs[0])),
                // issue 17: activations and small modules
                Arguments.of("hardSwish", (dev.autodiff.Fn) xs -> Activations.hardSwish(xs[0])),
                Arguments.of("mish", (dev.autodiff.Fn) xs -> Activations.mish(xs[0])),
                Arguments.of("silu", (dev.autodiff.Fn) xs -> Activations.silu(xs[0])),
                Arguments.of("logSigmoid", (dev.autodiff.Fn) xs -> Activations.logSigmoid(xs[0])),
                Arguments.of("softsign", (dev.autodiff.Fn) xs -> Activations.softsign(xs[0])),
                Arguments.of("celu", (dev.autodiff.Fn) xs -> Activations.celu(xs[0], 0.7)),
                Arguments.of("glu", (dev.autodiff.Fn) xs -> Activations.glu(xs[0], -1)),
                Arguments.of("rrelu evaluation", (dev.autodiff.Fn) xs -> Activations.rrelu(xs[0], 0.1, 0.3)),
                Arguments.of("rrelu with slopes", (dev.autodiff.Fn) xs -> Activations.rrelu(xs[0], Tensor.rand(16, 3, 4))),
                Arguments.of("noisyRelu", (dev.autodiff.Fn) xs -> Activations.noisyRelu(xs[0], Tensor.randn(17, 3, 4))),
                Arguments.of("flatten", (dev.autodiff.Fn) xs -> new Flatten(0, 1).forward(xs[0]).tanh()),
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
