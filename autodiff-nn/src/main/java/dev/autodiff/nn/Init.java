package dev.autodiff.nn;

import dev.autodiff.Tensor;

/**
 * Initialisers, always from an explicit seed. For a weight of shape (fanIn, fanOut) as {@link Linear}
 * stores it (or (out, in, k...) for convolutions, where fanIn = in * prod(k)): Xavier/Glorot keeps the
 * variance 2 / (fanIn + fanOut), He/MSRA 2 / fanIn (for ReLU), as in PyTorch's torch.nn.init.
 */
public final class Init {
    private Init() {}

    public static Tensor zeros(int... shape) {
        return Tensor.zeros(shape);
    }

    public static Tensor constant(double value, int... shape) {
        return Tensor.full(value, shape);
    }

    /** Uniform on [low, high). */
    public static Tensor uniform(long seed, double low, double high, int... shape) {
        if (!(low < high)) {
            throw new IllegalArgumentException("Init.uniform: need low < high, got " + low + ", " + high);
        }
        return Tensor.rand(seed, shape).mul(high - low).add(low);
    }

    public static Tensor normal(long seed, double mean, double std, int... shape) {
        if (!(std >= 0)) {
            throw new IllegalArgumentException("Init.normal: need std >= 0, got " + std);
        }
        return Tensor.randn(seed, shape).mul(std).add(mean);
    }

    /** U(-a, a) with a = sqrt(6 / (fanIn + fanOut)). */
    public static Tensor xavierUniform(long seed, int fanIn, int fanOut, int... shape) {
        double a = Math.sqrt(6.0 / (fanIn + fanOut));
        return uniform(seed, -a, a, shape);
    }

    /** N(0, 2 / (fanIn + fanOut)). */
    public static Tensor xavierNormal(long seed, int fanIn, int fanOut, int... shape) {
        return normal(seed, 0, Math.sqrt(2.0 / (fanIn + fanOut)), shape);
    }

    /** U(-a, a) with a = sqrt(6 / fanIn): He/Kaiming uniform for ReLU. */
    public static Tensor heUniform(long seed, int fanIn, int... shape) {
        double a = Math.sqrt(6.0 / fanIn);
        return uniform(seed, -a, a, shape);
    }

    /** N(0, 2 / fanIn): He/Kaiming normal for ReLU. */
    public static Tensor heNormal(long seed, int fanIn, int... shape) {
        return normal(seed, 0, Math.sqrt(2.0 / fanIn), shape);
    }
}
