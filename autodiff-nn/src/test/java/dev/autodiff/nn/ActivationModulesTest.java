package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * RRelu and NoisyRelu as modules: seeded, a new draw per call, the distribution they claim (checked against
 * closed forms), and their evaluation forms; and the parameter-free activations as modules for Sequential.
 */
class ActivationModulesTest {
    private static final int N = 100_000;

    @Test
    void rreluSlopesAreUniformOnTheirRangeWhileTraining() {
        double lower = 0.1;
        double upper = 0.7;
        double[] slopes = new RRelu(lower, upper, 3).forward(Tensor.full(-1.0, N)).neg().toArray();
        double sum = 0;
        for (double a : slopes) {
            assertTrue(a >= lower && a < upper, "a slope outside [lower, upper): " + a);
            sum += a;
        }
        // U(lower, upper): mean (lower + upper) / 2, sd (upper - lower) / sqrt 12; the sample mean within 5 sd
        double sd = (upper - lower) / Math.sqrt(12 * N);
        assertEquals((lower + upper) / 2, sum / N, 5 * sd);
        double[] sorted = slopes.clone();
        Arrays.sort(sorted);
        assertEquals(lower + 0.25 * (upper - lower), sorted[N / 4], 0.01, "lower quartile of U(lower, upper)");
        assertEquals(lower + 0.75 * (upper - lower), sorted[3 * N / 4], 0.01, "upper quartile of U(lower, upper)");
    }

    @Test
    void rreluPassesPositivesAndItsGradientIsTheDrawnSlope() {
        RRelu m = new RRelu(5);
        Tensor x = Tensor.fromArray(new double[] {2.0, -2.0, 0.0, -0.0, 3.5, -1e3}).requiresGrad();
        Tensor y = m.forward(x);
        double[] v = y.toArray();
        assertEquals(2.0, v[0]);
        assertEquals(3.5, v[4]);
        double[] g = Autodiff.grad(y.sum(), x)[0].toArray();
        assertEquals(1.0, g[0]);
        assertEquals(1.0, g[4]);
        for (int i : new int[] {1, 5}) {
            assertEquals(v[i] / x.get(i), g[i], 1e-15, "the gradient at a negative x is its slope y / x");
        }
        for (int i : new int[] {1, 2, 3, 5}) { // the kink x = 0 takes the negative side, as PyTorch
            assertTrue(g[i] >= Activations.RRELU_LOWER && g[i] < Activations.RRELU_UPPER, "slope " + g[i] + " at x = " + x.get(i));
        }
        assertFalse(g[1] == g[2] && g[2] == g[5], "one slope per element, not one per call");
    }

    @Test
    void rreluIsSeededDrawsAgainEachCallAndUsesTheMeanSlopeInEvaluation() {
        Tensor x = Tensor.randn(9, 40);
        assertArrayEquals(new RRelu(7).forward(x).toArray(), new RRelu(7).forward(x).toArray(), "same seed, same slopes");
        RRelu m = new RRelu(7);
        assertFalse(Arrays.equals(m.forward(x).toArray(), m.forward(x).toArray()), "each call draws new slopes");
        m.eval();
        double mean = (1.0 / 8 + 1.0 / 3) / 2; // 11/48
        double[] xs = x.toArray();
        double[] y = m.forward(x).toArray();
        for (int i = 0; i < xs.length; i++) {
            assertEquals(xs[i] > 0 ? xs[i] : mean * xs[i], y[i], 1e-15, "evaluation at " + xs[i]);
        }
        assertEquals("RRelu(0.125, 0.3333333333333333)", m.describe());
    }

    /** Phi, the standard normal distribution function, from the core's erf. */
    private static double phi(double z) {
        return 0.5 * (1 + Tensor.scalar(z / Math.sqrt(2)).erf().item());
    }

    @Test
    void noisyReluHasVarianceSigmoidOfXWhileTraining() {
        // x = 0: y = relu(sd z) with sd^2 = sigmoid(0) = 1/2, so E y = sd / sqrt(2 pi) and E y^2 = sd^2 / 2
        double[] y = new NoisyRelu(11).forward(Tensor.zeros(N)).toArray();
        double sd = Math.sqrt(0.5);
        double mean = 0;
        double second = 0;
        for (double v : y) {
            mean += v / N;
            second += v * v / N;
        }
        double meanSd = sd * Math.sqrt((0.5 - 1 / (2 * Math.PI)) / N); // sd of relu(z) is sqrt(1/2 - 1/(2 pi))
        assertEquals(sd / Math.sqrt(2 * Math.PI), mean, 5 * meanSd, "E relu(sd z) at x = 0");
        assertEquals(0.25, second, 0.01, "E relu(sd z)^2 = sd^2 / 2 at x = 0");
        // x = -1/2: y > 0 when z > 1/2 / sd(x), with sd(x)^2 = sigmoid(-1/2)
        double x = -0.5;
        double sdx = Math.sqrt(1 / (1 + Math.exp(-x)));
        double p = 1 - phi(-x / sdx);
        long positive = Arrays.stream(new NoisyRelu(12).forward(Tensor.full(x, N)).toArray()).filter(v -> v > 0).count();
        assertEquals(p, positive / (double) N, 5 * Math.sqrt(p * (1 - p) / N), "P(y > 0) at x = -1/2");
        // x = 3: rarely clipped (at 3 / 0.977 sd), so y - x has variance sigmoid(3) = 0.9526
        double[] y3 = new NoisyRelu(13).forward(Tensor.full(3.0, N)).sub(3.0).toArray();
        double var = Arrays.stream(y3).map(v -> v * v).sum() / N;
        double s3 = 1 / (1 + Math.exp(-3.0));
        assertEquals(s3, var, 5 * s3 * Math.sqrt(2.0 / N), "variance at x = 3");
    }

    @Test
    void noisyReluIsSeededDrawsAgainEachCallAndIsReluInEvaluation() {
        Tensor x = Tensor.randn(21, 50);
        assertArrayEquals(new NoisyRelu(3).forward(x).toArray(), new NoisyRelu(3).forward(x).toArray());
        NoisyRelu m = new NoisyRelu(3);
        assertFalse(Arrays.equals(m.forward(x).toArray(), m.forward(x).toArray()));
        m.eval();
        assertArrayEquals(x.relu().toArray(), m.forward(x).toArray());
        assertArrayEquals(new int[0], m.forward(Tensor.scalar(2)).shape());
        m.train();
        assertArrayEquals(new int[0], m.forward(Tensor.scalar(2)).shape(), "a 0-d input stays 0-d");
    }

    @Test
    void noisyReluGradientIsTheDerivativeForItsNoise() {
        // d/dx relu(x + sd(x) z) = 1 + z sd(x) sigmoid(-x) / 2 where x + sd(x) z > 0, 0 elsewhere; sd = sqrt(sigmoid)
        double[] xs = {-2, -0.3, 0, 0.4, 1.7, 6};
        double[] zs = {2.5, 1.0, -0.2, 0.3, -1.1, 0.8};
        Tensor x = Tensor.fromArray(xs).requiresGrad();
        Tensor g = Autodiff.grad(Activations.noisyRelu(x, Tensor.fromArray(zs)).sum(), x)[0];
        for (int i = 0; i < xs.length; i++) {
            double s = 1 / (1 + Math.exp(-xs[i]));
            double sd = Math.sqrt(s);
            double expected = xs[i] + sd * zs[i] > 0 ? 1 + zs[i] * sd * (1 - s) / 2 : 0;
            assertEquals(expected, g.get(i), 1e-14, "at x = " + xs[i] + ", z = " + zs[i]);
        }
    }

    @Test
    void parameterFreeActivationsAsModules() {
        Tensor x = Tensor.randn(4, 3, 4).mul(3);
        Map<Module, UnaryOperator<Tensor>> m = Map.of(
                Activations.hardSwish(), Activations::hardSwish,
                Activations.mish(), Activations::mish,
                Activations.silu(), Activations::silu,
                Activations.logSigmoid(), Activations::logSigmoid,
                Activations.softsign(), Activations::softsign,
                Activations.celu(0.5), v -> Activations.celu(v, 0.5),
                Activations.glu(-1), v -> Activations.glu(v, -1),
                Activations.glu(1), v -> Activations.glu(v, 1));
        m.forEach((module, f) -> assertArrayEquals(f.apply(x).toArray(), module.forward(x).toArray(), module.describe()));
        assertEquals(List.of("Hardswish", "Mish", "SiLU", "LogSigmoid", "Softsign", "CELU(0.5)", "GLU(-1)"),
                List.of(Activations.hardSwish().describe(), Activations.mish().describe(), Activations.silu().describe(),
                        Activations.logSigmoid().describe(), Activations.softsign().describe(), Activations.celu(0.5).describe(),
                        Activations.glu(-1).describe()));
        // silu is swish with beta = 1
        assertArrayEquals(Activations.swish(x, Tensor.scalar(1.0)).toArray(), Activations.silu(x).toArray());
        assertArrayEquals(new Swish(1.0, false).forward(x).toArray(), Activations.silu(x).toArray());
        assertArrayEquals(new int[] {3, 2}, Activations.glu(x, -1).shape()); // x: seed 4, shape (3, 4)
        assertArrayEquals(new int[] {3, 3, 4}, Activations.glu(Tensor.zeros(3, 6, 4), 1).shape());
    }

    @Test
    void everyNewActivationKeepsAnyShape() {
        List<UnaryOperator<Tensor>> fs = List.of(Activations::hardSwish, Activations::mish, Activations::silu,
                Activations::logSigmoid, Activations::softsign, v -> Activations.celu(v, 2), v -> Activations.rrelu(v, 0.1, 0.2),
                v -> Activations.rrelu(v, Tensor.scalar(0.3)), v -> Activations.noisyRelu(v, Tensor.scalar(0.5)),
                v -> new RRelu(1).forward(v), v -> new NoisyRelu(1).forward(v));
        for (int[] shape : new int[][] {{}, {0}, {0, 3}, {2, 1, 3}}) {
            for (UnaryOperator<Tensor> f : fs) {
                assertArrayEquals(shape, f.apply(Tensor.ones(shape)).shape(), "shape " + Arrays.toString(shape));
            }
        }
        assertArrayEquals(new int[] {0, 3}, Activations.glu(Tensor.zeros(0, 6), 1).shape());
        assertArrayEquals(new int[] {0, 6}, Activations.glu(Tensor.zeros(0, 6), 0).shape(), "an empty axis halves to empty");
    }
}
