package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.Arrays;

/**
 * Merges the axes startDim..endDim (both included; negative counts from the end) into one, as PyTorch's
 * nn.Flatten, whose default 1..-1 keeps the batch axis and flattens the rest: (N, C, H, W) to (N, C H W).
 * As torch.flatten: a 0-d input counts as having one axis and becomes shape (1); start = end leaves the input as
 * it is; an axis of size 0 gives a merged axis of size 0. It is a reshape, so gradients flow back unchanged.
 */
public final class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    /** Flatten(1, -1), PyTorch's default. */
    public Flatten() {
        this(1, -1);
    }

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        int[] s = x.shape();
        int r = Math.max(s.length, 1); // a 0-d tensor has the axes 0 and -1, as in PyTorch
        int start = axis("startDim", startDim, r, s);
        int end = axis("endDim", endDim, r, s);
        if (start > end) {
            throw new IllegalArgumentException(describe() + ": startDim " + startDim + " comes after endDim " + endDim
                    + " for an input of shape " + Arrays.toString(s));
        }
        if (s.length == 0) {
            return x.reshape(1);
        }
        if (start == end) {
            return x;
        }
        int[] out = new int[s.length - (end - start)];
        System.arraycopy(s, 0, out, 0, start);
        long merged = 1;
        for (int i = start; i <= end; i++) { // saturating: a later 0 axis makes any partial product 0
            merged = Math.min(merged * s[i], (long) Integer.MAX_VALUE + 1);
        }
        if (merged > Integer.MAX_VALUE) { // possible only when an axis outside the range is 0
            throw new IllegalArgumentException(describe() + ": the merged axis of shape " + Arrays.toString(s)
                    + " would have more than 2^31 - 1 entries");
        }
        out[start] = (int) merged;
        System.arraycopy(s, end + 1, out, start + 1, s.length - end - 1);
        return x.reshape(out);
    }

    private int axis(String what, int dim, int r, int[] shape) {
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException(describe() + ": " + what + " " + dim + " is out of range for an input of shape "
                    + Arrays.toString(shape) + " (expected " + -r + " <= dim <= " + (r - 1) + ")");
        }
        return dim < 0 ? dim + r : dim;
    }

    @Override
    public String describe() {
        return "Flatten(" + startDim + ", " + endDim + ")";
    }
}
