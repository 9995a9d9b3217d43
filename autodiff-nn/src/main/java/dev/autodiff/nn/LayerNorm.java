package dev.autodiff.nn;

import dev.autodiff.Tensor;

/**
 * Layer normalisation over the last {@code shape.length} axes (at least one), biased variance, eps 1e-5 by default,
 * with affine weight and bias, as PyTorch.
 */
public final class LayerNorm extends Module {
    private final int[] shape;
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;

    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5);
    }

    /** With PyTorch's eps (layer_norm_eps of the Transformer layers), added to the variance; eps >= 0. */
    public LayerNorm(int[] normalizedShape, double eps) {
        java.util.Objects.requireNonNull(normalizedShape, "LayerNorm: normalizedShape is null");
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("LayerNorm: need a finite eps >= 0, got " + eps);
        }
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("LayerNorm: normalizedShape needs at least one dimension, got []");
        }
        this.shape = Init.checkShape("LayerNorm", normalizedShape).clone();
        this.eps = eps;
        weight = param("weight", Tensor.ones(shape));
        bias = param("bias", Tensor.zeros(shape));
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        int r = x.rank();
        int k = shape.length;
        int[] tail = java.util.Arrays.copyOfRange(x.shape(), Math.max(0, r - k), r);
        if (r < k || !java.util.Arrays.equals(tail, shape)) {
            throw new IllegalArgumentException(describe() + ": input must end in " + java.util.Arrays.toString(shape) + ", got "
                    + java.util.Arrays.toString(x.shape()));
        }
        int[] axes = new int[k];
        for (int i = 0; i < k; i++) {
            axes[i] = r - k + i;
        }
        Tensor mean = x.mean(true, axes);
        Tensor var = x.sub(mean).square().mean(true, axes);
        return x.sub(mean).div(var.add(eps).sqrt()).mul(weight).add(bias);
    }

    @Override
    public String describe() {
        return "LayerNorm(" + java.util.Arrays.toString(shape) + ")";
    }
}
