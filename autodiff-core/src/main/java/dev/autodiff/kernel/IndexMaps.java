package dev.autodiff.kernel;

/**
 * Movement ops as flat index maps: {@code out[i] = map[i] < 0 ? 0 : in[map[i]]} ({@link #take}) and its
 * transpose {@code out[map[i]] += g[i]} ({@link #scatterAdd}). Permute, slice, index-select, gather and
 * unfold (im2col) differ only in the map they build here.
 */
public final class IndexMaps {
    private IndexMaps() {}

    /**
     * Row-major over {@code shape}, dense position i maps to {@code base + sum_d idx_d * step[d]}: one run
     * per row along the last axis (merged where rows continue each other).
     */
    private static IndexMap strided(int[] shape, int base, int[] step, int targetSize) {
        int n = Shapes.size(shape);
        IndexMap.Builder runs = new IndexMap.Builder(n, targetSize);
        if (n == 0) {
            return runs.build();
        }
        int r = shape.length;
        if (r == 0) {
            return runs.run(0, base, 1, 1).build();
        }
        int row = shape[r - 1];
        int rowStep = step[r - 1];
        int[] idx = new int[r - 1];
        int off = base;
        for (int i = 0; i < n; i += row) {
            runs.run(i, off, row, rowStep);
            for (int d = r - 2; d >= 0; d--) {
                off += step[d];
                if (++idx[d] < shape[d]) {
                    break;
                }
                off -= step[d] * shape[d];
                idx[d] = 0;
            }
        }
        return runs.build();
    }

    /** Output dimension d is input dimension perm[d]. */
    public static IndexMap permute(int[] inShape, int[] perm) {
        int[] inStrides = Shapes.strides(inShape);
        int[] outShape = new int[perm.length];
        int[] step = new int[perm.length];
        for (int d = 0; d < perm.length; d++) {
            outShape[d] = inShape[perm[d]];
            step[d] = inStrides[perm[d]];
        }
        return strided(outShape, 0, step, Shapes.size(inShape));
    }

    /** Elements start[d] + i*step[d] for i < outShape[d]. */
    public static IndexMap slice(int[] inShape, int[] start, int[] step, int[] outShape) {
        int[] inStrides = Shapes.strides(inShape);
        int base = 0;
        int[] s = new int[inShape.length];
        for (int d = 0; d < inShape.length; d++) {
            base += start[d] * inStrides[d];
            s[d] = step[d] * inStrides[d];
        }
        return strided(outShape, base, s, Shapes.size(inShape));
    }

    /** Along {@code axis}, output position i reads input position index[i]. */
    public static IndexMap indexSelect(int[] inShape, int axis, int[] index) {
        int outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= inShape[d];
        }
        int inner = 1;
        for (int d = axis + 1; d < inShape.length; d++) {
            inner *= inShape[d];
        }
        int n = inShape[axis];
        if (inner == 1) {
            int[] at = new int[outer * index.length];
            for (int a = 0, o = 0; a < outer; a++) {
                for (int i : index) {
                    at[o++] = a * n + i;
                }
            }
            return IndexMap.of(at, Shapes.size(inShape));
        }
        IndexMap.Builder runs = new IndexMap.Builder(outer * index.length * inner, Shapes.size(inShape));
        int o = 0;
        for (int a = 0; a < outer; a++) {
            for (int i : index) {
                runs.run(o, (a * n + i) * inner, inner, 1);
                o += inner;
            }
        }
        return runs.build();
    }

    /** torch.gather: output position p reads the input at p with coordinate {@code axis} replaced by index[p]. */
    public static IndexMap gather(int[] inShape, int axis, int[] index, int[] indexShape) {
        int[] inStrides = Shapes.strides(inShape);
        int r = indexShape.length;
        int[] at = new int[index.length];
        int[] idx = new int[r];
        for (int p = 0; p < index.length; p++) {
            int off = 0;
            for (int d = 0; d < r; d++) {
                off += (d == axis ? index[p] : idx[d]) * inStrides[d];
            }
            at[p] = off;
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < indexShape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return IndexMap.of(at, Shapes.size(inShape));
    }

    /**
     * im2col, as torch.nn.functional.unfold generalised to any number of spatial dimensions: input
     * {@code (N, C, s_1..s_d)}, output {@code (N, C * prod(kernel), prod(out_i))} with
     * {@code out_i = (s_i + 2 pad_i - dil_i (k_i - 1) - 1) / stride_i + 1}. Positions in the padding map nowhere.
     * Built as the runs of one (image, channel) plane, repeated for every plane: for each kernel offset and
     * each row of the output grid, the output positions whose input lies inside the image along the last
     * axis form one run with step {@code stride_d}.
     */
    public static IndexMap unfold(int[] inShape, int[] kernel, int[] stride, int[] pad, int[] dil, int[] outSpatial) {
        int sd = kernel.length;
        int planes = inShape[0] * inShape[1];
        int kSize = Shapes.size(kernel);
        int lSize = Shapes.size(outSpatial);
        int[] inSpatial = java.util.Arrays.copyOfRange(inShape, 2, inShape.length);
        int[] spStrides = Shapes.strides(inSpatial);
        int spSize = Shapes.size(inSpatial);
        int last = sd - 1;
        int outLast = outSpatial[last];
        IndexMap.Builder plane = new IndexMap.Builder(kSize * lSize, spSize);
        if (kSize * lSize == 0) {
            return plane.repeated(planes);
        }
        int[] kIdx = new int[sd];
        int[] lIdx = new int[sd];
        for (int kk = 0; kk < kSize; kk++) {
            unravel(kk, kernel, kIdx);
            // output positions o along the last axis read input o * stride - pad + k * dil, inside [0, s)
            int shift = kIdx[last] * dil[last] - pad[last];
            int lo = Math.max(0, ceilDiv(-shift, stride[last]));
            int hi = Math.min(outLast - 1, Math.floorDiv(inSpatial[last] - 1 - shift, stride[last]));
            for (int row = 0; row < lSize / outLast; row++) {
                unravel(row * outLast, outSpatial, lIdx);
                int off = 0;
                for (int d = 0; d < last && off >= 0; d++) {
                    int pos = lIdx[d] * stride[d] - pad[d] + kIdx[d] * dil[d];
                    off = pos < 0 || pos >= inSpatial[d] ? -1 : off + pos * spStrides[d];
                }
                if (off >= 0 && lo <= hi) {
                    plane.run(kk * lSize + row * outLast + lo, off + lo * stride[last] + shift, hi - lo + 1, stride[last]);
                }
            }
        }
        return plane.repeated(planes);
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    private static void unravel(int flat, int[] shape, int[] idx) {
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
    }
}
