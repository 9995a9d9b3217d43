package dev.autodiff.nn.conv;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;

/**
 * 2-D max or average pooling over (N, C, H, W) or unbatched (C, H, W), by unfolding each channel's
 * windows. Average pooling pads with zeros counted in the average, as PyTorch's default. Max pooling finds each window's first maximum
 * (a NaN counts as the maximum) in one scan over the input's values and then picks those elements with {@code indexSelect}, so, as in
 * PyTorch's max_pool2d, the whole gradient of a window goes to that one element, and the backward pass is
 * a scatter of the output's gradient rather than a pass over every window.
 */
public class Pool2d extends Module {
    private final boolean max;
    private final int kernel;
    private final int stride;
    private final int padding;

    Pool2d(boolean max, int kernel, int stride, int padding) {
        if (kernel < 1 || stride < 1 || padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException((max ? "MaxPool2d" : "AvgPool2d") + ": need kernel, stride >= 1 and "
                    + "0 <= padding <= kernel / 2, got kernel " + kernel + ", stride " + stride + ", padding " + padding);
        }
        this.max = max;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    public static Pool2d max(int kernel, int stride, int padding) {
        return new Pool2d(true, kernel, stride, padding);
    }

    public static Pool2d avg(int kernel, int stride, int padding) {
        return new Pool2d(false, kernel, stride, padding);
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (x.rank() == 3) {
            return forward(x.unsqueeze(0)).squeeze(0); // unbatched (C, H, W), as PyTorch
        }
        if (x.rank() != 4) {
            throw new IllegalArgumentException(describe() + ": input must be (N, C, H, W) or (C, H, W), got "
                    + java.util.Arrays.toString(x.shape()));
        }
        if (x.dim(2) == 0 || x.dim(3) == 0 || (long) x.dim(2) + 2L * padding < kernel || (long) x.dim(3) + 2L * padding < kernel) {
            throw new IllegalArgumentException(describe() + ": the input's spatial size [" + x.dim(2) + ", " + x.dim(3)
                    + "] padded by " + padding + " is empty or smaller than the kernel " + kernel + " (input shape "
                    + java.util.Arrays.toString(x.shape()) + ")");
        }
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int oh = (int) (((long) h + 2L * padding - kernel) / stride + 1);
        int ow = (int) (((long) w + 2L * padding - kernel) / stride + 1);
        // average pooling's padded planes and windows unfolded to (N C, k k, oh ow) must be arrays Java can hold (max
        // pooling lists one element per window)
        double planesSize = (double) n * c;
        if (!max && (planesSize * kernel * kernel * oh * ow > Integer.MAX_VALUE
                || planesSize * ((double) h + 2 * padding) * ((double) w + 2 * padding) > Integer.MAX_VALUE)
                || planesSize * oh * ow > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(describe() + ": the input " + java.util.Arrays.toString(x.shape())
                    + " would need arrays of more than 2^31 - 1 elements");
        }
        int[] k = {kernel, kernel};
        int[] s = {stride, stride};
        Tensor planes = x.reshape(n * c, 1, h, w);
        if (!max) {
            Tensor cols = planes.unfold(k, s, new int[] {padding, padding}, new int[] {1, 1}); // (NC, k*k, L)
            return cols.mean(1).reshape(n, c, oh, ow);
        }
        // each window's first maximum, scanned in window order over its elements inside the image (the padding's
        // -infinity beats nothing, and a window of -infinity only keeps its first element inside the image, as PyTorch)
        double[] v = x.toArray();
        int[] at = new int[n * c * oh * ow];
        for (int plane = 0, i = 0; plane < n * c; plane++) {
            int base = plane * h * w;
            for (int r = 0; r < oh; r++) {
                int top = r * stride - padding;
                int y0 = Math.max(top, 0);
                int y1 = Math.min(top + kernel, h);
                for (int col = 0; col < ow; col++, i++) {
                    int left = col * stride - padding;
                    int x0 = Math.max(left, 0);
                    int x1 = Math.min(left + kernel, w);
                    int bestAt = base + y0 * w + x0;
                    double best = v[bestAt];
                    for (int y = y0; y < y1; y++) {
                        for (int e = base + y * w + x0, end = base + y * w + x1; e < end; e++) {
                            if (beats(v[e], best)) {
                                best = v[e];
                                bestAt = e;
                            }
                        }
                    }
                    at[i] = bestAt;
                }
            }
        }
        return x.reshape(-1).indexSelect(0, at).reshape(n, c, oh, ow);
    }

    /** Whether v takes b's place as a window's maximum: strictly greater, or the first NaN (as torch.argmax). */
    static boolean beats(double v, double b) {
        return b == b && (v != v || v > b);
    }

    @Override
    public String describe() {
        return (max ? "MaxPool2d(" : "AvgPool2d(") + kernel + ", stride " + stride + ", padding " + padding + ")";
    }
}
