package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.data.Tokenizer;
import dev.autodiff.nn.data.Vocabulary;
import dev.autodiff.nn.rnn.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** char-rnn on tiny in-memory texts whose answers are known by construction; the real corpus is not needed. */
class CharRnnSampleTest {
    private static final String PERIOD = "the lord is my shepherd; ";

    @TempDir
    Path dir;

    @Test
    void windowsAreTimeMajorSlicesOfSideBySideStreams() {
        int[] ids = new int[21];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        CharRnnSample.Batches b = new CharRnnSample.Batches(ids, 2, 3); // two streams of 10: 0..9 and 10..19
        assertEquals(3, b.windows());
        assertArrayEquals(new int[] {0, 10, 1, 11, 2, 12}, b.window(0)[0]);
        assertArrayEquals(new int[] {1, 11, 2, 12, 3, 13}, b.window(0)[1]);
        assertArrayEquals(new int[] {3, 13, 4, 14, 5, 15}, b.window(1)[0]);
        assertArrayEquals(b.window(0)[0], b.window(3)[0], "window 3 starts the next pass");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aRepeatedStringIsLearnedAndSampledBack(boolean lstm) throws Exception {
        String text = PERIOD.repeat(60);
        List<String> chars = Tokenizer.characters().tokenize(text);
        Vocabulary vocab = Vocabulary.of(chars);
        int[] ids = vocab.encode(chars);
        CharRnnSample.Settings s = new CharRnnSample.Settings(150, 32, 8, 4, 16, 0.01, 50, 40, 3);
        CharRnnSample.Run run = CharRnnSample.train(lstm, ids, ids, vocab, s, "the ", false);
        double uniform = Math.log(vocab.size());
        double first = run.losses().get(0);
        double last = run.losses().get(run.losses().size() - 1);
        // every character after the first few is determined by its predecessors: the loss can go to 0
        assertTrue(last < 0.1 * uniform, run.model() + ": loss " + last + " against log V = " + uniform);
        assertTrue(run.heldOutLoss() < 0.1 * uniform, run.model() + ": held-out " + run.heldOutLoss());
        assertTrue(first > last, run.losses().toString());
        assertEquals(30, run.steps().size(), "a chart point every 5 steps");
        assertEquals(150, run.steps().get(29));
        assertEquals(run.samples().size(), 3, "a sample every 50 steps");
        CharRnnSample.chart(List.of(run), uniform, dir);
        assertTrue(Files.size(dir.resolve("loss.png")) > 1000 && Files.size(dir.resolve("loss.svg")) > 1000);
    }

    @Test
    void samplingIsDeterministicForItsSeedAndContinuesTheLearnedString() {
        String text = PERIOD.repeat(60);
        List<String> chars = Tokenizer.characters().tokenize(text);
        Vocabulary vocab = Vocabulary.of(chars);
        CharRnnSample.Settings s = new CharRnnSample.Settings(150, 32, 8, 4, 16, 0.01, 150, 10, 5);
        CharRnnSample.Run run = CharRnnSample.train(true, vocab.encode(chars), null, vocab, s, "the ", false);
        assertTrue(Double.isNaN(run.heldOutLoss()));
        CharRnnSample.Model m = run.trained();
        String a = CharRnnSample.sample(m, vocab, "the lord is ", 50, 11, 1.0);
        assertEquals(a, CharRnnSample.sample(m, vocab, "the lord is ", 50, 11, 1.0), "same seed, same text");
        // nearly greedy: the continuation the text itself has after "the lord is "
        String cold = CharRnnSample.sample(m, vocab, "the lord is ", 50, 12, 0.05);
        assertEquals((PERIOD + PERIOD + PERIOD).substring(PERIOD.indexOf("my"), PERIOD.indexOf("my") + 50), cold);
        // an untrained model's samples differ from seed to seed
        CharRnnSample.Model fresh = new CharRnnSample.Model(false, vocab.size(), 8, 32, 5);
        assertNotEquals(CharRnnSample.sample(fresh, vocab, "t", 40, 1, 1.0),
                CharRnnSample.sample(fresh, vocab, "t", 40, 2, 1.0));
    }

    /**
     * The gradient of window 2's loss, whose initial state is window 1's final state detached, is the derivative
     * of that loss with the initial state held fixed (central differences along random directions), and not the
     * derivative of the same loss when window 1 is recomputed too (full BPTT through both windows).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void truncatedBpttGradientMatchesFiniteDifferences(boolean lstm) {
        int vocab = 5;
        int steps = 5;
        int batch = 2;
        SplittableRandom r = new SplittableRandom(lstm ? 41 : 40);
        int[][] w1 = {ids(r, vocab, steps * batch), ids(r, vocab, steps * batch)};
        int[][] w2 = {ids(r, vocab, steps * batch), ids(r, vocab, steps * batch)};
        CharRnnSample.Model m = new CharRnnSample.Model(lstm, vocab, 3, 4, 9);
        State carried = CharRnnSample.detach(m.window(w1[0], w1[1], steps, batch, null).last());
        Tensor loss = m.window(w2[0], w2[1], steps, batch, carried).loss();
        Tensor[] grads = Autodiff.grad(loss, m.params.toArray(new Tensor[0]));

        for (int trial = 0; trial < 3; trial++) {
            double[][] d = new double[m.params.size()][];
            double analytic = 0;
            for (int p = 0; p < d.length; p++) {
                d[p] = new double[m.params.get(p).toArray().length];
                double[] g = grads[p].toArray();
                for (int k = 0; k < d[p].length; k++) {
                    d[p][k] = r.nextDouble(-1, 1);
                    analytic += g[k] * d[p][k];
                }
            }
            double eps = 1e-5;
            double truncated = (lossAlong(m, d, eps, w1, w2, carried, steps, batch)
                    - lossAlong(m, d, -eps, w1, w2, carried, steps, batch)) / (2 * eps);
            double full = (lossAlong(m, d, eps, w1, w2, null, steps, batch)
                    - lossAlong(m, d, -eps, w1, w2, null, steps, batch)) / (2 * eps);
            String msg = "seed " + (lstm ? 41 : 40) + " trial " + trial + ": backward " + analytic + ", truncated FD "
                    + truncated + ", full-BPTT FD " + full;
            assertEquals(truncated, analytic, 1e-7 * Math.max(1, Math.abs(truncated)), msg);
            assertTrue(Math.abs(full - analytic) > 1e-4, "the carried state must matter to full BPTT: " + msg);
        }
    }

    private static int[] ids(SplittableRandom r, int vocab, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = r.nextInt(vocab);
        }
        return out;
    }

    /**
     * Window 2's loss at parameters + t d: from {@code fixedState} if given, else from window 1's final state
     * recomputed at the moved parameters. The parameters are restored afterwards.
     */
    private static double lossAlong(CharRnnSample.Model m, double[][] d, double t, int[][] w1, int[][] w2,
                                    State fixedState, int steps, int batch) {
        double[][] saved = new double[d.length][];
        for (int p = 0; p < d.length; p++) {
            Tensor param = m.params.get(p);
            saved[p] = param.toArray();
            double[] moved = saved[p].clone();
            for (int k = 0; k < moved.length; k++) {
                moved[k] += t * d[p][k];
            }
            param.assign(Tensor.fromArray(moved, param.shape()));
        }
        try (GradScope g = Autodiff.noGrad()) {
            State start = fixedState != null ? fixedState : m.window(w1[0], w1[1], steps, batch, null).last();
            return m.window(w2[0], w2[1], steps, batch, start).loss().item();
        } finally {
            for (int p = 0; p < d.length; p++) {
                Tensor param = m.params.get(p);
                param.assign(Tensor.fromArray(saved[p], param.shape()));
            }
        }
    }
}
