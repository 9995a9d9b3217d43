package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.conv.AvgPool2d;
import dev.autodiff.nn.conv.Conv1d;
import dev.autodiff.nn.conv.Conv2d;
import dev.autodiff.nn.conv.MaxPool2d;
import dev.autodiff.nn.optim.RmsProp;
import dev.autodiff.nn.rnn.Cell;
import dev.autodiff.nn.rnn.GruCell;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.Recurrent;
import dev.autodiff.nn.rnn.RnnCell;
import dev.autodiff.nn.rnn.State;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Input at the edges that PyTorch accepts (and so must we, with PyTorch's answer), and state that must not
 * change: empty sizes, 0-d inputs, unbatched inputs, zero steps.
 */
class EdgeCaseTest {
    private static void same(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertArrayEquals(expected.toArray(), actual.toArray(), 1e-12, what);
    }

    // ---- wrong numbers ------------------------------------------------------------------------------------

    @Test
    void linearWithoutInputsOutputsZeros() {
        // PyTorch: bound 1/sqrt(fan in) is taken as 0 for fan in 0, so the bias is 0 (it was NaN)
        Linear lin = new Linear(0, 4, 1);
        same(Tensor.zeros(4), lin.bias(), "bias");
        same(Tensor.zeros(2, 4), lin.forward(Tensor.ones(2, 0)), "output");
        assertArrayEquals(new int[] {2, 0}, new Linear(4, 0, 1).forward(Tensor.ones(2, 4)).shape());
        assertArrayEquals(new int[] {0, 2}, new Linear(3, 2, 1).forward(Tensor.ones(0, 3)).shape());
        // the same for a convolution without input channels: its output is its (zero) bias
        Conv2d conv = new Conv2d(0, 2, 3, 1);
        same(Tensor.zeros(1, 2, 3, 3), conv.forward(Tensor.zeros(1, 0, 5, 5)), "Conv2d without input channels");
    }

    @Test
    void zeroDimensionalInputsKeepTheirShape() {
        Tensor s = Tensor.scalar(-2.0);
        assertArrayEquals(new int[0], new Dropout(0.5, 1).forward(s).shape(), "Dropout (was [1])");
        assertArrayEquals(new int[0], new PRelu(1).forward(s).shape(), "PRelu (was [1])");
        assertEquals(-0.5, new PRelu(1).forward(s).item(), 0.0);
        assertArrayEquals(new int[0], Activations.prelu(s, Tensor.fromArray(new double[] {0.25})).shape(), "prelu, slope (1)");
        assertArrayEquals(new int[] {3}, new Embedding(4, 3, 1).forward(Tensor.scalar(2)).shape(), "Embedding of one index (was [1, 3])");
        for (Tensor y : new Tensor[] {Activations.elu(s, 1), Activations.softplus(s), Activations.hardTanh(s),
                Activations.hardSigmoid(s), Activations.leakyRelu(s, 0.1), Activations.selu(s)}) {
            assertArrayEquals(new int[0], y.shape());
        }
        assertArrayEquals(new int[0], Losses.binaryCrossEntropy(Tensor.scalar(0.3), Tensor.scalar(1)).shape());
    }

    @Test
    void dropoutWithPOneZeroesEverything() {
        Tensor x = Tensor.ones(2, 3).requiresGrad();
        Tensor y = new Dropout(1.0, 1).forward(x);
        same(Tensor.zeros(2, 3), y, "p = 1, as PyTorch");
        y.sum().backward();
        same(Tensor.zeros(2, 3), x.grad(), "its gradient");
    }

    // ---- valid input that was rejected -----------------------------------------------------------------------

    static Stream<Cell> cells() {
        return Stream.of(new RnnCell(3, 4, 1), new GruCell(3, 4, 2), new LstmCell(3, 4, 3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cells")
    void unrollOverZeroSteps(Cell cell) {
        Tensor xs = Tensor.zeros(0, 2, 3);
        Recurrent.Result r = Recurrent.unroll(cell, xs, null);
        assertTrue(r.outputs().isEmpty());
        assertArrayEquals(new int[] {0, 2, 4}, r.stacked().shape(), "stacked() of no steps (was: stack: need at least one tensor)");
        same(Tensor.zeros(2, 4), r.last().h(), "last state: the zero state");
        State initial = cell.initialState(2);
        Recurrent.Result given = Recurrent.unroll(cell, xs, initial);
        assertSame(initial, given.last(), "last state: the initial one");
        same(Tensor.zeros(2, 4), Recurrent.last(cell, xs), "Recurrent.last");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cells")
    void cellsTakeUnbatchedInput(Cell cell) {
        Tensor x = Tensor.randn(4, 2, 3);
        State s = cell.initialState(2);
        State batched = cell.step(x, s.c() == null ? State.of(Tensor.randn(5, 2, 4)) : new State(Tensor.randn(5, 2, 4),
                Tensor.randn(6, 2, 4)));
        Tensor h0 = Tensor.randn(5, 2, 4).slice(0, 1, 2).squeeze(0);
        State one = s.c() == null ? State.of(h0) : new State(h0, Tensor.randn(6, 2, 4).slice(0, 1, 2).squeeze(0));
        State r = cell.step(x.slice(0, 1, 2).squeeze(0), one);
        same(batched.h().slice(0, 1, 2).squeeze(0), r.h(), cell + " unbatched step, as PyTorch's cells");
        same(cell.forward(x).slice(0, 0, 1).squeeze(0), cell.forward(x.slice(0, 0, 1).squeeze(0)), cell + " unbatched forward");
    }

    @Test
    void cellsOfSizeZero() {
        // PyTorch accepts hidden size 0 and input size 0
        assertArrayEquals(new int[] {2, 0}, new RnnCell(3, 0, 1).forward(Tensor.ones(2, 3)).shape());
        RnnCell noInput = new RnnCell(0, 2, 1);
        Tensor h = noInput.forward(Tensor.ones(2, 0));
        Map<String, Tensor> p = noInput.parameters();
        same(p.get("biasIh").add(p.get("biasHh")).tanh().reshape(1, 2).broadcastTo(2, 2), h, "tanh of the biases");
    }

    @Test
    void convolutionAndPoolingTakeUnbatchedInput() {
        Tensor x = Tensor.randn(7, 2, 3, 6, 5);
        Conv2d conv = new Conv2d(3, 4, 3, 1, 1, 1, 1, true, 2);
        same(conv.forward(x).slice(0, 1, 2).squeeze(0), conv.forward(x.slice(0, 1, 2).squeeze(0)), "Conv2d (C, H, W)");
        Tensor x1 = Tensor.randn(8, 2, 3, 9);
        Conv1d conv1 = new Conv1d(3, 2, 3, 3);
        same(conv1.forward(x1).slice(0, 0, 1).squeeze(0), conv1.forward(x1.slice(0, 0, 1).squeeze(0)), "Conv1d (C, L)");
        for (dev.autodiff.nn.Module pool : List.of(new MaxPool2d(2), new AvgPool2d(2), new MaxPool2d(3, 2, 1))) {
            same(pool.forward(x).slice(0, 1, 2).squeeze(0), pool.forward(x.slice(0, 1, 2).squeeze(0)), pool.describe() + " (C, H, W)");
        }
    }

    @Test
    void sharedWeightsAreCountedAndSteppedOnce() {
        // one Linear used twice: parameters() lists it under both paths; PyTorch counts and steps it once
        Linear shared = new Linear(2, 2, 4);
        Sequential net = new Sequential(shared, shared);
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), List.copyOf(net.parameters().keySet()));
        assertEquals(2 * 2 + 2, net.parameterCount(), "each distinct tensor counted once");
        Tensor w0 = shared.weight().detach().mul(1.0);
        net.forward(Tensor.ones(3, 2)).sum().backward();
        Tensor g = shared.weight().grad();
        new dev.autodiff.nn.optim.Sgd(net.parameters().values(), 0.1).step();
        same(w0.sub(g.mul(0.1)), shared.weight(), "one SGD step with the summed gradient, not two");
    }

    @Test
    void otherEdgesPyTorchAccepts() {
        assertArrayEquals(new int[] {1, 0}, new Embedding(3, 0, 1).forward(Tensor.fromArray(new double[] {1})).shape());
        assertArrayEquals(new int[] {0, 3}, new Embedding(0, 3, 1).weight().shape());
        assertArrayEquals(new int[] {2, 0}, new LayerNorm(0).forward(Tensor.ones(2, 0)).shape());
        assertArrayEquals(new int[] {0, 3}, new PRelu(3).forward(Tensor.zeros(0, 3)).shape());
        Tensor x = Tensor.randn(9, 2, 3);
        same(x, new Sequential().forward(x), "an empty Sequential is the identity");
        same(Init.constant(0.5, 3), Init.uniform(1, 0.5, 0.5, 3), "uniform on [a, a]");
        assertArrayEquals(new int[] {0, 5}, Init.heUniform(1, 0, 0, 5).shape(), "nothing to initialise, any fan");
        // RMSprop's alpha = 1 (PyTorch accepts it: the average never moves)
        new RmsProp(List.of(Tensor.ones(1).requiresGrad()), 0.1, 1.0, 1e-8);
        // Adadelta's rho = 1 (PyTorch accepts it): both averages stay 0, so d = sqrt(eps) / sqrt(eps) g = g, an SGD step
        Tensor q = Tensor.fromArray(new double[] {1, -2}).requiresGrad();
        q.setGrad(Tensor.fromArray(new double[] {0.5, 3}));
        new dev.autodiff.nn.optim.Adadelta(List.of(q), 0.1, 1.0, 1e-6, 0).step();
        assertArrayEquals(new double[] {1 - 0.1 * 0.5, -2 - 0.1 * 3}, q.toArray(), 0.0, "Adadelta with rho = 1");
        // cross-entropy of one unbatched example, as PyTorch's (C) logits with a 0-d target
        Tensor z = Tensor.fromArray(new double[] {0.5, -1, 2});
        same(Losses.crossEntropy(z.reshape(1, 3), new int[] {2}), Losses.crossEntropy(z, new int[] {2}), "unbatched crossEntropy");
    }
}
