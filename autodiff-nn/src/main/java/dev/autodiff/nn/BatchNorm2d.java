package dev.autodiff.nn;

import dev.autodiff.Tensor;

/** Batch normalisation of (N, C, H, W), as torch.nn.BatchNorm2d. */
public final class BatchNorm2d extends BatchNorm {
    public BatchNorm2d(int channels) {
        super(channels);
    }

    @Override
    protected void checkRank(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(describe() + ": input must be (N, C, H, W), got "
                    + java.util.Arrays.toString(x.shape()));
        }
    }
}
