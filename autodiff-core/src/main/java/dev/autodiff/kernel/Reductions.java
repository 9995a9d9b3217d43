package dev.autodiff.kernel;

import java.util.Arrays;

/** Reductions over any set of axes of a row-major array, and running sums along one. */
public final class Reductions {
    private Reductions() {}

    public enum Op { SUM, MAX, MIN }

    /**
     * Reduces the axes flagged in {@code mask}; the result has the kept-dims shape's element order
     * (reduced axes of size 1), so it can be reshaped freely to drop them. MAX and MIN propagate NaN;
     * reducing an empty axis gives 0 for SUM and is rejected by the caller for MAX and MIN.
     */
    public static double[] reduce(Op op, double[] x, int[] shape, boolean[] mask) {
        int[] outShape = Shapes.reduced(shape, mask, true);
        double[] out = Buffers.zeros(Shapes.size(outShape));
        if (op != Op.SUM) {
            Arrays.fill(out, op == Op.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        }
        if (x.length == 0) {
            return out;
        }
        if (out.length == 1) {
            out[0] = all(op, x);
            return out;
        }
        int r = shape.length;
        int[] outStrides = Shapes.strides(outShape);
        int[] os = new int[r];
        for (int d = 0; d < r; d++) {
            os[d] = mask[d] ? 0 : outStrides[d];
        }
        int inner = shape[r - 1];
        int si = os[r - 1];
        int[] idx = new int[r];
        int off = 0;
        for (int i = 0; i < x.length; i += inner) {
            switch (op) {
                case SUM:
                    if (si == 0) {
                        out[off] += sumLine(x, i, inner);
                    } else if (inner >= Elementwise.VECTOR_ELEMENTS && VectorSupport.MATH != null) {
                        // a bias gradient (128 x 512 summed over the batch): the scalar loop took 45 us
                        VectorSupport.MATH.addInto(x, i, out, off, inner);
                    } else {
                        for (int j = 0; j < inner; j++) out[off + j] += x[i + j];
                    }
                    break;
                case MAX:
                case MIN:
                    if (si == 0) {
                        out[off] = extremum(op, x, i, inner, out[off]);
                    } else if (op == Op.MAX) {
                        for (int j = 0; j < inner; j++) out[off + j] = max(out[off + j], x[i + j]);
                    } else {
                        for (int j = 0; j < inner; j++) out[off + j] = min(out[off + j], x[i + j]);
                    }
                    break;
                default:
                    throw new AssertionError(op);
            }
            for (int d = r - 2; d >= 0; d--) {
                off += os[d];
                if (++idx[d] < shape[d]) {
                    break;
                }
                off -= os[d] * shape[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    /**
     * {@link #reduce} of float32 values, reading them where they are (no float64 copy of x): the same loops in the
     * same order, each value widened as it is read, sums accumulated in float64. So the result is, bit for bit,
     * reduce of the widened array (for max and min the float32 extremum itself); it is float64, of the reduced size,
     * and the caller rounds it to float32 once. Accumulating in float64 (in {@link #sumLine}'s eight chains) bounds the
     * error by (n/8 + 2) 2^-53 sum |x_i| for n terms, below float32 pairwise summation's bound, log2(n) 2^-24
     * sum |x_i|, for every n below 2^31.
     */
    public static double[] reduce(Op op, float[] x, int[] shape, boolean[] mask) {
        int[] outShape = Shapes.reduced(shape, mask, true);
        double[] out = new double[Shapes.size(outShape)];
        if (op != Op.SUM) {
            Arrays.fill(out, op == Op.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        }
        if (x.length == 0) {
            return out;
        }
        if (out.length == 1) {
            out[0] = all(op, x);
            return out;
        }
        int r = shape.length;
        int[] outStrides = Shapes.strides(outShape);
        int[] os = new int[r];
        for (int d = 0; d < r; d++) {
            os[d] = mask[d] ? 0 : outStrides[d];
        }
        int inner = shape[r - 1];
        int si = os[r - 1];
        int[] idx = new int[r];
        int off = 0;
        for (int i = 0; i < x.length; i += inner) {
            switch (op) {
                case SUM:
                    if (si == 0) {
                        out[off] += sumLine(x, i, inner);
                    } else if (inner >= Elementwise.VECTOR_ELEMENTS && VectorSupport.MATH != null) {
                        VectorSupport.MATH.addInto(x, i, out, off, inner); // C2 leaves the widening loop scalar
                    } else {
                        for (int j = 0; j < inner; j++) out[off + j] += x[i + j];
                    }
                    break;
                case MAX:
                case MIN:
                    if (si == 0) {
                        out[off] = extremum(op, x, i, inner, out[off]);
                    } else if (op == Op.MAX) {
                        for (int j = 0; j < inner; j++) out[off + j] = max(out[off + j], x[i + j]);
                    } else {
                        for (int j = 0; j < inner; j++) out[off + j] = min(out[off + j], x[i + j]);
                    }
                    break;
                default:
                    throw new AssertionError(op);
            }
            for (int d = r - 2; d >= 0; d--) {
                off += os[d];
                if (++idx[d] < shape[d]) {
                    break;
                }
                off -= os[d] * shape[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    /**
     * The position along {@code axis} of each line's first maximum ({@code max}) or minimum; NaN counts as
     * beyond every number, so a line holding NaN points at its first NaN (as torch.argmax). The result has
     * the shape with {@code axis} removed; the axis must not be empty.
     */
    public static double[] argExtremum(boolean max, double[] x, int[] shape, int axis) {
        int outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= shape[d];
        }
        int n = shape[axis];
        int inner = x.length / Math.max(1, outer * n);
        double[] out = new double[outer * inner];
        if (inner == 1) {
            // along the last axis: each line's best kept in registers, not stored at every step
            for (int a = 0; a < outer; a++) {
                int base = a * n;
                double b = x[base];
                int at = 0;
                for (int i = 1; i < n; i++) {
                    if (beats(max, x[base + i], b)) {
                        b = x[base + i];
                        at = i;
                    }
                }
                out[a] = at;
            }
            return out;
        }
        double[] best = new double[outer * inner];
        for (int a = 0; a < outer; a++) {
            int base = a * n * inner;
            int o = a * inner;
            System.arraycopy(x, base, best, o, inner);
            for (int i = 1; i < n; i++) {
                int row = base + i * inner;
                // a lower bar than Elementwise's 64, so that the 25 lines of a 5 x 5 pooling grid also avoid
                // the scalar loop's data-dependent branch
                if (inner >= 16 && VectorSupport.MATH != null) {
                    VectorSupport.MATH.argStep(max, x, row, best, out, o, inner, i);
                    continue;
                }
                for (int j = 0; j < inner; j++) {
                    if (beats(max, x[row + j], best[o + j])) {
                        best[o + j] = x[row + j];
                        out[o + j] = i;
                    }
                }
            }
        }
        return out;
    }

    /**
     * {@link #argExtremum} of float32 values without a float64 copy of x: the same comparisons on the values widened
     * (exactly) one line at a time, so the same indices.
     */
    public static double[] argExtremum(boolean max, float[] x, int[] shape, int axis) {
        int outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= shape[d];
        }
        int n = shape[axis];
        int inner = x.length / Math.max(1, outer * n);
        double[] out = new double[outer * inner];
        if (inner == 1) {
            // along the last axis: each line's best kept in registers, not stored at every step
            for (int a = 0; a < outer; a++) {
                int base = a * n;
                double b = x[base];
                int at = 0;
                for (int i = 1; i < n; i++) {
                    if (beats(max, x[base + i], b)) {
                        b = x[base + i];
                        at = i;
                    }
                }
                out[a] = at;
            }
            return out;
        }
        double[] best = new double[outer * inner];
        boolean vector = inner >= 16 && VectorSupport.MATH != null; // argExtremum's bar
        double[] line = vector ? new double[inner] : null;
        for (int a = 0; a < outer; a++) {
            int base = a * n * inner;
            int o = a * inner;
            for (int j = 0; j < inner; j++) {
                best[o + j] = x[base + j];
            }
            for (int i = 1; i < n; i++) {
                int row = base + i * inner;
                if (vector) {
                    for (int j = 0; j < inner; j++) {
                        line[j] = x[row + j];
                    }
                    VectorSupport.MATH.argStep(max, line, 0, best, out, o, inner, i);
                    continue;
                }
                for (int j = 0; j < inner; j++) {
                    if (beats(max, x[row + j], best[o + j])) {
                        best[o + j] = x[row + j];
                        out[o + j] = i;
                    }
                }
            }
        }
        return out;
    }

    /** Whether v takes the place of b in a running argmax (argmin): strictly greater (less), or the first NaN. */
    static boolean beats(boolean max, double v, double b) {
        return b == b && (v != v || (max ? v > b : v < b));
    }

    private static double all(Op op, double[] x) {
        double acc = op == Op.SUM ? 0 : x[0];
        switch (op) {
            case SUM: acc = sumLine(x, 0, x.length); break;
            case MAX: case MIN: acc = extremum(op, x, 0, x.length, acc); break;
            default: throw new AssertionError(op);
        }
        return acc;
    }

    /** {@link #all} of the widened values, in its order. */
    private static double all(Op op, float[] x) {
        double acc = op == Op.SUM ? 0 : x[0];
        switch (op) {
            case SUM: acc = sumLine(x, 0, x.length); break;
            case MAX: case MIN: acc = extremum(op, x, 0, x.length, acc); break;
            default: throw new AssertionError(op);
        }
        return acc;
    }

    /**
     * Inclusive running sums along {@code axis} of a row-major array, from the front or (with {@code reverse}) from
     * the back: {@code y_i = y_(i-1) + x_i} in order, one line at a time, the sequential sums PyTorch's CPU kernel
     * makes.
     */
    public static double[] cumsum(double[] x, int[] shape, int axis, boolean reverse) {
        double[] y = x.clone();
        int n = shape[axis];
        int inner = innerSize(shape, axis);
        int line = n * inner;
        for (int base = 0; base < y.length; base += line) {
            if (reverse) {
                for (int i = n - 2; i >= 0; i--) {
                    int at = base + i * inner;
                    for (int j = 0; j < inner; j++) {
                        y[at + j] += y[at + inner + j];
                    }
                }
            } else {
                for (int i = 1; i < n; i++) {
                    int at = base + i * inner;
                    for (int j = 0; j < inner; j++) {
                        y[at + j] += y[at - inner + j];
                    }
                }
            }
        }
        return y;
    }

    /**
     * {@link #cumsum} of float32 values, each running sum kept in float64 (one line of them, not a float64 copy of
     * x) and rounded once as it is stored: the bits of cumsum of the widened array, rounded.
     */
    public static float[] cumsum(float[] x, int[] shape, int axis, boolean reverse) {
        float[] y = new float[x.length];
        int n = shape[axis];
        int inner = innerSize(shape, axis);
        int line = n * inner;
        int step = reverse ? -inner : inner;
        if (inner == 1) {
            // along the last axis: the running sum in a register, not stored and reloaded at every step
            for (int base = 0; base < y.length; base += line) {
                int at = reverse ? base + line - 1 : base;
                double s = x[at];
                y[at] = x[at];
                for (int k = 1; k < n; k++) {
                    at += step;
                    s += x[at];
                    y[at] = (float) s;
                }
            }
            return y;
        }
        double[] acc = new double[inner];
        for (int base = 0; base < y.length; base += line) {
            int at = reverse ? base + line - inner : base;
            for (int j = 0; j < inner; j++) {
                acc[j] = x[at + j]; // the first term as it is (0 + x would turn -0 into +0)
                y[at + j] = x[at + j];
            }
            for (int k = 1; k < n; k++) {
                at += step;
                for (int j = 0; j < inner; j++) {
                    double s = acc[j] + x[at + j];
                    acc[j] = s;
                    y[at + j] = (float) s;
                }
            }
        }
        return y;
    }

    /** The number of elements after {@code axis}: the distance between neighbours along it. */
    private static int innerSize(int[] shape, int axis) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        return inner;
    }

    /**
     * {@code x[from, from + n)} summed in eight chains (element i into chain i mod 8, the tail into the first ones),
     * combined pairwise: ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)). One chain is bound by the add's latency
     * (0.86 ms per 2^20 elements); eight run at the loads' rate. The order is fixed by n alone, so the bits are the
     * same on every machine and thread count, and the error bound, (n/8 + 2) 2^-53 sum |x_i|, is below one chain's.
     */
    private static double sumLine(double[] x, int from, int n) {
        double c0 = 0;
        double c1 = 0;
        double c2 = 0;
        double c3 = 0;
        double c4 = 0;
        double c5 = 0;
        double c6 = 0;
        double c7 = 0;
        int i = from;
        for (int end = from + (n & ~7); i < end; i += 8) {
            c0 += x[i];
            c1 += x[i + 1];
            c2 += x[i + 2];
            c3 += x[i + 3];
            c4 += x[i + 4];
            c5 += x[i + 5];
            c6 += x[i + 6];
            c7 += x[i + 7];
        }
        int tail = from + n - i;
        if (tail > 0) c0 += x[i];
        if (tail > 1) c1 += x[i + 1];
        if (tail > 2) c2 += x[i + 2];
        if (tail > 3) c3 += x[i + 3];
        if (tail > 4) c4 += x[i + 4];
        if (tail > 5) c5 += x[i + 5];
        if (tail > 6) c6 += x[i + 6];
        return ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
    }

    /** {@link #sumLine(double[], int, int)} of float32 values, each widened as it is read: the same bits as on the widened array. */
    private static double sumLine(float[] x, int from, int n) {
        double c0 = 0;
        double c1 = 0;
        double c2 = 0;
        double c3 = 0;
        double c4 = 0;
        double c5 = 0;
        double c6 = 0;
        double c7 = 0;
        int i = from;
        for (int end = from + (n & ~7); i < end; i += 8) {
            c0 += x[i];
            c1 += x[i + 1];
            c2 += x[i + 2];
            c3 += x[i + 3];
            c4 += x[i + 4];
            c5 += x[i + 5];
            c6 += x[i + 6];
            c7 += x[i + 7];
        }
        int tail = from + n - i;
        if (tail > 0) c0 += x[i];
        if (tail > 1) c1 += x[i + 1];
        if (tail > 2) c2 += x[i + 2];
        if (tail > 3) c3 += x[i + 3];
        if (tail > 4) c4 += x[i + 4];
        if (tail > 5) c5 += x[i + 5];
        if (tail > 6) c6 += x[i + 6];
        return ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
    }

    /**
     * The maximum (op MAX) or minimum of acc and {@code x[from, from + n)} in four independent chains, a quarter of
     * one chain's latency: max and min are exact, and Math.max's and Math.min's rules for NaN and -0 are symmetric,
     * so every grouping gives the same value as the loop from left to right.
     */
    private static double extremum(Op op, double[] x, int from, int n, double acc) {
        double a0 = acc;
        double a1 = acc;
        double a2 = acc;
        double a3 = acc;
        int j = from;
        int end = from + n;
        if (op == Op.MAX) {
            for (; j + 4 <= end; j += 4) {
                a0 = max(a0, x[j]);
                a1 = max(a1, x[j + 1]);
                a2 = max(a2, x[j + 2]);
                a3 = max(a3, x[j + 3]);
            }
            for (; j < end; j++) {
                a0 = max(a0, x[j]);
            }
            return max(max(a0, a1), max(a2, a3));
        }
        for (; j + 4 <= end; j += 4) {
            a0 = min(a0, x[j]);
            a1 = min(a1, x[j + 1]);
            a2 = min(a2, x[j + 2]);
            a3 = min(a3, x[j + 3]);
        }
        for (; j < end; j++) {
            a0 = min(a0, x[j]);
        }
        return min(min(a0, a1), min(a2, a3));
    }

    /**
     * {@link #extremum} of floats, in float: acc is a float value or an infinity, and the extremum of floats is one
     * of them, so widening after gives the value of the float64 loop over the widened floats.
     */
    private static double extremum(Op op, float[] x, int from, int n, double acc) {
        float a0 = (float) acc;
        float a1 = a0;
        float a2 = a0;
        float a3 = a0;
        int j = from;
        int end = from + n;
        if (op == Op.MAX) {
            for (; j + 4 <= end; j += 4) {
                a0 = max(a0, x[j]);
                a1 = max(a1, x[j + 1]);
                a2 = max(a2, x[j + 2]);
                a3 = max(a3, x[j + 3]);
            }
            for (; j < end; j++) {
                a0 = max(a0, x[j]);
            }
            return max(max(a0, a1), max(a2, a3));
        }
        for (; j + 4 <= end; j += 4) {
            a0 = min(a0, x[j]);
            a1 = min(a1, x[j + 1]);
            a2 = min(a2, x[j + 2]);
            a3 = min(a3, x[j + 3]);
        }
        for (; j < end; j++) {
            a0 = min(a0, x[j]);
        }
        return min(min(a0, a1), min(a2, a3));
    }

    // Math.max and Math.min propagate NaN and order -0.0 below 0.0; C2 compiles them branch-free
    // (a data-dependent branch here is mispredicted on about every other element of a pooling window)
    private static double max(double acc, double v) {
        return Math.max(acc, v);
    }

    private static double min(double acc, double v) {
        return Math.min(acc, v);
    }

    private static float max(float acc, float v) {
        return Math.max(acc, v);
    }

    private static float min(float acc, float v) {
        return Math.min(acc, v);
    }
}
