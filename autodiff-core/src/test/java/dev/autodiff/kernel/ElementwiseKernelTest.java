package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every unary kernel path (vector where it exists, threaded for large arrays) against the plain loop. */
class ElementwiseKernelTest {
    @ParameterizedTest
    @EnumSource(Elementwise.Unary.class)
    void vectorAndThreadedPathsMatchThePlainLoop(Elementwise.Unary op) {
        SplittableRandom r = new SplittableRandom(op.ordinal());
        for (int n : new int[] {63, 64, 1001, Elementwise.PARALLEL_ELEMENTS + 3}) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                double v = r.nextDouble(-30, 30);
                x[i] = op == Elementwise.Unary.LOG || op == Elementwise.Unary.SQRT ? Math.abs(v) + 1e-3 : v;
            }
            // extremes, zero and NaN at the front, where the vector loop handles them
            double[] special = {0.0, -0.0, 1e-300, -1e-12, 1e-12, 800, -800, Double.NaN, 20.5, -20.5, 1e-8, -3e-9};
            for (int i = 0; i < special.length && i < n; i++) {
                boolean positiveOnly = op == Elementwise.Unary.LOG || op == Elementwise.Unary.SQRT;
                x[i] = positiveOnly && special[i] <= 0 ? 2.5 : special[i];
            }
            double[] expected = new double[n];
            Elementwise.scalarUnary(op, x, expected, 0, n);
            double[] actual = Elementwise.unary(op, x);
            for (int i = 0; i < n; i++) {
                String where = op + " at x = " + x[i] + " (n = " + n + ")";
                if (Double.isNaN(expected[i])) {
                    assertTrue(Double.isNaN(actual[i]), where);
                } else {
                    assertEquals(expected[i], actual[i], 4 * Math.ulp(expected[i]) + 1e-300, where);
                }
            }
        }
    }
}
