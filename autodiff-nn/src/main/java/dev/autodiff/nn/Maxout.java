package dev.autodiff.nn;

import dev.autodiff.Tensor;

/** Maxout: a linear map to out * k units, then the maximum over each group of k pieces. */
public final class Maxout extends Module {
    private final Linear linear;
    private final int out;
    private final int k;

    public Maxout(int in, int out, int k, long seed) {
        if (k < 1) {
            throw new IllegalArgumentException("Maxout: need k >= 1 pieces, got " + k);
        }
        this.out = out;
        this.k = k;
        this.linear = child("linear", new Linear(in, out * k, seed));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor z = linear.forward(x);
        int[] s = z.shape();
        int[] grouped = java.util.Arrays.copyOf(s, s.length + 1);
        grouped[s.length - 1] = out;
        grouped[s.length] = k;
        return z.reshape(grouped).max(-1);
    }
}
