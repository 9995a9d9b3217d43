package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import dev.autodiff.nn.conv.Conv;
import dev.autodiff.nn.conv.Pool2d;
import dev.autodiff.nn.rnn.Cell;
import dev.autodiff.nn.rnn.GruCell;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.Recurrent;
import dev.autodiff.nn.rnn.RnnCell;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Recurrent, convolution, pooling, normalisation, embedding and composed layers against PyTorch, to 1e-10. */
class LayerReferenceTest {
    private static final TorchFixtures F = new TorchFixtures();

    private static void close(String expected, Tensor actual) {
        Tensor e = F.get(expected);
        assertArrayEquals(e.shape(), actual.shape(), expected + " shape");
        double[] ev = e.toArray();
        double[] av = actual.toArray();
        for (int i = 0; i < ev.length; i++) {
            double tolerance = Double.isFinite(ev[i]) ? 1e-10 * Math.max(1, Math.abs(ev[i])) : 0; // NaN, inf: exactly
            assertEquals(ev[i], av[i], tolerance, expected + " at " + i);
        }
    }

    static Stream<Arguments> cells() {
        return Stream.of(Arguments.of("rnn", new RnnCell(5, 6, 1)), Arguments.of("lstm", new LstmCell(5, 6, 1)),
                Arguments.of("gru", new GruCell(5, 6, 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cells")
    void recurrentCellsUnrolledWithBackpropagationThroughTime(String name, Cell cell) {
        cell.load(F.get(name + ".weightIh"), F.get(name + ".weightHh"), F.get(name + ".biasIh"), F.get(name + ".biasHh"));
        Tensor x = F.get("rnn.x").requiresGrad();
        Tensor hs = Recurrent.unroll(cell, x, null).stacked();
        close(name + ".hs", hs);
        Tensor loss = hs.mul(F.get("rnn.r")).sum();
        Tensor wIh = cell.parameters().get("weightIh");
        Tensor wHh = cell.parameters().get("weightHh");
        Tensor[] g = Autodiff.grad(loss, x, wIh, wHh);
        close(name + ".gradX", g[0]);
        close(name + ".gradWeightIh", g[1]);
        close(name + ".gradWeightHh", g[2]);
    }

    private static void convCase(String name, Conv conv) {
        conv.weight().assign(F.get(name + ".weight"));
        conv.bias().assign(F.get(name + ".bias"));
        Tensor x = F.get(name + ".x").requiresGrad();
        Tensor y = conv.forward(x);
        close(name + ".y", y);
        Tensor[] g = Autodiff.grad(y.mul(F.get(name + ".r")).sum(), x, conv.weight(), conv.bias());
        close(name + ".gradX", g[0]);
        close(name + ".gradWeight", g[1]);
        close(name + ".gradBias", g[2]);
    }

    @Test
    void conv1dWithStridePaddingAndGroups() {
        convCase("conv1d", new dev.autodiff.nn.conv.Conv1d(4, 6, 3, 2, 1, 1, 2, true, 1));
    }

    @Test
    void conv2dWithRectangularKernelStrideDilationAndGroups() {
        convCase("conv2d", new Conv(4, 6, new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 1}, new int[] {2, 1}, 2, true, 1));
    }

    @Test
    void pooling() {
        for (String kind : new String[] {"max", "avg"}) {
            Pool2d pool = kind.equals("max") ? Pool2d.max(3, 2, 1) : Pool2d.avg(2, 2, 0);
            Tensor x = F.get("pool.x").requiresGrad();
            Tensor y = pool.forward(x);
            close("pool." + kind + ".y", y);
            close("pool." + kind + ".gradX", Autodiff.grad(y.mul(F.get("pool." + kind + ".r")).sum(), x)[0]);
        }
    }

    /**
     * Max pooling on values with ties in most windows, a window of -infinity only and a NaN: the output and
     * which single element of each window gets the gradient match PyTorch's max_pool2d.
     */
    @Test
    void maxPoolingTiesInfinityAndNaN() {
        Tensor x = F.get("poolTies.x").requiresGrad();
        for (String name : new String[] {"poolTies", "poolTies2"}) {
            Pool2d pool = name.equals("poolTies") ? Pool2d.max(3, 2, 1) : Pool2d.max(2, 2, 0);
            Tensor y = pool.forward(x);
            close(name + ".y", y);
            close(name + ".gradX", Autodiff.grad(y, F.get(name + ".r"), false, false, x)[0]);
        }
    }

    @Test
    void batchNormTrainingEvaluationAndRunningStatistics() {
        for (String name : new String[] {"bn2d", "bn1d"}) {
            BatchNorm bn = new BatchNorm(3);
            Tensor w = bn.parameters().get("weight").assign(F.get(name + ".weight"));
            Tensor b = bn.parameters().get("bias").assign(F.get(name + ".bias"));
            Tensor x = F.get(name + ".x").requiresGrad();
            Tensor y = bn.forward(x);
            close(name + ".y", y);
            Tensor[] g = Autodiff.grad(y.mul(F.get(name + ".r")).sum(), x, w, b);
            close(name + ".gradX", g[0]);
            close(name + ".gradWeight", g[1]);
            close(name + ".gradBias", g[2]);
            close(name + ".runningMean", bn.runningMean());
            close(name + ".runningVar", bn.runningVar());
            bn.eval();
            close(name + ".yEval", bn.forward(F.get(name + ".x")));
        }
    }

    @Test
    void layerNorm() {
        LayerNorm ln = new LayerNorm(5);
        Tensor w = ln.parameters().get("weight").assign(F.get("layernorm.weight"));
        ln.parameters().get("bias").assign(F.get("layernorm.bias"));
        Tensor x = F.get("layernorm.x").requiresGrad();
        Tensor y = ln.forward(x);
        close("layernorm.y", y);
        Tensor[] g = Autodiff.grad(y.mul(F.get("layernorm.r")).sum(), x, w);
        close("layernorm.gradX", g[0]);
        close("layernorm.gradWeight", g[1]);
    }

    @Test
    void embeddingLookupAndScatterAddGradient() {
        Embedding emb = new Embedding(10, 4, 1);
        emb.weight().assign(F.get("embedding.weight"));
        Tensor y = emb.forward(F.get("embedding.indices"));
        close("embedding.y", y);
        y.mul(F.get("embedding.r")).sum().backward();
        close("embedding.gradWeight", emb.weight().grad());
    }

    static Stream<Arguments> compositions() {
        return Stream.of(
                Arguments.of("maxout", new Maxout(5, 3, 4, 1)),
                Arguments.of("residual", new Residual(new Sequential(new Linear(5, 5, 1), new Lambda("tanh", Tensor::tanh),
                        new Linear(5, 5, 2)))),
                Arguments.of("residualProjected", new Residual(new Sequential(new Linear(5, 3, 1),
                        new Lambda("tanh", Tensor::tanh), new Linear(3, 3, 2)), new Linear(5, 3, 3))),
                Arguments.of("mlp", new Mlp(new int[] {5, 6, 4, 2}, "relu", Tensor::relu, 1)),
                Arguments.of("preluPerChannel", new PRelu(5)),
                Arguments.of("swishLearnable", new Swish(1.2, true)));
    }

    /**
     * Layers that are compositions of others, and activations with learnable parameters, with PyTorch's values
     * for every parameter, in registration order.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("compositions")
    void compositionsWithTheirParameters(String name, Module module) {
        Tensor[] params = module.parameters().values().toArray(new Tensor[0]);
        for (int i = 0; i < params.length; i++) {
            params[i].assign(F.get("comp." + name + ".p" + i));
        }
        assertFalse(F.has("comp." + name + ".p" + params.length), name + ": PyTorch's module has more parameters");
        Tensor x = F.get("comp.x").requiresGrad();
        Tensor y = module.forward(x);
        close("comp." + name + ".y", y);
        Tensor[] wrt = new Tensor[params.length + 1];
        wrt[0] = x;
        System.arraycopy(params, 0, wrt, 1, params.length);
        Tensor[] g = Autodiff.grad(y.mul(F.get("comp." + name + ".r")).sum(), wrt);
        close("comp." + name + ".gradX", g[0]);
        for (int i = 0; i < params.length; i++) {
            close("comp." + name + ".gradP" + i, g[i + 1]);
        }
    }
}
