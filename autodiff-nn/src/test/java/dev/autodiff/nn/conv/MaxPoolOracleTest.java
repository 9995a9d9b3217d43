package dev.autodiff.nn.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Max pooling against a brute-force oracle written here: every window laid out in full with -infinity at
 * the padding, its first maximum by torch.argmax's rule (strictly greater, or the first NaN), and a window that picks a
 * padding position moved to its first element inside the input, as PyTorch. Inputs full of ties, NaNs and infinities;
 * every kernel, stride (below, at and above the kernel) and padding the layers allow; batched and unbatched; both
 * dtypes. The output must have the chosen elements' bits and the gradient must land on them alone.
 */
class MaxPoolOracleTest {
    /** Values from a small set, so windows tie, with NaN and both infinities among them. */
    private static double[] awkward(SplittableRandom r, int n) {
        double[] pool = {0.0, 1.0, 1.0, -1.0, 2.0, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.POSITIVE_INFINITY, Double.NaN, -0.0, 0.5};
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(4) == 0 ? pool[r.nextInt(pool.length)] : Math.floor(r.nextDouble() * 4);
        }
        return v;
    }

    /** The oracle's index of a window's maximum, given the window's values (padding as -infinity) in window order. */
    private static int firstMax(double[] window) {
        int at = 0;
        for (int i = 1; i < window.length; i++) {
            double b = window[at];
            double v = window[i];
            if (!Double.isNaN(b) && (Double.isNaN(v) || v > b)) {
                at = i;
            }
        }
        return at;
    }

    /** Flat indices into (planes, h, w) of each window's chosen element. */
    private static int[] oracle2d(double[] x, int planes, int h, int w, int k, int s, int p) {
        int oh = (h + 2 * p - k) / s + 1;
        int ow = (w + 2 * p - k) / s + 1;
        int[] at = new int[planes * oh * ow];
        int i = 0;
        for (int plane = 0; plane < planes; plane++) {
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    double[] win = new double[k * k];
                    for (int dy = 0; dy < k; dy++) {
                        for (int dx = 0; dx < k; dx++) {
                            int y = r * s - p + dy;
                            int xx = c * s - p + dx;
                            boolean inside = y >= 0 && y < h && xx >= 0 && xx < w;
                            win[dy * k + dx] = inside ? x[(plane * h + y) * w + xx] : Double.NEGATIVE_INFINITY;
                        }
                    }
                    int best = firstMax(win);
                    int y = r * s - p + best / k;
                    int xx = c * s - p + best % k;
                    if (y < 0 || y >= h || xx < 0 || xx >= w) {
                        y = Math.max(r * s - p, 0);
                        xx = Math.max(c * s - p, 0);
                    }
                    at[i++] = (plane * h + y) * w + xx;
                }
            }
        }
        return at;
    }

    private static int[] oracle1d(double[] x, int rows, int len, int k, int s, int p) {
        int out = (len + 2 * p - k) / s + 1;
        int[] at = new int[rows * out];
        for (int row = 0, i = 0; row < rows; row++) {
            for (int o = 0; o < out; o++) {
                double[] win = new double[k];
                for (int d = 0; d < k; d++) {
                    int j = o * s - p + d;
                    win[d] = j >= 0 && j < len ? x[row * len + j] : Double.NEGATIVE_INFINITY;
                }
                int j = o * s - p + firstMax(win);
                at[i++] = row * len + (j < 0 || j >= len ? Math.max(o * s - p, 0) : j);
            }
        }
        return at;
    }

    /** The pooled values are the chosen elements' and the gradient of sum(g * y) is g scattered onto them. */
    private static void check(Tensor y, Tensor x, double[] xv, int[] at, DType d, String what) {
        assertEquals(d, y.dtype(), what);
        double[] got = y.toArray();
        assertEquals(at.length, got.length, what);
        double[] g = new double[at.length];
        double[] expectedGrad = new double[xv.length];
        for (int i = 0; i < at.length; i++) {
            assertEquals(Double.doubleToLongBits(xv[at[i]]), Double.doubleToLongBits(got[i]), what + ", window " + i);
            g[i] = 1 + (i % 7); // small whole numbers: exact sums in either dtype
            expectedGrad[at[i]] += g[i];
        }
        y.mul(Tensor.fromArray(g, y.shape()).to(d)).sum().backward();
        assertEquals(d, x.grad().dtype(), what);
        assertArrayEquals(expectedGrad, x.grad().toArray(), 0.0, what + ": gradient");
    }

    @Test
    void maxPool2dPicksTheOraclesElements() {
        SplittableRandom r = new SplittableRandom(5);
        int cases = 0;
        for (DType d : DType.values()) {
            for (int k = 1; k <= 4; k++) {
                for (int s = 1; s <= k + 2; s++) {
                    for (int p = 0; p <= k / 2; p++) {
                        for (boolean batched : new boolean[] {true, false}) {
                            int n = batched ? 2 : 1;
                            int c = 3;
                            int h = k + r.nextInt(5);
                            int w = Math.max(1, k - 2 * p) + r.nextInt(6);
                            double[] xv = awkward(r, n * c * h * w); // exact in float32 too
                            Tensor x = (batched ? Tensor.fromArray(xv, n, c, h, w) : Tensor.fromArray(xv, c, h, w))
                                    .to(d).requiresGrad();
                            Tensor y = new MaxPool2d(k, s, p).forward(x);
                            check(y, x, xv, oracle2d(xv, n * c, h, w, k, s, p), d,
                                    d + " kernel " + k + " stride " + s + " padding " + p + " input " + h + "x" + w);
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(2 * 2 * (3 * 1 + 4 * 2 + 5 * 2 + 6 * 3), cases);
    }

    @Test
    void maxPool1dPicksTheOraclesElements() {
        SplittableRandom r = new SplittableRandom(6);
        int cases = 0;
        for (DType d : DType.values()) {
            for (int k = 1; k <= 5; k++) {
                for (int s = 1; s <= k + 2; s++) {
                    for (int p = 0; p <= k / 2; p++) {
                        for (boolean batched : new boolean[] {true, false}) {
                            int n = batched ? 3 : 1;
                            int c = 2;
                            int len = Math.max(1, k - 2 * p) + r.nextInt(8);
                            double[] xv = awkward(r, n * c * len);
                            Tensor x = (batched ? Tensor.fromArray(xv, n, c, len) : Tensor.fromArray(xv, c, len))
                                    .to(d).requiresGrad();
                            Tensor y = new MaxPool1d(k, s, p).forward(x);
                            check(y, x, xv, oracle1d(xv, n * c, len, k, s, p), d,
                                    d + " kernel " + k + " stride " + s + " padding " + p + " length " + len);
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(2 * 2 * (3 * 1 + 4 * 2 + 5 * 2 + 6 * 3 + 7 * 3), cases);
    }

    @Test
    void aWindowOfMinusInfinityAtThePaddingKeepsItsFirstElementInside() {
        double inf = Double.NEGATIVE_INFINITY;
        // 3 x 3 input, kernel 3, padding 1, stride 2: every window's in-image part is -infinity but one
        double[] xv = {inf, inf, inf, inf, inf, inf, inf, inf, 4.0};
        Tensor x = Tensor.fromArray(xv, 1, 1, 3, 3).requiresGrad();
        Tensor y = new MaxPool2d(3, 2, 1).forward(x);
        // windows centred on (0,0), (0,2), (2,0), (2,2): the first three pick their first element inside
        assertArrayEquals(new double[] {inf, inf, inf, 4.0}, y.toArray(), 0.0);
        y.sum().backward();
        // (0,0) for the first window, (0,1) for the second (columns 1..2), (1,0) for the third (rows 1..2), (2,2) the 4
        assertArrayEquals(new double[] {1, 1, 0, 1, 0, 0, 0, 0, 1}, x.grad().toArray(), 0.0);
    }
}
