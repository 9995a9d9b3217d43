package dev.autodiff.nn;

import dev.autodiff.CustomOp;
import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;

/**
 * Losses (mean over the batch, as PyTorch's default reduction; NaN for an empty batch, as PyTorch) and
 * penalties. Each Javadoc states the derivative at the loss's kinks and edges; they are PyTorch 1.13's.
 */
public final class Losses {
    private Losses() {}

    /**
     * mean((prediction - target)^2), smooth. The shapes must be equal: PyTorch broadcasts different shapes
     * with a warning that the result is likely wrong ((N, 1) against (N) averages an (N, N) matrix), and
     * here that is an error.
     */
    public static Tensor mse(Tensor prediction, Tensor target) {
        sameShape("mse", "prediction", prediction, target);
        return prediction.sub(target).square().mean();
    }

    // PyTorch's EPSILON in binary_cross_entropy_backward is the float 1e-12, 9.999999960041972e-13 as a double
    private static final double BCE_EPS = (double) 1e-12f;

    /**
     * -mean(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1] (anything else, NaN included, is an
     * error, as in PyTorch), each log clamped at -100 as PyTorch, so the loss is finite at p = 0 and 1. The
     * gradient is PyTorch's exactly: (p - t) / max(p (1 - p), 1e-12) / n with respect to p, finite at p = 0
     * and 1 (where it is (p - t) / 1e-12 / n), and -logit(p) / n with respect to t (infinite at p = 0 and 1).
     * Second order differentiates those formulas: d/dp of the first is 1 / 1e-12 / n where p (1 - p) &lt;= 1e-12.
     * The target need not be 0 or 1 (as PyTorch). Shapes must be equal.
     */
    public static Tensor binaryCrossEntropy(Tensor p, Tensor target) {
        sameShape("binaryCrossEntropy", "p", p, target);
        double[] v = p.toArray();
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0 && v[i] <= 1)) {
                throw new IllegalArgumentException("binaryCrossEntropy: every probability p must be in [0, 1], got "
                        + v[i] + " at flat index " + i + " of shape " + Arrays.toString(p.shape())
                        + " (for logits use binaryCrossEntropyWithLogits)");
            }
        }
        return BCE.apply(p, target).mean();
    }

    private static final CustomOp BCE = CustomOp.of("binaryCrossEntropy",
            // PyTorch 1.13's CPU forward, to the bit: (t - 1) max(log(1 - p), -100) - t max(log p, -100)
            xs -> Values.map(xs[0], xs[1], (p, t) -> (t - 1) * Math.max(Math.log(1 - p), -100.0)
                    - t * Math.max(Math.log(p), -100.0)),
            (i, g, xs, y) -> i == 0 ? g.mul(bceSlope(xs[0], xs[1])) : g.mul(logit(xs[0])).neg(),
            (xs, ts, y) -> ts[0].mul(bceSlope(xs[0], xs[1])).sub(zeroSafe(ts[1], xs[0], 0.5, Losses::logit)));

    /** d/dp: (p - t) / max(p (1 - p), eps), as PyTorch's binary_cross_entropy_backward. */
    private static Tensor bceSlope(Tensor p, Tensor t) {
        Tensor q = p.rsub(1.0).mul(p);
        return p.sub(t).div(Tensor.where(q.gt(BCE_EPS), q, Tensor.scalar(BCE_EPS)));
    }

    /** log(p / (1 - p)), as PyTorch's logit without eps: -inf at 0, inf at 1. */
    private static Tensor logit(Tensor p) {
        return p.div(p.rsub(1.0)).log();
    }

    /**
     * tangent * f(x), but exactly 0 where the tangent is 0 even if f(x) is infinite there (x is replaced by
     * {@code safe} before f sees it, so no order of derivative meets the infinity): a target without a tangent
     * must not turn the output's tangent into NaN at p = 0 or an infinite logit.
     */
    private static Tensor zeroSafe(Tensor tangent, Tensor x, double safe, java.util.function.UnaryOperator<Tensor> f) {
        Tensor moving = tangent.ne(0.0);
        return tangent.mul(f.apply(Tensor.where(moving, x, Tensor.scalar(safe))));
    }

    /**
     * The same from logits z, as PyTorch's binary_cross_entropy_with_logits: its stable form
     * (1 - t) z + m + log(e^-m + e^(-z - m)) with m = max(-z, 0), so the loss is infinite at z = +inf with
     * t &lt; 1, and NaN (as PyTorch) at z = -inf and at z = +inf with t = 1. Smooth in z: the gradient is
     * (sigmoid(z) - t) / n, so 1/2 - t at z = 0 (a zero-initialised output layer), finite at z = +-inf;
     * with respect to t it is -z / n. Shapes must be equal.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor z, Tensor target) {
        sameShape("binaryCrossEntropyWithLogits", "z", z, target);
        return BCE_LOGITS.apply(z, target).mean();
    }

    private static final CustomOp BCE_LOGITS = CustomOp.of("binaryCrossEntropyWithLogits",
            xs -> Values.map(xs[0], xs[1], (z, t) -> {
                double m = Math.max(-z, 0.0);
                return (1 - t) * z + m + Math.log(Math.exp(-m) + Math.exp(-z - m));
            }),
            (i, g, xs, y) -> i == 0 ? g.mul(xs[0].sigmoid().sub(xs[1])) : g.mul(xs[0]).neg(),
            (xs, ts, y) -> ts[0].mul(xs[0].sigmoid().sub(xs[1])).sub(zeroSafe(ts[1], xs[0], 0.0, z -> z)));

    /**
     * Softmax cross-entropy of logits (N, C) against integer labels in [0, C): -mean(logSoftmax(z)[i, y_i]);
     * also logits (C) with one label, as PyTorch's unbatched form. Smooth.
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels) {
        Objects.requireNonNull(logits, "crossEntropy: logits is null");
        Objects.requireNonNull(labels, "crossEntropy: labels is null");
        Tensor z = logits.rank() == 1 && labels.length == 1 ? logits.unsqueeze(0) : logits;
        checkClassification("crossEntropy", "logits", z, labels);
        return nllOf(z.logSoftmax(1), labels);
    }

    /** Negative log-likelihood of log-probabilities (N, C) at integer labels: -mean(logProbs[i, y_i]); linear. */
    public static Tensor nll(Tensor logProbs, int[] labels) {
        Objects.requireNonNull(logProbs, "nll: logProbs is null");
        Objects.requireNonNull(labels, "nll: labels is null");
        checkClassification("nll", "log-probabilities", logProbs, labels);
        return nllOf(logProbs, labels);
    }

    private static void checkClassification(String who, String what, Tensor x, int[] labels) {
        if (x.rank() != 2 || x.dim(0) != labels.length) {
            throw new IllegalArgumentException(who + ": need (N, C) " + what + " and N labels, got shape "
                    + Arrays.toString(x.shape()) + " and " + labels.length + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= x.dim(1)) {
                throw new IllegalArgumentException(who + ": label " + labels[i] + " at position " + i + " is outside [0, "
                        + x.dim(1) + ")");
            }
        }
    }

    private static Tensor nllOf(Tensor logProbs, int[] labels) {
        double[] idx = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            idx[i] = labels[i];
        }
        return logProbs.gather(1, Tensor.fromArray(idx, labels.length, 1)).mean().neg();
    }

    /** sum |w| over the tensors; derivative sign(w), 0 at the kink w = 0 (as PyTorch's abs), second derivative 0. */
    public static Tensor l1Penalty(Collection<Tensor> weights) {
        Tensor acc = Tensor.scalar(0.0);
        for (Tensor w : checkWeights("l1Penalty", weights)) {
            acc = acc.add(w.abs().sum());
        }
        return acc;
    }

    /** sum w^2 over the tensors; smooth. */
    public static Tensor l2Penalty(Collection<Tensor> weights) {
        Tensor acc = Tensor.scalar(0.0);
        for (Tensor w : checkWeights("l2Penalty", weights)) {
            acc = acc.add(w.square().sum());
        }
        return acc;
    }

    private static Collection<Tensor> checkWeights(String who, Collection<Tensor> weights) {
        Objects.requireNonNull(weights, () -> who + ": weights is null");
        int i = 0;
        for (Tensor w : weights) {
            if (w == null) {
                throw new NullPointerException(who + ": weight " + i + " is null");
            }
            i++;
        }
        return weights;
    }

    private static void sameShape(String who, String what, Tensor x, Tensor target) {
        Objects.requireNonNull(x, () -> who + ": " + what + " is null");
        Objects.requireNonNull(target, () -> who + ": target is null");
        if (!Arrays.equals(x.shape(), target.shape())) {
            throw new IllegalArgumentException(who + ": " + what + " has shape " + Arrays.toString(x.shape())
                    + " but target has shape " + Arrays.toString(target.shape()) + "; they must be equal");
        }
    }
}
