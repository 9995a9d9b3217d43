package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.SplittableRandom;

/**
 * Randomized leaky ReLU (Xu et al. 2015), as PyTorch's nn.RReLU: while training, x for x > 0 and a x otherwise,
 * with a new slope a drawn from U(lower, upper) for every element at every call; in evaluation, the mean slope
 * (lower + upper) / 2 for all. The slopes come from a generator seeded at construction, as {@link Dropout}'s
 * masks, so a run is reproducible; they are constants of the graph (no gradient flows into them). The kink
 * x = 0 takes the negative side, as PyTorch: derivative a there (see {@link Activations#rrelu(Tensor, Tensor)}).
 */
public final class RRelu extends Module {
    private final double lower;
    private final double upper;
    private final SplittableRandom random;

    /** PyTorch's default bounds 1/8 and 1/3. */
    public RRelu(long seed) {
        this(Activations.RRELU_LOWER, Activations.RRELU_UPPER, seed);
    }

    public RRelu(double lower, double upper, long seed) {
        Activations.rreluBounds("RRelu", lower, upper);
        this.lower = lower;
        this.upper = upper;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (!isTraining()) {
            return Activations.rrelu(x, lower, upper);
        }
        long draw;
        synchronized (random) {
            draw = random.nextLong();
        }
        // lower + (upper - lower) u with u uniform on [0, 1): one slope per element, positive ones included, so the
        // stream of draws does not depend on the input's values
        Tensor slopes = Tensor.rand(draw, x.shape()).mul(upper - lower).add(lower).to(x.dtype()); // rounded once for float32
        return Activations.rrelu(x, slopes);
    }

    public double lower() {
        return lower;
    }

    public double upper() {
        return upper;
    }

    @Override
    public String describe() {
        return "RRelu(" + lower + ", " + upper + ")";
    }
}
