package dev.autodiff.nn;

import dev.autodiff.Tensor;

/**
 * y = x W + b, with W of shape (in, out) so that a batch (N, in) needs no transpose. Default
 * initialisation as PyTorch's nn.Linear: W and b uniform on +-1/sqrt(in).
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
        this(Init.uniform(seed, -1 / Math.sqrt(in), 1 / Math.sqrt(in), in, out),
                bias ? Init.uniform(seed + 1, -1 / Math.sqrt(in), 1 / Math.sqrt(in), out) : null);
    }

    /** With given initial values: weight (in, out), bias (out) or null for none. */
    public Linear(Tensor weight, Tensor bias) {
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
