package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transformer sample on tiny in-memory texts; the real corpus is not needed. */
class TransformerSampleTest {
    private static final String PERIOD = "the lord is my shepherd; ";

    @TempDir
    Path dir;

    private static TransformerSample.Settings tiny(int steps, long seed) {
        return new TransformerSample.Settings(steps, 4, 16, 0.005, 32, 4, 2, 64, 20, 30, seed);
    }

    private static int[] random(SplittableRandom r, int vocab, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = r.nextInt(vocab);
        }
        return out;
    }

    /** Changing the character at position 6 of stream 0 leaves every logit before it, and all of stream 1, exactly equal. */
    @Test
    void theCausalMaskHidesLaterCharactersExactly() {
        int v = 7;
        int steps = 10;
        int batch = 2;
        TransformerSample.Model m = new TransformerSample.Model(v, tiny(1, 3), 3);
        int[] ids = random(new SplittableRandom(5), v, steps * batch);
        int[] changed = ids.clone();
        int t = 6;
        changed[t * batch] = (ids[t * batch] + 1) % v;
        double[] a;
        double[] b;
        try (GradScope g = Autodiff.noGrad()) {
            a = m.logits(ids, steps, batch).toArray();
            b = m.logits(changed, steps, batch).toArray();
        }
        for (int s = 0; s < steps; s++) {
            for (int n = 0; n < batch; n++) {
                double[] ra = Arrays.copyOfRange(a, (s * batch + n) * v, (s * batch + n + 1) * v);
                double[] rb = Arrays.copyOfRange(b, (s * batch + n) * v, (s * batch + n + 1) * v);
                if (s < t || n == 1) {
                    assertArrayEquals(ra, rb, 0.0, "position " + s + ", stream " + n + " saw a later character");
                } else {
                    assertFalse(Arrays.equals(ra, rb), "position " + s + " must see the change at " + t);
                }
            }
        }
    }

    /**
     * After the final LayerNorm (weight 1, bias 0) each position's h has sum h_i^2 = d (biased variance, eps aside),
     * and the head's weights and bias are U(-a, a), a = 1 / sqrt(d), so given h each logit z_k is a sum of independent
     * uniforms with variance sigma^2 = d a^2 / 3 + a^2 / 3 = 1/3 + 1/(3 d), the V logits independent. Over the init,
     * E[z_y] = 0, and E log sum_k exp z_k lies between log V (Jensen on the mean of z) and log V + sigma^2 / 2 (Jensen
     * on the log, with E exp(c U(-a, a)) = sinh(c a) / (c a) <= exp(c^2 a^2 / 6)). So the mean initial loss over
     * seeds lies in [log V, log V + sigma^2 / 2] up to the spread of the seeds' mean: 0.1 allowed on either side.
     */
    @Test
    void theInitialLossIsNearLogV() {
        int v = 20;
        int steps = 16;
        int batch = 8;
        int d = 32;
        double sigma2 = 1.0 / 3 + 1.0 / (3 * d);
        int[] in = random(new SplittableRandom(8), v, steps * batch);
        int[] out = random(new SplittableRandom(9), v, steps * batch);
        double sum = 0;
        int seeds = 8;
        try (GradScope g = Autodiff.noGrad()) {
            for (int seed = 0; seed < seeds; seed++) {
                sum += new TransformerSample.Model(v, tiny(1, seed), 100 + seed).loss(in, out, steps, batch).item();
            }
        }
        double mean = sum / seeds;
        double logV = Math.log(v);
        assertTrue(mean > logV - 0.1 && mean < logV + sigma2 / 2 + 0.1,
                "initial loss " + mean + " against [" + logV + ", " + (logV + sigma2 / 2) + "]");
    }

    @Test
    void aRepeatedStringIsLearnedAndRunsAreDeterministic() throws Exception {
        CharCorpus c = CharCorpus.of(PERIOD.repeat(60));
        double logV = Math.log(c.vocab().size());
        TransformerSample.Run run = TransformerSample.train(c.ids(), c.ids(), c.vocab(), tiny(60, 2), "the ", false);
        assertEquals(List.of(20, 40, 60), run.steps());
        double last = run.heldOut().get(2);
        // every character after the first few of a window is determined by its predecessors: the loss can go to 0
        assertTrue(last < 0.25 * logV, "held-out " + run.heldOut() + " against log V = " + logV);
        assertTrue(run.heldOut().get(0) > last, run.heldOut().toString());

        TransformerSample.Run again = TransformerSample.train(c.ids(), c.ids(), c.vocab(), tiny(60, 2), "the ", false);
        assertEquals(run.heldOut(), again.heldOut(), "same seed, same losses");
        assertEquals(run.samples(), again.samples(), "same seed, same samples");
        TransformerSample.Run other = TransformerSample.train(c.ids(), c.ids(), c.vocab(), tiny(60, 4), "the ", false);
        assertNotEquals(run.heldOut(), other.heldOut(), "another seed, another run");

        TransformerSample.chart(run, run.heldOut(), logV, dir);
        assertTrue(Files.size(dir.resolve("heldout.png")) > 1000 && Files.size(dir.resolve("heldout.svg")) > 1000);
    }
}
