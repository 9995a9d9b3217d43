package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated float32 GEMM (every engine x transA x transB x serial/parallel) against the exact product of its
 * float inputs, computed in float64: each element within the forward error bound of a float32 dot product,
 * |c - c*| <= k u sum_p |a_ip b_pj| (u = 2^-24, Higham's gamma_k to first order; twice that for the
 * accumulating call). A float64 result rounded to float would pass too, so a second check asserts that the
 * kernel does round in float: its error on a long sum is far above float64's.
 */
class Gemm32Test {
    private static final Set<String> CHECKED = new TreeSet<>();
    private static final double U = Math.ulp(1.0f) / 2;

    /** GemmTest's shapes, and the block boundaries of float's wider slivers (NR = 2 vectors of floats). */
    private static final int[][] SHAPES = {
        {1, 1, 1}, {1, 7, 1}, {7, 1, 13}, {3, 5, 2}, {4, 8, 256}, {5, 9, 257}, {13, 17, 19},
        {130, 3, 7}, {2, 300, 5}, {3, 2, 1500}, {64, 64, 64}, {129, 67, 300}, {31, 2053, 9},
        {20, 300, 130}, {40, 24, 1100}, {3, 600, 300}, {16, 400, 400},
        {3, 17, 11}, {6, 16, 9}, {7, 25, 33}, {16, 100, 150}, {11, 13, 40},
        {37, 10, 70}, {21, 11, 64}, {19, 5, 201}, {50, 16, 40}, {8, 1, 33},
        {50, 32, 40}, {7, 33, 20}, {70, 65, 129}, {17, 31, 600}, {100, 96, 513}};

    static Stream<Arguments> variants() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Gemm32.Engine e : Gemm32.Engine.values()) {
            for (int t = 0; t < 4; t++) {
                for (boolean parallel : new boolean[] {false, true}) {
                    b.add(Arguments.of(e, (t & 2) != 0, (t & 1) != 0, parallel));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} transA={1} transB={2} parallel={3}")
    @MethodSource("variants")
    void withinFloatErrorOfExactProduct(Gemm32.Engine engine, boolean ta, boolean tb, boolean parallel) {
        if (engine == Gemm32.Engine.BLOCKED_VECTOR) {
            assertTrue(VectorSupport.AVAILABLE, "the tests run with --add-modules jdk.incubator.vector");
        }
        long seed = 42;
        for (int[] s : SHAPES) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            SplittableRandom r = new SplittableRandom(seed++);
            int aOff = 3;
            int bOff = 5;
            int cOff = 2;
            float[] a = random(r, aOff + m * k);
            float[] b = random(r, bOff + k * n);
            float[] c = random(r, cOff + m * n + 4); // stale values must be overwritten, the tail untouched
            float[] tail = Arrays.copyOfRange(c, cOff + m * n, c.length);
            Gemm32.gemm(engine, parallel, ta, tb, m, n, k, a, aOff, b, bOff, c, cOff);
            double[] exact = new double[m * n];
            double[] bound = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double e = 0;
                    double mag = 0;
                    for (int p = 0; p < k; p++) {
                        double aip = ta ? a[aOff + p * m + i] : a[aOff + i * k + p];
                        double bpj = tb ? b[bOff + j * k + p] : b[bOff + p * n + j];
                        e += aip * bpj; // exact to float64's rounding: the products of two floats are exact
                        mag += Math.abs(aip * bpj);
                    }
                    exact[i * n + j] = e;
                    bound[i * n + j] = k * U * mag + 1e-30;
                    String where = engine + " ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " at (" + i + ", " + j + ")";
                    assertEquals(e, c[cOff + i * n + j], bound[i * n + j], where);
                }
            }
            assertArrayEquals(tail, Arrays.copyOfRange(c, cOff + m * n, c.length), "gemm wrote past the end of C");
            // C += op(A) op(B) onto the product just computed: twice the exact product, C's values read
            Gemm32.run(engine, parallel, false, ta, tb, m, n, k, a, aOff, b, bOff, c, cOff);
            for (int i = 0; i < m * n; i++) {
                assertEquals(2 * exact[i], c[cOff + i], 2 * (2 * bound[i] + U * Math.abs(2 * exact[i])),
                        "accumulate: " + engine + " ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k);
            }
        }
        synchronized (CHECKED) {
            CHECKED.add(engine + "/" + ta + "/" + tb + "/" + parallel);
        }
    }

    /** The kernels round in float32: on a long sum their error is that of float arithmetic, not float64's. */
    @Test
    void roundsInFloat() {
        for (Gemm32.Engine e : Gemm32.Engine.values()) {
            int m = 40;
            int n = 40;
            int k = 2000;
            SplittableRandom r = new SplittableRandom(7);
            float[] a = random(r, m * k);
            float[] b = random(r, k * n);
            float[] c = new float[m * n];
            Gemm32.gemm(e, false, false, false, m, n, k, a, 0, b, 0, c, 0);
            double worst = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double x = 0;
                    for (int p = 0; p < k; p++) {
                        x += (double) a[i * k + p] * b[p * n + j];
                    }
                    worst = Math.max(worst, Math.abs(c[i * n + j] - x) / Math.ulp((float) x));
                }
            }
            assertTrue(worst > 1.5, e + ": the largest error is only " + worst + " float ulps: not float arithmetic?");
        }
    }

    @Test
    void sameBitsEveryRunAndOnEveryThreadCount() {
        SplittableRandom r = new SplittableRandom(3);
        int m = 200;
        int n = 150;
        int k = 300;
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        float[] first = new float[m * n];
        Gemm32.gemm(false, false, m, n, k, a, 0, b, 0, first, 0);
        for (boolean parallel : new boolean[] {false, true}) {
            float[] again = new float[m * n];
            Gemm32.gemm(Gemm32.BLOCKED, parallel, false, false, m, n, k, a, 0, b, 0, again, 0);
            assertArrayEquals(first, again, "parallel=" + parallel);
        }
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) r.nextDouble(-1, 1);
        }
        return d;
    }

    @Test
    void emptyProductsGiveZeros() {
        for (Gemm32.Engine e : Gemm32.Engine.values()) {
            float[] c = {7, 7, 7, 7};
            Gemm32.gemm(e, false, false, false, 2, 2, 0, new float[0], 0, new float[0], 0, c, 0);
            assertArrayEquals(new float[] {0, 0, 0, 0}, c, e.toString());
        }
    }

    @AfterAll
    static void everyVariantWasChecked() {
        assertEquals(Gemm32.Engine.values().length * 4 * 2, CHECKED.size(), "GEMM variants checked: " + CHECKED);
    }
}
