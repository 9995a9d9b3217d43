package dev.autodiff.nn;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Instance normalisation, as torch.nn.InstanceNorm1d/2d: each example's channel is normalised with its own mean
 * and biased variance over the spatial positions, x_hat = (x - mean) / sqrt(var + eps), then, with affine,
 * y = weight * x_hat + bias per channel. As PyTorch, affine and trackRunningStats are off by default. With
 * trackRunningStats, training also updates the buffers "runningMean" and "runningVar" with momentum from the
 * batch's average instance mean and unbiased instance variance, and evaluation normalises with them. Input
 * (N, C, spatial...) or unbatched (C, spatial...).
 */
public class InstanceNorm extends Module {
    private final int spatial;
    private final int features;
    private final double eps;
    private final double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;

    InstanceNorm(int spatial, int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures < 1 || !(eps > 0 && eps < Double.POSITIVE_INFINITY) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": need numFeatures >= 1, finite eps > 0 and "
                    + "0 <= momentum <= 1, got numFeatures " + numFeatures + ", eps " + eps + ", momentum " + momentum);
        }
        this.spatial = spatial;
        this.features = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? param("weight", Tensor.ones(numFeatures)) : null;
        this.bias = affine ? param("bias", Tensor.zeros(numFeatures)) : null;
        this.runningMean = trackRunningStats ? buffer("runningMean", Tensor.zeros(numFeatures)) : null;
        this.runningVar = trackRunningStats ? buffer("runningVar", Tensor.ones(numFeatures)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (x.rank() == spatial + 1) {
            return forward(x.unsqueeze(0)).squeeze(0); // unbatched (C, spatial...), as PyTorch
        }
        if (x.rank() != spatial + 2 || x.dim(1) != features) {
            throw new IllegalArgumentException(describe() + ": input must be (N, " + features + ", " + spatial + " spatial dim"
                    + (spatial == 1 ? "" : "s") + ") or (" + features + ", ...), got " + Arrays.toString(x.shape()));
        }
        int n = x.dim(0);
        long positions = 1;
        for (int d = 2; d < x.rank(); d++) {
            positions *= x.dim(d);
        }
        boolean inputStats = isTraining() || runningMean == null;
        // one position has variance 0 and normalises to 0 whatever the input, which PyTorch refuses as well
        if (inputStats && positions <= 1) {
            throw new IllegalArgumentException(describe() + ": expected more than 1 spatial element when using the input's "
                    + "statistics, got input shape " + Arrays.toString(x.shape()));
        }
        int[] perChannel = new int[x.rank()];
        Arrays.fill(perChannel, 1);
        perChannel[1] = features;
        Tensor xHat;
        if (inputStats) {
            Tensor flat = x.reshape(n, features, (int) positions);
            Tensor mean = flat.mean(true, 2);
            Tensor centred = flat.sub(mean);
            Tensor var = centred.square().mean(true, 2);
            xHat = centred.div(var.add(eps).sqrt()).reshape(x.shape());
            if (runningMean != null && isTraining() && n > 0) {
                try (GradScope s = Autodiff.noGrad()) {
                    double unbias = (double) positions / (positions - 1);
                    runningMean.assign(runningMean.mul(1 - momentum).add(mean.detach().reshape(n, features).mean(0).mul(momentum)));
                    runningVar.assign(runningVar.mul(1 - momentum)
                            .add(var.detach().reshape(n, features).mean(0).mul(momentum * unbias)));
                }
            }
        } else {
            xHat = x.sub(runningMean.reshape(perChannel)).div(runningVar.reshape(perChannel).add(eps).sqrt());
        }
        return weight == null ? xHat : xHat.mul(weight.reshape(perChannel)).add(bias.reshape(perChannel));
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    /** The running mean (a copy), or null without trackRunningStats. */
    public Tensor runningMean() {
        return runningMean == null ? null : runningMean.detach();
    }

    public Tensor runningVar() {
        return runningVar == null ? null : runningVar.detach();
    }

    @Override
    public String describe() {
        return getClass().getSimpleName() + "(" + features + (weight == null ? "" : ", affine true")
                + (runningMean == null ? "" : ", trackRunningStats true") + ")";
    }
}
