package dev.autodiff.nn;

import dev.autodiff.Tensor;

/**
 * Maxout: a linear map to out * k units, then the maximum over each group of k pieces. Where pieces tie for
 * the maximum, the gradient is shared equally among them (the core max's rule, as PyTorch's amax).
 */
public final class Maxout extends Module {
    private final Linear linear;
    private final int in;
    private final int out;
    private final int k;

    public Maxout(int in, int out, int k, long seed) {
        if (in < 0 || out < 0 || k < 1 || (long) out * k > Integer.MAX_VALUE || (long) in * out * k > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Maxout: need in, out >= 0 and k >= 1 pieces with in * out * k <= 2^31 - 1, "
                    + "got in " + in + ", out " + out + ", k " + k);
        }
        this.in = in;
        this.out = out;
        this.k = k;
        this.linear = child("linear", new Linear(in, out * k, seed));
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (x.rank() < 1 || x.dim(-1) != in) {
            throw new IllegalArgumentException(describe() + ": input must end in dimension " + in + ", got shape "
                    + java.util.Arrays.toString(x.shape()));
        }
        Tensor z = linear.forward(x);
        int[] s = z.shape();
        int[] grouped = java.util.Arrays.copyOf(s, s.length + 1);
        grouped[s.length - 1] = out;
        grouped[s.length] = k;
        return z.reshape(grouped).max(-1);
    }

    @Override
    public String describe() {
        return "Maxout(" + in + " -> " + out + ", " + k + " pieces)";
    }
}
