package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * ColdGemm, the scalar code run while the Vector API GEMM is cold, gives VectorGemm's bits on every path, so that
 * the moment Warmup switches between them shows in no result.
 */
class ColdGemmTest {
    /** Shapes for each of VectorGemm's paths and their edges, with one and three k-blocks. */
    private static final int[][] SHAPES = {
        {1, 1, 1}, {3, 5, 2}, {5, 9, 257}, {13, 17, 19}, {130, 3, 7}, {2, 300, 5}, {3, 2, 1500}, {64, 64, 64},
        {129, 67, 300}, {31, 2053, 9}, {20, 300, 130}, {40, 24, 1100}, {3, 600, 300}, {16, 400, 400}, {3, 17, 11},
        {6, 16, 9}, {7, 25, 33}, {16, 100, 150}, {11, 13, 40}, {37, 10, 70}, {21, 11, 64}, {19, 5, 201},
        {50, 16, 40}, {8, 1, 33}, {128, 10, 256}, {128, 256, 784}, {4, 9, 40}, {7, 7, 7}, {1, 31, 17}};

    private static double[] operand(SplittableRandom r, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(20);
            // some exact zeros of both signs and products that cancel exactly, to check the sign of zero
            d[i] = kind == 0 ? 0.0 : kind == 1 ? -0.0 : kind == 2 ? 1.0 : r.nextGaussian();
        }
        return d;
    }

    @Test
    void sameBitsAsTheVectorEngineOnEveryPath() {
        assertTrue(VectorSupport.AVAILABLE, "the tests run with --add-modules jdk.incubator.vector");
        SplittableRandom r = new SplittableRandom(7);
        int cases = 0;
        for (int[] s : SHAPES) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 2) != 0;
                boolean tb = (t & 1) != 0;
                double[] a = operand(r, m * k + 3);
                double[] b = operand(r, k * n + 5);
                for (boolean overwrite : new boolean[] {true, false}) {
                    for (int tasks : new int[] {1, 2}) {
                        double[] start = operand(r, m * n + 4);
                        double[] vector = start.clone();
                        double[] cold = start.clone();
                        Gemm.Operand aa = new Gemm.Operand(a, 3, ta ? m : k, ta);
                        Gemm.Operand bb = new Gemm.Operand(b, 5, tb ? k : n, tb);
                        VectorSupport.GEMM.multiply(aa, bb, vector, 4, m, n, k, tasks, overwrite);
                        ColdGemm.multiply(aa, bb, cold, 4, m, n, k, overwrite);
                        for (int i = 0; i < vector.length; i++) {
                            int at = i;
                            assertEquals(Double.doubleToRawLongBits(vector[i]), Double.doubleToRawLongBits(cold[i]),
                                    () -> m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb + " overwrite="
                                            + overwrite + " tasks=" + tasks + ": element " + at + " vector "
                                            + vector[at] + " cold " + cold[at]);
                        }
                        cases++;
                    }
                }
            }
        }
        assertEquals(SHAPES.length * 16, cases);
    }

    @Test
    void theAutomaticEntryGivesTheSameBitsColdAndWarm() throws InterruptedException {
        // whatever Warmup decides while this runs, Gemm.gemm must give the explicit vector engine's bits
        SplittableRandom r = new SplittableRandom(11);
        double[] a = operand(r, 128 * 784);
        double[] b = operand(r, 784 * 256);
        double[] expected = new double[128 * 256];
        Gemm.gemm(Gemm.Engine.BLOCKED_VECTOR, true, false, false, 128, 256, 784, a, 0, b, 0, expected, 0);
        for (int round = 0; round < 3; round++) {
            double[] c = new double[128 * 256];
            Gemm.gemm(false, false, 128, 256, 784, a, 0, b, 0, c, 0);
            for (int i = 0; i < c.length; i++) {
                assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(c[i]), "element " + i);
            }
            Warmup.awaitHot();
        }
        assertTrue(Warmup.hot());
    }
}
