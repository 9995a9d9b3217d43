package dev.autodiff.nn.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Fn;
import dev.autodiff.Tensor;
import dev.autodiff.check.GradCheck;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The sequence modules' behaviour beyond the PyTorch fixtures (RnnModuleReferenceTest): derivatives by finite
 * differences in both modes and to second order, packed sequences against each sequence run alone, dropout
 * between layers only, and agreement with the cells they share their equations with.
 */
class RnnModuleTest {
    private static final int[] LENGTHS = {3, 1};

    /** Output, final h and (for an LSTM) final c of a packed batch, flattened into one vector. */
    private static Fn packed(RnnBase m) {
        boolean lstm = m instanceof Lstm;
        return xs -> {
            RnnBase.Result r = m.forward(xs[0], new State(xs[1], lstm ? xs[2] : null), LENGTHS);
            Tensor out = Tensor.concat(0, r.output().reshape(-1), r.state().h().reshape(-1));
            return lstm ? Tensor.concat(0, out, r.state().c().reshape(-1)) : out;
        };
    }

    static Stream<Arguments> smooth() {
        return Stream.of(
                Arguments.of("lstm, 2 layers, bidirectional, packed", new Lstm(2, 2, 2, true, false, 0, true, 5)),
                Arguments.of("gru, 2 layers, bidirectional, packed", new Gru(2, 2, 2, true, false, 0, true, 6)),
                Arguments.of("rnn tanh, bidirectional, packed, no bias", new Rnn(2, 2, 1, "tanh", false, false, 0, true, 7)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smooth")
    void gradcheckInBothModesAndToSecondOrder(String name, RnnBase m) {
        int states = m.numLayers() * (m.bidirectional() ? 2 : 1);
        Tensor x = Tensor.randn(1, 3, 2, 2);
        Tensor h0 = Tensor.randn(2, states, 2, 2).mul(0.5);
        Tensor[] in = m instanceof Lstm ? new Tensor[] {x, h0, Tensor.randn(3, states, 2, 2)} : new Tensor[] {x, h0};
        GradCheck.of(packed(m)).tolerance(1e-6, 1e-5).check(in);
        GradCheck.of(packed(m)).tolerance(1e-6, 1e-5).checkSecondOrder(in);
    }

    @Test
    void gradcheckReluRnnFirstOrder() {
        Rnn m = new Rnn(2, 3, 2, "relu", true, true, 0, true, 8);
        // batch first (N, T, C); ReLU has kinks, so first order only, away from them
        Fn f = xs -> m.forward(xs[0], State.of(xs[1]), LENGTHS).output();
        GradCheck.of(f).tolerance(1e-6, 1e-5).check(Tensor.randn(4, 2, 3, 2), Tensor.randn(9, 4, 2, 3));
    }

    /** A packed sequence's output and final state are those of the same sequence alone, cut to its length. */
    @Test
    void packedSequencesAreEachSequenceRunAloneAndIgnoreThePadding() {
        Lstm m = new Lstm(3, 4, 2, true, false, 0, true, 11);
        int[] lengths = {5, 2, 0, 4};
        Tensor x = Tensor.randn(12, 5, 4, 3);
        Tensor h0 = Tensor.randn(13, 4, 4, 4);
        Tensor c0 = Tensor.randn(14, 4, 4, 4);
        RnnBase.Result all = m.forward(x, new State(h0, c0), lengths);
        // other values in the padding change nothing
        Tensor noise = Tensor.randn(15, 5, 4, 3).mul(padding(lengths, 5));
        RnnBase.Result padded = m.forward(x.add(noise), new State(h0, c0), lengths);
        assertArrayEquals(all.output().toArray(), padded.output().toArray());
        assertArrayEquals(all.state().h().toArray(), padded.state().h().toArray());
        for (int s = 0; s < lengths.length; s++) {
            int len = lengths[s];
            Tensor hs = h0.slice(1, s, s + 1);
            Tensor cs = c0.slice(1, s, s + 1);
            Tensor outS = all.output().slice(1, s, s + 1);
            if (len == 0) { // nothing runs: the initial state is the final one, the output zero
                assertArrayEquals(hs.toArray(), all.state().h().slice(1, s, s + 1).toArray());
                assertArrayEquals(new double[outS.size()], outS.toArray());
                continue;
            }
            RnnBase.Result alone = m.forward(x.slice(0, 0, len).slice(1, s, s + 1), new State(hs, cs));
            assertClose(alone.output(), outS.slice(0, 0, len), "sequence " + s + " output");
            assertArrayEquals(new double[(5 - len) * 8], outS.slice(0, len, 5).toArray(), "sequence " + s + ": zeros past its length");
            assertClose(alone.state().h(), all.state().h().slice(1, s, s + 1), "sequence " + s + " h_n");
            assertClose(alone.state().c(), all.state().c().slice(1, s, s + 1), "sequence " + s + " c_n");
        }
        // full lengths are no packing at all
        int[] full = {5, 5, 5, 5};
        assertArrayEquals(m.forward(x, new State(h0, c0)).output().toArray(), m.forward(x, new State(h0, c0), full).output().toArray());
    }

    /** (T, N, 1): 1 at the padding, t >= lengths[n]. */
    private static Tensor padding(int[] lengths, int steps) {
        double[] v = new double[steps * lengths.length];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < lengths.length; n++) {
                v[t * lengths.length + n] = t >= lengths[n] ? 1 : 0;
            }
        }
        return Tensor.fromArray(v, steps, lengths.length, 1);
    }

    /** Sequences of length 1..: equal up to rounding (the batch's matrix products may sum in another order). */
    private static void assertClose(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-13, what + " at " + i);
        }
    }

    @Test
    void batchFirstIsTimeFirstTransposed() {
        Gru a = new Gru(3, 2, 2, true, false, 0, true, 21);
        Gru b = new Gru(3, 2, 2, true, true, 0, true, 21);
        Tensor x = Tensor.randn(22, 4, 3, 3); // (T, N, C)
        RnnBase.Result ra = a.forward(x, null, new int[] {4, 2, 3});
        RnnBase.Result rb = b.forward(x.transpose(0, 1), null, new int[] {4, 2, 3});
        assertArrayEquals(ra.output().transpose(0, 1).toArray(), rb.output().toArray());
        assertArrayEquals(ra.state().h().toArray(), rb.state().h().toArray(), "h_n is (L D, N, H) either way");
    }

    /** One layer, one direction, the cell's weights transposed in: the same numbers as Recurrent.unroll of the cell. */
    @Test
    void oneLayerAgreesWithTheCellsUnrolled() {
        Tensor x = Tensor.randn(31, 6, 2, 3);
        Cell[] cells = {new RnnCell(3, 4, 32), new LstmCell(3, 4, 33), new GruCell(3, 4, 34)};
        RnnBase[] modules = {new Rnn(3, 4, 1), new Lstm(3, 4, 1), new Gru(3, 4, 1)};
        for (int i = 0; i < 3; i++) {
            Cell c = cells[i];
            RnnBase m = modules[i];
            m.parameters().get("weight_ih_l0").assign(c.parameters().get("weightIh").transpose(0, 1));
            m.parameters().get("weight_hh_l0").assign(c.parameters().get("weightHh").transpose(0, 1));
            m.parameters().get("bias_ih_l0").assign(c.parameters().get("biasIh"));
            m.parameters().get("bias_hh_l0").assign(c.parameters().get("biasHh"));
            Recurrent.Result r = Recurrent.unroll(c, x, null);
            RnnBase.Result mr = m.forward(x, null);
            assertClose(r.stacked(), mr.output(), m.describe());
            assertClose(r.last().h(), mr.state().h().squeeze(0), m.describe() + " h_n");
        }
    }

    @Test
    void dropoutActsBetweenLayersInTrainingOnly() {
        Tensor x = Tensor.randn(41, 5, 3, 2);
        Lstm plain = new Lstm(2, 3, 2, true, false, 0, false, 42);
        Lstm half = new Lstm(2, 3, 2, true, false, 0.5, false, 42);
        Lstm halfAgain = new Lstm(2, 3, 2, true, false, 0.5, false, 42);
        assertEquals(plain.parameters().keySet(), half.parameters().keySet());
        for (String n : plain.parameters().keySet()) {
            assertArrayEquals(plain.parameters().get(n).toArray(), half.parameters().get(n).toArray(), "dropout changes no weight");
        }
        RnnBase.Result trained = half.forward(x, null);
        assertArrayEquals(trained.output().toArray(), halfAgain.forward(x, null).output().toArray(), "seeded");
        assertFalse(Arrays.equals(plain.forward(x).toArray(), trained.output().toArray()), "dropout in training");
        // the first layer's final state comes before any dropout
        assertArrayEquals(plain.forward(x, null).state().h().slice(0, 0, 1).toArray(), trained.state().h().slice(0, 0, 1).toArray());
        half.eval();
        assertArrayEquals(plain.forward(x).toArray(), half.forward(x).toArray(), "no dropout in evaluation");
        half.train();
        assertFalse(Arrays.equals(trained.output().toArray(), half.forward(x).toArray()), "a new mask each call");

        // p = 1 zeroes the second layer's input, and not the last layer's output: layer 2 then runs on zeros
        Lstm all = new Lstm(2, 3, 2, true, false, 1, false, 42);
        Lstm second = new Lstm(3, 3, 43);
        for (String n : second.parameters().keySet()) {
            second.parameters().get(n).assign(all.parameters().get(n.replace("_l0", "_l1")));
        }
        Tensor out = all.forward(x);
        assertArrayEquals(second.forward(Tensor.zeros(5, 3, 3)).toArray(), out.toArray());
        assertTrue(Arrays.stream(out.toArray()).anyMatch(v -> v != 0), "no dropout after the last layer");

        // one layer: nothing between layers, so nothing dropped
        Gru one = new Gru(2, 3, 1, true, false, 0.9, false, 44);
        Gru none = new Gru(2, 3, 1, true, false, 0, false, 44);
        assertArrayEquals(none.forward(x).toArray(), one.forward(x).toArray());
    }

    @Test
    void emptySequencesAndBatches() {
        Lstm m = new Lstm(2, 3, 2, true, false, 0, true, 51);
        Tensor h0 = Tensor.randn(52, 4, 2, 3);
        Tensor c0 = Tensor.randn(53, 4, 2, 3);
        RnnBase.Result r = m.forward(Tensor.zeros(0, 2, 2), new State(h0, c0));
        assertArrayEquals(new int[] {0, 2, 6}, r.output().shape());
        assertArrayEquals(h0.toArray(), r.state().h().toArray(), "no steps: the initial state");
        assertArrayEquals(c0.toArray(), r.state().c().toArray());
        RnnBase.Result n0 = m.forward(Tensor.zeros(3, 0, 2), null);
        assertArrayEquals(new int[] {3, 0, 6}, n0.output().shape());
        assertArrayEquals(new int[] {4, 0, 3}, n0.state().h().shape());
    }

    @Test
    void gradientsReachEveryParameterAndTheInitialState() {
        Gru m = new Gru(2, 3, 2, true, true, 0, true, 61);
        Tensor x = Tensor.randn(62, 2, 4, 2).requiresGrad();
        Tensor h0 = Tensor.randn(63, 4, 2, 3).requiresGrad();
        RnnBase.Result r = m.forward(x, State.of(h0), new int[] {4, 2});
        r.output().square().sum().add(r.state().h().sum()).backward();
        assertTrue(h0.hasGrad() && x.hasGrad());
        m.parameters().forEach((n, p) -> assertTrue(Arrays.stream(p.grad().toArray()).anyMatch(v -> v != 0), n + " gets a gradient"));
    }

    /**
     * NaN and infinities in the padding reach no gradient (a packed sequence never reads its padding): every parameter's
     * gradient is that of the same batch zero-padded, bit for bit, and x's gradient is 0 there. Before the padding was
     * zeroed, 0 * NaN turned weight_ih_l0's gradient (x^T dgates) into NaN, and the gates' derivatives at NaN too.
     */
    @Test
    void nonFinitePaddingReachesNoGradient() {
        int[] lengths = {1, 4, 2, 4};
        for (RnnBase m : new RnnBase[] {new Rnn(3, 2, 3, "relu", true, true, 0, true, 71), new Lstm(3, 2, 2, true, true, 0, true, 72),
                new Gru(3, 2, 1, true, true, 0, false, 73)}) {
            Tensor clean = Tensor.randn(74, 4, 4, 3).mul(padding(lengths, 4).transpose(0, 1).rsub(1.0));
            double[] bad = clean.toArray();
            for (int n = 0; n < 4; n++) {
                for (int t = lengths[n]; t < 4; t++) {
                    for (int c = 0; c < 3; c++) {
                        bad[(n * 4 + t) * 3 + c] = c == 0 ? Double.NaN : c == 1 ? Double.POSITIVE_INFINITY : -1e308;
                    }
                }
            }
            Tensor[] want = gradients(m, clean, lengths);
            Tensor[] got = gradients(m, Tensor.fromArray(bad, 4, 4, 3), lengths);
            for (int i = 0; i < want.length; i++) {
                assertArrayEquals(want[i].toArray(), got[i].toArray(), m.getClass().getSimpleName() + ": gradient " + i);
            }
            Tensor gx = got[got.length - 1];
            for (int n = 0; n < 4; n++) {
                assertArrayEquals(new double[(4 - lengths[n]) * 3], gx.slice(0, n, n + 1).slice(1, lengths[n], 4).toArray(),
                        m.getClass().getSimpleName() + ": x's gradient in the padding of sequence " + n);
            }
        }
    }

    /** Every parameter's gradient, then x's, of a loss on the output and the final h. */
    private static Tensor[] gradients(RnnBase m, Tensor x, int[] lengths) {
        m.zeroGrad();
        Tensor xs = x.detach().requiresGrad();
        RnnBase.Result r = m.forward(xs, null, lengths);
        r.output().square().sum().add(r.state().h().sum()).backward();
        java.util.List<Tensor> out = new java.util.ArrayList<>();
        m.parameters().values().forEach(p -> out.add(p.grad().detach().mul(1.0))); // copies: the next backward may reuse buffers
        out.add(xs.grad().detach().mul(1.0));
        return out.toArray(new Tensor[0]);
    }
}
