package dev.autodiff.nn;

import dev.autodiff.Tensor;

/**
 * PReLU with a learnable slope, shared (channels = 1: any input, 0-d included, keeps its shape) or one per
 * channel (an input of rank >= 2 with that many channels along axis 1); initial slope 0.25 as PyTorch. The
 * derivatives at the kink x = 0 are those of {@link Activations#prelu}.
 */
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
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        return Activations.preluOf(describe(), x, slope);
    }

    @Override
    public String describe() {
        return "PRelu(" + slope.size() + ")";
    }
}
