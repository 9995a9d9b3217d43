package dev.autodiff;

/**
 * The element type of a tensor: IEEE binary32 or binary64, as torch.float32 and torch.float64. Float64 is the
 * default. Ops on mixed dtypes promote as {@code torch.result_type}: float32 with float64 gives float64, except
 * that a 0-dimensional operand (a Java {@code double} such as the 2 of {@code x.mul(2)}, or a scalar tensor) does
 * not promote a tensor with dimensions ({@code float32 x.mul(2.0)} stays float32). Gradients and tangents have their
 * primal's dtype.
 */
public enum DType {
    FLOAT32("float32"),
    FLOAT64("float64");

    private final String label;

    DType(String label) {
        this.label = label;
    }

    /** PyTorch's name: "float32" or "float64". */
    @Override
    public String toString() {
        return label;
    }
}
