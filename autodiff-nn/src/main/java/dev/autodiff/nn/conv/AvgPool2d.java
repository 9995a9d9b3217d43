package dev.autodiff.nn.conv;

/** Average pooling over (N, C, H, W), as torch.nn.AvgPool2d (zero padding counted in the average). */
public final class AvgPool2d extends Pool2d {
    public AvgPool2d(int kernel, int stride, int padding) {
        super(false, kernel, stride, padding);
    }

    /** Non-overlapping windows: stride = kernel, no padding. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }
}
