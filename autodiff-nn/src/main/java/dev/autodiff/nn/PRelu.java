package dev.autodiff.nn;

import dev.autodiff.Tensor;

/** PReLU with a learnable slope, shared (channels = 1) or one per channel (axis 1); initial slope 0.25 as PyTorch. */
public final class PRelu extends Module {
    private final Tensor slope;

    public PRelu(int channels) {
        if (channels < 1) {
            throw new IllegalArgumentException("PRelu: channels must be >= 1, got " + channels);
        }
        slope = param("weight", Tensor.full(0.25, channels)); // shape (channels), (1) when shared, as PyTorch's
    }

    @Override
    public Tensor forward(Tensor x) {
        return Activations.prelu(x, slope);
    }
}
