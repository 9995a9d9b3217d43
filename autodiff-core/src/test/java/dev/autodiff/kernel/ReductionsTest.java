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
