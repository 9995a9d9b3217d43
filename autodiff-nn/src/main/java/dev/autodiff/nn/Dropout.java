package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.SplittableRandom;

/**
 * Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1/(1-p);
 * in evaluation, the identity. The masks come from a generator seeded at construction, so a run is
 * reproducible (each call draws a new mask). p = 1 zeroes everything, as PyTorch. The output has the
 * input's shape, 0-d included.
 */
public final class Dropout extends Module {
    private final double p;
    private final SplittableRandom random;

    public Dropout(double p, long seed) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: need 0 <= p <= 1, got " + p);
        }
        this.p = p;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (!isTraining() || p == 0) {
            return x;
        }
        double[] mask = new double[x.size()];
        double keep = p == 1 ? 0.0 : 1 / (1 - p);
        synchronized (random) {
            for (int i = 0; i < mask.length; i++) {
                mask[i] = random.nextDouble() < p ? 0.0 : keep;
            }
        }
        return x.mul(Tensor.fromArray(mask, x.shape()).to(x.dtype())); // the mask in x's dtype: no promotion
    }

    @Override
    public String describe() {
        return "Dropout(" + p + ")";
    }
}
