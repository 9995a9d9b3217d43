package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.SplittableRandom;

/**
 * The lecture's noisy ReLU max(0, x + N(0, sigma(x))) with variance sigmoid(x), as Nair and Hinton (2010); see
 * {@link Activations#noisyRelu}. While training, each call draws new standard normal noise, one value per
 * element, from a generator seeded at construction (as {@link Dropout}'s masks); in evaluation it is the plain
 * ReLU. PyTorch has no such module.
 */
public final class NoisyRelu extends Module {
    private final SplittableRandom random;

    public NoisyRelu(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (!isTraining()) {
            return Activations.relu(x);
        }
        long draw;
        synchronized (random) {
            draw = random.nextLong();
        }
        return Activations.noisyRelu(x, Tensor.randn(draw, x.dtype(), x.shape())); // in x's dtype: no promotion
    }

    @Override
    public String describe() {
        return "NoisyRelu";
    }
}
