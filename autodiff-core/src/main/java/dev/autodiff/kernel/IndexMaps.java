package dev.autodiff.kernel;

/**
 * Movement ops as flat index maps: {@code out[i] = map[i] < 0 ? 0 : in[map[i]]} ({@link #take}) and its
 * transpose {@code out[map[i]] += g[i]} ({@link #scatterAdd}). Permute, slice, index-select, gather and
 * unfold (im2col) differ only in the map they build here.
 */
public final class IndexMaps {
    private IndexMaps() {}

    public static double[] take(double[] in, int[] map) {
        double[] out = new double[map.length];
        for (int i = 0; i < map.length; i++) {
            int j = map[i];
            out[i] = j < 0 ? 0.0 : in[j];
        }
        return out;
    }

    public static double[] scatterAdd(double[] g, int[] map, int outSize) {
        double[] out = new double[outSize];
        scatterAddInto(g, map, out);
        return out;
    }

    /** {@code out[map[i]] += g[i]} where map[i] >= 0. */
    public static void scatterAddInto(double[] g, int[] map, double[] out) {
        for (int i = 0; i < map.length; i++) {
            int j = map[i];
            if (j >= 0) {
                out[j] += g[i];
            }
        }
    }

    /** Visits every multi-index of {@code shape} in row-major order, accumulating {@code offset += step[d]}. */
    private static int[] strided(int[] shape, int base, int[] step) {
        int n = Shapes.size(shape);
        int[] map = new int[n];
        if (n == 0) {
            return map;
        }
        int r = shape.length;
        int[] idx = new int[r];
        int off = base;
        for (int i = 0; i < n; i++) {
            map[i] = off;
            for (int d = r - 1; d >= 0; d--) {
                off += step[d];
                if (++idx[d] < shape[d]) {
                    break;
                }
                off -= step[d] * shape[d];
                idx[d] = 0;
            }
        }
        return map;
    }

    /** Output dimension d is input dimension perm[d]. */
    public static int[] permute(int[] inShape, int[] perm) {
        int[] inStrides = Shapes.strides(inShape);
        int[] outShape = new int[perm.length];
        int[] step = new int[perm.length];
        for (int d = 0; d < perm.length; d++) {
            outShape[d] = inShape[perm[d]];
            step[d] = inStrides[perm[d]];
        }
        return strided(outShape, 0, step);
    }

    /** Elements start[d] + i*step[d] for i < outShape[d]. */
    public static int[] slice(int[] inShape, int[] start, int[] step, int[] outShape) {
        int[] inStrides = Shapes.strides(inShape);
        int base = 0;
        int[] s = new int[inShape.length];
        for (int d = 0; d < inShape.length; d++) {
            base += start[d] * inStrides[d];
            s[d] = step[d] * inStrides[d];
        }
        return strided(outShape, base, s);
    }

    /** Along {@code axis}, output position i reads input position index[i]. */
    public static int[] indexSelect(int[] inShape, int axis, int[] index) {
        int outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= inShape[d];
        }
        int inner = 1;
        for (int d = axis + 1; d < inShape.length; d++) {
            inner *= inShape[d];
        }
        int n = inShape[axis];
        int[] map = new int[outer * index.length * inner];
        int o = 0;
        for (int a = 0; a < outer; a++) {
            for (int i : index) {
                int base = (a * n + i) * inner;
                for (int j = 0; j < inner; j++) {
                    map[o++] = base + j;
                }
            }
        }
        return map;
    }

    /** torch.gather: output position p reads the input at p with coordinate {@code axis} replaced by index[p]. */
    public static int[] gather(int[] inShape, int axis, int[] index, int[] indexShape) {
        int[] inStrides = Shapes.strides(inShape);
        int r = indexShape.length;
        int[] map = new int[index.length];
        int[] idx = new int[r];
        for (int p = 0; p < index.length; p++) {
            int off = 0;
            for (int d = 0; d < r; d++) {
                off += (d == axis ? index[p] : idx[d]) * inStrides[d];
            }
            map[p] = off;
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < indexShape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return map;
    }

    /**
     * im2col, as torch.nn.functional.unfold generalised to any number of spatial dimensions: input
     * {@code (N, C, s_1..s_d)}, output {@code (N, C * prod(kernel), prod(out_i))} with
     * {@code out_i = (s_i + 2 pad_i - dil_i (k_i - 1) - 1) / stride_i + 1}. Positions in the padding map to -1.
     */
    public static int[] unfold(int[] inShape, int[] kernel, int[] stride, int[] pad, int[] dil, int[] outSpatial) {
        int sd = kernel.length;
        int batch = inShape[0];
        int channels = inShape[1];
        int kSize = Shapes.size(kernel);
        int lSize = Shapes.size(outSpatial);
        int[] inSpatial = java.util.Arrays.copyOfRange(inShape, 2, inShape.length);
        int[] spStrides = Shapes.strides(inSpatial);
        int spSize = Shapes.size(inSpatial);
        // the pattern for one (image, channel) plane, then every plane is that pattern shifted by its base
        int[] pattern = new int[kSize * lSize];
        int[] kIdx = new int[sd];
        int[] lIdx = new int[sd];
        int o = 0;
        for (int kk = 0; kk < kSize; kk++) {
            unravel(kk, kernel, kIdx);
            for (int l = 0; l < lSize; l++) {
                unravel(l, outSpatial, lIdx);
                int off = 0;
                for (int d = 0; d < sd; d++) {
                    int pos = lIdx[d] * stride[d] - pad[d] + kIdx[d] * dil[d];
                    if (pos < 0 || pos >= inSpatial[d]) {
                        off = -1;
                        break;
                    }
                    off += pos * spStrides[d];
                }
                pattern[o++] = off;
            }
        }
        int[] map = new int[batch * channels * pattern.length];
        for (int plane = 0, m = 0; plane < batch * channels; plane++) {
            int base = plane * spSize;
            for (int p : pattern) {
                map[m++] = p < 0 ? -1 : base + p;
            }
        }
        return map;
    }

    private static void unravel(int flat, int[] shape, int[] idx) {
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
    }
}
