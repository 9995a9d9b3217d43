package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/** Sum, max, min, argmax and argmin against groups gathered coordinate by coordinate in this test. */
class ReductionsTest {
    private Random rnd;

    /** JUnit makes a new instance per repetition: a seed per repetition, or every repetition is the same case. */
    @BeforeEach
    void seed(RepetitionInfo repetition) {
        rnd = new Random(5 + repetition.getCurrentRepetition());
    }

    @RepeatedTest(40)
    void maxAndMinMatchTheirGroups() {
        int rank = 1 + rnd.nextInt(4);
        int[] shape = randomShape(rank);
        boolean[] mask = new boolean[rank];
        for (int d = 0; d < rank; d++) {
            mask[d] = rnd.nextBoolean();
        }
        double[] x = randomValues(Shapes.size(shape));
        int[] outStrides = Shapes.strides(Shapes.reduced(shape, mask, true));
        for (Reductions.Op op : new Reductions.Op[] {Reductions.Op.MAX, Reductions.Op.MIN}) {
            double[] want = new double[Shapes.size(Shapes.reduced(shape, mask, true))];
            java.util.Arrays.fill(want, op == Reductions.Op.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
            for (int i = 0; i < x.length; i++) {
                int[] c = IndexMapTest.unravel(i, shape);
                int o = 0;
                for (int d = 0; d < rank; d++) {
                    o += mask[d] ? 0 : c[d] * outStrides[d];
                }
                boolean nan = Double.isNaN(x[i]) || Double.isNaN(want[o]);
                boolean better = op == Reductions.Op.MAX ? x[i] > want[o] : x[i] < want[o];
                want[o] = nan ? Double.NaN : better ? x[i] : want[o];
            }
            assertArrayEquals(want, Reductions.reduce(op, x, shape, mask), 0.0, op.toString());
        }
    }

    /**
     * Sums over random axes, the last axis sometimes 64 and longer with a tail (the vector row-add when it is
     * kept), against the groups gathered coordinate by coordinate and added in the same order.
     */
    @RepeatedTest(40)
    void sumMatchesItsGroups() {
        int rank = 1 + rnd.nextInt(3);
        int[] shape = randomShape(rank);
        if (rnd.nextBoolean()) {
            shape[rank - 1] = 64 + rnd.nextInt(70);
        }
        boolean[] mask = new boolean[rank];
        for (int d = 0; d < rank; d++) {
            mask[d] = rnd.nextBoolean();
        }
        double[] x = new double[Shapes.size(shape)];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextGaussian();
        }
        int[] outStrides = Shapes.strides(Shapes.reduced(shape, mask, true));
        double[] want = new double[Shapes.size(Shapes.reduced(shape, mask, true))];
        double[] run = new double[x.length]; // a reduced last axis is summed along its line first, as the kernel does
        for (int i = 0; i < x.length; i++) {
            int[] c = IndexMapTest.unravel(i, shape);
            int o = 0;
            for (int d = 0; d < rank; d++) {
                o += mask[d] ? 0 : c[d] * outStrides[d];
            }
            if (mask[rank - 1]) {
                run[o] += x[i];
                if (c[rank - 1] == shape[rank - 1] - 1) {
                    want[o] += run[o];
                    run[o] = 0;
                }
            } else {
                want[o] += x[i];
            }
        }
        // exact but for a single sum, which adds all elements in one run
        assertArrayEquals(want, Reductions.reduce(Reductions.Op.SUM, x, shape, mask), 1e-12,
                java.util.Arrays.toString(shape) + " " + java.util.Arrays.toString(mask));
    }

    @RepeatedTest(40)
    void argExtremumPointsAtTheFirstBestOrTheFirstNaN() {
        int rank = 1 + rnd.nextInt(4);
        int[] shape = randomShape(rank);
        checkArgExtremum(shape, rnd.nextInt(rank), 50);
    }

    /** Lines of 64 and more side by side take the vector path (when the module is present), with a tail. */
    @RepeatedTest(10)
    void longLinesGiveTheSameAnswer() {
        checkArgExtremum(new int[] {1 + rnd.nextInt(3), 2 + rnd.nextInt(5), 64 + rnd.nextInt(80)}, 1, 6);
    }

    /** With about one NaN per {@code nanEvery} elements, so that some lines hold two. */
    private void checkArgExtremum(int[] shape, int axis, int nanEvery) {
        double[] x = randomValues(Shapes.size(shape));
        for (int i = 0; i < x.length / nanEvery; i++) {
            x[rnd.nextInt(x.length)] = Double.NaN;
        }
        int[] strides = Shapes.strides(shape);
        for (boolean max : new boolean[] {true, false}) {
            double[] got = Reductions.argExtremum(max, x, shape, axis);
            int lines = x.length / shape[axis];
            assertEquals(lines, got.length);
            int line = 0;
            for (int i = 0; i < x.length; i++) {
                int[] c = IndexMapTest.unravel(i, shape);
                if (c[axis] != 0) {
                    continue;
                }
                int best = 0;
                for (int p = 0; p < shape[axis]; p++) {
                    double v = x[i + p * strides[axis]];
                    double b = x[i + best * strides[axis]];
                    if (Double.isNaN(v)) {
                        best = p;
                        break;
                    }
                    if (max ? v > b : v < b) {
                        best = p;
                    }
                }
                assertEquals(best, got[line++], (max ? "argmax" : "argmin") + " of line starting at " + i);
            }
        }
    }

    /**
     * The float32 kernels against the float64 ones (checked above against their groups) on the widened values: the
     * same bits, -0 and NaN included, for sums (accumulated in float64 in the same order), max and min, over random
     * axes, the last axis sometimes 64 and longer (the float64 vector row-add when it is kept).
     */
    @RepeatedTest(40)
    void float32ReductionsAreTheFloat64OnesOfTheWidenedValues() {
        int rank = 1 + rnd.nextInt(4);
        int[] shape = randomShape(rank);
        if (rnd.nextBoolean()) {
            shape[rank - 1] = 64 + rnd.nextInt(70);
        }
        boolean[] mask = new boolean[rank];
        for (int d = 0; d < rank; d++) {
            mask[d] = rnd.nextInt(3) > 0;
        }
        float[] x = randomFloats(Shapes.size(shape));
        double[] wide = widen(x);
        for (Reductions.Op op : Reductions.Op.values()) {
            assertArrayEquals(Reductions.reduce(op, wide, shape, mask), Reductions.reduce(op, x, shape, mask),
                    op + " " + java.util.Arrays.toString(shape) + " " + java.util.Arrays.toString(mask));
        }
        boolean[] all = new boolean[rank];
        java.util.Arrays.fill(all, true);
        for (Reductions.Op op : Reductions.Op.values()) {
            assertArrayEquals(Reductions.reduce(op, wide, shape, all), Reductions.reduce(op, x, shape, all), op + " of all");
        }
        assertArrayEquals(new double[] {0.0}, Reductions.reduce(Reductions.Op.SUM, new float[0], new int[] {0}, new boolean[] {true}));
    }

    /** Indices of the float32 argmax and argmin: those of the float64 kernel on the widened values, lines short and long. */
    @RepeatedTest(40)
    void float32ArgExtremumIsTheFloat64One() {
        int rank = 1 + rnd.nextInt(4);
        int[] shape = randomShape(rank);
        if (rnd.nextBoolean()) {
            shape[rank - 1] = 16 + rnd.nextInt(70);
        }
        int axis = rnd.nextInt(rank);
        float[] x = randomFloats(Shapes.size(shape));
        for (int i = 0; i < x.length / 20; i++) {
            x[rnd.nextInt(x.length)] = rnd.nextInt(4); // ties
        }
        for (boolean max : new boolean[] {true, false}) {
            assertArrayEquals(Reductions.argExtremum(max, widen(x), shape, axis), Reductions.argExtremum(max, x, shape, axis),
                    (max ? "argmax " : "argmin ") + java.util.Arrays.toString(shape) + " axis " + axis);
        }
    }

    /** cumsum: sequential sums checked by hand here, and the float32 scan is the float64 one of the widened values, rounded. */
    @RepeatedTest(20)
    void cumsumRunsInOrderAndFloat32RoundsTheFloat64Sums() {
        int rank = 1 + rnd.nextInt(3);
        int[] shape = randomShape(rank);
        int axis = rnd.nextInt(rank);
        float[] x = randomFloats(Shapes.size(shape));
        double[] wide = widen(x);
        int[] strides = Shapes.strides(shape);
        for (boolean reverse : new boolean[] {false, true}) {
            double[] y = Reductions.cumsum(wide, shape, axis, reverse);
            for (int i = 0; i < x.length; i++) {
                int[] c = IndexMapTest.unravel(i, shape);
                int first = i - c[axis] * strides[axis];
                double s = 0;
                boolean any = false;
                for (int p = reverse ? shape[axis] - 1 : 0; reverse ? p >= c[axis] : p <= c[axis]; p += reverse ? -1 : 1) {
                    s = any ? s + wide[first + p * strides[axis]] : wide[first + p * strides[axis]];
                    any = true;
                }
                assertEquals(Double.doubleToLongBits(s), Double.doubleToLongBits(y[i]), "cumsum at " + i);
            }
            float[] want = new float[y.length];
            for (int i = 0; i < y.length; i++) {
                want[i] = (float) y[i];
            }
            assertArrayEquals(want, Reductions.cumsum(x, shape, axis, reverse),
                    (reverse ? "reverse " : "") + java.util.Arrays.toString(shape) + " axis " + axis);
        }
    }

    private static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** float32 values of mixed magnitude (so that float64 sums of them are not float32 values), -0, now and then a NaN or infinity. */
    private float[] randomFloats(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
        }
        x[rnd.nextInt(n)] = -0.0f;
        int special = rnd.nextInt(6);
        if (special < 3) {
            x[rnd.nextInt(n)] = new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[special];
        }
        return x;
    }

    private int[] randomShape(int rank) {
        int[] shape = new int[rank];
        for (int d = 0; d < rank; d++) {
            shape[d] = 1 + rnd.nextInt(5);
        }
        return shape;
    }

    /** Few distinct values, so that ties are common; now and then a NaN. */
    private double[] randomValues(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextInt(4);
        }
        if (rnd.nextInt(3) == 0) {
            x[rnd.nextInt(n)] = Double.NaN;
        }
        return x;
    }
}
