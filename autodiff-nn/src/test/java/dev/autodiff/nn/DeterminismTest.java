package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.Recurrent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The same program gives the same bits, whatever the JIT has compiled so far: a training run repeated in one
 * JVM (the first mostly interpreted, the later ones compiled), and two runs on two threads at once, end with
 * bit-identical parameters. The runs use exp, log, tanh and sigmoid on arrays long enough for the vector kernels.
 */
class DeterminismTest {
    /** An MLP with tanh and sigmoid layers and an LSTM head, trained with Adam on cross-entropy; all parameters. */
    private static List<double[]> train() {
        Mlp mlp = new Mlp(new int[] {24, 96, 96}, "tanh", Activations::tanh, 7);
        LstmCell cell = new LstmCell(96, 32, 8);
        Linear head = new Linear(32, 6, 9);
        List<Tensor> params = new ArrayList<>(mlp.parameters().values());
        params.addAll(cell.parameters().values());
        params.addAll(head.parameters().values());
        Adam opt = new Adam(params, 1e-2);
        Tensor x = Tensor.randn(11, 3, 16, 24);
        int[] labels = new int[16];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (i * 7) % 6;
        }
        for (int step = 0; step < 60; step++) {
            opt.zeroGrad();
            Tensor h = mlp.forward(x).sigmoid();                       // (3, 16, 96)
            Tensor logits = head.forward(Recurrent.last(cell, h));     // (16, 6)
            Tensor loss = Losses.crossEntropy(logits, labels).add(h.exp().mean().log());
            loss.backward();
            opt.step();
        }
        List<double[]> out = new ArrayList<>();
        params.forEach(p -> out.add(p.toArray()));
        return out;
    }

    private static void assertSameBits(List<double[]> a, List<double[]> b, String what) {
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i), 0.0, what + ": parameter " + i);
        }
    }

    @Test
    void repeatedRunsInOneJvmGiveTheSameBits() {
        List<double[]> first = train();
        train();
        assertSameBits(first, train(), "third run against the first");
    }

    @Test
    void concurrentRunsOnTwoThreadsGiveTheSameBits() throws Exception {
        List<double[]> reference = train();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<List<double[]>> a = pool.submit(DeterminismTest::train);
            Future<List<double[]>> b = pool.submit(DeterminismTest::train);
            assertSameBits(reference, a.get(), "thread A against the reference");
            assertSameBits(reference, b.get(), "thread B against the reference");
        } finally {
            pool.shutdown();
        }
    }
}
