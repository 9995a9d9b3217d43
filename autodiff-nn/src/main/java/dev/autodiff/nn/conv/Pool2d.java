package dev.autodiff.nn.conv;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;

/**
 * 2-D max or average pooling over (N, C, H, W) or unbatched (C, H, W), by unfolding each channel's
 * windows. Average pooling pads with zeros counted in the average, as PyTorch's default. Max pooling finds each window's first maximum
 * (a NaN counts as the maximum) in one pass over the input and then picks those input elements with
 * {@code indexSelect}, so, as in
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
        // the padded planes and the windows unfolded to (N C, k k, oh ow) must be arrays Java can hold
        double planesSize = (double) n * c;
        if (planesSize * kernel * kernel * oh * ow > Integer.MAX_VALUE
                || planesSize * ((double) h + 2 * padding) * ((double) w + 2 * padding) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(describe() + ": the input " + java.util.Arrays.toString(x.shape())
                    + " would unfold to more than 2^31 - 1 elements");
        }
        int[] k = {kernel, kernel};
        int[] s = {stride, stride};
        Tensor planes = x.reshape(n * c, 1, h, w);
        if (!max) {
            Tensor cols = planes.unfold(k, s, new int[] {padding, padding}, new int[] {1, 1}); // (NC, k*k, L)
            return cols.mean(1).reshape(n, c, oh, ow);
        }
        int[] at = firstMaxima(x, n * c, h, w, oh, ow);
        return x.reshape(-1).indexSelect(0, at).reshape(n, c, oh, ow);
    }

    /**
     * The flat index into x of each window's first maximum in row-major window order, a NaN counting as the maximum
     * (torch.argmax's rule), planes (N C) and windows (oh, ow) in order. The -infinity of the padding never beats an
     * element of the image, so only the window's elements inside the image are read; a window of -infinity only
     * gives its first element inside the image, as PyTorch. One read of x's values (floats as they are), without
     * unfolding the windows.
     */
    private int[] firstMaxima(Tensor x, int planes, int h, int w, int oh, int ow) {
        boolean f32 = x.dtype() == DType.FLOAT32;
        float[] xf = f32 ? x.toFloatArray() : null;
        double[] xd = f32 ? null : x.toArray();
        int[] at = new int[planes * oh * ow];
        for (int plane = 0, i = 0; plane < planes; plane++) {
            for (int r = 0; r < oh; r++) {
                int top = Math.max(r * stride - padding, 0);
                int bottom = Math.min(r * stride - padding + kernel, h);
                for (int col = 0; col < ow; col++, i++) {
                    int left = Math.max(col * stride - padding, 0);
                    int right = Math.min(col * stride - padding + kernel, w);
                    int best = (plane * h + top) * w + left;
                    double b = f32 ? xf[best] : xd[best];
                    for (int y = top; y < bottom; y++) {
                        for (int j = (plane * h + y) * w + left, end = j - left + right; j < end; j++) {
                            double v = f32 ? xf[j] : xd[j];
                            if (b == b && (v != v || v > b)) { // strictly greater, or the first NaN
                                best = j;
                                b = v;
                            }
                        }
                    }
                    at[i] = best;
                }
            }
        }
        return at;
    }

    @Override
    public String describe() {
        return (max ? "MaxPool2d(" : "AvgPool2d(") + kernel + ", stride " + stride + ", padding " + padding + ")";
    }
}
