package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reductions' sums in eight chains: accurate, and in an order fixed by the length alone. */
class SumChainsTest {
    /**
     * Sums (all elements, and along the last axis) against the exact sum (BigDecimal) within the eight-chain bound
     * (n/8 + 2) 2^-53 sum |x_i|, at every length around the chains' width and the tail, with cancellation; and rows
     * summed along the last axis give the bits of each row summed alone.
     */
    @Test
    void sumsAreWithinTheirErrorBound() {
        Random r = new Random(17);
        for (int n : new int[] {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 100, 1001, 1 << 20}) {
            double[] x = new double[n];
            BigDecimal exact = BigDecimal.ZERO;
            double abs = 0;
            for (int i = 0; i < n; i++) {
                x[i] = (r.nextDouble() - 0.5) * Math.scalb(1.0, r.nextInt(40) - 20);
                exact = exact.add(new BigDecimal(x[i]));
                abs += Math.abs(x[i]);
            }
            double sum = Reductions.reduce(Reductions.Op.SUM, x, new int[] {n}, new boolean[] {true})[0];
            double bound = (n / 8.0 + 2) * Math.ulp(1.0) / 2 * abs;
            assertTrue(Math.abs(new BigDecimal(sum).subtract(exact).doubleValue()) <= bound, "n = " + n);
            if (n > 0 && n <= 1001) {
                double[] rows = new double[3 * n];
                for (int k = 0; k < 3; k++) {
                    System.arraycopy(x, 0, rows, k * n, n);
                }
                double[] s = Reductions.reduce(Reductions.Op.SUM, rows, new int[] {3, n}, new boolean[] {false, true});
                for (int k = 0; k < 3; k++) {
                    assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(s[k]), "row " + k + ", n = " + n);
                }
            }
        }
    }
}
