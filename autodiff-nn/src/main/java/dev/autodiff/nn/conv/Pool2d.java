package dev.autodiff.nn.conv;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;

/**
 * 2-D max or average pooling over (N, C, H, W), by unfolding each channel's windows. Max pooling pads
 * with -infinity (padding never wins), average pooling with zeros counted in the average, as PyTorch's
 * defaults. Ties in a max window share the gradient equally.
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
        if (x.rank() != 4) {
            throw new IllegalArgumentException(describe() + ": input must be (N, C, H, W), got " + java.util.Arrays.toString(x.shape()));
        }
        int n = x.dim(0);
        int c = x.dim(1);
        Tensor planes = x.reshape(n * c, 1, x.dim(2), x.dim(3));
        int pad = padding;
        if (max && padding > 0) {
            planes = planes.pad(new int[] {0, 0, padding, padding}, new int[] {0, 0, padding, padding}, Double.NEGATIVE_INFINITY);
            pad = 0;
        }
        int[] k = {kernel, kernel};
        Tensor cols = planes.unfold(k, new int[] {stride, stride}, new int[] {pad, pad}, new int[] {1, 1}); // (NC, k*k, L)
        Tensor pooled = max ? cols.max(1) : cols.mean(1);
        int oh = (x.dim(2) + 2 * padding - kernel) / stride + 1;
        int ow = (x.dim(3) + 2 * padding - kernel) / stride + 1;
        return pooled.reshape(n, c, oh, ow);
    }

    @Override
    public String describe() {
        return (max ? "MaxPool2d(" : "AvgPool2d(") + kernel + ", stride " + stride + ", padding " + padding + ")";
    }
}
