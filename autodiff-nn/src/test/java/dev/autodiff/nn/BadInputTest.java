package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.conv.AvgPool2d;
import dev.autodiff.nn.conv.Conv;
import dev.autodiff.nn.conv.Conv1d;
import dev.autodiff.nn.conv.Conv2d;
import dev.autodiff.nn.conv.MaxPool2d;
import dev.autodiff.nn.optim.Adadelta;
import dev.autodiff.nn.optim.Adagrad;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Clipping;
import dev.autodiff.nn.optim.EarlyStopping;
import dev.autodiff.nn.optim.Lamb;
import dev.autodiff.nn.optim.NAdam;
import dev.autodiff.nn.optim.RAdam;
import dev.autodiff.nn.optim.RmsProp;
import dev.autodiff.nn.optim.Schedules;
import dev.autodiff.nn.optim.Sgd;
import dev.autodiff.nn.rnn.Gru;
import dev.autodiff.nn.rnn.GruCell;
import dev.autodiff.nn.rnn.Lstm;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.Recurrent;
import dev.autodiff.nn.rnn.Rnn;
import dev.autodiff.nn.rnn.RnnCell;
import dev.autodiff.nn.rnn.State;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input to every public nn entry point: each call throws IllegalArgumentException (or
 * IllegalStateException, or NullPointerException for a null) whose message begins with the entry point the
 * user called (the layer, the function, the optimiser) and is ours, not the JVM's or a core op's. One row
 * per case; the classes of defect are in the comments.
 */
class BadInputTest {
    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    record Case(String what, Class<? extends Throwable> type, String names, Executable call) {
        @Override
        public String toString() {
            return what;
        }
    }

    private static final List<Case> CASES = new ArrayList<>();

    private static void iae(String what, String names, Executable call) {
        CASES.add(new Case(what, IllegalArgumentException.class, names, call));
    }

    private static void npe(String what, String names, Executable call) {
        CASES.add(new Case(what, NullPointerException.class, names, call));
    }

    private static List<Tensor> params() {
        return List.of(Tensor.ones(2).requiresGrad());
    }

    static {
        Tensor x23 = Tensor.ones(2, 3);
        // ---- sizes that used to fail deep inside (Init.uniform, rand, unfold, randn, full) or give NaN
        iae("Linear, negative in", "Linear:", () -> new Linear(-5, 1, 1));
        iae("Linear, negative out", "Linear:", () -> new Linear(5, -1, 1));
        iae("Linear, too many weights", "Linear:", () -> new Linear(100_000, 100_000, 1));
        iae("Linear, input of the wrong width", "Linear(2 -> 3)", () -> new Linear(2, 3, 1).forward(Tensor.ones(2, 4)));
        iae("Linear, weights of the wrong rank", "Linear:", () -> new Linear(Tensor.ones(3), null));
        iae("Conv2d, input smaller than the kernel", "Conv2d(1 -> 1", () -> new Conv2d(1, 1, 3, 1).forward(Tensor.zeros(1, 1, 2, 2)));
        iae("Conv2d, wrong channels", "Conv2d(1 -> 1", () -> new Conv2d(1, 1, 3, 1).forward(Tensor.zeros(1, 2, 5, 5)));
        iae("Conv2d, wrong rank", "Conv2d(1 -> 1", () -> new Conv2d(1, 1, 3, 1).forward(Tensor.zeros(5, 5)));
        iae("Conv2d, negative kernel", "Conv2d:", () -> new Conv2d(1, 1, -3, 1));
        iae("Conv2d, stride 0", "Conv2d:", () -> new Conv2d(1, 1, 3, 0, 0, 1, 1, true, 1));
        iae("Conv2d, dilation 0", "Conv2d:", () -> new Conv2d(1, 1, 3, 1, 0, 0, 1, true, 1));
        iae("Conv1d, negative padding", "Conv1d:", () -> new Conv1d(1, 1, 3, 1, -1, 1, 1, true, 1));
        iae("Conv2d, groups do not divide", "Conv2d:", () -> new Conv2d(4, 6, 3, 1, 0, 1, 4, true, 1));
        iae("Conv2d, groups 0", "Conv2d:", () -> new Conv2d(4, 6, 3, 1, 0, 1, 0, true, 1));
        iae("Conv2d, no outputs", "Conv2d:", () -> new Conv2d(1, 0, 3, 1));
        iae("Conv2d, too many weights", "Conv2d:", () -> new Conv2d(46_341, 46_341, 1, 1));
        iae("Conv, one entry per dimension", "Conv:", () -> new Conv(1, 1, new int[] {3, 3}, new int[] {1}, new int[] {0},
                new int[] {1}, 1, true, 1));
        iae("Conv2d, huge padding", "Conv2d(1 -> 1", () -> new Conv2d(1, 1, 3, 1, Integer.MAX_VALUE, 1, 1, true, 1)
                .forward(Tensor.zeros(1, 1, 2, 2)));
        iae("MaxPool2d, input smaller than the kernel", "MaxPool2d(5", () -> new MaxPool2d(5).forward(Tensor.zeros(1, 1, 3, 3)));
        iae("AvgPool2d, input smaller than the kernel", "AvgPool2d(5", () -> new AvgPool2d(5).forward(Tensor.zeros(1, 1, 3, 3)));
        iae("AvgPool2d, empty spatial size", "AvgPool2d(2", () -> new AvgPool2d(2).forward(Tensor.zeros(1, 1, 0, 4)));
        iae("MaxPool2d, wrong rank", "MaxPool2d(2", () -> new MaxPool2d(2).forward(Tensor.zeros(4, 4)));
        iae("MaxPool2d, negative padding", "MaxPool2d:", () -> new MaxPool2d(3, 1, -1));
        iae("MaxPool2d, a kernel that unfolds past 2^31", "MaxPool2d(65536", () -> new MaxPool2d(65_536, 1, 32_768)
                .forward(Tensor.zeros(1, 1, 1, 1)));
        // ---- issue 17: 1-D, adaptive and global pooling, GroupNorm, InstanceNorm, ConvTranspose, Upsample
        iae("MaxPool1d, padding past half the kernel", "MaxPool1d:", () -> new dev.autodiff.nn.conv.MaxPool1d(2, 1, 2));
        iae("AvgPool1d, stride 0", "AvgPool1d:", () -> new dev.autodiff.nn.conv.AvgPool1d(2, 0, 0));
        iae("MaxPool1d, wrong rank", "MaxPool1d(2", () -> new dev.autodiff.nn.conv.MaxPool1d(2).forward(Tensor.zeros(1, 1, 4, 4)));
        iae("AvgPool1d, input shorter than the kernel", "AvgPool1d(5", () -> new dev.autodiff.nn.conv.AvgPool1d(5)
                .forward(Tensor.zeros(1, 1, 3)));
        iae("AdaptiveAvgPool1d, output 0", "AdaptiveAvgPool1d:", () -> new dev.autodiff.nn.conv.AdaptiveAvgPool1d(0));
        iae("AdaptiveAvgPool1d, empty input", "AdaptiveAvgPool1d(2)", () -> new dev.autodiff.nn.conv.AdaptiveAvgPool1d(2)
                .forward(Tensor.zeros(1, 2, 0)));
        iae("AdaptiveAvgPool2d, wrong rank", "AdaptiveAvgPool2d([2, 2])", () -> new dev.autodiff.nn.conv.AdaptiveAvgPool2d(2)
                .forward(Tensor.zeros(2, 3)));
        iae("AdaptiveAvgPool2d, negative size", "AdaptiveAvgPool2d:", () -> new dev.autodiff.nn.conv.AdaptiveAvgPool2d(2, -1));
        iae("GlobalAvgPool, no spatial axis", "GlobalAvgPool", () -> new dev.autodiff.nn.conv.GlobalAvgPool().forward(x23));
        iae("GlobalMaxPool, empty spatial axis", "GlobalMaxPool", () -> new dev.autodiff.nn.conv.GlobalMaxPool()
                .forward(Tensor.zeros(1, 2, 0)));
        iae("GroupNorm, groups do not divide channels", "GroupNorm:", () -> new GroupNorm(4, 6));
        iae("GroupNorm, eps 0", "GroupNorm:", () -> new GroupNorm(2, 4, 0, true));
        iae("GroupNorm, wrong channels", "GroupNorm(2, 4)", () -> new GroupNorm(2, 4).forward(Tensor.zeros(2, 3, 5)));
        iae("InstanceNorm1d, wrong rank", "InstanceNorm1d(3)", () -> new InstanceNorm1d(3).forward(Tensor.zeros(1, 3, 2, 2)));
        iae("InstanceNorm2d, wrong channels", "InstanceNorm2d(3)", () -> new InstanceNorm2d(3).forward(Tensor.zeros(1, 2, 2, 2)));
        iae("InstanceNorm1d, one position", "InstanceNorm1d(3)", () -> new InstanceNorm1d(3).forward(Tensor.zeros(2, 3, 1)));
        iae("InstanceNorm2d, momentum 2", "InstanceNorm2d:", () -> new InstanceNorm2d(3, 1e-5, 2, false, false));
        iae("ConvTranspose1d, groups do not divide", "ConvTranspose1d:", () -> new dev.autodiff.nn.conv.ConvTranspose1d(4, 3, 2,
                1, 0, 0, 1, 2, true, 1));
        iae("ConvTranspose2d, outputPadding not below stride or dilation", "ConvTranspose2d:",
                () -> new dev.autodiff.nn.conv.ConvTranspose2d(1, 1, 3, 2, 0, 2, 1, 1, true, 1));
        iae("ConvTranspose, one entry per dimension", "ConvTranspose:", () -> new dev.autodiff.nn.conv.ConvTranspose(1, 1,
                new int[] {3, 3}, new int[] {1, 1}, new int[] {0}, new int[] {0, 0}, new int[] {1, 1}, 1, true, 1));
        iae("ConvTranspose2d, wrong channels", "ConvTranspose2d(2 -> 1", () -> new dev.autodiff.nn.conv.ConvTranspose2d(2, 1, 3, 1)
                .forward(Tensor.zeros(1, 3, 4, 4)));
        iae("ConvTranspose1d, padding leaves no output", "ConvTranspose1d(1 -> 1", () -> new dev.autodiff.nn.conv.ConvTranspose1d(1,
                1, 2, 1, 3, 0, 1, 1, true, 1).forward(Tensor.zeros(1, 1, 2)));
        iae("ConvTranspose2d, outputSize out of reach", "ConvTranspose2d(1 -> 1", () -> new dev.autodiff.nn.conv.ConvTranspose2d(1,
                1, 3, 2, 1, 0, 1, 1, true, 1).forward(Tensor.zeros(1, 1, 3, 3), new int[] {7, 4}));
        iae("Upsample, unknown mode", "Upsample:", () -> dev.autodiff.nn.conv.Upsample.ofScale("bicubic", false, 2));
        iae("Upsample, both size and scale", "Upsample:", () -> new dev.autodiff.nn.conv.Upsample(new int[] {2}, new double[] {2},
                "nearest", null));
        iae("Upsample, alignCorners with nearest", "Upsample:", () -> dev.autodiff.nn.conv.Upsample.ofScale("nearest", true, 2));
        iae("Upsample, NaN scale", "Upsample:", () -> dev.autodiff.nn.conv.Upsample.ofScale("nearest", false, NAN));
        iae("Upsample, bilinear of a 3-D input", "Upsample(scaleFactor [2.0], bilinear", () -> dev.autodiff.nn.conv.Upsample
                .ofScale("bilinear", false, 2).forward(Tensor.zeros(1, 2, 3)));
        iae("Upsample, sizes for the wrong number of axes", "Upsample(size [2, 3, 4], nearest", () -> dev.autodiff.nn.conv.Upsample
                .ofSize("nearest", false, 2, 3, 4).forward(Tensor.zeros(1, 1, 3, 3)));
        iae("Upsample, a scale that leaves nothing", "Upsample(scaleFactor [0.1], nearest", () -> dev.autodiff.nn.conv.Upsample
                .ofScale("nearest", false, 0.1).forward(Tensor.zeros(1, 1, 3, 3)));
        npe("MaxPool1d.forward(null)", "MaxPool1d(2", () -> new dev.autodiff.nn.conv.MaxPool1d(2).forward(null));
        npe("GroupNorm.forward(null)", "GroupNorm(2, 4)", () -> new GroupNorm(2, 4).forward(null));
        npe("ConvTranspose(kernel null)", "ConvTranspose:", () -> new dev.autodiff.nn.conv.ConvTranspose(1, 1, null, new int[] {1},
                new int[] {0}, new int[] {0}, new int[] {1}, 1, true, 1));
        npe("Upsample(mode null)", "Upsample:", () -> dev.autodiff.nn.conv.Upsample.ofSize(null, false, 2));
        // ---- end of issue 17's convolution and pooling block
        iae("Embedding, negative size", "Embedding:", () -> new Embedding(-1, 3, 1));
        iae("Embedding, too many weights", "Embedding:", () -> new Embedding(100_000, 100_000, 1));
        iae("Embedding, huge index", "Embedding(4, 3)", () -> new Embedding(4, 3, 1).forward(Tensor.scalar(1e300)));
        iae("Embedding, NaN index", "Embedding(4, 3)", () -> new Embedding(4, 3, 1).forward(Tensor.scalar(NAN)));
        iae("Embedding, shape does not hold the indices", "Embedding(4, 3)", () -> new Embedding(4, 3, 1).lookup(new int[] {1, 2}, 3));
        iae("Embedding, negative index", "Embedding(4, 3)", () -> new Embedding(4, 3, 1).lookup(new int[] {-1}));
        iae("LayerNorm, no dimensions", "LayerNorm:", LayerNorm::new);
        iae("LayerNorm, negative dimension", "LayerNorm:", () -> new LayerNorm(-2));
        iae("LayerNorm, wrong input", "LayerNorm([3])", () -> new LayerNorm(3).forward(Tensor.ones(2, 4)));
        iae("Maxout, no pieces", "Maxout:", () -> new Maxout(2, 1, 0, 1));
        iae("Maxout, negative in", "Maxout:", () -> new Maxout(-1, 2, 2, 1));
        iae("Maxout, out * k overflows", "Maxout:", () -> new Maxout(1, 65_536, 65_536, 1));
        iae("Maxout, input of the wrong width (said Linear)", "Maxout(2 -> 1, 2 pieces)", () -> new Maxout(2, 1, 2, 1)
                .forward(Tensor.ones(3, 5)));
        iae("Mlp, one size", "Mlp:", () -> new Mlp(new int[] {2}, "tanh", Tensor::tanh, 1));
        iae("Mlp, negative size", "Mlp:", () -> new Mlp(new int[] {2, -1}, "tanh", Tensor::tanh, 1));
        iae("RnnCell, negative size", "RnnCell:", () -> new RnnCell(-1, 3, 1));
        iae("LstmCell, too many weights", "LstmCell:", () -> new LstmCell(1, 40_000, 1));
        iae("GruCell.step, h of the wrong batch", "GruCell(3 -> 4).step", () -> new GruCell(3, 4, 1)
                .step(Tensor.zeros(2, 3), State.of(Tensor.zeros(3, 4))));
        iae("LstmCell.step, c that would broadcast", "LstmCell(3 -> 4).step", () -> new LstmCell(3, 4, 1)
                .step(Tensor.zeros(2, 3), new State(Tensor.zeros(2, 4), Tensor.zeros(1, 4))));
        iae("LstmCell.step, no c", "LstmCell(3 -> 4).step", () -> new LstmCell(3, 4, 1)
                .step(Tensor.zeros(2, 3), State.of(Tensor.zeros(2, 4))));
        iae("RnnCell.step, x of the wrong width", "RnnCell(3 -> 4).step", () -> new RnnCell(3, 4, 1)
                .step(Tensor.zeros(2, 5), State.of(Tensor.zeros(2, 4))));
        iae("RnnCell.forward, 0-d input", "RnnCell(3 -> 4)", () -> new RnnCell(3, 4, 1).forward(Tensor.scalar(1)));
        iae("RnnCell.load, wrong shape", "RnnCell(3 -> 4).load", () -> new RnnCell(3, 4, 1)
                .load(Tensor.zeros(4, 3), Tensor.zeros(4, 4), Tensor.zeros(4), Tensor.zeros(4)));
        iae("RnnCell.initialState, negative batch", "RnnCell(3 -> 4).initialState", () -> new RnnCell(3, 4, 1).initialState(-1));
        iae("Recurrent.unroll, wrong input size over no steps", "Recurrent.unroll", () -> Recurrent.unroll(new RnnCell(3, 4, 1),
                Tensor.zeros(0, 2, 5), null));
        iae("Recurrent.unroll, wrong initial state over no steps", "Recurrent.unroll", () -> Recurrent.unroll(new RnnCell(3, 4, 1),
                Tensor.zeros(0, 2, 3), State.of(Tensor.zeros(3, 4))));
        iae("Recurrent.unroll, rank 2", "Recurrent.unroll", () -> Recurrent.unroll(new RnnCell(3, 4, 1), Tensor.zeros(2, 3), null));
        // ---- PReLU and Dropout
        iae("PRelu(3), 631 channels", "PRelu(3)", () -> new PRelu(3).forward(Tensor.zeros(2, 631)));
        iae("PRelu(3), 1-D input", "PRelu(3)", () -> new PRelu(3).forward(Tensor.zeros(3)));
        iae("PRelu(3), 0-d input", "PRelu(3)", () -> new PRelu(3).forward(Tensor.scalar(1)));
        iae("PRelu, no channels", "PRelu:", () -> new PRelu(0));
        iae("prelu, 2-D slope", "prelu:", () -> Activations.prelu(x23, Tensor.ones(1, 3)));
        iae("prelu, slopes for other channels", "prelu:", () -> Activations.prelu(x23, Tensor.ones(2)));
        iae("Dropout, p > 1", "Dropout:", () -> new Dropout(1.5, 1));
        iae("Dropout, NaN p", "Dropout:", () -> new Dropout(NAN, 1));
        // ---- normalisation
        iae("BatchNorm1d, one value per channel in training", "BatchNorm1d(3)", () -> new BatchNorm1d(3).forward(Tensor.ones(1, 3)));
        iae("BatchNorm2d, one value per channel in training", "BatchNorm2d(3)", () -> new BatchNorm2d(3).forward(Tensor.ones(1, 3, 1, 1)));
        iae("BatchNorm2d, wrong rank", "BatchNorm2d(3)", () -> new BatchNorm2d(3).forward(x23));
        iae("BatchNorm, wrong channels", "BatchNorm(2)", () -> new BatchNorm(2).forward(x23));
        iae("BatchNorm, negative eps", "BatchNorm:", () -> new BatchNorm(3, -1, 0.1));
        iae("BatchNorm, infinite eps", "BatchNorm:", () -> new BatchNorm(3, INF, 0.1));
        iae("BatchNorm, NaN momentum", "BatchNorm:", () -> new BatchNorm(3, 1e-5, NAN));
        iae("BatchNorm, no channels", "BatchNorm:", () -> new BatchNorm(0));
        // ---- activations: hyper-parameters and axes
        iae("leakyRelu, NaN slope", "leakyRelu:", () -> Activations.leakyRelu(x23, NAN));
        iae("LeakyReLU module, NaN slope", "LeakyReLU:", () -> Activations.leakyRelu(NAN));
        iae("elu, infinite alpha", "elu:", () -> Activations.elu(x23, INF));
        iae("ELU module, NaN alpha", "ELU:", () -> Activations.elu(NAN));
        iae("Swish, NaN beta", "Swish:", () -> new Swish(NAN, false));
        iae("softmax, axis out of range", "softmax:", () -> Activations.softmax(Tensor.ones(2), 3));
        iae("logSoftmax, axis out of range", "logSoftmax:", () -> Activations.logSoftmax(Tensor.ones(2), -2));
        // ---- losses
        iae("binaryCrossEntropy, p > 1", "binaryCrossEntropy:", () -> Losses.binaryCrossEntropy(Tensor.scalar(1.5), Tensor.scalar(1)));
        iae("binaryCrossEntropy, p < 0", "binaryCrossEntropy:", () -> Losses.binaryCrossEntropy(Tensor.scalar(-0.1), Tensor.scalar(1)));
        iae("binaryCrossEntropy, NaN p", "binaryCrossEntropy:", () -> Losses.binaryCrossEntropy(Tensor.scalar(NAN), Tensor.scalar(1)));
        iae("binaryCrossEntropy, shapes differ", "binaryCrossEntropy:", () -> Losses.binaryCrossEntropy(Tensor.full(0.5, 3, 1),
                Tensor.ones(3)));
        iae("binaryCrossEntropyWithLogits, shapes differ", "binaryCrossEntropyWithLogits:",
                () -> Losses.binaryCrossEntropyWithLogits(Tensor.zeros(3, 1), Tensor.ones(3)));
        iae("mse, shapes that would broadcast", "mse:", () -> Losses.mse(Tensor.zeros(3, 1), Tensor.ones(3)));
        iae("crossEntropy, 1-D logits and two labels", "crossEntropy:", () -> Losses.crossEntropy(Tensor.ones(3), new int[] {0, 1}));
        iae("crossEntropy, label out of range", "crossEntropy:", () -> Losses.crossEntropy(x23, new int[] {0, 3}));
        iae("nll, label out of range", "nll:", () -> Losses.nll(x23, new int[] {0, -1}));
        // ---- Init: fans and bounds
        iae("Init.heUniform, negative fan", "Init.heUniform:", () -> Init.heUniform(1, -3, 2));
        iae("Init.heUniform, zero fan", "Init.heUniform:", () -> Init.heUniform(1, 0, 2));
        iae("Init.heNormal, zero fan", "Init.heNormal:", () -> Init.heNormal(1, 0, 2));
        iae("Init.xavierUniform, zero fans", "Init.xavierUniform:", () -> Init.xavierUniform(1, 0, 0, 2));
        iae("Init.xavierNormal, negative fan", "Init.xavierNormal:", () -> Init.xavierNormal(1, -1, 2, 2));
        iae("Init.xavierUniform, fans overflowing int", "Init.xavierUniform:", () -> Init.xavierUniform(1, -1, Integer.MAX_VALUE, 2));
        iae("Init.uniform, low > high", "Init.uniform:", () -> Init.uniform(1, 1, 0, 2));
        iae("Init.uniform, infinite bound", "Init.uniform:", () -> Init.uniform(1, -INF, 0, 2));
        iae("Init.uniform, infinite width", "Init.uniform:", () -> Init.uniform(1, -1e308, 1e308, 2));
        iae("Init.uniform, too many elements", "Init.uniform:", () -> Init.uniform(1, 0, 1, 65_536, 65_536));
        iae("Init.normal, infinite std", "Init.normal:", () -> Init.normal(1, 0, INF, 2));
        iae("Init.normal, NaN mean", "Init.normal:", () -> Init.normal(1, NAN, 1, 2));
        iae("Init.zeros, negative dimension", "Init.zeros:", () -> Init.zeros(-1));
        iae("Init.constant, negative dimension", "Init.constant:", () -> Init.constant(1, 2, -1));
        // ---- optimisers: every hyper-parameter, named by the optimiser
        iae("Sgd, NaN momentum", "Sgd:", () -> new Sgd(params(), 0.1, NAN, false, 0));
        iae("Sgd, negative momentum", "Sgd:", () -> new Sgd(params(), 0.1, -0.5, false, 0));
        iae("Sgd, NaN weight decay", "Sgd:", () -> new Sgd(params(), 0.1, 0.9, false, NAN));
        iae("Sgd, infinite weight decay", "Sgd:", () -> new Sgd(params(), 0.1, 0.9, false, INF));
        iae("Sgd, Nesterov without momentum", "Sgd:", () -> new Sgd(params(), 0.1, 0, true, 0));
        iae("Sgd, NaN learning rate", "Sgd:", () -> new Sgd(params(), NAN));
        iae("Sgd, no parameters", "Sgd:", () -> new Sgd(List.of(), 0.1));
        iae("Adam, negative eps", "Adam:", () -> new Adam(params(), 0.1, 0.9, 0.999, -1e-8, 0, false));
        iae("Adam, NaN eps", "Adam:", () -> new Adam(params(), 0.1, 0.9, 0.999, NAN, 0, false));
        iae("Adam, infinite eps", "Adam:", () -> new Adam(params(), 0.1, 0.9, 0.999, INF, 0, false));
        iae("Adam, beta1 = 1", "Adam:", () -> new Adam(params(), 0.1, 1, 0.999, 1e-8, 0, false));
        iae("Adam, NaN beta2", "Adam:", () -> new Adam(params(), 0.1, 0.9, NAN, 1e-8, 0, false));
        iae("Adam, negative weight decay", "Adam:", () -> new Adam(params(), 0.1, 0.9, 0.999, 1e-8, -1, false));
        iae("AdamW, NaN weight decay", "AdamW:", () -> Adam.adamW(params(), 0.1, NAN));
        iae("RmsProp, alpha > 1", "RmsProp:", () -> new RmsProp(params(), 0.1, 1.5, 1e-8));
        iae("RmsProp, negative eps", "RmsProp:", () -> new RmsProp(params(), 0.1, 0.99, -1));
        iae("Adagrad, negative eps", "Adagrad:", () -> new Adagrad(params(), 0.1, -1));
        iae("Adagrad, NaN eps", "Adagrad:", () -> new Adagrad(params(), 0.1, NAN));
        iae("Adagrad, no parameters", "Adagrad:", () -> new Adagrad(List.of(), 0.1));
        iae("Adadelta, rho > 1", "Adadelta:", () -> new Adadelta(params(), 1, 1.5, 1e-6, 0));
        iae("Adadelta, negative rho", "Adadelta:", () -> new Adadelta(params(), 1, -0.1, 1e-6, 0));
        iae("Adadelta, NaN rho", "Adadelta:", () -> new Adadelta(params(), 1, NAN, 1e-6, 0));
        iae("Adadelta, negative eps", "Adadelta:", () -> new Adadelta(params(), 1, 0.9, -1e-6, 0));
        iae("Adadelta, infinite eps", "Adadelta:", () -> new Adadelta(params(), 1, 0.9, INF, 0));
        iae("Adadelta, NaN weight decay", "Adadelta:", () -> new Adadelta(params(), 1, 0.9, 1e-6, NAN));
        iae("Adadelta, negative weight decay", "Adadelta:", () -> new Adadelta(params(), 1, 0.9, 1e-6, -0.1));
        iae("Adadelta, negative learning rate", "Adadelta:", () -> new Adadelta(params(), -1));
        iae("Adadelta, no parameters", "Adadelta:", () -> new Adadelta(List.of()));
        iae("clipGradNorm, NaN maxNorm", "clipGradNorm:", () -> Clipping.clipGradNorm(params(), NAN));
        // ---- issue 17: NAdam, RAdam, Lamb, weight decay of RmsProp and Adagrad, clipping by value and other norms
        iae("NAdam, beta1 = 1", "NAdam:", () -> new NAdam(params(), 0.1, 1, 0.999, 1e-8, 0, 4e-3));
        iae("NAdam, NaN eps", "NAdam:", () -> new NAdam(params(), 0.1, 0.9, 0.999, NAN, 0, 4e-3));
        iae("NAdam, negative weight decay", "NAdam:", () -> new NAdam(params(), 0.1, 0.9, 0.999, 1e-8, -0.1, 4e-3));
        iae("NAdam, negative momentum decay", "NAdam:", () -> new NAdam(params(), 0.1, 0.9, 0.999, 1e-8, 0, -4e-3));
        iae("NAdam, infinite momentum decay", "NAdam:", () -> new NAdam(params(), 0.1, 0.9, 0.999, 1e-8, 0, INF));
        iae("NAdam, negative learning rate", "NAdam:", () -> new NAdam(params(), -1));
        iae("NAdam, no parameters", "NAdam:", () -> new NAdam(List.of()));
        iae("RAdam, NaN beta2", "RAdam:", () -> new RAdam(params(), 0.1, 0.9, NAN, 1e-8, 0));
        iae("RAdam, beta2 = 1", "RAdam:", () -> new RAdam(params(), 0.1, 0.9, 1, 1e-8, 0));
        iae("RAdam, negative eps", "RAdam:", () -> new RAdam(params(), 0.1, 0.9, 0.999, -1e-8, 0));
        iae("RAdam, NaN weight decay", "RAdam:", () -> new RAdam(params(), 0.1, 0.9, 0.999, 1e-8, NAN));
        iae("RAdam, no parameters", "RAdam:", () -> new RAdam(List.of()));
        iae("Lamb, negative beta1", "Lamb:", () -> new Lamb(params(), 0.1, -0.1, 0.999, 1e-6, 0.01, true));
        iae("Lamb, infinite eps", "Lamb:", () -> new Lamb(params(), 0.1, 0.9, 0.999, INF, 0.01, true));
        iae("Lamb, negative weight decay", "Lamb:", () -> new Lamb(params(), 0.1, 0.9, 0.999, 1e-6, -0.01, true));
        iae("Lamb, NaN learning rate", "Lamb:", () -> new Lamb(params(), NAN));
        iae("Lamb, no parameters", "Lamb:", () -> new Lamb(List.of(), 0.1));
        iae("RmsProp, negative weight decay", "RmsProp:", () -> new RmsProp(params(), 0.1, 0.99, 1e-8, -0.1));
        iae("Adagrad, NaN weight decay", "Adagrad:", () -> new Adagrad(params(), 0.1, 1e-10, NAN));
        iae("clipGradNorm, normType 0", "clipGradNorm:", () -> Clipping.clipGradNorm(params(), 1, 0));
        iae("clipGradNorm, negative infinite normType", "clipGradNorm:", () -> Clipping.clipGradNorm(params(), 1, -INF));
        iae("clipGradNorm, NaN normType", "clipGradNorm:", () -> Clipping.clipGradNorm(params(), 1, NAN));
        iae("clipGradValue, negative clipValue", "clipGradValue:", () -> Clipping.clipGradValue(params(), -0.5));
        iae("clipGradValue, NaN clipValue", "clipGradValue:", () -> Clipping.clipGradValue(params(), NAN));
        npe("clipGradValue(null)", "clipGradValue:", () -> Clipping.clipGradValue(null, 1));
        npe("clipGradValue(a null parameter)", "clipGradValue:", () -> Clipping.clipGradValue(Arrays.asList((Tensor) null), 1));
        npe("NAdam(null)", "NAdam:", () -> new NAdam(null));
        npe("RAdam(a null parameter)", "RAdam:", () -> new RAdam(Arrays.asList(Tensor.ones(1).requiresGrad(), null)));
        npe("Lamb(null)", "Lamb:", () -> new Lamb(null, 0.1));
        iae("EarlyStopping, NaN minDelta", "EarlyStopping:", () -> new EarlyStopping(1, NAN, false));
        iae("EarlyStopping, infinite minDelta", "EarlyStopping:", () -> new EarlyStopping(1, INF, false));
        iae("EarlyStopping, patience 0", "EarlyStopping:", () -> new EarlyStopping(0, 0.1, false));
        iae("Schedules.step, NaN lr0", "Schedules.step:", () -> Schedules.step(NAN, 1, 0.5));
        iae("Schedules.step, stepSize 0", "Schedules.step:", () -> Schedules.step(0.1, 0, 0.5));
        iae("Schedules.step, negative epoch", "Schedules.step:", () -> Schedules.step(0.1, 1, 0.5).lr(-1));
        iae("Schedules.exponential, negative gamma", "Schedules.exponential:", () -> Schedules.exponential(0.1, -1));
        iae("Schedules.inverseTime, NaN rate", "Schedules.inverseTime:", () -> Schedules.inverseTime(0.1, NAN));
        iae("Schedules.cosine, tMax 0", "Schedules.cosine:", () -> Schedules.cosine(0.1, 0, 0));
        iae("Schedules.cosine, NaN etaMin", "Schedules.cosine:", () -> Schedules.cosine(0.1, 10, NAN));
        // ---- Module
        iae("summary, negative dimension", "summary:", () -> new Linear(3, 2, 1).summary(-1, 3));
        CASES.add(new Case("Lambda returning null", IllegalStateException.class, "Lambda 'nothing'",
                () -> new Lambda("nothing", t -> null).forward(x23)));

        // ---- nulls: a NullPointerException of ours, naming the entry point and the argument
        npe("Linear(weight null)", "Linear:", () -> new Linear(null, null));
        npe("Linear.forward(null)", "Linear(2 -> 3)", () -> new Linear(2, 3, 1).forward(null));
        npe("Conv2d.forward(null)", "Conv2d(1 -> 1", () -> new Conv2d(1, 1, 3, 1).forward(null));
        npe("Conv(kernel null)", "Conv:", () -> new Conv(1, 1, null, new int[] {1}, new int[] {0}, new int[] {1}, 1, true, 1));
        npe("MaxPool2d.forward(null)", "MaxPool2d(2", () -> new MaxPool2d(2).forward(null));
        npe("BatchNorm1d.forward(null)", "BatchNorm1d(3)", () -> new BatchNorm1d(3).forward(null));
        npe("LayerNorm.forward(null)", "LayerNorm([3])", () -> new LayerNorm(3).forward(null));
        npe("LayerNorm(null)", "LayerNorm:", () -> new LayerNorm((int[]) null));
        npe("Dropout.forward(null)", "Dropout(0.5)", () -> new Dropout(0.5, 1).forward(null));
        npe("PRelu.forward(null)", "PRelu(1)", () -> new PRelu(1).forward(null));
        npe("Embedding.forward(null)", "Embedding(4, 3)", () -> new Embedding(4, 3, 1).forward(null));
        npe("Embedding.lookup(null)", "Embedding(4, 3)", () -> new Embedding(4, 3, 1).lookup(null));
        npe("Maxout.forward(null)", "Maxout(2 -> 1, 2 pieces)", () -> new Maxout(2, 1, 2, 1).forward(null));
        npe("Mlp(sizes null)", "Mlp:", () -> new Mlp(null, "tanh", Tensor::tanh, 1));
        npe("Mlp(activation null)", "Mlp:", () -> new Mlp(new int[] {2, 1}, "tanh", null, 1));
        npe("Residual(null)", "Residual:", () -> new Residual(null));
        npe("Residual.forward(null)", "Residual:", () -> new Residual(new Linear(2, 2, 1)).forward(null));
        npe("Sequential(a null layer)", "Sequential:", () -> new Sequential(new Linear(2, 2, 1), null));
        npe("Sequential.forward(null)", "Sequential:", () -> new Sequential().forward(null));
        npe("Lambda(name null)", "Lambda:", () -> new Lambda(null, Tensor::relu));
        npe("Lambda(function null)", "Lambda 'f'", () -> new Lambda("f", null));
        npe("Swish.forward(null)", "Swish:", () -> new Swish(1, false).forward(null));
        npe("swish(x, null)", "swish:", () -> Activations.swish(x23, null));
        npe("prelu(x, null)", "prelu:", () -> Activations.prelu(x23, null));
        npe("RnnCell.forward(null)", "RnnCell(3 -> 4)", () -> new RnnCell(3, 4, 1).forward(null));
        npe("RnnCell.step(x, null)", "RnnCell(3 -> 4).step", () -> new RnnCell(3, 4, 1).step(Tensor.zeros(2, 3), null));
        npe("GruCell.step(null, state)", "GruCell(3 -> 4).step", () -> new GruCell(3, 4, 1).step(null, State.of(Tensor.zeros(2, 4))));
        npe("RnnCell.load(null, ...)", "RnnCell(3 -> 4).load", () -> new RnnCell(3, 4, 1).load(null, null, null, null));
        npe("State.of(null)", "State:", () -> State.of(null));
        npe("Recurrent.unroll(null cell)", "Recurrent.unroll:", () -> Recurrent.unroll(null, Tensor.zeros(1, 1, 1), null));
        npe("Recurrent.last(null cell)", "Recurrent.last:", () -> Recurrent.last(null, Tensor.zeros(1, 1, 1)));
        iae("Recurrent.last, wrong input size", "Recurrent.last:", () -> Recurrent.last(new RnnCell(3, 4, 1), Tensor.zeros(2, 1, 5)));
        npe("Recurrent.unroll(null sequence)", "Recurrent.unroll:", () -> Recurrent.unroll(new RnnCell(1, 1, 1), null, null));
        npe("mse(null, t)", "mse:", () -> Losses.mse(null, x23));
        npe("mse(p, null)", "mse:", () -> Losses.mse(x23, null));
        npe("binaryCrossEntropy(null, t)", "binaryCrossEntropy:", () -> Losses.binaryCrossEntropy(null, x23));
        npe("binaryCrossEntropyWithLogits(z, null)", "binaryCrossEntropyWithLogits:",
                () -> Losses.binaryCrossEntropyWithLogits(x23, null));
        npe("crossEntropy(logits, null)", "crossEntropy:", () -> Losses.crossEntropy(x23, (int[]) null));
        npe("crossEntropy(null, labels)", "crossEntropy:", () -> Losses.crossEntropy(null, new int[] {0, 1}));
        npe("nll(null, labels)", "nll:", () -> Losses.nll(null, new int[] {0}));
        npe("l1Penalty(null)", "l1Penalty:", () -> Losses.l1Penalty(null));
        npe("l2Penalty(a null weight)", "l2Penalty:", () -> Losses.l2Penalty(Arrays.asList(x23, null)));
        npe("Init.uniform(shape null)", "Init.uniform:", () -> Init.uniform(1, 0, 1, (int[]) null));
        npe("Init.heNormal(shape null)", "Init.heNormal:", () -> Init.heNormal(1, 3, (int[]) null));
        npe("Sgd(null)", "Sgd:", () -> new Sgd(null, 0.1));
        npe("Adam(a null parameter)", "Adam:", () -> new Adam(Arrays.asList(Tensor.ones(1).requiresGrad(), null), 0.1));
        npe("RmsProp(null)", "RmsProp:", () -> new RmsProp(null, 0.1));
        npe("Adagrad(null)", "Adagrad:", () -> new Adagrad(null, 0.1));
        npe("Adadelta(null)", "Adadelta:", () -> new Adadelta(null));
        npe("Adadelta(a null parameter)", "Adadelta:", () -> new Adadelta(Arrays.asList(Tensor.ones(1).requiresGrad(), null)));
        npe("clipGradNorm(null)", "clipGradNorm:", () -> Clipping.clipGradNorm(null, 1));
        npe("clipGradNorm(a null parameter)", "clipGradNorm:", () -> Clipping.clipGradNorm(Arrays.asList((Tensor) null), 1));
        npe("summary(null)", "summary:", () -> new Linear(3, 2, 1).summary((int[]) null));
        for (String name : List.of("sigmoid", "tanh", "relu", "gelu", "selu", "softplus", "hardSigmoid", "hardTanh")) {
            UnaryOperator<Tensor> f = activation(name);
            npe(name + "(null)", name + ":", () -> f.apply(null));
        }
        // ---- the sequence modules Rnn, Lstm, Gru (issue 17): sizes, options, input, states, lengths, masks
        Tensor seq = Tensor.zeros(5, 2, 3);
        iae("Lstm, hidden 0", "Lstm:", () -> new Lstm(3, 0, 1));
        iae("Gru, no layers", "Gru:", () -> new Gru(3, 4, 0, true, false, 0, false, 1));
        iae("Lstm, too many weights", "Lstm:", () -> new Lstm(1, 30_000, 1));
        iae("Rnn, unknown nonlinearity", "Rnn:", () -> new Rnn(3, 4, 1, "sigmoid", true, false, 0, false, 1));
        iae("Gru, dropout > 1", "Gru:", () -> new Gru(3, 4, 2, true, false, 1.5, false, 1));
        iae("Lstm, dropout NaN", "Lstm:", () -> new Lstm(3, 4, 2, true, false, NAN, false, 1));
        iae("Lstm, input of the wrong width", "Lstm(3, 4)", () -> new Lstm(3, 4, 1).forward(Tensor.zeros(5, 2, 4)));
        iae("Gru, input of rank 4", "Gru(3, 4, batchFirst=true)", () -> new Gru(3, 4, 1, true, true, 0, false, 1)
                .forward(Tensor.zeros(1, 5, 2, 3)));
        iae("Rnn, unbatched input of the wrong width", "Rnn(3, 4)", () -> new Rnn(3, 4, 1).forward(Tensor.zeros(5, 2)));
        iae("Gru, h0 without the layers' axis", "Gru(3, 4, numLayers=2)", () -> new Gru(3, 4, 2, true, false, 0, false, 1)
                .forward(seq, State.of(Tensor.zeros(2, 4))));
        iae("Gru, h0 for one direction of two", "Gru(3, 4, bidirectional=true)", () -> new Gru(3, 4, 1, true, false, 0, true, 1)
                .forward(seq, State.of(Tensor.zeros(1, 2, 4))));
        iae("Lstm, h0 without c0", "Lstm(3, 4)", () -> new Lstm(3, 4, 1).forward(seq, State.of(Tensor.zeros(1, 2, 4))));
        iae("Lstm, c0 of the wrong batch", "Lstm(3, 4)", () -> new Lstm(3, 4, 1).forward(seq,
                new State(Tensor.zeros(1, 2, 4), Tensor.zeros(1, 1, 4))));
        iae("Gru, a c0 it has no use for", "Gru(3, 4)", () -> new Gru(3, 4, 1).forward(seq,
                new State(Tensor.zeros(1, 2, 4), Tensor.zeros(1, 2, 4))));
        iae("Rnn, unbatched input with a batched h0", "Rnn(3, 4)", () -> new Rnn(3, 4, 1).forward(Tensor.zeros(5, 3),
                State.of(Tensor.zeros(1, 1, 4))));
        iae("Lstm, one length for two sequences", "Lstm(3, 4)", () -> new Lstm(3, 4, 1).forward(seq, null, new int[] {5}));
        iae("Lstm, a length past the steps", "Lstm(3, 4)", () -> new Lstm(3, 4, 1).forward(seq, null, new int[] {5, 6}));
        iae("Gru, a negative length", "Gru(3, 4)", () -> new Gru(3, 4, 1).forward(seq, null, new int[] {-1, 2}));
        iae("Rnn, lengths for an unbatched input", "Rnn(3, 4)", () -> new Rnn(3, 4, 1).forward(Tensor.zeros(5, 3), null,
                new int[] {5}));
        iae("Lstm, a mask with a gap", "Lstm(3, 4)", () -> new Lstm(3, 4, 1).forward(Tensor.zeros(3, 1, 3), null,
                Tensor.fromArray(new double[] {1, 0, 1}, 3, 1)));
        iae("Lstm, a mask of 0.5", "Lstm(3, 4)", () -> new Lstm(3, 4, 1).forward(Tensor.zeros(2, 1, 3), null,
                Tensor.fromArray(new double[] {0.5, 0}, 2, 1)));
        iae("Gru, a time-first mask for batch-first input", "Gru(3, 4, batchFirst=true)", () -> new Gru(3, 4, 1, true, true, 0,
                false, 1).forward(seq, null, Tensor.ones(2, 5)));
        npe("Lstm.forward(null)", "Lstm(3, 4)", () -> new Lstm(3, 4, 1).forward(null));
        npe("Gru.forward(x, h0, null lengths)", "Gru(3, 4)", () -> new Gru(3, 4, 1).forward(seq, null, (int[]) null));
        npe("Rnn.forward(x, h0, null mask)", "Rnn(3, 4)", () -> new Rnn(3, 4, 1).forward(seq, null, (Tensor) null));
        npe("leakyRelu(null)", "leakyRelu:", () -> Activations.leakyRelu(null, 0.1));
        npe("elu(null)", "elu:", () -> Activations.elu(null, 1));
        npe("softmax(null)", "softmax:", () -> Activations.softmax(null, 0));
        npe("logSoftmax(null)", "logSoftmax:", () -> Activations.logSoftmax(null, 0));
    }

    static {
        // ---- issue 17: activations and small modules
        Tensor x23 = Tensor.ones(2, 3);
        iae("rrelu, lower > upper", "rrelu:", () -> Activations.rrelu(x23, 0.5, 0.1));
        iae("rrelu, NaN lower", "rrelu:", () -> Activations.rrelu(x23, NAN, 0.1));
        iae("rrelu, infinite upper", "rrelu:", () -> Activations.rrelu(x23, 0.1, INF));
        iae("rrelu, slopes for another shape", "rrelu:", () -> Activations.rrelu(x23, Tensor.ones(2)));
        iae("RRelu, lower > upper", "RRelu:", () -> new RRelu(0.5, 0.1, 1));
        iae("noisyRelu, noise for another shape", "noisyRelu:", () -> Activations.noisyRelu(x23, Tensor.ones(3, 3)));
        iae("celu, alpha 0", "celu:", () -> Activations.celu(x23, 0));
        iae("celu, NaN alpha", "celu:", () -> Activations.celu(x23, NAN));
        iae("CELU module, alpha 0", "CELU:", () -> Activations.celu(0));
        iae("glu, odd axis", "glu:", () -> Activations.glu(x23, 1));
        iae("glu, 0-d input", "glu:", () -> Activations.glu(Tensor.scalar(1), 0));
        iae("glu, axis out of range", "glu:", () -> Activations.glu(x23, 2));
        iae("GLU module, odd axis", "glu:", () -> Activations.glu(-1).forward(Tensor.ones(3)));
        iae("Flatten, startDim out of range", "Flatten(1, -1)", () -> new Flatten().forward(Tensor.ones(3)));
        iae("Flatten, endDim out of range", "Flatten(0, 3)", () -> new Flatten(0, 3).forward(x23));
        iae("Flatten, startDim after endDim", "Flatten(-1, 0)", () -> new Flatten(-1, 0).forward(x23));
        iae("Flatten, a merged axis over 2^31", "Flatten(1, 2)", () -> new Flatten(1, 2).forward(Tensor.zeros(0, 65_536, 65_536)));
        iae("ModuleDict, key with a dot", "ModuleDict:", () -> new ModuleDict().put("enc.0", new Identity()));
        iae("ModuleDict, empty key", "ModuleDict:", () -> new ModuleDict().put("", new Identity()));
        iae("ModuleDict, a key twice", "ModuleDict:", () -> new ModuleDict().put("a", new Identity()).put("a", new Identity()));
        iae("ModuleDict, no such key", "ModuleDict:", () -> new ModuleDict().put("a", new Identity()).get("b"));
        CASES.add(new Case("ModuleList.get, index out of range", IndexOutOfBoundsException.class, "ModuleList:",
                () -> new ModuleList(new Identity()).get(1)));
        CASES.add(new Case("ModuleList.forward", UnsupportedOperationException.class, "ModuleList:",
                () -> new ModuleList(new Identity()).forward(x23)));
        CASES.add(new Case("ModuleDict.forward", UnsupportedOperationException.class, "ModuleDict:",
                () -> new ModuleDict().forward(x23)));
        iae("Embedding.paddingIdx, out of range", "Embedding(4, 3).paddingIdx:", () -> new Embedding(4, 3, 1).paddingIdx(4));
        iae("Embedding.paddingIdx, below -num", "Embedding(4, 3).paddingIdx:", () -> new Embedding(4, 3, 1).paddingIdx(-5));
        iae("Embedding.maxNorm, 0", "Embedding(4, 3).maxNorm:", () -> new Embedding(4, 3, 1).maxNorm(0));
        iae("Embedding.maxNorm, NaN", "Embedding(4, 3).maxNorm:", () -> new Embedding(4, 3, 1).maxNorm(NAN));
        iae("Embedding.maxNorm, infinite", "Embedding(4, 3).maxNorm:", () -> new Embedding(4, 3, 1).maxNorm(INF));
        iae("Embedding.maxNorm, normType 0", "Embedding(4, 3).maxNorm:", () -> new Embedding(4, 3, 1).maxNorm(1, 0));
        iae("Embedding.maxNorm, NaN normType", "Embedding(4, 3).maxNorm:", () -> new Embedding(4, 3, 1).maxNorm(1, NAN));
        for (String name : List.of("hardSwish", "mish", "silu", "logSigmoid", "softsign")) {
            UnaryOperator<Tensor> f = newActivation(name);
            npe(name + "(null)", name + ":", () -> f.apply(null));
        }
        npe("celu(null)", "celu:", () -> Activations.celu(null, 1));
        npe("glu(null)", "glu:", () -> Activations.glu(null, 0));
        npe("rrelu(null)", "rrelu:", () -> Activations.rrelu(null, 0.1, 0.3));
        npe("rrelu(x, null slopes)", "rrelu:", () -> Activations.rrelu(x23, null));
        npe("noisyRelu(null)", "noisyRelu:", () -> Activations.noisyRelu(null, x23));
        npe("noisyRelu(x, null noise)", "noisyRelu:", () -> Activations.noisyRelu(x23, null));
        npe("RRelu.forward(null)", "RRelu(0.125", () -> new RRelu(1).forward(null));
        npe("NoisyRelu.forward(null)", "NoisyRelu", () -> new NoisyRelu(1).forward(null));
        npe("Flatten.forward(null)", "Flatten(1, -1)", () -> new Flatten().forward(null));
        npe("Identity.forward(null)", "Identity:", () -> new Identity().forward(null));
        npe("ModuleList(a null module)", "ModuleList:", () -> new ModuleList(new Identity(), null));
        npe("ModuleList.extend(null)", "ModuleList:", () -> new ModuleList().extend(null));
        npe("ModuleDict.put(null key)", "ModuleDict:", () -> new ModuleDict().put(null, new Identity()));
        npe("ModuleDict.put(key, null)", "ModuleDict:", () -> new ModuleDict().put("a", null));
    }

    private static UnaryOperator<Tensor> newActivation(String name) {
        switch (name) {
            case "hardSwish": return Activations::hardSwish;
            case "mish": return Activations::mish;
            case "silu": return Activations::silu;
            case "logSigmoid": return Activations::logSigmoid;
            case "softsign": return Activations::softsign;
            default: throw new IllegalArgumentException(name);
        }
    }

    // ---- losses with PyTorch's options (issue 17): reductions, weights, ignore index, smoothing, the new losses
    static {
        Tensor x23 = Tensor.ones(2, 3);
        Tensor y3 = Tensor.fromArray(new double[] {1, -1, 1});
        int[][] ctcTargets = {{1, 2}};
        Tensor lp = Tensor.zeros(4, 1, 3);
        npe("mse, reduction null", "mse:", () -> Losses.mse(x23, x23, null));
        iae("mse, BATCHMEAN", "mse:", () -> Losses.mse(x23, x23, Reduction.BATCHMEAN));
        iae("l1, shapes differ", "l1:", () -> Losses.l1(x23, Tensor.ones(3)));
        iae("huber, delta 0", "huber:", () -> Losses.huber(x23, x23, Reduction.MEAN, 0));
        iae("huber, NaN delta", "huber:", () -> Losses.huber(x23, x23, Reduction.MEAN, NAN));
        iae("huber, shapes differ", "huber:", () -> Losses.huber(x23, Tensor.ones(3, 2)));
        iae("smoothL1, negative beta", "smoothL1:", () -> Losses.smoothL1(x23, x23, Reduction.SUM, -1));
        iae("smoothL1, NaN beta", "smoothL1:", () -> Losses.smoothL1(x23, x23, Reduction.SUM, NAN));
        iae("klDiv, shapes differ", "klDiv:", () -> Losses.klDiv(x23, Tensor.ones(6)));
        npe("klDiv, reduction null", "klDiv:", () -> Losses.klDiv(x23, x23, null, false));
        iae("crossEntropy, weight of the wrong size", "crossEntropy:",
                () -> Losses.crossEntropy(x23, new int[] {0, 1}, Tensor.ones(2), Losses.IGNORE_INDEX, Reduction.MEAN, 0));
        iae("crossEntropy, label smoothing 1.5", "crossEntropy:",
                () -> Losses.crossEntropy(x23, new int[] {0, 1}, null, Losses.IGNORE_INDEX, Reduction.MEAN, 1.5));
        iae("crossEntropy, NaN label smoothing", "crossEntropy:",
                () -> Losses.crossEntropy(x23, new int[] {0, 1}, null, Losses.IGNORE_INDEX, Reduction.MEAN, NAN));
        iae("crossEntropy, -100 when another index is ignored", "crossEntropy:",
                () -> Losses.crossEntropy(x23, new int[] {0, -100}, null, 1, Reduction.MEAN, 0));
        iae("crossEntropy, (N, C, d) logits and N labels", "crossEntropy:",
                () -> Losses.crossEntropy(Tensor.ones(2, 3, 4), new int[] {0, 1}));
        iae("crossEntropy, scalar logits", "crossEntropy:", () -> Losses.crossEntropy(Tensor.scalar(1), new int[] {0}));
        iae("crossEntropy, probabilities of another shape", "crossEntropy:", () -> Losses.crossEntropy(x23, Tensor.ones(3, 2)));
        iae("crossEntropy, scalar logits and probabilities", "crossEntropy:",
                () -> Losses.crossEntropy(Tensor.scalar(1), Tensor.scalar(1)));
        iae("crossEntropy, probabilities with a weight of the wrong size", "crossEntropy:",
                () -> Losses.crossEntropy(x23, x23, Tensor.ones(2), Reduction.SUM, 0));
        npe("crossEntropy(logits, null probabilities)", "crossEntropy:", () -> Losses.crossEntropy(x23, (Tensor) null));
        iae("nll, weight of rank 2", "nll:", () -> Losses.nll(x23, new int[] {0, 1}, Tensor.ones(1, 3), Losses.IGNORE_INDEX,
                Reduction.SUM));
        iae("nll, BATCHMEAN", "nll:", () -> Losses.nll(x23, new int[] {0, 1}, Reduction.BATCHMEAN));
        iae("binaryCrossEntropy, weight that does not broadcast", "binaryCrossEntropy:",
                () -> Losses.binaryCrossEntropy(Tensor.full(0.5, 2, 3), Tensor.ones(2, 3), Tensor.ones(4), Reduction.MEAN));
        iae("binaryCrossEntropy, weight that would grow the result", "binaryCrossEntropy:",
                () -> Losses.binaryCrossEntropy(Tensor.full(0.5, 3), Tensor.ones(3), Tensor.ones(2, 3), Reduction.MEAN));
        iae("binaryCrossEntropyWithLogits, posWeight that does not broadcast", "binaryCrossEntropyWithLogits:",
                () -> Losses.binaryCrossEntropyWithLogits(x23, x23, null, Tensor.ones(2), Reduction.MEAN));
        iae("marginRanking, shapes differ", "marginRanking:", () -> Losses.marginRanking(Tensor.ones(3), Tensor.ones(2), y3));
        iae("marginRanking, NaN margin", "marginRanking:", () -> Losses.marginRanking(y3, y3, y3, NAN, Reduction.MEAN));
        iae("hingeEmbedding, a target of 0.5", "hingeEmbedding:",
                () -> Losses.hingeEmbedding(Tensor.ones(3), Tensor.fromArray(new double[] {1, 0.5, -1})));
        iae("cosineEmbedding, a target of 0", "cosineEmbedding:",
                () -> Losses.cosineEmbedding(x23, x23, Tensor.fromArray(new double[] {1, 0})));
        iae("cosineEmbedding, target of the wrong length", "cosineEmbedding:", () -> Losses.cosineEmbedding(x23, x23, y3));
        iae("cosineEmbedding, inputs of rank 3", "cosineEmbedding:",
                () -> Losses.cosineEmbedding(Tensor.ones(2, 3, 1), Tensor.ones(2, 3, 1), Tensor.ones(2)));
        iae("cosineEmbedding, shapes differ", "cosineEmbedding:", () -> Losses.cosineEmbedding(x23, Tensor.ones(2, 2), Tensor.ones(2)));
        iae("multiMargin, p 3", "multiMargin:", () -> Losses.multiMargin(x23, new int[] {0, 1}, 3, 1, null, Reduction.MEAN));
        iae("multiMargin, label out of range", "multiMargin:", () -> Losses.multiMargin(x23, new int[] {0, 3}));
        iae("multiMargin, -100 is no ignore index here", "multiMargin:", () -> Losses.multiMargin(x23, new int[] {0, -100}));
        iae("multiMargin, weight of the wrong size", "multiMargin:",
                () -> Losses.multiMargin(x23, new int[] {0, 1}, 1, 1, Tensor.ones(2), Reduction.MEAN));
        iae("multiMargin, input of rank 3", "multiMargin:", () -> Losses.multiMargin(Tensor.ones(2, 3, 1), new int[] {0, 1}));
        iae("multiMargin, NaN margin", "multiMargin:", () -> Losses.multiMargin(x23, new int[] {0, 1}, 1, NAN, null, Reduction.SUM));
        iae("ctc, logProbs of rank 1", "ctc:", () -> Losses.ctc(Tensor.zeros(4), ctcTargets, new int[] {4}));
        iae("ctc, two targets for one sequence", "ctc:", () -> Losses.ctc(lp, new int[][] {{1}, {2}}, new int[] {4}));
        iae("ctc, input length 0", "ctc:", () -> Losses.ctc(lp, ctcTargets, new int[] {0}));
        iae("ctc, input length beyond T", "ctc:", () -> Losses.ctc(lp, ctcTargets, new int[] {5}));
        iae("ctc, the blank in a target", "ctc:", () -> Losses.ctc(lp, new int[][] {{1, 0}}, new int[] {4}));
        iae("ctc, a label out of range", "ctc:", () -> Losses.ctc(lp, new int[][] {{3}}, new int[] {4}));
        iae("ctc, blank out of range", "ctc:", () -> Losses.ctc(lp, ctcTargets, new int[] {4}, 3, Reduction.MEAN, false));
        iae("ctc, BATCHMEAN", "ctc:", () -> Losses.ctc(lp, ctcTargets, new int[] {4}, 0, Reduction.BATCHMEAN, false));
        npe("ctc, targets null", "ctc:", () -> Losses.ctc(lp, null, new int[] {4}));
        npe("ctc, a null target", "ctc:", () -> Losses.ctc(lp, new int[][] {null}, new int[] {4}));
        iae("Reduction.of, an unknown name", "Reduction.of:", () -> Reduction.of("avg"));
        npe("Reduction.of(null)", "Reduction.of:", () -> Reduction.of(null));
    }

    private static UnaryOperator<Tensor> activation(String name) {
        switch (name) {
            case "sigmoid": return Activations::sigmoid;
            case "tanh": return Activations::tanh;
            case "relu": return Activations::relu;
            case "gelu": return Activations::gelu;
            case "selu": return Activations::selu;
            case "softplus": return Activations::softplus;
            case "hardSigmoid": return Activations::hardSigmoid;
            case "hardTanh": return Activations::hardTanh;
            default: throw new IllegalArgumentException(name);
        }
    }

    static Stream<Case> cases() {
        return CASES.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void throwsOurErrorNamingTheEntryPoint(Case c) {
        Throwable e = assertThrows(c.type, c.call, c.what);
        assertTrue(e.getClass() == c.type, c.what + ": threw " + e);
        String m = e.getMessage();
        assertNotNull(m, c.what + ": no message");
        assertTrue(m.startsWith(c.names), c.what + ": the message should begin with '" + c.names + "': " + m);
        assertFalse(m.contains("because \"") || m.contains("Cannot invoke") || m.contains("Cannot read"),
                c.what + ": the JVM's text, not ours: " + m);
    }
}
