package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import dev.autodiff.nn.rnn.Gru;
import dev.autodiff.nn.rnn.Lstm;
import dev.autodiff.nn.rnn.Rnn;
import dev.autodiff.nn.rnn.RnnBase;
import dev.autodiff.nn.rnn.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rnn, Lstm and Gru against torch.nn.RNN / LSTM / GRU in float64 to 1e-10 (fixtures/torch_rnn_modules.txt,
 * written by autodiff-nn/fixtures/generate_rnn_modules.py): the PyTorch weights copied in by PyTorch's
 * names, the output and final states, and the gradients of sum(output r) + sum(h_n r_h) [+ sum(c_n r_c)]
 * with respect to the input, the initial states and every parameter; packed sequences through lengths
 * (pack_padded_sequence, enforce_sorted=False) and, the same case again, through a mask.
 */
class RnnModuleReferenceTest {
    private static final TorchFixtures F = new TorchFixtures("torch_rnn_modules.txt");
    private static final double TOL = 1e-10;

    /** The generator's table: name, module, layers, bidirectional, batch first, bias, nonlinearity, C, H, initial states. */
    record Case(String name, String kind, int layers, boolean bidirectional, boolean batchFirst, boolean bias,
            String nonlinearity, int in, int hidden, boolean initial) {
        RnnBase make() {
            switch (kind) {
                case "rnn": return new Rnn(in, hidden, layers, nonlinearity, bias, batchFirst, 0, bidirectional, 1);
                case "lstm": return new Lstm(in, hidden, layers, bias, batchFirst, 0, bidirectional, 1);
                default: return new Gru(in, hidden, layers, bias, batchFirst, 0, bidirectional, 1);
            }
        }

        boolean lengths() {
            return F.has(name + ".lengths");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("rnnTanh", "rnn", 1, false, false, true, "tanh", 4, 3, true),
                new Case("rnnReluBi2BatchFirst", "rnn", 2, true, true, true, "relu", 4, 3, true),
                new Case("rnnBiLengths", "rnn", 1, true, false, true, "tanh", 3, 2, true),
                new Case("lstm", "lstm", 1, false, false, true, null, 4, 3, false),
                new Case("lstm2", "lstm", 2, false, false, true, null, 4, 3, true),
                new Case("lstmBi2BatchFirst", "lstm", 2, true, true, true, null, 3, 3, true),
                new Case("lstmBi2Lengths", "lstm", 2, true, false, true, null, 3, 3, true),
                new Case("lstmBiLengthsBatchFirstNoBias", "lstm", 1, true, true, false, null, 2, 4, false),
                new Case("gru", "gru", 1, false, false, true, null, 4, 3, true),
                new Case("gruBi2BatchFirst", "gru", 2, true, true, true, null, 3, 3, true),
                new Case("gruBi2LengthsNoBias", "gru", 2, true, false, false, null, 3, 2, true),
                new Case("gruLengthsBatchFirst", "gru", 1, false, true, true, null, 3, 3, true));
    }

    private static void close(String fixture, Tensor actual) {
        Tensor expected = F.get(fixture);
        assertArrayEquals(expected.shape(), actual.shape(), fixture + " shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], TOL * Math.max(1, Math.abs(e[i])), fixture + " at " + i);
        }
    }

    /** PyTorch's weights into the module, by PyTorch's names; every parameter of the module has one. */
    private static void load(RnnBase m, String prefix) {
        m.parameters().forEach((name, p) -> {
            Tensor w = F.get(prefix + "." + name);
            assertArrayEquals(w.shape(), p.shape(), name + ": PyTorch's layout");
            p.assign(w);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void outputsFinalStatesAndEveryGradientAsPyTorch(Case c) {
        for (boolean throughMask : c.lengths() ? new boolean[] {false, true} : new boolean[] {false}) {
            RnnBase m = c.make();
            load(m, c.name);
            // PyTorch's count: per layer and direction 2 weights, and 2 biases when bias=True
            assertEquals(c.layers * (c.bidirectional ? 2 : 1) * (c.bias ? 4 : 2), m.parameters().size(), "parameter count");
            boolean lstm = c.kind.equals("lstm");
            Tensor x = F.get(c.name + ".x").requiresGrad();
            List<Tensor> inputs = new ArrayList<>(List.of(x));
            State initial = null;
            if (c.initial) {
                Tensor h0 = F.get(c.name + ".h0").requiresGrad();
                Tensor c0 = lstm ? F.get(c.name + ".c0").requiresGrad() : null;
                inputs.add(h0);
                if (lstm) {
                    inputs.add(c0);
                }
                initial = new State(h0, c0);
            }
            RnnBase.Result r;
            if (!c.lengths()) {
                r = m.forward(x, initial);
            } else if (!throughMask) {
                r = m.forward(x, initial, F.labels(c.name + ".lengths"));
            } else {
                r = m.forward(x, initial, mask(F.labels(c.name + ".lengths"), x.dim(c.batchFirst ? 1 : 0), c.batchFirst));
            }
            String what = c.name + (throughMask ? " (mask)" : "");
            close(c.name + ".output", r.output());
            close(c.name + ".hn", r.state().h());
            Tensor loss = r.output().mul(F.get(c.name + ".r")).sum().add(r.state().h().mul(F.get(c.name + ".rh")).sum());
            if (lstm) {
                close(c.name + ".cn", r.state().c());
                loss = loss.add(r.state().c().mul(F.get(c.name + ".rc")).sum());
            } else {
                assertNull(r.state().c(), what + ": no cell state");
            }
            List<String> names = new ArrayList<>(m.parameters().keySet());
            inputs.addAll(m.parameters().values());
            Tensor[] g = Autodiff.grad(loss, inputs.toArray(new Tensor[0]));
            close(c.name + ".gradX", g[0]);
            int i = 1;
            if (c.initial) {
                close(c.name + ".gradH0", g[i++]);
                if (lstm) {
                    close(c.name + ".gradC0", g[i++]);
                }
            }
            for (String name : names) {
                close(c.name + ".grad." + name, g[i++]);
            }
        }
    }

    /** 1 on each sequence's steps, 0 after: (T, N), or (N, T) batch first. */
    static Tensor mask(int[] lengths, int steps, boolean batchFirst) {
        int n = lengths.length;
        double[] v = new double[n * steps];
        for (int s = 0; s < n; s++) {
            for (int t = 0; t < lengths[s]; t++) {
                v[batchFirst ? s * steps + t : t * n + s] = 1;
            }
        }
        return batchFirst ? Tensor.fromArray(v, n, steps) : Tensor.fromArray(v, steps, n);
    }

    @Test
    void unbatchedInputIsABatchOfOne() {
        Lstm m = new Lstm(3, 2, 2, true, false, 0, true, 1);
        load(m, "lstmUnbatched");
        RnnBase.Result r = m.forward(F.get("lstmUnbatched.x"), new State(F.get("lstmUnbatched.h0"), F.get("lstmUnbatched.c0")));
        close("lstmUnbatched.output", r.output());
        close("lstmUnbatched.hn", r.state().h());
        close("lstmUnbatched.cn", r.state().c());
    }

    @Test
    void parameterNamesAndShapesArePyTorchs() {
        // named_parameters() of torch.nn.GRU(3, 4, num_layers=2, bidirectional=True), in its order
        List<String> torch = List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
                "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1",
                "bias_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse");
        Map<String, Tensor> p = new Gru(3, 4, 2, true, false, 0, true, 1).parameters();
        assertEquals(torch, new ArrayList<>(p.keySet()));
        assertArrayEquals(new int[] {12, 3}, p.get("weight_ih_l0").shape());
        assertArrayEquals(new int[] {12, 8}, p.get("weight_ih_l1_reverse").shape()); // the layer below's two directions
        assertArrayEquals(new int[] {12, 4}, p.get("weight_hh_l1").shape());
        assertArrayEquals(new int[] {12}, p.get("bias_hh_l0_reverse").shape());
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0"), new ArrayList<>(new Lstm(3, 4, 1, false, false, 0, false, 1)
                .parameters().keySet()));
        assertEquals("Lstm(3, 4, numLayers=2, batchFirst=true, dropout=0.5, bidirectional=true)",
                new Lstm(3, 4, 2, true, true, 0.5, true, 1).describe());
        assertEquals("Rnn(3, 4, nonlinearity=relu, bias=false)", new Rnn(3, 4, 1, "relu", false, false, 0, false, 1).describe());
    }
}
