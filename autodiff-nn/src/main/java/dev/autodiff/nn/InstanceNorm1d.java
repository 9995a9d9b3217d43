package dev.autodiff.nn;

/** Instance normalisation of (N, C, L) or (C, L), as torch.nn.InstanceNorm1d. */
public final class InstanceNorm1d extends InstanceNorm {
    public InstanceNorm1d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(1, numFeatures, eps, momentum, affine, trackRunningStats);
    }

    /** eps 1e-5, momentum 0.1, no affine map and no running statistics, as PyTorch's defaults. */
    public InstanceNorm1d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, false, false);
    }
}
