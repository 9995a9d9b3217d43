package dev.autodiff.nn.attention;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Module;
import java.util.Arrays;

/**
 * y = x W^T + b with W in PyTorch's layout (out, in), so that a torch.nn.Linear inside a PyTorch layer
 * (out_proj, linear1, ...) copies in by name and shape; initialised as nn.Linear (uniform +-1/sqrt(in)).
 * Any leading dimensions are flattened into rows for one matrix product.
 */
final class Projection extends Module {
    private final int in;
    private final int out;
    private final String owner;
    private final Tensor weight;
    private final Tensor bias;

    Projection(String owner, int in, int out, boolean bias, long seed) {
        double bound = in > 0 ? 1 / Math.sqrt(in) : 0.0;
        this.owner = owner;
        this.in = in;
        this.out = out;
        this.weight = param("weight", Init.uniform(seed, -bound, bound, out, in));
        this.bias = bias ? param("bias", Init.uniform(seed + 1, -bound, bound, out)) : null;
    }

    /** With a zero bias, as MultiheadAttention's out_proj after its _reset_parameters. */
    Projection zeroBias() {
        if (bias != null) {
            bias.assign(Tensor.zeros(out));
        }
        return this;
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> owner + ": the input x is null");
        if (x.rank() < 1 || x.dim(-1) != in) {
            throw new IllegalArgumentException(owner + ": " + describe() + " needs an input ending in " + in + ", got shape "
                    + Arrays.toString(x.shape()));
        }
        return project(x, weight, bias);
    }

    /** x W^T + b over the last axis of x, W (out, in), b (out) or null. */
    static Tensor project(Tensor x, Tensor w, Tensor b) {
        int[] s = x.shape();
        int rows = x.size() / Math.max(1, s[s.length - 1]);
        if (s[s.length - 1] == 0) {
            rows = 1;
            for (int i = 0; i < s.length - 1; i++) {
                rows *= s[i];
            }
        }
        Tensor y = x.reshape(rows, s[s.length - 1]).matmulTransB(w);
        if (b != null) {
            y = y.add(b);
        }
        int[] o = s.clone();
        o[o.length - 1] = w.dim(0);
        return y.reshape(o);
    }

    @Override
    public String describe() {
        return "Linear(" + in + " -> " + out + (bias == null ? ", bias=false" : "") + ")";
    }
}
