package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.Collection;

/** Losses (mean over the batch, as PyTorch's default reduction) and penalties, composed of core ops. */
public final class Losses {
    private Losses() {}

    /** mean((prediction - target)^2). */
    public static Tensor mse(Tensor prediction, Tensor target) {
        return prediction.sub(target).square().mean();
    }

    /** -mean(t log p + (1 - t) log(1 - p)) for probabilities p, with each log clamped at -100 as PyTorch. */
    public static Tensor binaryCrossEntropy(Tensor p, Tensor target) {
        Tensor logP = p.log().maximum(-100.0);
        Tensor log1mP = p.rsub(1.0).log().maximum(-100.0);
        return target.mul(logP).add(target.rsub(1.0).mul(log1mP)).mean().neg();
    }

    /** The same from logits z, stably: mean(max(z, 0) - z t + log(1 + e^-|z|)). */
    public static Tensor binaryCrossEntropyWithLogits(Tensor z, Tensor target) {
        return z.relu().sub(z.mul(target)).add(z.abs().neg().exp().add(1.0).log()).mean();
    }

    /** Softmax cross-entropy of logits (N, C) against integer labels in [0, C): -mean(logSoftmax(z)[i, y_i]). */
    public static Tensor crossEntropy(Tensor logits, int[] labels) {
        return nll(logits.logSoftmax(1), labels);
    }

    /** Negative log-likelihood of log-probabilities (N, C) at integer labels. */
    public static Tensor nll(Tensor logProbs, int[] labels) {
        if (logProbs.rank() != 2 || logProbs.dim(0) != labels.length) {
            throw new IllegalArgumentException("nll: need (N, C) log-probabilities and N labels, got shape "
                    + java.util.Arrays.toString(logProbs.shape()) + " and " + labels.length + " labels");
        }
        double[] idx = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= logProbs.dim(1)) {
                throw new IllegalArgumentException("nll: label " + labels[i] + " at position " + i + " is outside [0, "
                        + logProbs.dim(1) + ")");
            }
            idx[i] = labels[i];
        }
        return logProbs.gather(1, Tensor.fromArray(idx, labels.length, 1)).mean().neg();
    }

    /** sum |w| over the tensors. */
    public static Tensor l1Penalty(Collection<Tensor> weights) {
        Tensor acc = Tensor.scalar(0.0);
        for (Tensor w : weights) {
            acc = acc.add(w.abs().sum());
        }
        return acc;
    }

    /** sum w^2 over the tensors. */
    public static Tensor l2Penalty(Collection<Tensor> weights) {
        Tensor acc = Tensor.scalar(0.0);
        for (Tensor w : weights) {
            acc = acc.add(w.square().sum());
        }
        return acc;
    }
}
