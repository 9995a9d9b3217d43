package dev.autodiff.nn.conv;

/** Average pooling over (N, C, L), as torch.nn.AvgPool1d; zero padding counted in the average unless told not to. */
public final class AvgPool1d extends Pool1d {
    public AvgPool1d(int kernel, int stride, int padding, boolean countIncludePad) {
        super(false, kernel, stride, padding, countIncludePad);
    }

    /** count_include_pad true, as PyTorch's default. */
    public AvgPool1d(int kernel, int stride, int padding) {
        this(kernel, stride, padding, true);
    }

    /** Non-overlapping windows: stride = kernel, no padding (PyTorch's default stride). */
    public AvgPool1d(int kernel) {
        this(kernel, kernel, 0);
    }
}
