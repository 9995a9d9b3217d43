package dev.autodiff.nn.conv;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * Adaptive average pooling over (N, C, L) or unbatched (C, L) to a fixed output length, as
 * torch.nn.AdaptiveAvgPool1d: output i averages the input over [floor(i L / out), ceil((i + 1) L / out)),
 * windows that overlap when L is not a multiple of out and repeat elements when out > L. The map is linear,
 * so it is one matrix product with the (L, out) matrix of those averages.
 */
public final class AdaptiveAvgPool1d extends Module {
    private final int outputSize;

    public AdaptiveAvgPool1d(int outputSize) {
        if (outputSize < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool1d: need outputSize >= 1, got " + outputSize);
        }
        this.outputSize = outputSize;
    }

    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (x.rank() == 2) {
            return forward(x.unsqueeze(0)).squeeze(0); // unbatched (C, L), as PyTorch
        }
        if (x.rank() != 3 || x.dim(2) == 0) {
            throw new IllegalArgumentException(describe() + ": input must be (N, C, L) or (C, L) with L >= 1, got "
                    + Arrays.toString(x.shape()));
        }
        return x.matmul(averages(describe(), x.dim(2), outputSize).to(x.dtype())); // the weights in x's dtype: no promotion
    }

    /**
     * The (len, out) matrix whose column i holds 1 / (end - start) on rows [start, end), start = floor(i len / out),
     * end = ceil((i + 1) len / out), PyTorch's adaptive windows.
     */
    static Tensor averages(String who, int len, int out) {
        if ((double) len * out > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(who + ": an input length " + len + " pooled to " + out
                    + " needs an averaging matrix of more than 2^31 - 1 elements");
        }
        double[] a = new double[len * out];
        for (int i = 0; i < out; i++) {
            int start = (int) ((long) i * len / out);
            int end = (int) (((long) (i + 1) * len + out - 1) / out);
            for (int j = start; j < end; j++) {
                a[j * out + i] = 1.0 / (end - start);
            }
        }
        return Tensor.fromArray(a, len, out);
    }

    @Override
    public String describe() {
        return "AdaptiveAvgPool1d(" + outputSize + ")";
    }
}
