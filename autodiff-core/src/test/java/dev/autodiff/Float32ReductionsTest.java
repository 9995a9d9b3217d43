package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The float32 reductions (sum, max, min and what is made of them: sumTo, mean, the max shift of softmax and
 * logSumExp; cumsum; argmax, argmin), which read the floats without a float64 copy. The oracle is the float64 op on
 * the same values, rounded to float32 once (the cold path's definition): sums accumulate in float64 in the float64
 * kernel's order, so the bits must be equal, -0 and NaN included. Composites (mean, softmax) are float32 ops in a
 * row, checked against float64 to float32 tolerance.
 */
class Float32ReductionsTest {
    private static final List<int[]> SHAPES = List.of(new int[] {128, 512}, new int[] {3, 5, 70}, new int[] {2, 3, 4, 5},
            new int[] {7}, new int[] {1, 9}, new int[] {4, 1}, new int[] {0, 3}, new int[] {});

    /** float32 values of mixed magnitudes (so that their sums need rounding), with a -0 and, where asked, specials. */
    private static Tensor values(long seed, int[] shape, boolean specials) {
        double[] v = Tensor.randn(seed, shape).toArray();
        double[] scale = Tensor.rand(seed + 1, shape).toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] *= Math.pow(10, Math.floor(scale[i] * 6) - 3);
        }
        if (v.length > 2) {
            v[1] = -0.0;
            if (specials) {
                v[v.length - 1] = Double.NaN;
                v[v.length / 2] = Double.POSITIVE_INFINITY;
            }
        }
        return Tensor.fromArray(v, shape).to(DType.FLOAT32);
    }

    private static void sameBits(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        if (expected.dtype() == DType.FLOAT32) {
            assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), what);
        } else {
            assertArrayEquals(expected.toArray(), actual.toArray(), what);
        }
    }

    /** Every subset of the axes, with and without kept dims, through f in float32 and in float64 rounded. */
    private static void overAxes(String name, Tensor x32, boolean keepDims, Function<int[], Function<Tensor, Tensor>> f) {
        Tensor x64 = x32.to(DType.FLOAT64);
        int r = x32.rank();
        for (int subset = 0; subset < 1 << r; subset++) {
            int bits = subset;
            int[] axes = java.util.stream.IntStream.range(0, r).filter(d -> (bits & 1 << d) != 0).toArray();
            // no axes: all of them
            boolean empty = x32.size() == 0 && (axes.length == 0 || java.util.Arrays.stream(axes).anyMatch(d -> x32.dim(d) == 0));
            if (empty && !name.equals("sum")) {
                continue;
            }
            String what = name + java.util.Arrays.toString(axes) + (keepDims ? " kept" : "") + " of "
                    + java.util.Arrays.toString(x32.shape());
            Tensor y = f.apply(axes).apply(x32);
            assertEquals(DType.FLOAT32, y.dtype(), what);
            sameBits(f.apply(axes).apply(x64).to(DType.FLOAT32), y, what);
        }
    }

    @Test
    void sumMaxAndMinAreTheFloat64OnesRounded() {
        long seed = 1;
        for (int[] shape : SHAPES) {
            for (boolean specials : new boolean[] {false, true}) {
                Tensor x = values(seed++, shape, specials);
                for (boolean keep : new boolean[] {false, true}) {
                    overAxes("sum", x, keep, axes -> t -> t.sum(keep, axes));
                    overAxes("max", x, keep, axes -> t -> t.max(keep, axes));
                    overAxes("min", x, keep, axes -> t -> t.min(keep, axes));
                }
            }
        }
    }

    /** A sum that is not a float32 value, and the one whose float32 accumulation would lose the small terms. */
    @Test
    void sumsAccumulateInFloat64() {
        float[] v = new float[1 << 16];
        java.util.Arrays.fill(v, 1.0f);
        v[0] = 1 << 24; // 2^24 + 1 is not a float: float32 accumulation would stay at 2^24
        Tensor x = Tensor.fromArray(v);
        assertEquals((float) ((1 << 24) + (1 << 16) - 1), x.sum().toFloatArray()[0]);
        assertEquals((float) ((1 << 24) + 255), x.reshape(256, 256).sum(0).toFloatArray()[0], "a column's sum");
        assertEquals((float) ((1 << 24) + 255), x.reshape(256, 256).sum(1).toFloatArray()[0], "a row's sum");
        assertArrayEquals(new int[] {}, x.sum().shape());
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.FLOAT32, 0, 3).max(0), "max of nothing");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.FLOAT32, 2, 0).min(1));
        assertEquals(assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 0).min(1)).getMessage(), e.getMessage(),
                "the float64 message");
    }

    /** sumTo, as broadcasting's backward uses it (the bias gradient), and mean (a float32 sum divided). */
    @Test
    void sumToAndMean() {
        Tensor x = values(3, new int[] {128, 512}, false);
        Tensor x64 = x.to(DType.FLOAT64);
        sameBits(x64.sumTo(512).to(DType.FLOAT32), x.sumTo(512), "sumTo(512)");
        sameBits(x64.sumTo(1, 512).to(DType.FLOAT32), x.sumTo(1, 512), "sumTo(1, 512)");
        sameBits(x64.sumTo(128, 1).to(DType.FLOAT32), x.sumTo(128, 1), "sumTo(128, 1)");
        // mean is sum then a division, each in float32
        sameBits(x64.sum(0).to(DType.FLOAT32).div(128.0), x.mean(0), "mean(0)");
        assertEquals(DType.FLOAT32, x.mean().dtype());
        assertEquals(x64.mean().item(), x.mean().item(), 1e-6 * x64.abs().mean().item());
    }

    /** broadcastTo copies floats (a sum's backward broadcasts its gradient): the sum's gradient is g broadcast, exactly. */
    @Test
    void broadcastToAndTheSumsGradient() {
        Tensor b = values(10, new int[] {1, 70}, true);
        sameBits(b.to(DType.FLOAT64).broadcastTo(3, 5, 70).to(DType.FLOAT32), b.broadcastTo(3, 5, 70), "broadcastTo");
        Tensor c = values(11, new int[] {5, 1}, true);
        sameBits(c.to(DType.FLOAT64).broadcastTo(2, 5, 3).to(DType.FLOAT32), c.broadcastTo(2, 5, 3), "broadcastTo");
        sameBits(Tensor.full(0.1, DType.FLOAT32, 4, 3), Tensor.scalar(0.1).to(DType.FLOAT32).broadcastTo(4, 3), "a scalar");
        Tensor x = values(12, new int[] {6, 70}, false).requiresGrad();
        Tensor r = values(13, new int[] {70}, false);
        Tensor g = Autodiff.grad(x.sum(0).mul(r).sum(), x)[0];
        sameBits(r.to(DType.FLOAT64).broadcastTo(6, 70).to(DType.FLOAT32), g, "sum(0)'s gradient");
    }

    @Test
    void cumsumBothWaysIsTheFloat64OneRounded() {
        long seed = 20;
        for (int[] shape : SHAPES) {
            Tensor x = values(seed++, shape, seed % 2 == 0);
            Tensor x64 = x.to(DType.FLOAT64);
            for (int axis = 0; axis < shape.length; axis++) {
                sameBits(x64.cumsum(axis).to(DType.FLOAT32), x.cumsum(axis), "cumsum(" + axis + ")");
                if (shape[axis] > 1) { // the reverse scan: cumsum's backward
                    Primitives.CumSum back = new Primitives.CumSum(axis, true);
                    sameBits(back.apply(x64).to(DType.FLOAT32), back.apply(x), "reverse cumsum(" + axis + ")");
                }
            }
        }
        Tensor x = values(30, new int[] {6, 70}, false).requiresGrad();
        Tensor r = values(31, new int[] {6, 70}, false);
        Tensor g = Autodiff.grad(x.cumsum(0).mul(r).sum(), x)[0];
        assertEquals(DType.FLOAT32, g.dtype());
        sameBits(new Primitives.CumSum(0, true).apply(r.to(DType.FLOAT64)).to(DType.FLOAT32), g, "cumsum's gradient");
    }

    /** The indices (float64, whatever the dtype) of the float64 argmax and argmin: first best, NaN beyond everything. */
    @Test
    void argmaxAndArgminAreTheFloat64Ones() {
        long seed = 40;
        for (int[] shape : SHAPES) {
            Tensor x = values(seed++, shape, seed % 2 == 0).mul(4).round(); // ties
            Tensor x64 = x.to(DType.FLOAT64);
            for (int axis = 0; axis < shape.length; axis++) {
                if (shape[axis] == 0) {
                    continue;
                }
                for (boolean keep : new boolean[] {false, true}) {
                    sameBits(x64.argmax(axis, keep), x.argmax(axis, keep), "argmax(" + axis + ")");
                    sameBits(x64.argmin(axis, keep), x.argmin(axis, keep), "argmin(" + axis + ")");
                }
            }
        }
    }

    /** softmax, logSoftmax and logSumExp shift by the float32 maximum; float32 results near float64's, at any magnitude. */
    @Test
    void softmaxAndLogSumExp() {
        for (double magnitude : new double[] {1, 1e30}) {
            Tensor x = Tensor.randn(50, 16, 70).mul(magnitude).to(DType.FLOAT32);
            Tensor x64 = x.to(DType.FLOAT64);
            for (int axis = 0; axis < 2; axis++) {
                near(x64.softmax(axis), x.softmax(axis), 1e-6, "softmax(" + axis + ")");
                near(x64.logSoftmax(axis), x.logSoftmax(axis), 1e-6, "logSoftmax(" + axis + ")");
                near(x64.logSumExp(axis), x.logSumExp(axis), 1e-6, "logSumExp(" + axis + ")");
            }
            near(x64.logSumExp(), x.logSumExp(), 1e-6, "logSumExp of all");
        }
        Tensor inf = Tensor.fromArray(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 1, 2);
        assertEquals(Double.NEGATIVE_INFINITY, inf.logSumExp(1).item(), "a line of -infinity");
    }

    private static void near(Tensor expected, Tensor actual, double tol, String what) {
        assertEquals(DType.FLOAT32, actual.dtype(), what + ": dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - a[i]) <= tol * (1 + Math.abs(e[i])), what + " at " + i + ": " + a[i] + " vs " + e[i]);
        }
    }

    /**
     * No float64 copy of the input: reducing 2^20 floats (4 MB; a widened copy is 8 MB) allocates about the result's
     * size. Counted in bytes by the JVM, not timed.
     */
    @Test
    void noFullSizeFloat64Copy() {
        Tensor x = Tensor.randn(60, DType.FLOAT32, 1024, 1024);
        // the Vector API's loops (rows of 64 and more added, argmax across rows of 16 and more) box their vectors
        // until C2 compiles them, which takes longer on a loaded machine: across rows, lines of 32 avoid them
        Tensor narrow = x.reshape(32768, 32);
        List<Function<Tensor, Tensor>> ops = List.of(t -> t.sum(), t -> narrow.sum(0), t -> t.sum(1), t -> t.max(0),
                t -> t.min(1), t -> t.argmax(1), t -> t.argmin(1), t -> narrow.sumTo(1, 32));
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int k = 0; k < ops.size(); k++) {
            ops.get(k).apply(x); // loads the classes
            long before = threads.getCurrentThreadAllocatedBytes();
            ops.get(k).apply(x);
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(bytes < 1 << 20, "reduction " + k + " allocated " + bytes + " bytes");
        }
        // and the ops whose float32 result is itself 4 MB
        Tensor row = Tensor.randn(61, DType.FLOAT32, 1, 1024);
        List<Function<Tensor, Tensor>> full = List.of(t -> t.cumsum(0), t -> t.cumsum(1), t -> row.broadcastTo(1024, 1024));
        for (int k = 0; k < full.size(); k++) {
            full.get(k).apply(x);
            long before = threads.getCurrentThreadAllocatedBytes();
            full.get(k).apply(x);
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(bytes < (4 << 20) + (1 << 20), "op " + k + " allocated " + bytes + " bytes (its result is 4 MB)");
        }
    }
}
