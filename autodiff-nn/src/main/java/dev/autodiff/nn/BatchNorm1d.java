package dev.autodiff.nn;

import dev.autodiff.Tensor;

/** Batch normalisation of (N, C) or (N, C, L), as torch.nn.BatchNorm1d. */
public final class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(int channels) {
        super(channels);
    }

    @Override
    protected void checkRank(Tensor x) {
        if (x.rank() != 2 && x.rank() != 3) {
            throw new IllegalArgumentException(describe() + ": input must be (N, C) or (N, C, L), got "
                    + java.util.Arrays.toString(x.shape()));
        }
    }
}
