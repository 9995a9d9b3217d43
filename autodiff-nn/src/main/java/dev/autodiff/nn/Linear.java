package dev.autodiff.nn;

import dev.autodiff.Tensor;

/**
 * y = x W + b, with W of shape (in, out) so that a batch (N, in) needs no transpose. Default
 * initialisation as PyTorch's nn.Linear: W and b uniform on +-1/sqrt(in), and b = 0 when in = 0 (then
 * W is empty and the output is the bias: zeros).
 */
public final class Linear extends Module {
    private final int in;
    private final int out;
    private final Tensor weight;
    private final Tensor bias;

    public Linear(int in, int out, long seed) {
        this(in, out, true, seed);
    }

    public Linear(int in, int out, boolean bias, long seed) {
        this(Init.uniform(seed, -bound(in, out), bound(in, out), in, out),
                bias ? Init.uniform(seed + 1, -bound(in, out), bound(in, out), out) : null);
    }

    /** PyTorch's 1/sqrt(fan in), 0 for no inputs (its reset_parameters); checks the sizes first. */
    private static double bound(int in, int out) {
        if (in < 0 || out < 0) {
            throw new IllegalArgumentException("Linear: sizes must be >= 0, got in " + in + ", out " + out);
        }
        if ((long) in * out > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Linear: a weight of " + in + " x " + out + " has more than 2^31 - 1 elements");
        }
        return in > 0 ? 1 / Math.sqrt(in) : 0.0;
    }

    /** With given initial values: weight (in, out), bias (out) or null for none. */
    public Linear(Tensor weight, Tensor bias) {
        java.util.Objects.requireNonNull(weight, "Linear: weight is null");
        int[] w = weight.shape();
        if (w.length != 2 || (bias != null && (bias.rank() != 1 || bias.dim(0) != w[1]))) {
            throw new IllegalArgumentException("Linear: weight must be (in, out) and bias (out), got "
                    + java.util.Arrays.toString(w) + " and " + (bias == null ? "none" : java.util.Arrays.toString(bias.shape())));
        }
        this.in = w[0];
        this.out = w[1];
        this.weight = param("weight", weight);
        this.bias = bias == null ? null : param("bias", bias);
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (x.rank() < 1 || x.dim(-1) != in) {
            throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input must end in dimension " + in
                    + ", got shape " + java.util.Arrays.toString(x.shape()));
        }
        if (bias != null && x.rank() >= 2) {
            return bias.addmm(x, weight); // x W + b in one array
        }
        Tensor y = x.matmul(weight);
        return bias == null ? y : y.add(bias);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    @Override
    public String describe() {
        return "Linear(" + in + " -> " + out + ")";
    }
}
