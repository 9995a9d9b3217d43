package dev.autodiff;

import dev.autodiff.kernel.Shapes;
import java.util.Arrays;

/**
 * Issue 16's selection ops (sort, argsort, topk, kthvalue, median), as PyTorch's. Each finds constant
 * indices on the plain values and reads the values through {@link Tensor#gather} (a take primitive), so the
 * values are differentiable in every mode and order (a selection is linear in x for fixed indices: its
 * gradient scatters g back to the chosen positions, its second derivative is 0) and the indices carry no
 * gradient.
 *
 * <p>Order: ascending with NaN above +Infinity, as torch.sort; -0.0 and 0.0 tie. Every op uses one stable
 * order: ties keep their input order, and descending order reverses the comparison (not the result), so tied
 * elements still appear first-in-input first, as torch.sort(stable=True, descending=True). PyTorch's topk,
 * kthvalue and median(dim) document no tie order (their CPU kernels use nth_element and partial_sort); here
 * they pick the element at that place of the stable order, so a tie is broken towards the first occurrence.
 *
 * <p>Inside vmap the indices are found on the physical values along the shifted axis, every example in one call
 * and each with its own stable order ({@link Batching#perExample}), and the values read through them by gather with
 * a batched index: the results, and their derivatives, are each example's alone bit for bit.
 */
final class Selection {
    private Selection() {}

    /** The length of axis dim (1 for a rank-0 tensor, whose one element axis 0 or -1 names, as PyTorch). */
    private static int length(String op, Tensor x, int dim) {
        if (x.rank() == 0) {
            Shapes.scalarAxis(op, dim);
            return 1;
        }
        return x.shape[Shapes.axis(op, dim, x.rank())];
    }

    /** The stable sorting permutation along axis a of the plain values, as whole numbers in x's shape. */
    static double[] order(Tensor x, int a, boolean descending) {
        double[] xv = x.values();
        int[] shape = x.shape;
        int n = shape[a];
        int inner = 1;
        for (int d = a + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        int outer = n == 0 || inner == 0 ? 0 : xv.length / (n * inner);
        double[] out = new double[xv.length];
        int[] idx = new int[n];
        int[] tmp = new int[n];
        long[] key = new long[n];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                for (int j = 0; j < n; j++) {
                    idx[j] = j;
                    long k = key(xv[base + j * inner]);
                    key[j] = descending ? -k : k;
                }
                mergeSort(idx, tmp, key, n);
                for (int j = 0; j < n; j++) {
                    out[base + j * inner] = idx[j];
                }
            }
        }
        return out;
    }

    /**
     * A long whose signed order is the ascending order (NaN largest, -0.0 tied with 0.0): the IEEE bits with the magnitude bits flipped for
     * negatives, -0.0 first made 0.0 and every NaN the one canonical NaN (above +Infinity). Its negation is the
     * descending order (no key is Long.MIN_VALUE).
     */
    private static long key(double v) {
        long bits = Double.doubleToLongBits(v == 0.0 ? 0.0 : v);
        return bits ^ ((bits >> 63) & Long.MAX_VALUE);
    }

    /** Stable bottom-up merge sort of idx[0, n) by key[idx], insertion sort on runs of 16 first. */
    private static void mergeSort(int[] idx, int[] tmp, long[] key, int n) {
        final int run = 16;
        for (int lo = 0; lo < n; lo += run) {
            int hi = Math.min(lo + run, n);
            for (int j = lo + 1; j < hi; j++) {
                int t = idx[j];
                int p = j - 1;
                while (p >= lo && key[idx[p]] > key[t]) {
                    idx[p + 1] = idx[p];
                    p--;
                }
                idx[p + 1] = t;
            }
        }
        int[] src = idx;
        int[] dst = tmp;
        for (int width = run; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int a = lo;
                int b = mid;
                for (int d = lo; d < hi; d++) {
                    // ties take the left run first: stable
                    dst[d] = b >= hi || (a < mid && key[src[a]] <= key[src[b]]) ? src[a++] : src[b++];
                }
            }
            int[] t = src;
            src = dst;
            dst = t;
        }
        if (src != idx) {
            System.arraycopy(src, 0, idx, 0, n);
        }
    }

    /**
     * The stable sorting permutation along axis a as a constant tensor of x's shape. Inside vmap it is computed on the
     * physical values along the shifted axis, every example in one call and each with its own order, so the indices
     * (and the values gathered through them) are bit for bit those of the example alone.
     */
    private static Tensor orderTensor(Tensor x, int a, boolean descending) {
        return Batching.perExample(x, (p, lead) -> new Tensor[] {new Tensor(order(p, a + lead, descending), p.shape.clone())})[0];
    }

    static Tensor.ValuesIndices sort(String op, Tensor x, int dim, boolean descending) {
        if (x.rank() == 0) {
            Shapes.scalarAxis(op, dim);
            return new Tensor.ValuesIndices(x.mul(1.0), Tensor.scalar(0.0));
        }
        int a = Shapes.axis(op, dim, x.rank());
        Tensor indices = orderTensor(x, a, descending);
        return new Tensor.ValuesIndices(x.gather(a, indices), indices);
    }

    static Tensor.ValuesIndices topk(Tensor x, int k, int dim, boolean largest) {
        int n = length("topk", x, dim);
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("topk: k = " + k + " is out of range for axis " + dim + " of shape "
                    + Shapes.str(x.shape) + " (expected 0 <= k <= " + n + ")");
        }
        if (x.rank() == 0) {
            return sort("topk", x, dim, largest);
        }
        int a = Shapes.axis("topk", dim, x.rank());
        Tensor indices = orderTensor(x, a, largest).slice(a, 0, k);
        return new Tensor.ValuesIndices(x.gather(a, indices), indices);
    }

    /** The element at place {@code place(lane)} of the ascending stable order of each lane along dim. */
    private static Tensor.ValuesIndices pick(String op, Tensor x, int dim, boolean keepDims, java.util.function.IntUnaryOperator nanPlace,
            int place) {
        if (x.rank() == 0) {
            Shapes.scalarAxis(op, dim);
            return new Tensor.ValuesIndices(x.mul(1.0), Tensor.scalar(0.0));
        }
        int a = Shapes.axis(op, dim, x.rank());
        if (x.shape[a] == 0) {
            throw new IllegalArgumentException(op + ": axis " + a + " of shape " + Shapes.str(x.shape)
                    + " is empty, so it has no " + (op.equals("median") ? "median" : "k-th value"));
        }
        Tensor indices = Batching.perExample(x, (p, lead) -> new Tensor[] {picked(p, a + lead, nanPlace, place)})[0];
        Tensor values = x.gather(a, indices);
        return keepDims ? new Tensor.ValuesIndices(values, indices)
                : new Tensor.ValuesIndices(values.squeeze(a), indices.squeeze(a));
    }

    /** The index of each lane's chosen place along axis a of plain x, in the kept-dims shape. */
    private static Tensor picked(Tensor x, int a, java.util.function.IntUnaryOperator nanPlace, int place) {
        int n = x.shape[a];
        double[] ord = order(x, a, false);
        double[] xv = x.values();
        int inner = 1;
        for (int d = a + 1; d < x.rank(); d++) {
            inner *= x.shape[d];
        }
        int[] kept = x.shape.clone();
        kept[a] = 1;
        double[] chosen = new double[Shapes.size(kept)];
        for (int o = 0; o < chosen.length; o++) {
            int base = (o / inner) * n * inner + o % inner;
            int nans = 0;
            for (int j = 0; j < n; j++) {
                nans += Double.isNaN(xv[base + j * inner]) ? 1 : 0;
            }
            int p = nans > 0 ? nanPlace.applyAsInt(nans) : place;
            chosen[o] = ord[base + p * inner];
        }
        return new Tensor(chosen, kept);
    }

    static Tensor.ValuesIndices kthvalue(Tensor x, int k, int dim, boolean keepDims) {
        int n = length("kthvalue", x, dim);
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("kthvalue: k = " + k + " is out of range for axis " + dim + " of shape "
                    + Shapes.str(x.shape) + " (expected 1 <= k <= " + n + ")");
        }
        // NaN is the largest value here, as in torch.kthvalue
        return pick("kthvalue", x, dim, keepDims, nans -> k - 1, k - 1);
    }

    static Tensor.ValuesIndices median(Tensor x, int dim, boolean keepDims) {
        int n = length("median", x, dim);
        // the lower middle (n - 1) / 2 of the ascending order; a lane with NaN has median NaN, at its first NaN
        // (NaNs sort last in input order, so that is place n - nans), as torch.median
        return pick("median", x, dim, keepDims, nans -> n - nans, (n - 1) / 2);
    }

    /**
     * torch.median() of all elements: the lower middle value m (NaN when any element is NaN or there is none). Its
     * gradient is split evenly among the tie set T of elements equal to m (or the NaNs), as PyTorch's
     * evenly_distribute_backward, and its tangent is their tangents' mean: y = s - sum(s - where(T, x, s)) / |T|.
     * With s = m when m is finite every term is exactly +0 (x_T = m, and m - m = +0 even at m = -0), so y is m bit
     * for bit, its sign at -0 kept; with s = 0 otherwise y = sum(x_T) / |T|, exactly the infinite m (or NaN). The
     * tie set T is a constant mask over all elements, so inside vmap each example has its own, found in one call.
     */
    static Tensor median(Tensor x) {
        int n = x.size();
        if (n == 0) {
            return Tensor.like(Tensor.scalar(Double.NaN), x.dtype());
        }
        Tensor flat = x.reshape(n);
        Tensor[] c = Batching.perExample(flat, (p, lead) -> ties(p));
        Tensor mask = c[0];
        Tensor shift = c[1];
        Tensor count = c[2];
        // off the tie set the term is s - s = +0 and the gradient where's +0
        return shift.sub(shift.sub(Tensor.where(mask, flat, shift)).sum().div(count));
    }

    /**
     * For each lane along the last axis of plain x: the tie set of its lower median as a 0/1 mask of x's shape, and
     * in the shape without that axis the shift s (the median if finite, else 0) and the tie count.
     */
    private static Tensor[] ties(Tensor x) {
        int a = x.rank() - 1;
        int n = x.shape[a];
        double[] ord = order(x, a, false);
        double[] xv = x.values();
        int lanes = xv.length / n;
        double[] mask = new double[xv.length];
        double[] shift = new double[lanes];
        double[] count = new double[lanes];
        for (int l = 0; l < lanes; l++) {
            int base = l * n;
            int nans = 0;
            for (int j = 0; j < n; j++) {
                nans += Double.isNaN(xv[base + j]) ? 1 : 0;
            }
            double m = xv[base + (int) ord[base + (nans > 0 ? n - nans : (n - 1) / 2)]];
            for (int j = 0; j < n; j++) {
                double v = xv[base + j];
                if (Double.isNaN(m) ? Double.isNaN(v) : v == m) {
                    mask[base + j] = 1.0;
                    count[l]++;
                }
            }
            shift[l] = Double.isFinite(m) ? m : 0.0;
        }
        int[] lead = Arrays.copyOf(x.shape, a);
        // in x's dtype (the shift is one of x's elements, the count an integer): a 0-d float64 shift or count would
        // promote the 0-d median of a float32 x to float64
        return new Tensor[] {new Tensor(mask, x.shape.clone()), Tensor.like(new Tensor(shift, lead), x.dtype()),
                Tensor.like(new Tensor(count, lead.clone()), x.dtype())};
    }
}
