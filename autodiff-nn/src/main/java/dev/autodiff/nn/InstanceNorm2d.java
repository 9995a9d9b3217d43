package dev.autodiff.nn;

/** Instance normalisation of (N, C, H, W) or (C, H, W), as torch.nn.InstanceNorm2d. */
public final class InstanceNorm2d extends InstanceNorm {
    public InstanceNorm2d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(2, numFeatures, eps, momentum, affine, trackRunningStats);
    }

    /** eps 1e-5, momentum 0.1, no affine map and no running statistics, as PyTorch's defaults. */
    public InstanceNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, false, false);
    }
}
