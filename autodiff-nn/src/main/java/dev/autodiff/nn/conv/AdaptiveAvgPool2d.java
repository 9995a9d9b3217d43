package dev.autodiff.nn.conv;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * Adaptive average pooling over (N, C, H, W) or unbatched (C, H, W) to a fixed (outH, outW), as
 * torch.nn.AdaptiveAvgPool2d: PyTorch's windows [floor(i H / outH), ceil((i + 1) H / outH)) along each axis
 * (see {@link AdaptiveAvgPool1d}). The average over a rectangle is separable: A_H^T x A_W, two matrix products.
 */
public final class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;

    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: need an output size >= 1 on both axes, got [" + outH + ", " + outW + "]");
        }
        this.outH = outH;
        this.outW = outW;
    }

    /** A square output, as AdaptiveAvgPool2d(size). */
    public AdaptiveAvgPool2d(int size) {
        this(size, size);
    }

    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (x.rank() == 3) {
            return forward(x.unsqueeze(0)).squeeze(0); // unbatched (C, H, W), as PyTorch
        }
        if (x.rank() != 4 || x.dim(2) == 0 || x.dim(3) == 0) {
            throw new IllegalArgumentException(describe() + ": input must be (N, C, H, W) or (C, H, W) with H, W >= 1, got "
                    + Arrays.toString(x.shape()));
        }
        Tensor rows = AdaptiveAvgPool1d.averages(describe(), x.dim(2), outH).to(x.dtype()).transpose(0, 1); // (outH, H)
        return rows.matmul(x.matmul(AdaptiveAvgPool1d.averages(describe(), x.dim(3), outW).to(x.dtype())));
    }

    @Override
    public String describe() {
        return "AdaptiveAvgPool2d([" + outH + ", " + outW + "])";
    }
}
