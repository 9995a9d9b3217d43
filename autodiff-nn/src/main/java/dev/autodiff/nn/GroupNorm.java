package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Group normalisation of (N, C, ...), as torch.nn.GroupNorm: the C channels are split into numGroups groups
 * of C / numGroups consecutive channels, and each example's group is normalised with its own mean and biased
 * variance over those channels and every spatial position, x_hat = (x - mean) / sqrt(var + eps); then, with
 * affine (the default), y = weight * x_hat + bias per channel. One group is LayerNorm over (C, ...) with a
 * per-channel affine map; C groups is InstanceNorm with one.
 */
public final class GroupNorm extends Module {
    private final int groups;
    private final int channels;
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;

    public GroupNorm(int numGroups, int numChannels, double eps, boolean affine) {
        if (numGroups < 1 || numChannels < 1 || numChannels % numGroups != 0 || !(eps > 0 && eps < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("GroupNorm: need numGroups >= 1 dividing numChannels >= 1 and a finite eps > 0, got "
                    + "numGroups " + numGroups + ", numChannels " + numChannels + ", eps " + eps);
        }
        this.groups = numGroups;
        this.channels = numChannels;
        this.eps = eps;
        this.weight = affine ? param("weight", Tensor.ones(numChannels)) : null;
        this.bias = affine ? param("bias", Tensor.zeros(numChannels)) : null;
    }

    /** eps 1e-5 and affine, as PyTorch's defaults. */
    public GroupNorm(int numGroups, int numChannels) {
        this(numGroups, numChannels, 1e-5, true);
    }

    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (x.rank() < 2 || x.dim(1) != channels) {
            throw new IllegalArgumentException(describe() + ": input must be (N, " + channels + ", ...), got " + Arrays.toString(x.shape()));
        }
        int n = x.dim(0);
        int perGroup = n == 0 ? 0 : x.size() / (n * groups); // (C / G) * prod(spatial)
        if (n > 0 && perGroup == 0) {
            throw new IllegalArgumentException(describe() + ": input has an empty spatial axis, got " + Arrays.toString(x.shape()));
        }
        Tensor g = x.reshape(n, groups, perGroup);
        Tensor centred = g.sub(g.mean(true, 2));
        Tensor var = centred.square().mean(true, 2);
        Tensor y = centred.div(var.add(eps).sqrt()).reshape(x.shape());
        if (weight == null) {
            return y;
        }
        int[] perChannel = new int[x.rank()];
        Arrays.fill(perChannel, 1);
        perChannel[1] = channels;
        return y.mul(weight.reshape(perChannel)).add(bias.reshape(perChannel));
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    @Override
    public String describe() {
        return "GroupNorm(" + groups + ", " + channels + (weight == null ? ", affine false" : "") + ")";
    }
}
