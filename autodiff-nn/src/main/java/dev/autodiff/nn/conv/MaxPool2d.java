package dev.autodiff.nn.conv;

/** Max pooling over (N, C, H, W), as torch.nn.MaxPool2d (padding counts as -infinity). */
public final class MaxPool2d extends Pool2d {
    public MaxPool2d(int kernel, int stride, int padding) {
        super(true, kernel, stride, padding);
    }

    /** Non-overlapping windows: stride = kernel, no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }
}
