package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;

/** Max, min, argmax and argmin against groups gathered coordinate by coordinate in this test. */
class ReductionsTest {
    private final Random rnd = new Random(5);

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
