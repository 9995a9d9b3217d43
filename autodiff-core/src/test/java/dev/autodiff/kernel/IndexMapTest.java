package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Run-encoded maps against maps written out element by element from coordinates in this test: every
 * builder, take, scatterAdd (and their float32 forms) and the tangent-batched form.
 */
class IndexMapTest {
    /** JUnit makes an instance per repetition: without a new seed each time every repetition is the same case. */
    private static final java.util.concurrent.atomic.AtomicInteger INSTANCES = new java.util.concurrent.atomic.AtomicInteger();
    private final Random rnd = new Random(17 + INSTANCES.getAndIncrement());

    @RepeatedTest(20)
    void permuteReadsThePermutedCoordinate() {
        int rank = 1 + rnd.nextInt(4);
        int[] shape = randomShape(rank, 4);
        int[] perm = shuffled(rank);
        int[] outShape = new int[rank];
        for (int d = 0; d < rank; d++) {
            outShape[d] = shape[perm[d]];
        }
        int[] expected = new int[Shapes.size(outShape)];
        int[] inStrides = Shapes.strides(shape);
        for (int i = 0; i < expected.length; i++) {
            int[] o = unravel(i, outShape);
            int off = 0;
            for (int d = 0; d < rank; d++) {
                off += o[d] * inStrides[perm[d]];
            }
            expected[i] = off;
        }
        check(expected, IndexMaps.permute(shape, perm), Shapes.size(shape));
    }

    @RepeatedTest(20)
    void sliceReadsStartPlusStep() {
        int rank = 1 + rnd.nextInt(4);
        int[] shape = randomShape(rank, 6);
        int[] start = new int[rank];
        int[] step = new int[rank];
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) {
            start[d] = rnd.nextInt(shape[d]);
            step[d] = 1 + rnd.nextInt(3);
            out[d] = (shape[d] - start[d] + step[d] - 1) / step[d];
        }
        int[] inStrides = Shapes.strides(shape);
        int[] expected = new int[Shapes.size(out)];
        for (int i = 0; i < expected.length; i++) {
            int[] o = unravel(i, out);
            int off = 0;
            for (int d = 0; d < rank; d++) {
                off += (start[d] + o[d] * step[d]) * inStrides[d];
            }
            expected[i] = off;
        }
        check(expected, IndexMaps.slice(shape, start, step, out), Shapes.size(shape));
    }

    @RepeatedTest(30)
    void unfoldReadsTheWindowOrNothingInThePadding() {
        int sd = 1 + rnd.nextInt(3);
        int[] in = new int[sd + 2];
        in[0] = 1 + rnd.nextInt(2);
        in[1] = 1 + rnd.nextInt(3);
        int[] kernel = new int[sd];
        int[] stride = new int[sd];
        int[] pad = new int[sd];
        int[] dil = new int[sd];
        int[] outSp = new int[sd];
        for (int d = 0; d < sd; d++) {
            kernel[d] = 1 + rnd.nextInt(3);
            stride[d] = 1 + rnd.nextInt(3);
            dil[d] = 1 + rnd.nextInt(2);
            pad[d] = rnd.nextInt(3);
            int span = dil[d] * (kernel[d] - 1) + 1;
            in[d + 2] = Math.max(1, span - 2 * pad[d]) + rnd.nextInt(6);
            outSp[d] = (in[d + 2] + 2 * pad[d] - span) / stride[d] + 1;
        }
        int kSize = Shapes.size(kernel);
        int lSize = Shapes.size(outSp);
        int[] inStrides = Shapes.strides(in);
        int[] expected = new int[in[0] * in[1] * kSize * lSize];
        for (int i = 0; i < expected.length; i++) {
            int[] c = unravel(i, new int[] {in[0], in[1], kSize, lSize});
            int[] k = unravel(c[2], kernel);
            int[] l = unravel(c[3], outSp);
            int off = c[0] * inStrides[0] + c[1] * inStrides[1];
            for (int d = 0; d < sd && off >= 0; d++) {
                int pos = l[d] * stride[d] - pad[d] + k[d] * dil[d];
                off = pos < 0 || pos >= in[d + 2] ? -1 : off + pos * inStrides[d + 2];
            }
            expected[i] = off;
        }
        check(expected, IndexMaps.unfold(in, kernel, stride, pad, dil, outSp), Shapes.size(in));
    }

    @RepeatedTest(10)
    void gatherAndIndexSelectReadTheirIndices() {
        int[] shape = randomShape(3, 5);
        int axis = rnd.nextInt(3);
        int[] index = new int[7];
        for (int i = 0; i < index.length; i++) {
            index[i] = rnd.nextInt(shape[axis]);
        }
        int[] outShape = shape.clone();
        outShape[axis] = index.length;
        int[] strides = Shapes.strides(shape);
        int[] expected = new int[Shapes.size(outShape)];
        for (int i = 0; i < expected.length; i++) {
            int[] o = unravel(i, outShape);
            o[axis] = index[o[axis]];
            expected[i] = o[0] * strides[0] + o[1] * strides[1] + o[2] * strides[2];
        }
        check(expected, IndexMaps.indexSelect(shape, axis, index), Shapes.size(shape));

        int[] gatherIdx = new int[Shapes.size(shape)];
        for (int i = 0; i < gatherIdx.length; i++) {
            gatherIdx[i] = rnd.nextInt(shape[axis]);
        }
        for (int i = 0; i < gatherIdx.length; i++) {
            int[] o = unravel(i, shape);
            o[axis] = gatherIdx[i];
            expected[i] = o[0] * strides[0] + o[1] * strides[1] + o[2] * strides[2];
        }
        check(java.util.Arrays.copyOf(expected, gatherIdx.length), IndexMaps.gather(shape, axis, gatherIdx, shape), Shapes.size(shape));
    }

    @Test
    void builderMergesContinuingRunsAndKeepsTheRest() {
        // 0..3 contiguous, then a strided single pair, then a repeat of the same element (step 0), then a gap
        IndexMap map = new IndexMap.Builder(12, 20)
                .run(0, 5, 2, 1).run(2, 7, 2, 1)
                .run(4, 10, 1, 1).run(5, 13, 1, 1).run(6, 16, 1, 1)
                .run(7, 2, 1, 1).run(8, 2, 1, 1)
                .run(10, 19, 2, -9)
                .build();
        int[] expected = {5, 6, 7, 8, 10, 13, 16, 2, 2, -1, 19, 10};
        check(expected, map, 20);
    }

    /** Runs long enough for the vector paths: a contiguous slice, and an unfold whose windows overlap. */
    @Test
    void longRunsCopyAndAddIntoOverlappingTargets() {
        int[] expected = new int[20];
        for (int i = 0; i < 20; i++) {
            expected[i] = 10 + i;
        }
        check(expected, IndexMaps.slice(new int[] {4, 10}, new int[] {1, 0}, new int[] {1, 1}, new int[] {2, 10}), 40);
        int[] windows = new int[3 * 18];
        for (int k = 0; k < 3; k++) {
            for (int l = 0; l < 18; l++) {
                windows[k * 18 + l] = l + k;
            }
        }
        check(windows, IndexMaps.unfold(new int[] {1, 1, 1, 20}, new int[] {1, 3}, new int[] {1, 1}, new int[] {0, 0},
                new int[] {1, 1}, new int[] {1, 18}), 20);
    }

    /** toArray, take, scatterAdd and batched, each against {@code expected} written out. */
    private void check(int[] expected, IndexMap map, int targetSize) {
        assertEquals(expected.length, map.size);
        assertEquals(targetSize, map.targetSize);
        assertArrayEquals(expected, map.toArray());
        double[] src = randomData(targetSize);
        double[] taken = map.take(src);
        double[] x = randomData(expected.length);
        double[] scattered = map.scatterAdd(x);
        double[] takeRef = new double[expected.length];
        double[] scatterRef = new double[targetSize];
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] >= 0) {
                takeRef[i] = src[expected[i]];
                scatterRef[expected[i]] += x[i];
            }
        }
        assertArrayEquals(takeRef, taken, 0.0);
        assertArrayEquals(scatterRef, scattered, 1e-12);
        // into a buffer that already holds values: added to them, not written over them
        double[] dst = randomData(targetSize);
        double[] dstRef = dst.clone();
        for (int i = 0; i < targetSize; i++) {
            dstRef[i] += scatterRef[i];
        }
        map.scatterAddInto(x, dst);
        assertArrayEquals(dstRef, dst, 1e-12);
        checkFloat32(expected, map, targetSize, src, takeRef);

        int n = 3;
        IndexMap batched = map.batched(n);
        assertEquals(n * expected.length, batched.size);
        assertEquals(n * targetSize, batched.targetSize);
        int[] all = batched.toArray();
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < expected.length; i++) {
                int want = expected[i] < 0 ? -1 : b * targetSize + expected[i];
                assertEquals(want, all[b * expected.length + i], "copy " + b + ", position " + i);
            }
        }
        double[] stacked = randomData(n * targetSize);
        double[] bt = batched.take(stacked);
        for (int b = 0; b < n; b++) {
            double[] one = java.util.Arrays.copyOfRange(stacked, b * targetSize, (b + 1) * targetSize);
            assertArrayEquals(map.take(one), java.util.Arrays.copyOfRange(bt, b * expected.length, (b + 1) * expected.length), 0.0);
        }
    }

    /**
     * The float32 forms against the same written-out map: take picks the floats as they are; scatter-add runs on whole
     * numbers, whose float32 sums are exact in any order, so the reference's sums are the expected bits. The forms
     * with offsets read (write) the same values shifted.
     */
    private void checkFloat32(int[] expected, IndexMap map, int targetSize, double[] src, double[] takeRef) {
        float[] src32 = new float[targetSize];
        for (int i = 0; i < targetSize; i++) {
            src32[i] = (float) src[i];
        }
        float[] takeRef32 = new float[expected.length];
        for (int i = 0; i < expected.length; i++) {
            takeRef32[i] = (float) takeRef[i];
        }
        assertArrayEquals(takeRef32, map.take32(src32), 0.0f);
        int off = 5;
        float[] shifted = new float[off + targetSize];
        System.arraycopy(src32, 0, shifted, off, targetSize);
        float[] into = new float[expected.length];
        map.takeInto32(shifted, off, into);
        assertArrayEquals(takeRef32, into, 0.0f, "takeInto32 from an offset");

        float[] x = new float[expected.length];
        float[] dst = new float[off + targetSize];
        float[] ref = new float[off + targetSize];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextInt(17) - 8;
        }
        for (int i = 0; i < dst.length; i++) {
            dst[i] = rnd.nextInt(17) - 8;
            ref[i] = dst[i];
        }
        float[] scatterRef = new float[targetSize];
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] >= 0) {
                scatterRef[expected[i]] += x[i];
                ref[off + expected[i]] += x[i];
            }
        }
        assertArrayEquals(scatterRef, map.scatterAdd32(x), 0.0f);
        map.scatterAddInto32(x, dst, off);
        assertArrayEquals(ref, dst, 0.0f, "scatterAddInto32 at an offset, added to what dst held");
    }

    private int[] randomShape(int rank, int max) {
        int[] s = new int[rank];
        for (int d = 0; d < rank; d++) {
            s[d] = 1 + rnd.nextInt(max);
        }
        return s;
    }

    private int[] shuffled(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private double[] randomData(int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = rnd.nextGaussian();
        }
        return d;
    }

    /** Row-major coordinates of a flat index (shared with the other kernel tests of this package). */
    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }
}
