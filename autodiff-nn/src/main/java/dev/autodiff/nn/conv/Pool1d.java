package dev.autodiff.nn.conv;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * 1-D max or average pooling over (N, C, L) or unbatched (C, L), as torch.nn.MaxPool1d / AvgPool1d
 * (ceil_mode off, no dilation): output length floor((L + 2 padding - kernel) / stride) + 1. Max pooling pads
 * with -infinity and sends each window's gradient to its first maximum, picked with {@code indexSelect} (as
 * {@link Pool2d}); average pooling pads with zeros and, with {@code countIncludePad} (PyTorch's default),
 * divides by the kernel, otherwise by the number of input elements in the window.
 */
public class Pool1d extends Module {
    private final boolean max;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final boolean countIncludePad;

    Pool1d(boolean max, int kernel, int stride, int padding, boolean countIncludePad) {
        String who = max ? "MaxPool1d" : "AvgPool1d";
        // padding beyond half the kernel would make windows of padding only, which PyTorch refuses too
        if (kernel < 1 || stride < 1 || padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException(who + ": need kernel, stride >= 1 and 0 <= padding <= kernel / 2, got kernel "
                    + kernel + ", stride " + stride + ", padding " + padding);
        }
        this.max = max;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.countIncludePad = countIncludePad;
    }

    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (x.rank() == 2) {
            return forward(x.unsqueeze(0)).squeeze(0); // unbatched (C, L), as PyTorch
        }
        if (x.rank() != 3) {
            throw new IllegalArgumentException(describe() + ": input must be (N, C, L) or (C, L), got " + Arrays.toString(x.shape()));
        }
        int n = x.dim(0);
        int c = x.dim(1);
        int len = x.dim(2);
        if (len == 0 || (long) len + 2L * padding < kernel) {
            throw new IllegalArgumentException(describe() + ": the input's length " + len + " padded by " + padding
                    + " is empty or shorter than the kernel " + kernel + " (input shape " + Arrays.toString(x.shape()) + ")");
        }
        int out = (int) (((long) len + 2L * padding - kernel) / stride + 1);
        if ((double) n * c * kernel * out > Integer.MAX_VALUE || (double) n * c * ((double) len + 2 * padding) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(describe() + ": the input " + Arrays.toString(x.shape())
                    + " would unfold to more than 2^31 - 1 elements");
        }
        int[] k = {kernel};
        int[] s = {stride};
        Tensor rows = x.reshape(n * c, 1, len);
        if (!max) {
            Tensor sums = rows.unfold(k, s, new int[] {padding}, new int[] {1}).sum(1); // (NC, out)
            return sums.div(divisors(len, out).to(x.dtype())).reshape(n, c, out); // whole numbers, exact in either dtype
        }
        double[] best;
        try (GradScope scope = Autodiff.noGrad()) {
            Tensor padded = padding == 0 ? rows : rows.pad(new int[] {0, 0, padding}, new int[] {0, 0, padding}, Double.NEGATIVE_INFINITY);
            best = padded.unfold(k, s, new int[] {0}, new int[] {1}).argmax(1).toArray(); // (NC, out)
        }
        int[] at = new int[best.length];
        for (int row = 0, i = 0; row < n * c; row++) {
            for (int o = 0; o < out; o++, i++) {
                int start = o * stride - padding;
                int j = start + (int) best[i];
                if (j < 0 || j >= len) {
                    j = Math.max(start, 0); // a window of -infinity only: its first element inside the input, as PyTorch
                }
                at[i] = row * len + j;
            }
        }
        return x.reshape(-1).indexSelect(0, at).reshape(n, c, out);
    }

    /** Each window's divisor: the kernel, or, without countIncludePad, how many input elements it covers. */
    private Tensor divisors(int len, int out) {
        double[] d = new double[out];
        for (int o = 0; o < out; o++) {
            int start = o * stride - padding;
            d[o] = countIncludePad ? kernel : Math.min(start + kernel, len) - Math.max(start, 0);
        }
        return Tensor.fromArray(d, out);
    }

    @Override
    public String describe() {
        return (max ? "MaxPool1d(" : "AvgPool1d(") + kernel + ", stride " + stride + ", padding " + padding
                + (max || countIncludePad ? "" : ", countIncludePad false") + ")";
    }
}
