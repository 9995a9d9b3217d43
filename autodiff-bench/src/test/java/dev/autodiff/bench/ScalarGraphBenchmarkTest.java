package dev.autodiff.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The benchmark and its baseline compute the same thing: autodiff gradients equal the hand-written backward pass. */
class ScalarGraphBenchmarkTest {
    @Test
    void scalarMlpGradientsMatchHandWrittenBackprop() {
        ScalarGraphBenchmark b = new ScalarGraphBenchmark();
        b.setup();
        b.mlpScalarAutodiff();
        b.plain.lossAndGradient(b.inputs, b.targets);
        ScalarMlp p = b.plain;
        for (int i = 0; i < ScalarGraphBenchmark.HIDDEN; i++) {
            for (int j = 0; j < 2; j++) {
                assertEquals(p.gw1[i][j], b.w1[i][j].grad().item(), 1e-12 * (1 + Math.abs(p.gw1[i][j])));
            }
            for (int j = 0; j < ScalarGraphBenchmark.HIDDEN; j++) {
                assertEquals(p.gw2[i][j], b.w2[i][j].grad().item(), 1e-12 * (1 + Math.abs(p.gw2[i][j])));
            }
            assertEquals(p.gb1[i], b.b1[i].grad().item(), 1e-12 * (1 + Math.abs(p.gb1[i])));
            assertEquals(p.gb2[i], b.b2[i].grad().item(), 1e-12 * (1 + Math.abs(p.gb2[i])));
            assertEquals(p.gw3[i], b.w3[i].grad().item(), 1e-12 * (1 + Math.abs(p.gw3[i])));
        }
        assertEquals(p.gb3, b.b3.grad().item(), 1e-12 * (1 + Math.abs(p.gb3)));
    }

    @Test
    void textbookBenchmarkAndBaselineAgree() {
        ScalarGraphBenchmark b = new ScalarGraphBenchmark();
        b.setup();
        assertEquals(0.5, b.textbookAutodiff(), 1e-15);
        assertEquals(b.textbookHandWritten(), b.textbookAutodiff(), 1e-15);
    }

    @Test
    void nodeCountMatchesTheGraph() {
        ScalarGraphBenchmark b = new ScalarGraphBenchmark();
        b.setup();
        // the per-node figure divides by MLP_NODES: it must be the number of recorded ops
        assertEquals(dev.autodiff.Graph.of(b.mlpLoss()).steps().size(), ScalarGraphBenchmark.MLP_NODES);
        assertEquals(64_300, ScalarGraphBenchmark.MLP_NODES);
    }
}
