package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
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

    /** The 0-dim path (one element, its own switch) gives the loops' bits for every op, special values included. */
    @ParameterizedTest
    @EnumSource(Elementwise.Unary.class)
    void oneElementPathMatchesTheLoop(Elementwise.Unary op) {
        SplittableRandom r = new SplittableRandom(50 + op.ordinal());
        double[] x = new double[200];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(4) == 0 ? TranscendentalsTest.SPECIAL[r.nextInt(TranscendentalsTest.SPECIAL.length)]
                    : r.nextDouble(-3, 3);
        }
        double[] loop = Elementwise.unary(op, x);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Double.doubleToLongBits(loop[i]), Double.doubleToLongBits(Elementwise.unary(op, x[i])),
                    op + " at x = " + x[i]);
        }
    }

    /** Every binary op on every operand pattern (threaded for large arrays, strided for broadcasts) against its scalar definition. */
    @ParameterizedTest
    @EnumSource(Elementwise.Binary.class)
    void binaryPathsMatchTheScalarDefinition(Elementwise.Binary op) {
        SplittableRandom r = new SplittableRandom(100 + op.ordinal());
        int n = Elementwise.PARALLEL_ELEMENTS + 5;
        double[] a = new double[n];
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = op == Elementwise.Binary.POW ? r.nextDouble(0.1, 3) : Math.rint(r.nextDouble(-4, 4) * 2) / 2;
            b[i] = Math.rint(r.nextDouble(-4, 4) * 2) / 2; // halves, so that ties and equalities occur
        }
        if (op != Elementwise.Binary.POW) {
            // NaN on either side and on both, inside the vector loops and in their tails
            for (int i : new int[] {7, 64, n - 2}) {
                a[i] = Double.NaN;
                b[i + 1] = Double.NaN;
            }
            a[20] = Double.NaN;
            b[20] = Double.NaN;
        }
        int[] shape = {n};
        int[] scalar = {};
        double[] s = {1.5};
        check(op, Elementwise.binary(op, a, shape, b, shape, shape), i -> Elementwise.binary(op, a[i], b[i]));
        check(op, Elementwise.binary(op, a, shape, s, scalar, shape), i -> Elementwise.binary(op, a[i], 1.5));
        check(op, Elementwise.binary(op, s, scalar, b, shape, shape), i -> Elementwise.binary(op, 1.5, b[i]));
        // broadcast (3, 1) with (1, 4): the strided path
        double[] col = {a[0], a[1], a[2]};
        double[] row = {b[0], b[1], b[2], b[3]};
        double[] out = Elementwise.binary(op, col, new int[] {3, 1}, row, new int[] {1, 4}, new int[] {3, 4});
        check(op, out, i -> Elementwise.binary(op, col[i / 4], row[i % 4]));
        // (2, 1) with (1, 300): rows long enough for the vector loops, one operand a broadcast scalar per row
        double[] wide = java.util.Arrays.copyOf(b, 300);
        double[] outWide = Elementwise.binary(op, java.util.Arrays.copyOf(col, 2), new int[] {2, 1}, wide, new int[] {1, 300}, new int[] {2, 300});
        check(op, outWide, i -> Elementwise.binary(op, col[i / 300], wide[i % 300]));
    }

    /** binaryInto over its first operand (addmm's bias, in place): rows of 70 (vector path and tail), b broadcast. */
    @org.junit.jupiter.api.Test
    void binaryIntoTheFirstOperandMatchesTheElementwiseOp() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        int[] shape = {5, 70};
        double[] a = new double[350];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextDouble(-2, 2);
        }
        int[][] bShapes = {{70}, {5, 1}, {5, 70}, {}};
        for (Elementwise.Binary op : new Elementwise.Binary[] {Elementwise.Binary.ADD, Elementwise.Binary.SUB, Elementwise.Binary.MUL}) {
            for (int[] bs : bShapes) {
                double[] b = new double[Shapes.size(bs)];
                for (int i = 0; i < b.length; i++) {
                    b[i] = r.nextDouble(-2, 2);
                }
                double[] out = a.clone();
                Elementwise.binaryInto(op, out, shape, b, bs, out, shape);
                int[] bStrides = Shapes.broadcastStrides(bs, shape);
                check(op, out, i -> Elementwise.binary(op, a[i], b[(i / 70) * bStrides[0] + (i % 70) * bStrides[1]]));
            }
        }
    }

    /** g * (x > 0 ? 1 : 0), bit for bit (NaN, infinities, signed zeros), on the vector, tail and threaded paths, also over g. */
    @org.junit.jupiter.api.Test
    void reluGradIsTheGradientTimesTheMask() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(9);
        double[] special = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-300, -1e-300};
        for (int n : new int[] {1, 3, 63, 64, 67, 1031, Elementwise.PARALLEL_ELEMENTS + 5}) {
            double[] g = new double[n];
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                g[i] = r.nextInt(8) == 0 ? special[r.nextInt(special.length)] : r.nextDouble(-2, 2);
                x[i] = r.nextInt(8) == 0 ? special[r.nextInt(special.length)] : r.nextDouble(-2, 2);
            }
            double[] got = new double[n];
            Elementwise.reluGrad(g, x, got);
            double[] inPlace = g.clone(); // the backward pass writes over a gradient buffer it holds alone
            Elementwise.reluGrad(inPlace, x, inPlace);
            for (int i = 0; i < n; i++) {
                double want = g[i] * (x[i] > 0 ? 1.0 : 0.0);
                org.junit.jupiter.api.Assertions.assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(got[i]),
                        "n=" + n + " at " + i + ": g=" + g[i] + " x=" + x[i]);
                org.junit.jupiter.api.Assertions.assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(inPlace[i]),
                        "in place, n=" + n + " at " + i);
            }
        }
    }

    private static void check(Elementwise.Binary op, double[] actual, java.util.function.IntToDoubleFunction expected) {
        for (int i = 0; i < actual.length; i++) {
            double e = expected.applyAsDouble(i);
            assertEquals(e, actual[i], 0.0, op + " at " + i);
        }
    }

    /** erf against the C library's (glibc, via Python's math.erf), across both branches and the tails. */
    @org.junit.jupiter.api.Test
    void erfMatchesReferenceValues() {
        double[][] ref = {
            {0.0, 0.0}, {1e-10, 1.1283791670955126e-10}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465},
            {1.0, 0.8427007929497149}, {2.0, 0.9953222650189527}, {2.9, 0.9999589021219005}, {3.0, 0.9999779095030014},
            {3.5, 0.9999992569016276}, {5.0, 0.9999999999984626}, {-0.7, -0.6778011938374184}, {30.0, 1.0}};
        for (double[] r : ref) {
            assertEquals(r[1], Special.erf(r[0]), 2 * Math.ulp(r[1]) + 1e-300, "erf(" + r[0] + ")");
        }
        // the continued fraction for erfc on its own, against math.erfc(4) = 1.541725790028002e-08
        assertEquals(1.541725790028002e-08, 1 - Special.erf(4.0), 1e-16);
    }

    /**
     * The float32 conversions (vector where the module is present) against Java's casts, which are IEEE's: widening
     * exact, narrowing to nearest even, with overflow to infinity, float32 subnormals, signed zeros and NaN.
     */
    @Test
    void conversionsAreJavasCasts() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 1000;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            // every magnitude a double can reach a float from: subnormal floats, halfway cases, overflow
            d[i] = (r.nextBoolean() ? 1 : -1) * Math.scalb(1 + r.nextDouble(), r.nextInt(-160, 140));
        }
        double[] special = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Float.MAX_VALUE,
            Math.nextUp((double) Float.MAX_VALUE), 3.4028235677973366e38, 0x1.fffffefffffffp127, Float.MIN_VALUE,
            Float.MIN_VALUE / 2, Float.MIN_VALUE * 0.75, Float.MIN_NORMAL, 1 + 0x1p-24, 1 + 0x1p-24 + 0x1p-52, 1e-50};
        System.arraycopy(special, 0, d, 3, special.length);
        for (int from : new int[] {0, 1, 7}) {
            float[] f = new float[n + from];
            Elementwise.narrow(d, 0, f, from, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits((float) d[i]), Float.floatToRawIntBits(f[from + i]), "narrow " + d[i]);
            }
            double[] w = new double[n];
            Elementwise.widen(f, from, w, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToRawLongBits(f[from + i]), Double.doubleToRawLongBits(w[i]), "widen " + f[from + i]);
            }
        }
    }
}
