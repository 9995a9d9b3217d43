package dev.autodiff.nn.conv;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * Global max pooling: (N, C, s...) with at least one spatial axis to (N, C), the maximum over every spatial
 * position, as PyTorch's AdaptiveMaxPool2d(1) followed by flatten(1): the whole gradient of a channel goes to
 * its first maximum (a NaN counts as the maximum), picked with {@code indexSelect}, as in {@link Pool2d}.
 */
public final class GlobalMaxPool extends Module {
    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        long positions = 1; // long: with N C = 0 the spatial sizes are not bounded by the element count
        for (int d = 2; d < Math.max(x.rank(), 2); d++) {
            positions *= x.dim(d);
        }
        if (x.rank() < 3 || positions == 0) {
            throw new IllegalArgumentException(describe() + ": input must be (N, C, spatial...) and no empty "
                    + "spatial axis, got " + Arrays.toString(x.shape()));
        }
        int n = x.dim(0);
        int c = x.dim(1);
        if (n * c == 0) {
            return Tensor.zeros(x.dtype(), n, c).add(x.sum()); // no channel to pool; keeps the graph
        }
        double[] best;
        try (GradScope scope = Autodiff.noGrad()) {
            best = x.reshape(n * c, (int) positions).argmax(1).toArray();
        }
        int[] at = new int[best.length];
        for (int i = 0; i < at.length; i++) {
            at[i] = i * (int) positions + (int) best[i];
        }
        return x.reshape(-1).indexSelect(0, at).reshape(n, c);
    }

    @Override
    public String describe() {
        return "GlobalMaxPool";
    }
}
