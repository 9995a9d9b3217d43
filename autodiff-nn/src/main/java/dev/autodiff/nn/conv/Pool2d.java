package dev.autodiff.nn.conv;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;

/**
 * 2-D max or average pooling over (N, C, H, W) or unbatched (C, H, W), by unfolding each channel's
 * windows. Average pooling pads with zeros counted in the average, as PyTorch's default. Max pooling finds each window's first maximum
 * (a NaN counts as the maximum) and then picks those input elements with {@code indexSelect}, so, as in
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
        double[] best;
        try (GradScope scope = Autodiff.noGrad()) {
            // -infinity padding never beats an element of the image
            Tensor padded = padding == 0 ? planes
                    : planes.pad(new int[] {0, 0, padding, padding}, new int[] {0, 0, padding, padding}, Double.NEGATIVE_INFINITY);
            best = padded.unfold(k, s, new int[] {0, 0}, new int[] {1, 1}).argmax(1).toArray(); // (NC, L)
        }
        int[] at = new int[best.length];
        for (int plane = 0, i = 0; plane < n * c; plane++) {
            for (int r = 0; r < oh; r++) {
                for (int col = 0; col < ow; col++, i++) {
                    int top = r * stride - padding;
                    int left = col * stride - padding;
                    int y = top + (int) best[i] / kernel;
                    int xx = left + (int) best[i] % kernel;
                    if (y < 0 || xx < 0 || y >= h || xx >= w) {
                        // a window of -infinity only: its first element inside the image, as PyTorch
                        y = Math.max(top, 0);
                        xx = Math.max(left, 0);
                    }
                    at[i] = (plane * h + y) * w + xx;
                }
            }
        }
        return x.reshape(-1).indexSelect(0, at).reshape(n, c, oh, ow);
    }

    @Override
    public String describe() {
        return (max ? "MaxPool2d(" : "AvgPool2d(") + kernel + ", stride " + stride + ", padding " + padding + ")";
    }
}
