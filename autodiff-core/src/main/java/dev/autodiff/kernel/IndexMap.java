package dev.autodiff.kernel;

import java.util.Arrays;

/**
 * The map of a movement op between a dense side of {@link #size} elements and positions in a flat array
 * of {@link #targetSize} elements: {@link #take} gathers {@code out[i] = src[at(i)]} (0 where position i
 * maps nowhere, as padding), {@link #scatterAddInto} is its transpose {@code dst[at(i)] += x[i]}.
 *
 * <p>Stored as runs, not one int per element: dense positions {@code [dense_r, dense_r + len_r)} map to
 * {@code target_r + j * step_r}. The run list is the pattern of one block and repeats {@code blocks}
 * times side by side, copy b shifted by b blocks on both sides (one block per image plane for unfold, per
 * tangent for a batched jvp). A permute, slice or pad is one run per row along the last axis, a contiguous
 * slice one run in all, so gathers become {@code arraycopy}s. A map whose runs are mostly single elements
 * (an arbitrary gather) is kept as one target index per dense position instead, which is cheaper to walk.
 */
public final class IndexMap {
    /** Dense-side length. */
    public final int size;
    /** Length of the array the map points into. */
    public final int targetSize;
    private final int[] dense;
    private final int[] target;
    private final int[] len;
    private final int[] step;
    /** When not null, the map of one block element by element (-1: nowhere), and the runs are unused. */
    private final int[] at;
    private final int blocks;
    private final int denseBlock;
    private final int targetBlock;

    private IndexMap(int size, int targetSize, int[] dense, int[] target, int[] len, int[] step, int[] at, int blocks,
                     int denseBlock, int targetBlock) {
        this.size = size;
        this.targetSize = targetSize;
        this.dense = dense;
        this.target = target;
        this.len = len;
        this.step = step;
        this.at = at;
        this.blocks = blocks;
        this.denseBlock = denseBlock;
        this.targetBlock = targetBlock;
    }

    /** A map given element by element: dense position i maps to {@code at[i]}, or nowhere where it is -1. */
    public static IndexMap of(int[] at, int targetSize) {
        return new IndexMap(at.length, targetSize, null, null, null, null, at, 1, at.length, targetSize);
    }

    /** {@code out[i] = src[at(i)]}, 0 where i maps nowhere. */
    public double[] take(double[] src) {
        double[] out = Buffers.zeros(size);
        takeInto(src, 0, out);
        return out;
    }

    /**
     * {@link #take} from {@code src} read as starting at {@code srcOff} into {@code out[0, size)}. Positions that map
     * nowhere are left alone by a map of runs (written 0 by an element-wise one), and they are the same positions
     * on every call, so an out zeroed once serves any number of calls (one image of a batch after another).
     */
    public void takeInto(double[] src, int srcOff, double[] out) {
        for (int b = 0; b < blocks; b++) {
            int db = b * denseBlock;
            int tb = srcOff + b * targetBlock;
            if (at != null) {
                for (int i = 0; i < at.length; i++) {
                    int j = at[i];
                    out[db + i] = j < 0 ? 0.0 : src[tb + j];
                }
                continue;
            }
            for (int r = 0; r < dense.length; r++) {
                int d = db + dense[r];
                int t = tb + target[r];
                int n = len[r];
                int s = step[r];
                if (s == 1 && n >= 8) {
                    System.arraycopy(src, t, out, d, n);
                } else if (s == 1) {
                    for (int j = 0; j < n; j++) {
                        out[d + j] = src[t + j];
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        out[d + j] = src[t + j * s];
                    }
                }
            }
        }
    }

    /**
     * {@link #take} of a float32 array: a float32 tensor's elements picked as they are (a batch of rows of a data set
     * is not widened whole).
     */
    public float[] take32(float[] src) {
        float[] out = Buffers.zeros32(size);
        takeInto32(src, 0, out);
        return out;
    }

    /**
     * {@link #takeInto} on float arrays (one image of a float32 batch unfolded for a convolution), the same positions
     * left alone. The loop of {@link #takeInto} on float arrays, a copy on purpose: a walk shared through a callback
     * would cost the float64 form a call per element of an element-wise map.
     */
    public void takeInto32(float[] src, int srcOff, float[] out) {
        for (int b = 0; b < blocks; b++) {
            int db = b * denseBlock;
            int tb = srcOff + b * targetBlock;
            if (at != null) {
                for (int i = 0; i < at.length; i++) {
                    int j = at[i];
                    out[db + i] = j < 0 ? 0.0f : src[tb + j];
                }
                continue;
            }
            for (int r = 0; r < dense.length; r++) {
                int d = db + dense[r];
                int t = tb + target[r];
                int n = len[r];
                int s = step[r];
                if (s == 1 && n >= 8) {
                    System.arraycopy(src, t, out, d, n);
                } else {
                    for (int j = 0; j < n; j++) {
                        out[d + j] = src[t + j * s];
                    }
                }
            }
        }
    }

    /** A new array of {@link #targetSize} holding {@code dst[at(i)] += x[i]}. */
    public double[] scatterAdd(double[] x) {
        double[] out = Buffers.zeros(targetSize);
        scatterAddInto(x, out);
        return out;
    }

    /** {@code dst[at(i)] += x[i]} for every mapped i, in increasing i. */
    public void scatterAddInto(double[] x, double[] dst) {
        scatterAddInto(x, dst, 0);
    }

    /** {@link #scatterAddInto(double[], double[])} into dst read as starting at {@code dstOff}, in the same order. */
    public void scatterAddInto(double[] x, double[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int db = b * denseBlock;
            int tb = dstOff + b * targetBlock;
            if (at != null) {
                for (int i = 0; i < at.length; i++) {
                    int j = at[i];
                    if (j >= 0) {
                        dst[tb + j] += x[db + i];
                    }
                }
                continue;
            }
            for (int r = 0; r < dense.length; r++) {
                int d = db + dense[r];
                int t = tb + target[r];
                int n = len[r];
                int s = step[r];
                if (s == 1 && n >= 8 && VectorSupport.MATH != null) {
                    VectorSupport.MATH.addInto(x, d, dst, t, n);
                } else if (s == 1) {
                    for (int j = 0; j < n; j++) {
                        dst[t + j] += x[d + j];
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        dst[t + j * s] += x[d + j];
                    }
                }
            }
        }
    }

    /**
     * {@link #scatterAdd} of a float32 array, summed in float32 in the same order (as PyTorch's float32 index_add and
     * scatter_add sum): a target hit once holds its element exactly.
     */
    public float[] scatterAdd32(float[] x) {
        float[] out = Buffers.zeros32(targetSize);
        scatterAddInto32(x, out);
        return out;
    }

    /** {@link #scatterAddInto(double[], double[])} on float32 arrays: the same walk, float sums. */
    public void scatterAddInto32(float[] x, float[] dst) {
        scatterAddInto32(x, dst, 0);
    }

    /** {@link #scatterAddInto(double[], double[], int)} on float32 arrays (an image's fold into a batch's gradient). */
    public void scatterAddInto32(float[] x, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int db = b * denseBlock;
            int tb = dstOff + b * targetBlock;
            if (at != null) {
                for (int i = 0; i < at.length; i++) {
                    int j = at[i];
                    if (j >= 0) {
                        dst[tb + j] += x[db + i];
                    }
                }
                continue;
            }
            for (int r = 0; r < dense.length; r++) {
                int d = db + dense[r];
                int t = tb + target[r];
                int n = len[r];
                int s = step[r];
                if (s == 1) {
                    for (int j = 0; j < n; j++) {
                        dst[t + j] += x[d + j]; // contiguous: a loop C2 vectorizes
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        dst[t + j * s] += x[d + j];
                    }
                }
            }
        }
    }

    /**
     * The same map applied to each of {@code n} stacked copies (a forward-mode tangent batch): dense side
     * {@code n * size}, target side {@code n * targetSize}.
     */
    public IndexMap batched(int n) {
        return new IndexMap(n * size, n * targetSize, dense, target, len, step, at, n * blocks, denseBlock, targetBlock);
    }

    /** One int per dense position: the target index, or -1 where it maps nowhere. */
    public int[] toArray() {
        int[] map = new int[size];
        Arrays.fill(map, -1);
        for (int b = 0; b < blocks; b++) {
            if (at != null) {
                for (int i = 0; i < at.length; i++) {
                    map[b * denseBlock + i] = at[i] < 0 ? -1 : b * targetBlock + at[i];
                }
                continue;
            }
            for (int r = 0; r < dense.length; r++) {
                for (int j = 0; j < len[r]; j++) {
                    map[b * denseBlock + dense[r] + j] = b * targetBlock + target[r] + j * step[r];
                }
            }
        }
        return map;
    }

    /**
     * Collects runs in increasing dense order, merging a run into the previous one when it continues it
     * (adjacent on the dense side, same step on the target side).
     */
    public static final class Builder {
        private final int size;
        private final int targetSize;
        private int[] dense = new int[16];
        private int[] target = new int[16];
        private int[] len = new int[16];
        private int[] step = new int[16];
        private int count;

        public Builder(int size, int targetSize) {
            this.size = size;
            this.targetSize = targetSize;
        }

        /** Dense positions {@code d .. d + n - 1} map to {@code t, t + s, ..., t + (n - 1) s}. */
        public Builder run(int d, int t, int n, int s) {
            if (n <= 0) {
                return this;
            }
            if (n == 1) {
                s = 1; // a single element has no step; 1 lets it merge with a contiguous neighbour
            }
            if (count > 0) {
                int p = count - 1;
                boolean adjacent = dense[p] + len[p] == d;
                if (adjacent && len[p] == 1 && n == 1) {
                    // two single elements form a run with whatever step separates them
                    step[p] = t - target[p];
                    len[p] = 2;
                    return this;
                }
                if (adjacent && target[p] + len[p] * step[p] == t && (step[p] == s || n == 1)) {
                    len[p] += n;
                    return this;
                }
            }
            if (count == dense.length) {
                int grown = count * 2;
                dense = Arrays.copyOf(dense, grown);
                target = Arrays.copyOf(target, grown);
                len = Arrays.copyOf(len, grown);
                step = Arrays.copyOf(step, grown);
            }
            dense[count] = d;
            target[count] = t;
            len[count] = n;
            step[count] = s;
            count++;
            return this;
        }

        public IndexMap build() {
            return repeated(1);
        }

        /**
         * These runs as the pattern of one block of the builder's sizes, repeated {@code blocks} times side
         * by side on both sides (unfold: one block per image plane).
         */
        public IndexMap repeated(int blocks) {
            if (2 * count > size) {
                // mostly single elements: one index per position is cheaper to walk than runs
                int[] at = new int[size];
                Arrays.fill(at, -1);
                for (int r = 0; r < count; r++) {
                    for (int j = 0; j < len[r]; j++) {
                        at[dense[r] + j] = target[r] + j * step[r];
                    }
                }
                return new IndexMap(blocks * size, blocks * targetSize, null, null, null, null, at, blocks, size, targetSize);
            }
            return new IndexMap(blocks * size, blocks * targetSize, Arrays.copyOf(dense, count), Arrays.copyOf(target, count),
                    Arrays.copyOf(len, count), Arrays.copyOf(step, count), null, blocks, size, targetSize);
        }
    }
}
