package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every GEMM variant (engine x transA x transB x serial/parallel) against a naive triple loop. */
class GemmTest {
    private static final Set<String> CHECKED = new TreeSet<>();

    /** m, n, k: ones, primes, tall-skinny, k much larger than m and n, and every block boundary crossed. */
    private static final int[][] SHAPES = {
        {1, 1, 1}, {1, 7, 1}, {7, 1, 13}, {3, 5, 2}, {4, 8, 256}, {5, 9, 257}, {13, 17, 19},
        {130, 3, 7}, {2, 300, 5}, {3, 2, 1500}, {64, 64, 64}, {129, 67, 300}, {31, 2053, 9},
        // B packed in blocks of VectorGemm.PACK_ROWS rows with a last partial block (130 = 16 x 8 + 2)
        {20, 300, 130},
        // three k-blocks of an odd depth (367) with the packed path
        {40, 24, 1100},
        // few rows and a B above VectorGemm.DIRECT_B: packed, every row group an edge (3) or whole (16)
        {3, 600, 300}, {16, 400, 400},
        // up to 16 rows (B read in place): last row groups of 3 and 2 rows, full column tiles and a tail
        {3, 17, 11}, {6, 16, 9}, {7, 25, 33}, {16, 100, 150}, {11, 13, 40},
        // few columns: C^T = op(B)^T op(A)^T transposed back, rows split over threads; n = 16 (two whole slivers)
        // takes the usual packed path. (Few rows with B transposed, the dot products in 2 x 4 blocks with an odd
        // last row, column groups of 1 to 4 and a k tail, are the shapes above with m < 8.)
        {37, 10, 70}, {21, 11, 64}, {19, 5, 201}, {50, 16, 40}, {8, 1, 33}};

    static Stream<Arguments> variants() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Gemm.Engine e : Gemm.Engine.values()) {
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
    void matchesNaiveReference(Gemm.Engine engine, boolean ta, boolean tb, boolean parallel) {
        if (engine == Gemm.Engine.BLOCKED_VECTOR) {
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
            double[] a = random(r, aOff + m * k);
            double[] b = random(r, bOff + k * n);
            double[] c = random(r, cOff + m * n + 4); // stale values must be overwritten, the tail untouched
            double[] tail = java.util.Arrays.copyOfRange(c, cOff + m * n, c.length);
            Gemm.gemm(engine, parallel, ta, tb, m, n, k, a, aOff, b, bOff, c, cOff);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double expected = 0;
                    for (int p = 0; p < k; p++) {
                        double aip = ta ? a[aOff + p * m + i] : a[aOff + i * k + p];
                        double bpj = tb ? b[bOff + j * k + p] : b[bOff + p * n + j];
                        expected += aip * bpj;
                    }
                    assertEquals(expected, c[cOff + i * n + j], 1e-12 * Math.sqrt(k),
                            engine + " ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " at (" + i + ", " + j + ")");
                }
            }
            assertEquals(0, java.util.Arrays.compare(tail, java.util.Arrays.copyOfRange(c, cOff + m * n, c.length)),
                    "gemm wrote past the end of C");
            // C += op(A) op(B) onto the product just computed: twice the product, C's values read
            double[] once = c.clone();
            Gemm.run(engine, parallel, false, ta, tb, m, n, k, a, aOff, b, bOff, c, cOff);
            for (int i = 0; i < m * n; i++) {
                assertEquals(2 * once[cOff + i], c[cOff + i], 1e-12 * Math.sqrt(k) * (1 + Math.abs(once[cOff + i])),
                        "accumulate: " + engine + " ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k);
            }
        }
        synchronized (CHECKED) {
            CHECKED.add(engine + "/" + ta + "/" + tb + "/" + parallel);
        }
    }

    /**
     * {@code C += op(A) op(B)} on blocks inside larger arrays (row strides wider than the blocks, as the
     * factorisations' trailing updates): each element of the C block against the naive sum, and every element
     * of C's array outside the block (the gaps between its rows) untouched.
     */
    @ParameterizedTest(name = "{0} transA={1} transB={2} parallel={3}")
    @MethodSource("variants")
    void stridedBlocksAccumulate(Gemm.Engine engine, boolean ta, boolean tb, boolean parallel) {
        long seed = 7;
        for (int[] s : SHAPES) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            SplittableRandom r = new SplittableRandom(seed++);
            int lda = (ta ? m : k) + 3;
            int ldb = (tb ? k : n) + 5;
            int ldc = n + 2;
            int aOff = 1;
            int bOff = 4;
            int cOff = 3;
            double[] a = random(r, aOff + (ta ? k : m) * lda);
            double[] b = random(r, bOff + (tb ? n : k) * ldb);
            double[] c = random(r, cOff + m * ldc + 1);
            double[] before = c.clone();
            Gemm.accumulate(engine, parallel, ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
            for (int x = 0; x < c.length; x++) {
                int i = (x - cOff) / ldc;
                int j = (x - cOff) % ldc;
                String where = engine + " ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " at " + x;
                if (x < cOff || i >= m || j >= n) {
                    assertEquals(before[x], c[x], "outside the block: " + where);
                    continue;
                }
                double expected = before[x];
                for (int p = 0; p < k; p++) {
                    double aip = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bpj = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    expected += aip * bpj;
                }
                assertEquals(expected, c[x], 1e-12 * Math.sqrt(k) * (1 + Math.abs(expected)), where);
            }
        }
    }

    private static double[] random(SplittableRandom r, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = r.nextDouble(-1, 1);
        }
        return d;
    }

    @Test
    void emptyProductsGiveZeros() {
        for (Gemm.Engine e : Gemm.Engine.values()) {
            double[] c = {7, 7, 7, 7};
            Gemm.gemm(e, false, false, false, 2, 2, 0, new double[0], 0, new double[0], 0, c, 0);
            assertEquals(0, java.util.Arrays.compare(new double[] {0, 0, 0, 0}, c), e.toString());
        }
    }

    /** A new engine (or a variant the parameterized test no longer reaches) fails the build. */
    @AfterAll
    static void everyVariantWasChecked() {
        int expected = Gemm.Engine.values().length * 4 * 2;
        assertEquals(expected, CHECKED.size(), "GEMM variants checked: " + CHECKED);
    }
}
