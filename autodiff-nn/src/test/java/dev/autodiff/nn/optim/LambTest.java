package dev.autodiff.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import java.math.BigDecimal;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LAMB's trust ratio from its definition, on hand-derived cases (its values against the paper's algorithm are in
 * TorchOptimReferenceTest), and its norms, which do not depend on how a parameter is split over threads.
 */
class LambTest {
    private static double norm(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    /**
     * Without weight decay the step is lr (||x|| / ||u||) u, whose norm is lr ||x||: each tensor moves by lr times its
     * own size, whatever the scale of its gradient (here 1e-6 and 1e3), at every step.
     */
    @Test
    void eachTensorMovesByLrTimesItsOwnNorm() {
        SplittableRandom rnd = new SplittableRandom(5);
        Tensor small = Tensor.fromArray(rnd.doubles(6, -1, 1).toArray()).requiresGrad();
        Tensor large = Tensor.fromArray(rnd.doubles(4, -30, 30).toArray()).requiresGrad();
        double lr = 0.02;
        Lamb lamb = new Lamb(List.of(small, large), lr, 0.9, 0.999, 1e-6, 0, true);
        for (int step = 0; step < 4; step++) {
            double[] s0 = small.toArray();
            double[] l0 = large.toArray();
            small.setGrad(Tensor.fromArray(rnd.doubles(6, -1e-6, 1e-6).toArray()));
            large.setGrad(Tensor.fromArray(rnd.doubles(4, -1e3, 1e3).toArray()));
            lamb.step();
            double[] ds = small.toArray();
            double[] dl = large.toArray();
            for (int k = 0; k < ds.length; k++) {
                ds[k] -= s0[k];
            }
            for (int k = 0; k < dl.length; k++) {
                dl[k] -= l0[k];
            }
            assertEquals(lr * norm(s0), norm(ds), 1e-13 * norm(s0), "small, step " + step);
            assertEquals(lr * norm(l0), norm(dl), 1e-13 * norm(l0), "large, step " + step);
        }
    }

    /**
     * ||x|| = 0 (a bias initialised to zero): the ratio is 1, not 0, so the first step is Adam's,
     * -lr (m / c1) / (sqrt(v / c2) + eps) = -lr g / (|g| + eps) at t = 1; weight decay adds wd x = 0 to it.
     */
    @ParameterizedTest(name = "weight decay {0}")
    @ValueSource(doubles = {0, 0.1})
    void aZeroTensorTakesAnAdamStep(double wd) {
        Tensor b = Tensor.zeros(3).requiresGrad();
        double[] g = {0.5, -2e-3, 7};
        b.setGrad(Tensor.fromArray(g));
        double lr = 0.01;
        double eps = 1e-6;
        new Lamb(List.of(b), lr, 0.9, 0.999, eps, wd, true).step();
        double[] expected = new double[3];
        for (int k = 0; k < 3; k++) {
            expected[k] = -lr * g[k] / (Math.abs(g[k]) + eps);
        }
        assertArrayEquals(expected, b.toArray(), 1e-15);
    }

    /** ||u|| = 0 (no gradient, no weight decay): the ratio is 1, not ||x|| / 0, and the tensor stays where it is. */
    @Test
    void aZeroUpdateLeavesTheTensorAsItIs() {
        Tensor q = Tensor.fromArray(new double[] {1.5, -2, 0.25}).requiresGrad();
        q.setGrad(Tensor.zeros(3));
        Lamb lamb = new Lamb(List.of(q), 0.01, 0.9, 0.999, 1e-6, 0, true);
        lamb.step();
        lamb.step();
        assertArrayEquals(new double[] {1.5, -2, 0.25}, q.toArray(), 0.0);
    }

    /**
     * A parameter of 200,003 elements (split over the threads for each pass) ends after three steps with the bits of
     * the algorithm run element by element on one thread with its two norms summed exactly (BigDecimal) and rounded
     * once: the norms do not depend on the split.
     */
    @Test
    void aLargeParameterHasTheBitsOfTheSequentialAlgorithmWithExactNorms() {
        int n = 200_003;
        SplittableRandom rnd = new SplittableRandom(23);
        double[] x = rnd.doubles(n, -2, 2).toArray();
        Tensor p = Tensor.fromArray(x).requiresGrad();
        double lr = 0.01;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-6;
        double wd = 0.01;
        Lamb lamb = new Lamb(List.of(p), lr, b1, b2, eps, wd, true);
        double[] m = new double[n];
        double[] v = new double[n];
        double[] u = new double[n];
        for (int t = 1; t <= 3; t++) {
            double[] g = rnd.doubles(n, -1, 1).toArray();
            p.setGrad(Tensor.fromArray(g));
            lamb.step();
            double c1 = 1 - Math.pow(b1, t);
            double sqrtC2 = Math.sqrt(1 - Math.pow(b2, t));
            for (int k = 0; k < n; k++) {
                m[k] = m[k] * b1 + (1 - b1) * g[k];
                v[k] = v[k] * b2 + (1 - b2) * g[k] * g[k];
                u[k] = m[k] / c1 / (Math.sqrt(v[k]) / sqrtC2 + eps) + wd * x[k];
            }
            double ratio = Math.sqrt(exactSquareSum(x)) / Math.sqrt(exactSquareSum(u));
            for (int k = 0; k < n; k++) {
                x[k] = x[k] + -lr * (u[k] * ratio);
            }
            double[] got = p.toArray();
            for (int k = 0; k < n; k++) {
                assertEquals(Double.doubleToLongBits(x[k]), Double.doubleToLongBits(got[k]),
                        "step " + t + ", element " + k + ": " + got[k] + ", expected " + x[k]);
            }
        }
    }

    private static double exactSquareSum(double[] x) {
        BigDecimal s = BigDecimal.ZERO;
        for (double v : x) {
            BigDecimal b = new BigDecimal(v);
            s = s.add(b.multiply(b));
        }
        return s.doubleValue();
    }

    /**
     * SquareSum gives the correctly rounded sum whatever the order and grouping: terms of magnitudes 1e-9 to 1e8, where
     * plain summation loses the small ones, summed forwards, backwards and in pieces merged in any order.
     */
    @Test
    void squareSumIsTheExactSumRoundedOnceInAnyOrder() {
        SplittableRandom rnd = new SplittableRandom(31);
        double[] x = new double[30_011];
        for (int k = 0; k < x.length; k++) {
            x[k] = (rnd.nextBoolean() ? 1 : -1) * Math.pow(10, rnd.nextDouble(-9, 8));
        }
        double exact = exactSquareSum(x);
        SquareSum forwards = new SquareSum();
        SquareSum backwards = new SquareSum();
        double naive = 0;
        for (int k = 0; k < x.length; k++) {
            forwards.addSquare(x[k]);
            backwards.addSquare(x[x.length - 1 - k]);
            naive += x[k] * x[k];
        }
        SquareSum pieces = new SquareSum();
        for (int from = x.length - 1; from >= 0; from -= 997) {
            SquareSum piece = new SquareSum();
            for (int k = Math.max(0, from - 996); k <= from; k++) {
                piece.addSquare(x[k]);
            }
            pieces.add(piece);
        }
        assertEquals(exact, forwards.value(), 0.0, "forwards");
        assertEquals(exact, backwards.value(), 0.0, "backwards");
        assertEquals(exact, pieces.value(), 0.0, "in pieces of 997, last first");
        assertTrue(naive != exact, "the case is hard enough that plain summation misses it: " + naive);
    }

    /** An infinite or NaN term makes the sum infinite or NaN, not NaN from the error terms' inf - inf. */
    @Test
    void squareSumOfAnInfiniteTermIsInfinite() {
        SquareSum s = new SquareSum();
        s.addSquare(1);
        s.addSquare(Double.NEGATIVE_INFINITY);
        assertEquals(Double.POSITIVE_INFINITY, s.value());
        SquareSum overflow = new SquareSum();
        overflow.addSquare(1e200);
        assertEquals(Double.POSITIVE_INFINITY, overflow.value());
        SquareSum nan = new SquareSum();
        nan.addSquare(Double.NaN);
        nan.addSquare(2);
        assertEquals(Double.NaN, nan.value());
    }
}
