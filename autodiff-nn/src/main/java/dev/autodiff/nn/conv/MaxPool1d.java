package dev.autodiff.nn.conv;

/** Max pooling over (N, C, L), as torch.nn.MaxPool1d (padding counts as -infinity). */
public final class MaxPool1d extends Pool1d {
    public MaxPool1d(int kernel, int stride, int padding) {
        super(true, kernel, stride, padding, true);
    }

    /** Non-overlapping windows: stride = kernel, no padding (PyTorch's default stride). */
    public MaxPool1d(int kernel) {
        this(kernel, kernel, 0);
    }
}
