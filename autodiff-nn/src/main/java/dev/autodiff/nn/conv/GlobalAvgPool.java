package dev.autodiff.nn.conv;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * Global average pooling: (N, C, s...) with at least one spatial axis to (N, C), the mean over every spatial
 * position, as Keras' GlobalAveragePooling and PyTorch's AdaptiveAvgPool2d(1) followed by flatten(1).
 */
public final class GlobalAvgPool extends Module {
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
        return x.reshape(x.dim(0), x.dim(1), (int) Math.min(positions, Integer.MAX_VALUE)).mean(2);
    }

    @Override
    public String describe() {
        return "GlobalAvgPool";
    }
}
