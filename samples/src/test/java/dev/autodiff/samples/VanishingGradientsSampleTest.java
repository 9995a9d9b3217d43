package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * (b) the lecture's chain against its table and against the test's own scalar recomputation; (a) the per-layer
 * gradient norms against plain-double backprop (sigmoid, tanh) and finite differences (every variant).
 */
class VanishingGradientsSampleTest {
    // ------------------------------------------------------------ (b)

    private static double sig(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /**
     * The chain in plain doubles: a[l], delta[l], D[l] per sample (index = the lecture's), weights and biases all 1
     * at the start, learning rate 1; the biases trained or frozen.
     */
    private static double[][][] chain(boolean trainBiases) {
        double[][] x = VanishingGradientsSample.LECTURE_INPUTS;
        double[] w1 = {1, 1};
        double[] w = {0, 0, 1, 1, 1, 1};
        double[] b = {0, 1, 1, 1, 1, 1};
        double[][][] out = new double[x.length][][];
        for (int k = 0; k < x.length; k++) {
            double[] a = new double[7];
            a[2] = sig(w1[0] * x[k][0] + w1[1] * x[k][1] + b[1]);
            for (int l = 3; l <= 6; l++) {
                a[l] = sig(w[l - 1] * a[l - 1] + b[l - 1]);
            }
            double[] delta = new double[7];
            delta[6] = a[6] - 1; // d/dz6 of -log(sigmoid(z6)) for label 1
            for (int l = 5; l >= 2; l--) {
                delta[l] = w[l] * delta[l + 1] * a[l] * (1 - a[l]);
            }
            double[] d = new double[6];
            for (int l = 2; l <= 5; l++) {
                d[l] = a[l] * delta[l + 1];
            }
            double[] d1 = {x[k][0] * delta[2], x[k][1] * delta[2]};
            out[k] = new double[][] {a, delta, d, d1, w1.clone(), w.clone(), b.clone()};
            for (int l = 2; l <= 5; l++) {
                w[l] -= d[l];
            }
            w1[0] -= d1[0];
            w1[1] -= d1[1];
            if (trainBiases) {
                for (int l = 1; l <= 5; l++) {
                    b[l] -= delta[l + 1];
                }
            }
        }
        return out;
    }

    @Test
    void chainAgreesWithThePlainDoubleRecomputation() {
        List<VanishingGradientsSample.ChainStep> ours = VanishingGradientsSample.lectureChain();
        double[][][] expected = chain(true);
        assertEquals(5, ours.size());
        for (int k = 0; k < 5; k++) {
            VanishingGradientsSample.ChainStep s = ours.get(k);
            double[][] e = expected[k];
            String at = "sample " + (k + 1) + ": ";
            for (int l = 2; l <= 6; l++) {
                assertEquals(e[0][l], s.a()[l], 1e-13, at + "a" + l);
                assertEquals(e[1][l], s.delta()[l], 1e-13, at + "delta" + l);
            }
            for (int l = 2; l <= 5; l++) {
                assertEquals(e[2][l], s.dw()[l], 1e-13, at + "D" + l);
                assertEquals(e[5][l], s.w()[l], 1e-13, at + "w" + l);
            }
            for (int l = 1; l <= 5; l++) {
                assertEquals(e[6][l], s.b()[l], 1e-13, at + "b" + l);
            }
            for (int j = 0; j < 2; j++) {
                assertEquals(e[3][j], s.d1()[j], 1e-16, at + "D1[" + (j + 1) + "]");
                assertEquals(e[4][j], s.w1()[j], 1e-13, at + "w1[" + (j + 1) + "]");
            }
        }
    }

    /** Within half a unit of the last printed digit, plus 1e-13 relative for seventeen-digit prints. */
    private static void assertShowsAs(String printed, double ours, String what) {
        BigDecimal p = new BigDecimal(printed);
        double tol = 0.5 * Math.pow(10, -p.scale()) + 1e-13 * Math.abs(p.doubleValue());
        assertEquals(p.doubleValue(), ours, tol, what + ": the lecture prints " + printed);
    }

    @Test
    void chainReproducesEveryNumberOfTheLecturesTable() {
        List<VanishingGradientsSample.ChainStep> ours = VanishingGradientsSample.lectureChain();
        Map<String, String[]> table = VanishingGradientsSample.lectureTable();
        assertEquals(22, table.size(), "rows a2-a6, w1 (2), w2-w5, delta6-delta2, D5-D2, D1 (2)");
        int checked = 0;
        for (Map.Entry<String, String[]> row : table.entrySet()) {
            assertEquals(5, row.getValue().length, row.getKey());
            for (int k = 0; k < 5; k++) {
                assertShowsAs(row.getValue()[k], VanishingGradientsSample.value(ours.get(k), row.getKey()),
                        row.getKey() + " sample " + (k + 1));
                checked++;
            }
        }
        assertEquals(110, checked);
        // a few cells typed again from seeds/003, so that a slip in the sample's transcription cannot hide one of ours
        assertShowsAs("0.93108018", ours.get(4).a()[6], "a6 sample 5");
        assertShowsAs("1.358800636", ours.get(4).w()[5], "w5 sample 5");
        assertShowsAs("-3.89E-05", ours.get(1).delta()[2], "delta2 sample 2");
        assertShowsAs("-0.008787034", ours.get(4).dw()[4], "D4 sample 5");
        assertShowsAs("1.5573614911281898e-06", ours.get(4).d1()[0], "D1 sample 5, x1");
        assertShowsAs("1.0000296835413627", ours.get(4).w1()[1], "w1 sample 5, x2");
    }

    @Test
    void withFrozenBiasesTheLecturesSecondSampleDoesNotFollow() {
        double[][][] frozen = chain(false);
        // sample 1 is the same either way; from sample 2 on the lecture's a2 = 0.749517347 needs the trained biases
        assertEquals(chain(true)[0][0][2], frozen[0][0][2]);
        double a2 = frozen[1][0][2];
        assertTrue(Math.abs(a2 - 0.749517347) > 1e-6, "frozen biases give a2 = " + a2);
        assertShowsAs("0.749517347", chain(true)[1][0][2], "a2 sample 2 with trained biases");
    }

    @Test
    void everyLayerShrinksTheErrorByItsWeightOverFourAtLeast() {
        // delta_l = w_l delta_{l+1} a_l (1 - a_l) and a (1 - a) <= 1/4
        for (VanishingGradientsSample.ChainStep s : VanishingGradientsSample.lectureChain()) {
            for (int l = 2; l <= 5; l++) {
                assertTrue(Math.abs(s.delta()[l]) <= Math.abs(s.w()[l]) / 4 * Math.abs(s.delta()[l + 1]), "delta" + l);
            }
        }
    }

    // ------------------------------------------------------------ (a)

    private static final int DEPTH = 5;
    private static final int WIDTH = 6;
    private static final int BATCH = 8;
    private static final long SEED = 3;

    /** Plain-double backprop of softmax cross-entropy through Linear -> act layers: ||dLoss/dW_l|| per layer. */
    private static double[] plainNorms(String act, double[][][] weights, double[][] biases, double[][] x, int[] y) {
        int layers = weights.length;
        double[][][] a = new double[layers + 1][][]; // a[0] = x, a[l] = output of layer l (logits for the last)
        a[0] = x;
        for (int l = 0; l < layers; l++) {
            double[][] w = weights[l];
            double[][] next = new double[x.length][w[0].length];
            for (int n = 0; n < x.length; n++) {
                for (int j = 0; j < w[0].length; j++) {
                    double z = biases[l][j];
                    for (int i = 0; i < w.length; i++) {
                        z += a[l][n][i] * w[i][j];
                    }
                    next[n][j] = l == layers - 1 ? z : act.equals("sigmoid") ? sig(z) : Math.tanh(z);
                }
            }
            a[l + 1] = next;
        }
        double[][] delta = new double[x.length][]; // dLoss/dz of the current layer
        for (int n = 0; n < x.length; n++) {
            double[] z = a[layers][n];
            double max = java.util.Arrays.stream(z).max().orElseThrow();
            double sum = 0;
            for (double v : z) {
                sum += Math.exp(v - max);
            }
            delta[n] = new double[z.length];
            for (int c = 0; c < z.length; c++) {
                delta[n][c] = (Math.exp(z[c] - max) / sum - (c == y[n] ? 1 : 0)) / x.length;
            }
        }
        double[] norms = new double[layers];
        for (int l = layers - 1; l >= 0; l--) {
            double[][] w = weights[l];
            double sq = 0;
            for (int i = 0; i < w.length; i++) {
                for (int j = 0; j < w[0].length; j++) {
                    double g = 0;
                    for (int n = 0; n < x.length; n++) {
                        g += a[l][n][i] * delta[n][j];
                    }
                    sq += g * g;
                }
            }
            norms[l] = Math.sqrt(sq);
            if (l > 0) {
                double[][] below = new double[x.length][w.length];
                for (int n = 0; n < x.length; n++) {
                    for (int i = 0; i < w.length; i++) {
                        double s = 0;
                        for (int j = 0; j < w[0].length; j++) {
                            s += w[i][j] * delta[n][j];
                        }
                        double h = a[l][n][i];
                        below[n][i] = s * (act.equals("sigmoid") ? h * (1 - h) : 1 - h * h);
                    }
                }
                delta = below;
            }
        }
        return norms;
    }

    private static double[][] rows(Tensor t) {
        double[] v = t.toArray();
        int cols = t.dim(1);
        double[][] r = new double[t.dim(0)][cols];
        for (int i = 0; i < r.length; i++) {
            System.arraycopy(v, i * cols, r[i], 0, cols);
        }
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sigmoid", "tanh"})
    void layerNormsAgreeWithPlainDoubleBackprop(String variant) {
        VanishingGradientsSample.Network net = VanishingGradientsSample.build(variant, DEPTH, WIDTH, SEED);
        double[][][] w = new double[DEPTH + 1][][];
        double[][] b = new double[DEPTH + 1][];
        for (int l = 0; l <= DEPTH; l++) {
            w[l] = rows(net.layers().get(l).weight());
            b[l] = net.layers().get(l).bias().toArray();
        }
        double[][] x = rows(VanishingGradientsSample.inputs(BATCH, WIDTH, SEED));
        int[] y = VanishingGradientsSample.labels(BATCH, SEED + 1);
        double[] expected = plainNorms(variant, w, b, x, y);
        double[] ours = VanishingGradientsSample.layerNorms(DEPTH, WIDTH, BATCH, SEED).get(variant);
        assertEquals(DEPTH + 1, ours.length);
        for (int l = 0; l <= DEPTH; l++) {
            assertEquals(expected[l], ours[l], 1e-11 * expected[l], variant + " layer " + (l + 1));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sigmoid", "tanh", "relu", "residual", "batchnorm"})
    void firstLayerGradientAgreesWithFiniteDifferences(String variant) {
        Tensor x = VanishingGradientsSample.inputs(BATCH, WIDTH, SEED);
        int[] y = VanishingGradientsSample.labels(BATCH, SEED + 1);
        VanishingGradientsSample.Network net = VanishingGradientsSample.build(variant, DEPTH, WIDTH, SEED);
        VanishingGradientsSample.loss(net, x, y).backward();
        Tensor w = net.layers().get(0).weight();
        Tensor g = w.grad();
        assertEquals(VanishingGradientsSample.layerNorms(DEPTH, WIDTH, BATCH, SEED).get(variant)[0],
                VanishingGradientsSample.norm(g), 0.0, "the norm the sample reports is this gradient's");
        Tensor w0 = Tensor.fromArray(w.toArray(), w.shape()); // a copy: detach() would share w's storage
        // not SEED: Tensor.randn(SEED) drew this layer's weight from the same stream, and along W itself batch norm's
        // loss does not change (it is invariant to scaling each column of W), so that direction would test nothing
        SplittableRandom random = new SplittableRandom(SEED + 100);
        double[] v = new double[w.size()];
        for (int k = 0; k < v.length; k++) {
            v[k] = random.nextGaussian();
        }
        Tensor dir = Tensor.fromArray(v, w.shape());
        double h = 1e-5;
        double plus;
        double minus;
        try (GradScope s = Autodiff.noGrad()) {
            w.assign(w0.add(dir.mul(h)));
            plus = VanishingGradientsSample.loss(net, x, y).item();
            w.assign(w0.sub(dir.mul(h)));
            minus = VanishingGradientsSample.loss(net, x, y).item();
            w.assign(w0);
        }
        double fd = (plus - minus) / (2 * h);
        double exact = g.mul(dir).sum().item();
        assertTrue(Math.abs(exact) > 1e-6, variant + ": the directional derivative " + exact + " is too small to test");
        assertEquals(exact, fd, 1e-6 * Math.abs(exact) + 1e-10, variant + " (seed " + SEED + ")");
    }

    @Test
    void batchNormMakesEachWeightColumnsGradientOrthogonalToIt() {
        // BN(x W)_j depends on column W_j only through its direction (up to eps = 1e-5 against a variance of
        // about 1), so d/dc Loss(c W_j) = <g_j, W_j> = 0 at c = 1, for every hidden layer
        Tensor x = VanishingGradientsSample.inputs(BATCH, WIDTH, SEED);
        int[] y = VanishingGradientsSample.labels(BATCH, SEED + 1);
        VanishingGradientsSample.Network net = VanishingGradientsSample.build("batchnorm", DEPTH, WIDTH, SEED);
        VanishingGradientsSample.loss(net, x, y).backward();
        for (int l = 0; l < DEPTH; l++) {
            double[][] w = rows(net.layers().get(l).weight());
            double[][] g = rows(net.layers().get(l).weight().grad());
            for (int j = 0; j < WIDTH; j++) {
                double dot = 0;
                double gg = 0;
                double ww = 0;
                for (int i = 0; i < WIDTH; i++) {
                    dot += g[i][j] * w[i][j];
                    gg += g[i][j] * g[i][j];
                    ww += w[i][j] * w[i][j];
                }
                assertTrue(gg > 1e-12, "layer " + (l + 1) + " column " + j + " has a gradient");
                assertTrue(Math.abs(dot) <= 1e-3 * Math.sqrt(gg * ww), "layer " + (l + 1) + " column " + j + ": <g, w> = "
                        + dot + ", |g| |w| = " + Math.sqrt(gg * ww));
            }
        }
    }

    @Test
    void atTheDefaultSizesTheStoryHolds() {
        Map<String, double[]> n = VanishingGradientsSample.layerNorms(15, 64, 128, 7);
        double[] s = n.get("sigmoid");
        for (int l = 0; l + 1 < 15; l++) {
            double factor = s[l + 1] / s[l];
            assertTrue(factor > 2 && factor < 8, "sigmoid: layer " + (l + 2) + " / layer " + (l + 1) + " = " + factor);
        }
        double mean = Math.pow(s[14] / s[0], 1.0 / 14);
        assertTrue(mean > 3.5 && mean < 5, "sigmoid: mean factor per layer " + mean + ", printed as 'about 4'");
        for (String v : List.of("tanh", "relu", "residual", "batchnorm")) {
            double[] m = java.util.Arrays.copyOf(n.get(v), 15); // the hidden layers
            double max = java.util.Arrays.stream(m).max().orElseThrow();
            double min = java.util.Arrays.stream(m).min().orElseThrow();
            assertTrue(max / min < 5, v + ": hidden layers' norms span " + max / min);
        }
    }

    @Test
    void runPrintsBothPartsAndWritesTheCharts() throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            VanishingGradientsSample.run(3, 4, 6, 1);
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("110 of 110 of the lecture's numbers agree"), out);
        assertTrue(out.contains("4 Linear layers of width 4"), out);
        assertTrue(out.contains("batchnorm  Linear (no bias) -> BatchNorm1d"), out);
        for (String f : List.of("layer-norms.png", "layer-norms.svg", "lecture-chain.png", "lecture-chain.svg")) {
            assertTrue(Files.size(Path.of("target", "vanishing-gradients", f)) > 0, f);
        }
    }
}
