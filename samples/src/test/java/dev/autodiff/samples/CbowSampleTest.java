package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Embedding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CBOW on a synthetic corpus whose neighbour structure is known by construction; no real corpus needed. */
class CbowSampleTest {
    @TempDir
    Path dir;

    private static final String[][] GROUPS = {
        {"gold", "silver", "brass", "iron", "copper", "tin"},
        {"ox", "sheep", "goat", "ass", "camel", "lamb"},
        {"bread", "wine", "oil", "meat", "milk", "honey"},
    };

    /** Sentences of 10 words, each drawn from one group only: a word's contexts are its own group's words. */
    private static List<String> corpus(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> words = new ArrayList<>();
        for (int s = 0; s < 1500; s++) {
            String[] g = GROUPS[r.nextInt(GROUPS.length)];
            for (int i = 0; i < 10; i++) {
                words.add(g[r.nextInt(g.length)]);
            }
        }
        return words;
    }

    @Test
    void wordsSharingContextsAreNearestNeighbours() throws Exception {
        CbowSample.Settings s = new CbowSample.Settings(16, 2, 5, 64, 3, 0.01, 1, 0, 7);
        CbowSample.Embeddings e = CbowSample.train(corpus(3), s, false);
        assertEquals(19, e.vocab().size(), "18 words and the unknown word");
        assertTrue(e.epochLosses().get(2) < e.epochLosses().get(0), e.epochLosses().toString());
        for (String[] group : GROUPS) {
            Set<String> mates = new HashSet<>(List.of(group));
            for (String w : group) {
                Set<String> nearest = new HashSet<>();
                for (String entry : e.nearest(w, 5)) {
                    nearest.add(entry.substring(0, entry.indexOf(' ')));
                }
                mates.remove(w);
                assertEquals(mates, nearest, "the 5 nearest neighbours of " + w + ": " + e.nearest(w, 5));
                mates.add(w);
            }
        }
        double[] eigen = new double[2];
        double[][] p = CbowSample.scatter(e, 18, 1, dir, eigen);
        assertEquals(18, p.length);
        assertTrue(Files.size(dir.resolve("words.png")) > 1000 && Files.size(dir.resolve("words.svg")) > 1000);
        // three tight clusters: the two leading components separate them, so a group spreads less than one standard
        // deviation of the second component
        for (String[] group : GROUPS) {
            int a = e.vocab().index(group[0]) - 1;
            for (String w : group) {
                int b = e.vocab().index(w) - 1;
                double within = Math.hypot(p[a][0] - p[b][0], p[a][1] - p[b][1]);
                assertTrue(within < Math.sqrt(eigen[1]), group[0] + " and " + w + " are " + within + " apart");
            }
        }
    }

    @Test
    void theLossIsNegativeSamplingsSumWrittenOutByHand() {
        Embedding in = new Embedding(6, 3, 1);
        Embedding out = new Embedding(6, 3, 2);
        int[] context = {1, 2, 3, 4, 5, 1, 0, 2}; // 2 examples, C = 2 on each side
        int[] candidates = {3, 4, 5, 2, 0, 1};    // centre word, then K = 2 negatives
        double[] labels = {1, 0, 0, 1, 0, 0};
        double got = CbowSample.loss(in, out, context, candidates, 2, 2, 2, Tensor.fromArray(labels, 2, 3)).item();
        double[] v = in.weight().toArray();
        double[] u = out.weight().toArray();
        double want = 0;
        for (int b = 0; b < 2; b++) {
            double[] h = new double[3];
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 3; k++) {
                    h[k] += v[context[b * 4 + j] * 3 + k] / 4;
                }
            }
            for (int j = 0; j < 3; j++) {
                double score = 0;
                for (int k = 0; k < 3; k++) {
                    score += u[candidates[b * 3 + j] * 3 + k] * h[k];
                }
                // -log sigmoid(score) for the centre word, -log sigmoid(-score) for a negative
                want += -Math.log(1 / (1 + Math.exp(j == 0 ? -score : score)));
            }
        }
        assertEquals(want / 2, got, 1e-12);
    }

    @Test
    void powerIterationFindsTheLeadingAxes() {
        // a full grid of a in {-3, -1, 1, 3} along (1, 1, 0)/sqrt 2 and b in {-1, 1} along (0, 0, 1), offset: the
        // sample covariance is exactly diagonal in that basis, with variances 5 and 1 and 0 along (1, -1, 0)
        double[][] x = new double[8][];
        int n = 0;
        for (double a : new double[] {-3, -1, 1, 3}) {
            for (double b : new double[] {-1, 1}) {
                x[n++] = new double[] {a / Math.sqrt(2) + 2, a / Math.sqrt(2) - 1, b + 4};
            }
        }
        double[] eigen = new double[2];
        double[][] p = CbowSample.pca2(x, 9, eigen);
        // the projections on the true axes, centred by the sample mean, as an independent check
        double[] mean = new double[3];
        for (double[] row : x) {
            for (int j = 0; j < 3; j++) {
                mean[j] += row[j] / x.length;
            }
        }
        double var1 = 0;
        double var2 = 0;
        for (int i = 0; i < x.length; i++) {
            double a = ((x[i][0] - mean[0]) + (x[i][1] - mean[1])) / Math.sqrt(2);
            double b = x[i][2] - mean[2];
            assertEquals(Math.abs(a), Math.abs(p[i][0]), 1e-6, "point " + i);
            assertEquals(Math.abs(b), Math.abs(p[i][1]), 1e-6, "point " + i);
            var1 += a * a / x.length;
            var2 += b * b / x.length;
        }
        assertEquals(5, var1, 1e-12);
        assertEquals(1, var2, 1e-12);
        assertEquals(5, eigen[0], 1e-9);
        assertEquals(1, eigen[1], 1e-9);
    }
}
