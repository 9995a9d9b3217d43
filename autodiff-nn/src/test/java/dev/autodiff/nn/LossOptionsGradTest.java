package dev.autodiff.nn;

import dev.autodiff.Fn;
import dev.autodiff.Tensor;
import dev.autodiff.check.GradCheck;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The losses' options and the losses of issue 17 gradchecked in both modes and to second order, with respect
 * to every tensor argument: class weights and pos_weight included, which PyTorch does not differentiate (so
 * its fixtures cannot check them). Random points, away from every kink (those are LossKinkTest's).
 */
class LossOptionsGradTest {
    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(seed, shape);
    }

    private static Tensor positive(long seed, int... shape) {
        return Tensor.rand(seed, shape).add(0.3);
    }

    static Stream<Arguments> losses() {
        Reduction none = Reduction.NONE;
        Reduction mean = Reduction.MEAN;
        Reduction sum = Reduction.SUM;
        int ignore = Losses.IGNORE_INDEX;
        int[] labels = {3, ignore, 0, 2, 2};
        int[] spatialLabels = {0, 3, 1, ignore, 2, 2, 3, 1, ignore, 0, 1, 1};
        Tensor sign6 = Tensor.fromArray(new double[] {1, -1, -1, 1, -1, 1});
        Tensor sign4 = Tensor.fromArray(new double[] {1, -1, -1, 1});
        Tensor dist = Tensor.rand(3, 6).mul(3);
        int[][] ctcTargets = {{1, 2, 2}, {3}};
        int[] ctcLengths = {5, 3};
        return Stream.of(
                row("mse none", xs -> Losses.mse(xs[0], xs[1], none), randn(1, 3, 4), randn(2, 3, 4)),
                row("l1 sum", xs -> Losses.l1(xs[0], xs[1], sum), randn(1, 3, 4), randn(2, 3, 4)),
                row("huber delta 0.7", xs -> Losses.huber(xs[0], xs[1], mean, 0.7), randn(1, 3, 4).mul(2), randn(2, 3, 4)),
                row("smoothL1 beta 0.3", xs -> Losses.smoothL1(xs[0], xs[1], none, 0.3), randn(1, 3, 4), randn(2, 3, 4)),
                row("smoothL1 beta 0", xs -> Losses.smoothL1(xs[0], xs[1], sum, 0.0), randn(1, 3, 4), randn(2, 3, 4)),
                row("bce weighted", xs -> Losses.binaryCrossEntropy(xs[0].sigmoid(), xs[1].sigmoid(), xs[2], none),
                        randn(1, 3, 4), randn(2, 3, 4), positive(3, 4)),
                row("bceWithLogits weight and posWeight",
                        xs -> Losses.binaryCrossEntropyWithLogits(xs[0], xs[1].sigmoid(), xs[2], xs[3], mean),
                        randn(1, 3, 4).mul(2), randn(2, 3, 4), positive(3, 3, 1), positive(4, 4).mul(3)),
                row("crossEntropy weighted, ignoring, smoothed",
                        xs -> Losses.crossEntropy(xs[0], labels, xs[1], ignore, mean, 0.2), randn(1, 5, 4).mul(2), positive(2, 4)),
                row("crossEntropy spatial none", xs -> Losses.crossEntropy(xs[0], spatialLabels, xs[1], ignore, none, 0.1),
                        randn(1, 2, 4, 3, 2), positive(2, 4)),
                row("crossEntropy probabilities", xs -> Losses.crossEntropy(xs[0], xs[1].softmax(1), xs[2], sum, 0.3),
                        randn(1, 5, 4), randn(2, 5, 4), positive(3, 4)),
                row("nll weighted", xs -> Losses.nll(xs[0], labels, xs[1], ignore, mean), randn(1, 5, 4), positive(2, 4)),
                // the target through a sigmoid, not a softmax: a softmax tangent sums to 0 over a row, which would hide a constant
                // error in the target derivative
                row("klDiv batchmean", xs -> Losses.klDiv(xs[0].logSoftmax(1), xs[1].sigmoid(), Reduction.BATCHMEAN, false),
                        randn(1, 3, 5), randn(2, 3, 5)),
                row("klDiv log target", xs -> Losses.klDiv(xs[0], xs[1], none, true), randn(1, 3, 5), randn(2, 3, 5)),
                row("marginRanking", xs -> Losses.marginRanking(xs[0], xs[1], xs[2], 0.4, sum), randn(1, 6), randn(2, 6), randn(3, 6)),
                row("hingeEmbedding", xs -> Losses.hingeEmbedding(xs[0], sign6, 1.5, none), dist),
                row("cosineEmbedding", xs -> Losses.cosineEmbedding(xs[0], xs[1], sign4, 0.1, none), randn(1, 4, 3), randn(2, 4, 3)),
                row("multiMargin p 2 weighted", xs -> Losses.multiMargin(xs[0], new int[] {3, 0, 2, 2, 1}, 2, 0.8, xs[1], mean),
                        randn(1, 5, 4), positive(2, 4)),
                row("multiMargin p 1", xs -> Losses.multiMargin(xs[0], new int[] {3, 0, 2, 2, 1}, 1, 1.0, null, sum),
                        randn(1, 5, 4)),
                row("ctc", xs -> Losses.ctc(xs[0].logSoftmax(2), ctcTargets, ctcLengths, 0, none, false), randn(1, 5, 2, 4)));
    }

    private static Arguments row(String name, Fn f, Tensor... inputs) {
        return Arguments.of(name, f, inputs);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void gradcheckBothModesAndSecondOrder(String name, Fn f, Tensor[] inputs) {
        GradCheck.of(f).tolerance(1e-6, 1e-5).check(inputs);
        GradCheck.of(f).tolerance(1e-6, 1e-5).checkSecondOrder(inputs);
    }
}
