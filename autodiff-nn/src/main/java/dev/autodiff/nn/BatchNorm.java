package dev.autodiff.nn;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;

/**
 * Batch normalisation over axis 1 (channels) of (N, C), (N, C, L) or (N, C, H, W), as PyTorch's
 * BatchNorm1d/2d: in training, normalise with the batch's mean and biased variance over every axis but
 * 1, and update the running mean and unbiased variance with momentum 0.1; in evaluation, use the running
 * statistics. Then y = weight * x_hat + bias. As PyTorch, training needs more than one value per channel
 * (with one the batch variance is 0 and every output is the bias), and an empty batch (N = 0) gives an
 * empty output and leaves the running statistics as they were. The running statistics are the buffers
 * "runningMean" and "runningVar".
 */
public class BatchNorm extends Module {
    private final int channels;
    private final double eps;
    private final double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;

    public BatchNorm(int channels) {
        this(channels, 1e-5, 0.1);
    }

    public BatchNorm(int channels, double eps, double momentum) {
        if (channels < 1 || !(eps > 0 && eps < Double.POSITIVE_INFINITY) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": need channels >= 1, finite eps > 0 and "
                    + "0 <= momentum <= 1, got channels " + channels + ", eps " + eps + ", momentum " + momentum);
        }
        this.channels = channels;
        this.eps = eps;
        this.momentum = momentum;
        weight = param("weight", Tensor.ones(channels));
        bias = param("bias", Tensor.zeros(channels));
        runningMean = buffer("runningMean", Tensor.zeros(channels));
        runningVar = buffer("runningVar", Tensor.ones(channels));
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        checkRank(x);
        if (x.rank() < 2 || x.dim(1) != channels) {
            throw new IllegalArgumentException(describe() + ": input must be (N, " + channels + ", ...), got "
                    + java.util.Arrays.toString(x.shape()));
        }
        int[] axes = new int[x.rank() - 1];
        axes[0] = 0;
        for (int d = 2; d < x.rank(); d++) {
            axes[d - 1] = d;
        }
        int[] bshape = new int[x.rank()];
        java.util.Arrays.fill(bshape, 1);
        bshape[1] = channels;
        Tensor mean;
        Tensor var;
        long count = x.size() / channels;
        if (isTraining() && count == 1) {
            throw new IllegalArgumentException(describe() + ": expected more than 1 value per channel when training, got "
                    + "input shape " + java.util.Arrays.toString(x.shape()) + " (use eval() for a single example)");
        }
        if (isTraining()) {
            mean = x.mean(true, axes);
            var = x.sub(mean).square().mean(true, axes);
            // an empty batch has no statistics (its mean is NaN): the running ones stay as they were, as PyTorch's
            if (count > 0) {
                try (GradScope s = Autodiff.noGrad()) {
                    runningMean.assign(runningMean.mul(1 - momentum).add(mean.reshape(channels).detach().mul(momentum)));
                    double unbias = (double) count / (count - 1);
                    runningVar.assign(runningVar.mul(1 - momentum).add(var.reshape(channels).detach().mul(momentum * unbias)));
                }
            }
        } else {
            mean = runningMean.reshape(bshape);
            var = runningVar.reshape(bshape);
        }
        Tensor xHat = x.sub(mean).div(var.add(eps).sqrt());
        return xHat.mul(weight.reshape(bshape)).add(bias.reshape(bshape));
    }

    /** Subclasses restrict the input's rank (BatchNorm1d: 2 or 3, BatchNorm2d: 4). */
    protected void checkRank(Tensor x) {
    }

    public Tensor runningMean() {
        return runningMean.detach();
    }

    public Tensor runningVar() {
        return runningVar.detach();
    }

    @Override
    public String describe() {
        return getClass().getSimpleName() + "(" + channels + ")";
    }
}
