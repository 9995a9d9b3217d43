package dev.autodiff.nn;

import dev.autodiff.CustomOp;
import dev.autodiff.DType;
import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;

/**
 * Losses, with PyTorch's names, options and defaults, and penalties. Each loss reduces its per-example values
 * as its {@link Reduction} says: the mean by default (NaN for an empty batch, as PyTorch), the sum, none (the
 * per-example values in the batch's shape), or, for {@link #klDiv}, the sum over the batch size. Each Javadoc
 * states the derivative at the loss's kinks and edges; they are PyTorch 1.13's (KinkTest, LossKinkTest), and
 * where PyTorch has none or a wrong one the Javadoc says what is used instead. Shapes must be equal where
 * PyTorch would broadcast a prediction against a target of another shape (it warns that this is likely wrong).
 * Everything is composed of public core ops (and four custom ops with their rules), so every loss has
 * forward mode and higher derivatives, with respect to every tensor argument, class weights included.
 */
public final class Losses {
    private Losses() {}

    /** PyTorch's default {@code ignore_index}: a label equal to it counts in neither a loss's sum nor its mean. */
    public static final int IGNORE_INDEX = -100;

    /** mean((prediction - target)^2), smooth; {@link #mse(Tensor, Tensor, Reduction)} with the mean. */
    public static Tensor mse(Tensor prediction, Tensor target) {
        return mse(prediction, target, Reduction.MEAN);
    }

    /**
     * (prediction - target)^2, reduced, as F.mse_loss; smooth. The shapes must be equal: PyTorch broadcasts
     * different shapes with a warning that the result is likely wrong ((N, 1) against (N) averages an (N, N)
     * matrix), and here that is an error.
     */
    public static Tensor mse(Tensor prediction, Tensor target, Reduction reduction) {
        sameShape("mse", "prediction", prediction, target);
        check("mse", reduction);
        return reduce(prediction.sub(target).square(), reduction);
    }

    /** mean |prediction - target|, as F.l1_loss; {@link #l1(Tensor, Tensor, Reduction)} with the mean. */
    public static Tensor l1(Tensor prediction, Tensor target) {
        return l1(prediction, target, Reduction.MEAN);
    }

    /**
     * |prediction - target|, reduced, as F.l1_loss. At the kink prediction = target the derivative is 0 (PyTorch's
     * abs), the second derivative 0 everywhere. Shapes must be equal.
     */
    public static Tensor l1(Tensor prediction, Tensor target, Reduction reduction) {
        sameShape("l1", "prediction", prediction, target);
        check("l1", reduction);
        return reduce(prediction.sub(target).abs(), reduction);
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
        return binaryCrossEntropy(p, target, null, Reduction.MEAN);
    }

    /** {@link #binaryCrossEntropy(Tensor, Tensor)} reduced as {@code reduction} says. */
    public static Tensor binaryCrossEntropy(Tensor p, Tensor target, Reduction reduction) {
        return binaryCrossEntropy(p, target, null, reduction);
    }

    /**
     * {@link #binaryCrossEntropy(Tensor, Tensor)} with each element's loss multiplied by {@code weight} (null for
     * none; any shape that broadcasts to p's without growing it), then reduced: the weighted mean divides by the
     * number of elements, not by the weights' sum, as F.binary_cross_entropy's weight.
     */
    public static Tensor binaryCrossEntropy(Tensor p, Tensor target, Tensor weight, Reduction reduction) {
        String who = "binaryCrossEntropy";
        sameShape(who, "p", p, target);
        check(who, reduction);
        broadcastsTo(who, "weight", weight, p);
        double[] v = p.toArray();
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0 && v[i] <= 1)) {
                throw new IllegalArgumentException("binaryCrossEntropy: every probability p must be in [0, 1], got "
                        + v[i] + " at flat index " + i + " of shape " + Arrays.toString(p.shape())
                        + " (for logits use binaryCrossEntropyWithLogits)");
            }
        }
        Tensor each = BCE.apply(p, target);
        return reduce(weight == null ? each : each.mul(weight), reduction);
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
        return binaryCrossEntropyWithLogits(z, target, null, null, Reduction.MEAN);
    }

    /** {@link #binaryCrossEntropyWithLogits(Tensor, Tensor)} reduced as {@code reduction} says. */
    public static Tensor binaryCrossEntropyWithLogits(Tensor z, Tensor target, Reduction reduction) {
        return binaryCrossEntropyWithLogits(z, target, null, null, reduction);
    }

    /**
     * {@link #binaryCrossEntropyWithLogits(Tensor, Tensor)} with F.binary_cross_entropy_with_logits' options:
     * each element's loss times {@code weight}, and the positive term's log-likelihood times {@code posWeight}
     * (one per class, typically, against (N, C) logits: greater than 1 raises recall). Either may be null and
     * must broadcast to z's shape without growing it. With pos_weight w the loss is
     * (1 - t) z + (1 + (w - 1) t) softplus(-z), and its gradient (1 - t + w t) sigmoid(z) - w t in z, as PyTorch's.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor z, Tensor target, Tensor weight, Tensor posWeight,
            Reduction reduction) {
        String who = "binaryCrossEntropyWithLogits";
        sameShape(who, "z", z, target);
        check(who, reduction);
        broadcastsTo(who, "weight", weight, z);
        broadcastsTo(who, "posWeight", posWeight, z);
        Tensor each = BCE_LOGITS.apply(z, target);
        if (posWeight != null) {
            // (w - 1) t softplus(-z) on top of the plain loss; softplus(-z) = m + log(e^-m + e^(-z - m)), m = max(-z, 0)
            Tensor m = z.neg().relu();
            Tensor softplusNeg = m.add(m.neg().exp().add(z.neg().sub(m).exp()).log());
            each = each.add(posWeight.sub(1.0).mul(target).mul(softplusNeg));
        }
        return reduce(weight == null ? each : each.mul(weight), reduction);
    }

    private static final CustomOp BCE_LOGITS = CustomOp.of("binaryCrossEntropyWithLogits",
            xs -> Values.map(xs[0], xs[1], (z, t) -> {
                double m = Math.max(-z, 0.0);
                return (1 - t) * z + m + Math.log(Math.exp(-m) + Math.exp(-z - m));
            }),
            (i, g, xs, y) -> i == 0 ? g.mul(xs[0].sigmoid().sub(xs[1])) : g.mul(xs[0]).neg(),
            (xs, ts, y) -> ts[0].mul(xs[0].sigmoid().sub(xs[1])).sub(zeroSafe(ts[1], xs[0], 0.0, z -> z)));

    // ------------------------------------------------------------------------------------------ classification

    /**
     * Softmax cross-entropy of logits (N, C) against integer labels in [0, C): -mean(logSoftmax(z)[i, y_i]);
     * also logits (C) with one label (PyTorch's unbatched form) and (N, C, d1, ..., dk) with a label per
     * position (see {@link #crossEntropy(Tensor, int[], Tensor, int, Reduction, double)}). A label equal to
     * {@link #IGNORE_INDEX} (-100) is ignored, as PyTorch's default. Smooth.
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels) {
        return crossEntropy(logits, labels, null, IGNORE_INDEX, Reduction.MEAN, 0.0);
    }

    /** {@link #crossEntropy(Tensor, int[])} reduced as {@code reduction} says. */
    public static Tensor crossEntropy(Tensor logits, int[] labels, Reduction reduction) {
        return crossEntropy(logits, labels, null, IGNORE_INDEX, reduction, 0.0);
    }

    /**
     * F.cross_entropy(logits, labels, weight, ignore_index, reduction, label_smoothing) with class-index targets.
     * Shapes: logits (N, C) with N labels; (C) with one label (one example: reduction NONE gives a scalar); or
     * (N, C, d1, ..., dk), the classes on axis 1, with a label for each of the N d1 ... dk positions in row-major
     * order of (N, d1, ..., dk) (NONE gives that shape).
     *
     * <p>With log-probabilities l = logSoftmax(logits) over the classes, each position i with a label y_i other
     * than {@code ignoreIndex} has the loss
     * {@code (1 - e) (-w[y_i] l[i, y_i]) + (e / C) (-sum_c w[c] l[i, c])} for label smoothing e in [0, 1]
     * (PyTorch's formula: the target y_i smoothed to (1 - e) one-hot + e / C, with the class weights w, all 1
     * when {@code weight} is null, weighting both terms). An ignored position's loss is 0 (NONE), and it counts
     * in neither the sum nor the mean's denominator. The mean divides by the sum of the weights of the labels
     * that are not ignored, w[y_i] (their count without weights), as PyTorch; so when every label is ignored
     * the mean is 0 / 0 = NaN, as PyTorch 1.13, and the gradient is 0 (the sum is 0). Smooth in the logits and
     * in the weights (which may require gradients; PyTorch does not differentiate them).
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels, Tensor weight, int ignoreIndex, Reduction reduction,
            double labelSmoothing) {
        String who = "crossEntropy";
        checkClassification(who, "logits", logits, labels, weight, ignoreIndex);
        check(who, reduction);
        checkSmoothing(who, labelSmoothing);
        int axis = logits.rank() == 1 ? 0 : 1;
        return classification(classRows(logits.logSoftmax(axis), labels.length), batchShape(logits), labels, weight,
                ignoreIndex, reduction, labelSmoothing);
    }

    /**
     * Cross-entropy against class probabilities: {@code target} has the logits' shape ((N, C), (C), or
     * (N, C, d1, ..., dk)), and each position's loss is -sum_c t[c] logSoftmax(logits)[c]; smooth in both, and
     * the target's gradient is log-probabilities' negation, as PyTorch's. The target is not checked to be a
     * distribution (as PyTorch). {@link #crossEntropy(Tensor, Tensor, Tensor, Reduction, double)} with the mean.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        return crossEntropy(logits, target, null, Reduction.MEAN, 0.0);
    }

    /**
     * F.cross_entropy with probability targets: each position's loss -sum_c w[c] t'[c] logSoftmax(logits)[c]
     * with the smoothed target t' = (1 - e) t + e / C. Unlike the class-index form, the mean divides by the number
     * of positions (N d1 ... dk), not by a sum of weights, as PyTorch; and there is no ignore index (PyTorch
     * refuses one for probability targets).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Tensor weight, Reduction reduction, double labelSmoothing) {
        String who = "crossEntropy";
        sameShape(who, "logits", logits, target);
        if (logits.rank() == 0) {
            throw new IllegalArgumentException(who + ": logits must have shape (C), (N, C) or (N, C, d1, ..., dk), got a scalar");
        }
        check(who, reduction);
        checkSmoothing(who, labelSmoothing);
        int axis = logits.rank() == 1 ? 0 : 1;
        int c = logits.dim(axis);
        checkClassWeight(who, weight, c);
        Tensor t = labelSmoothing > 0 ? target.mul(1 - labelSmoothing).add(labelSmoothing / c) : target;
        Tensor terms = logits.logSoftmax(axis).mul(t);
        if (weight != null) {
            int[] along = new int[logits.rank() - axis]; // (C, 1, ..., 1): the weights on the class axis
            Arrays.fill(along, 1);
            along[0] = c;
            terms = terms.mul(weight.reshape(along));
        }
        Tensor each = terms.sum(axis).neg();
        if (reduction == Reduction.MEAN && logits.size() == 0) {
            return each.sum().mul(Double.NaN); // PyTorch's mean of no elements, also when C = 0
        }
        return reduce(each, reduction);
    }

    /**
     * Negative log-likelihood of log-probabilities (N, C) at integer labels: -mean(logProbs[i, y_i]); linear.
     * {@link #nll(Tensor, int[], Tensor, int, Reduction)} with PyTorch's defaults.
     */
    public static Tensor nll(Tensor logProbs, int[] labels) {
        return nll(logProbs, labels, null, IGNORE_INDEX, Reduction.MEAN);
    }

    /** {@link #nll(Tensor, int[])} reduced as {@code reduction} says. */
    public static Tensor nll(Tensor logProbs, int[] labels, Reduction reduction) {
        return nll(logProbs, labels, null, IGNORE_INDEX, reduction);
    }

    /**
     * F.nll_loss(logProbs, labels, weight, ignore_index, reduction): each position's loss is
     * -w[y_i] logProbs[i, y_i], with the shapes, the ignore index and the weighted mean of
     * {@link #crossEntropy(Tensor, int[], Tensor, int, Reduction, double)} (which is this after logSoftmax).
     * The input is not checked to be log-probabilities (as PyTorch). Linear in logProbs.
     */
    public static Tensor nll(Tensor logProbs, int[] labels, Tensor weight, int ignoreIndex, Reduction reduction) {
        String who = "nll";
        checkClassification(who, "logProbs", logProbs, labels, weight, ignoreIndex);
        check(who, reduction);
        return classification(classRows(logProbs, labels.length), batchShape(logProbs), labels, weight, ignoreIndex,
                reduction, 0.0);
    }

    /** The weighted, smoothed negative log-likelihood of log-probability rows (M, C) at M labels, reduced. */
    private static Tensor classification(Tensor logProbs, int[] batch, int[] labels, Tensor weight, int ignoreIndex,
            Reduction reduction, double smoothing) {
        int m = labels.length;
        int kept = 0;
        for (int y : labels) {
            kept += y == ignoreIndex ? 0 : 1;
        }
        int[] rows = new int[kept];
        int[] classes = new int[kept];
        for (int i = 0, k = 0; i < m; i++) {
            if (labels[i] != ignoreIndex) {
                rows[k] = i;
                classes[k++] = labels[i];
            }
        }
        // the ignored rows are left out before any arithmetic, so their values (even infinite) reach nothing
        Tensor lp = kept == m ? logProbs : logProbs.indexSelect(0, rows);
        Tensor picked = lp.gather(1, column(classes)).reshape(kept);
        Tensor w = weight == null ? null : weight.indexSelect(0, classes);
        Tensor each = (w == null ? picked : picked.mul(w)).neg();
        if (smoothing > 0) {
            Tensor spread = (weight == null ? lp : lp.mul(weight)).sum(1).neg(); // -sum_c w[c] l[i, c]
            each = each.mul(1 - smoothing).add(spread.mul(smoothing / logProbs.dim(1)));
        }
        switch (reduction) {
            case SUM:
                return each.sum();
            case MEAN:
                return w == null ? each.mean() : each.sum().div(w.sum());
            default: // NONE: 0 at the ignored positions, in the batch's shape
                Tensor all = kept == m ? each : Tensor.zeros(each.dtype(), m).indexAdd(0, rows, each);
                return all.reshape(batch);
        }
    }

    /** Labels as the (n, 1) index tensor gather takes. */
    private static Tensor column(int[] labels) {
        double[] idx = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            idx[i] = labels[i];
        }
        return Tensor.fromArray(idx, labels.length, 1);
    }

    /** The positions of a classification input: () for (C), (N) for (N, C), (N, d1, ..., dk) for (N, C, d1, ..., dk). */
    private static int[] batchShape(Tensor x) {
        int[] s = x.shape();
        if (s.length == 1) {
            return new int[0];
        }
        int[] b = new int[s.length - 1];
        b[0] = s[0];
        System.arraycopy(s, 2, b, 1, s.length - 2);
        return b;
    }

    /** The input as rows (M, C): the class axis (1; 0 for one unbatched example) moved last. */
    private static Tensor classRows(Tensor x, int m) {
        int r = x.rank();
        if (r == 1) {
            return x.reshape(1, x.dim(0));
        } else if (r == 2) {
            return x;
        }
        int[] perm = new int[r];
        for (int i = 1; i < r - 1; i++) {
            perm[i] = i + 1;
        }
        perm[r - 1] = 1;
        return x.permute(perm).reshape(m, x.dim(1));
    }

    /** Shapes, labels (in [0, C), or the ignore index when there is one) and class weights of a classification loss. */
    private static void checkClassification(String who, String what, Tensor x, int[] labels, Tensor weight, Integer ignoreIndex) {
        Objects.requireNonNull(x, () -> who + ": " + what + " is null");
        Objects.requireNonNull(labels, () -> who + ": labels is null");
        if (x.rank() == 0) {
            throw new IllegalArgumentException(who + ": " + what + " must have shape (C), (N, C) or (N, C, d1, ..., dk), got a scalar");
        }
        int[] batch = batchShape(x);
        long positions = 1;
        for (int d : batch) {
            positions *= d;
        }
        if (positions != labels.length) {
            String form = x.rank() == 1 ? "(C) " + what + " (one example) and one label"
                    : x.rank() == 2 ? "(N, C) " + what + " and N labels"
                    : "(N, C, d1, ..., dk) " + what + " and a label per position of (N, d1, ..., dk) = "
                            + Arrays.toString(batch) + ", row-major";
            throw new IllegalArgumentException(who + ": need " + form + ", got shape " + Arrays.toString(x.shape()) + " and "
                    + labels.length + " labels");
        }
        int c = x.dim(x.rank() == 1 ? 0 : 1);
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] < 0 || labels[i] >= c) && (ignoreIndex == null || labels[i] != ignoreIndex)) {
                throw new IllegalArgumentException(who + ": label " + labels[i] + " at position " + i + " is outside [0, "
                        + c + ")" + (ignoreIndex == null ? "" : " and is not the ignore index " + ignoreIndex));
            }
        }
        checkClassWeight(who, weight, c);
    }

    private static void checkClassWeight(String who, Tensor weight, int c) {
        if (weight != null && (weight.rank() != 1 || weight.dim(0) != c)) {
            throw new IllegalArgumentException(who + ": weight must have one entry per class, shape [" + c + "], got shape "
                    + Arrays.toString(weight.shape()));
        }
    }

    private static void checkSmoothing(String who, double e) {
        if (!(e >= 0 && e <= 1)) {
            throw new IllegalArgumentException(who + ": labelSmoothing must be in [0, 1], got " + e);
        }
    }

    // --------------------------------------------------------------------------------------------- regression

    /** {@link #huber(Tensor, Tensor, Reduction, double)} with delta 1 and the mean, as F.huber_loss' defaults. */
    public static Tensor huber(Tensor input, Tensor target) {
        return huber(input, target, Reduction.MEAN, 1.0);
    }

    /**
     * F.huber_loss: with x = input - target, 0.5 x^2 where |x| &lt; delta and delta (|x| - 0.5 delta) elsewhere,
     * for delta &gt; 0. It is C^1: at the kinks |x| = delta the derivative is delta sign(x) from both sides; the
     * second derivative is 1 inside, 0 outside and 0 at the kinks themselves (PyTorch's double backward uses
     * |x| &lt; delta). Equal to delta smoothL1(beta = delta). Shapes must be equal.
     */
    public static Tensor huber(Tensor input, Tensor target, Reduction reduction, double delta) {
        String who = "huber";
        sameShape(who, "input", input, target);
        check(who, reduction);
        if (!(delta > 0)) {
            throw new IllegalArgumentException(who + ": need delta > 0, got " + delta);
        }
        Tensor x = input.sub(target);
        Tensor inside = x.abs().lt(delta);
        Tensor quadratic = safe(inside, x).square().mul(0.5);
        Tensor linear = x.abs().sub(0.5 * delta).mul(delta); // |x| >= delta > 0 here, so abs' = sign(x)
        return reduce(Tensor.where(inside, quadratic, linear), reduction);
    }

    /** {@link #smoothL1(Tensor, Tensor, Reduction, double)} with beta 1 and the mean, as F.smooth_l1_loss' defaults. */
    public static Tensor smoothL1(Tensor input, Tensor target) {
        return smoothL1(input, target, Reduction.MEAN, 1.0);
    }

    /**
     * F.smooth_l1_loss: with x = input - target, 0.5 x^2 / beta where |x| &lt; beta and |x| - 0.5 beta elsewhere,
     * for beta &gt;= 0. The derivative at the kinks |x| = beta is sign(x), the second derivative there 0 (as
     * huber). beta = 0 is the L1 loss, but with PyTorch 1.13's smooth_l1 derivatives at x = 0: -1 in the input
     * and -1 in the target too (its kernel's x &lt;= -beta branch, applied to input - target for the input and to
     * target - input for the target), where {@link #l1} gives 0 and 0. Shapes must be equal.
     */
    public static Tensor smoothL1(Tensor input, Tensor target, Reduction reduction, double beta) {
        String who = "smoothL1";
        sameShape(who, "input", input, target);
        check(who, reduction);
        if (!(beta >= 0)) {
            throw new IllegalArgumentException(who + ": need beta >= 0, got " + beta);
        }
        if (beta == 0) {
            return reduce(SMOOTH_L1_BETA0.apply(input, target), reduction);
        }
        Tensor x = input.sub(target);
        Tensor inside = x.abs().lt(beta);
        Tensor quadratic = safe(inside, x).square().mul(0.5).div(beta);
        return reduce(Tensor.where(inside, quadratic, x.abs().sub(0.5 * beta)), reduction);
    }

    /**
     * |input - target| with PyTorch's smooth_l1 derivatives for beta = 0: k(input - target) in the input and
     * k(target - input) in the target, k(u) = 1 for u &gt; 0 and -1 for u &lt;= 0. Piecewise linear, so the
     * second derivative is 0.
     */
    private static final CustomOp SMOOTH_L1_BETA0 = CustomOp.of("smoothL1",
            xs -> Values.map(xs[0], xs[1], (a, b) -> Math.abs(a - b)),
            (i, g, xs, y) -> g.mul(kinkSign(i == 0 ? xs[0].sub(xs[1]) : xs[1].sub(xs[0]))),
            (xs, ts, y) -> ts[0].mul(kinkSign(xs[0].sub(xs[1]))).add(ts[1].mul(kinkSign(xs[1].sub(xs[0])))));

    /** 1 where u &gt; 0, -1 elsewhere (NaN included): a constant. */
    private static Tensor kinkSign(Tensor u) {
        return u.gt(0.0).mul(2.0).sub(1.0).detach();
    }

    /** x where the branch is taken, 0 elsewhere: the discarded branch never sees an infinity (the double where). */
    private static Tensor safe(Tensor taken, Tensor x) {
        return Tensor.where(taken, x, Tensor.scalar(0.0));
    }

    /** {@link #klDiv(Tensor, Tensor, Reduction, boolean)} with the mean and probabilities as the target, as F.kl_div's defaults. */
    public static Tensor klDiv(Tensor input, Tensor target) {
        return klDiv(input, target, Reduction.MEAN, false);
    }

    /**
     * F.kl_div: the input holds log-probabilities log q, the target probabilities p (or log p with
     * {@code logTarget}), and each element is p (log p - log q): {@code xlogy(p, p) - p input}, 0 where p = 0
     * (NaN where p &lt; 0, as PyTorch), or {@code exp(t) (t - input)} for a log target t. {@link Reduction#BATCHMEAN}
     * divides the sum by the batch size (the first dimension; a scalar is one example), which is the KL
     * divergence KL(p || q) per example when each row is a distribution; MEAN divides by the number of elements
     * (PyTorch's default, which it warns is not the divergence). The gradient in the input is -p (or -exp(t));
     * in a probability target it is log p + 1 - input, which is -infinity at p = 0: the one-sided limit, where
     * PyTorch 1.13 gives NaN (its xlogy's derivative 0 / 0). Forward mode with no tangent on the target
     * contributes exactly 0 there. Shapes must be equal.
     */
    public static Tensor klDiv(Tensor input, Tensor target, Reduction reduction, boolean logTarget) {
        String who = "klDiv";
        sameShape(who, "input", input, target);
        Objects.requireNonNull(reduction, () -> who + ": reduction is null");
        Tensor each = logTarget ? target.exp().mul(target.sub(input)) : XLOGX.apply(target).sub(target.mul(input));
        if (reduction == Reduction.BATCHMEAN) {
            return input.rank() == 0 ? each.sum() : each.sum().div(input.dim(0));
        }
        return reduce(each, reduction);
    }

    /** p log p, 0 at p = 0 (as xlogy(p, p)); its derivative log p + 1, -infinity at 0 (an exact 0 for a 0 tangent). */
    private static final CustomOp XLOGX = CustomOp.of("xlogx",
            xs -> Values.map(xs[0], p -> p == 0 ? 0.0 : p * Math.log(p)),
            (i, g, xs, y) -> zeroSafe(g, xs[0], 1.0, p -> p.log().add(1.0)),
            (xs, ts, y) -> zeroSafe(ts[0], xs[0], 1.0, p -> p.log().add(1.0)));

    // ------------------------------------------------------------------------------- margins and embeddings

    /** {@link #marginRanking(Tensor, Tensor, Tensor, double, Reduction)} with margin 0 and the mean. */
    public static Tensor marginRanking(Tensor x1, Tensor x2, Tensor target) {
        return marginRanking(x1, x2, target, 0.0, Reduction.MEAN);
    }

    /**
     * F.margin_ranking_loss: max(0, -y (x1 - x2) + margin), for y = 1 when x1 should rank higher and -1 when x2
     * should (any real y is accepted, as PyTorch, and differentiated). At the hinge -y (x1 - x2) + margin = 0 the
     * derivative is the active side's (-y in x1, y in x2, -(x1 - x2) in y), as PyTorch's clamp_min; second
     * derivative 0 in x1 and x2. All three shapes must be equal.
     */
    public static Tensor marginRanking(Tensor x1, Tensor x2, Tensor target, double margin, Reduction reduction) {
        String who = "marginRanking";
        sameShape(who, "x1", x1, target);
        sameShape(who, "x2", x2, target);
        check(who, reduction);
        checkMargin(who, margin);
        return reduce(clampMin0(target.neg().mul(x1.sub(x2)).add(margin)), reduction);
    }

    /** {@link #hingeEmbedding(Tensor, Tensor, double, Reduction)} with margin 1 and the mean. */
    public static Tensor hingeEmbedding(Tensor input, Tensor target) {
        return hingeEmbedding(input, target, 1.0, Reduction.MEAN);
    }

    /**
     * F.hinge_embedding_loss: x where y = 1 and max(0, margin - x) where y = -1, for an input x of distances.
     * At the hinge x = margin (y = -1) the derivative is -1, the active side (PyTorch's clamp_min). The target
     * must hold only 1 and -1: PyTorch adds both terms for other values, which is no loss anyone means, so here
     * that is an error. Shapes must be equal.
     */
    public static Tensor hingeEmbedding(Tensor input, Tensor target, double margin, Reduction reduction) {
        String who = "hingeEmbedding";
        sameShape(who, "input", input, target);
        check(who, reduction);
        checkMargin(who, margin);
        checkSigns(who, target);
        return reduce(Tensor.where(target.eq(1.0), input, clampMin0(input.rsub(margin))), reduction);
    }

    /** {@link #cosineEmbedding(Tensor, Tensor, Tensor, double, Reduction)} with margin 0 and the mean. */
    public static Tensor cosineEmbedding(Tensor x1, Tensor x2, Tensor target) {
        return cosineEmbedding(x1, x2, target, 0.0, Reduction.MEAN);
    }

    // PyTorch's EPSILON in cosine_embedding_loss, added to each squared norm (a double there)
    private static final double COSINE_EPS = 1e-12;

    /**
     * F.cosine_embedding_loss: with cos = x1 . x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)) per row (PyTorch's
     * epsilon, so zero vectors give cos = 0), the loss is 1 - cos where y = 1 and max(0, cos - margin) where
     * y = -1. Inputs (N, D) with a target (N), or (D) with a scalar target (one example). At the hinge
     * cos = margin the derivative is the active side's (PyTorch's clamp_min). The target must hold only 1 and
     * -1 (PyTorch gives 0 for other values; here they are an error).
     */
    public static Tensor cosineEmbedding(Tensor x1, Tensor x2, Tensor target, double margin, Reduction reduction) {
        String who = "cosineEmbedding";
        Objects.requireNonNull(x1, () -> who + ": x1 is null");
        Objects.requireNonNull(x2, () -> who + ": x2 is null");
        Objects.requireNonNull(target, () -> who + ": target is null");
        boolean batched = target.rank() == 1;
        if (!Arrays.equals(x1.shape(), x2.shape()) || target.rank() > 1 || x1.rank() != target.rank() + 1
                || (batched && x1.dim(0) != target.dim(0))) {
            throw new IllegalArgumentException(who + ": need x1 and x2 of shape (N, D) with a target (N), or (D) with a "
                    + "scalar target, got " + Arrays.toString(x1.shape()) + ", " + Arrays.toString(x2.shape()) + " and "
                    + Arrays.toString(target.shape()));
        }
        check(who, reduction);
        checkMargin(who, margin);
        checkSigns(who, target);
        int axis = batched ? 1 : 0;
        Tensor dot = x1.mul(x2).sum(axis);
        Tensor norms = x1.mul(x1).sum(axis).add(COSINE_EPS).mul(x2.mul(x2).sum(axis).add(COSINE_EPS)).sqrt();
        Tensor cos = dot.div(norms);
        return reduce(Tensor.where(target.eq(1.0), cos.rsub(1.0), clampMin0(cos.sub(margin))), reduction);
    }

    /** {@link #multiMargin(Tensor, int[], int, double, Tensor, Reduction)} with p 1, margin 1, no weights, the mean. */
    public static Tensor multiMargin(Tensor input, int[] labels) {
        return multiMargin(input, labels, 1, 1.0, null, Reduction.MEAN);
    }

    /**
     * F.multi_margin_loss, the multi-class hinge: each row x of an input (N, C) (or (C) with one label) with label
     * y has the loss sum over j != y of w[y] max(0, margin - x[y] + x[j])^p / C, for p = 1 or 2 and optional
     * class weights w (the mean divides by N, not by the weights' sum, as PyTorch). At a hinge
     * margin - x[y] + x[j] = 0 the derivative is 0 (PyTorch's kernel counts only z &gt; 0); the second derivative
     * is 0 for p = 1, and 2 w[y] / C where z &gt; 0 for p = 2 (PyTorch has no double backward here).
     */
    public static Tensor multiMargin(Tensor input, int[] labels, int p, double margin, Tensor weight, Reduction reduction) {
        String who = "multiMargin";
        Objects.requireNonNull(input, () -> who + ": input is null");
        Objects.requireNonNull(labels, () -> who + ": labels is null");
        if (input.rank() != 2 && input.rank() != 1) {
            throw new IllegalArgumentException(who + ": input must have shape (N, C), or (C) for one example, got "
                    + Arrays.toString(input.shape()));
        }
        checkClassification(who, "input", input, labels, weight, null);
        check(who, reduction);
        checkMargin(who, margin);
        if (p != 1 && p != 2) {
            throw new IllegalArgumentException(who + ": p must be 1 or 2 (as PyTorch), got " + p);
        }
        Tensor x = input.rank() == 1 ? input.reshape(1, input.dim(0)) : input;
        int c = x.dim(1);
        Tensor idx = column(labels);
        Tensor z = x.sub(x.gather(1, idx)).add(margin); // margin - x[y] + x[j]
        Tensor h = p == 1 ? z.relu() : z.relu().square();
        double[] others = new double[labels.length * c];
        Arrays.fill(others, 1.0);
        for (int i = 0; i < labels.length; i++) {
            others[i * c + labels[i]] = 0.0;
        }
        h = Tensor.where(Tensor.fromArray(others, labels.length, c), h, Tensor.scalar(0.0));
        if (weight != null) {
            h = h.mul(weight.indexSelect(0, labels).reshape(labels.length, 1));
        }
        Tensor each = h.sum(1).div(c);
        return reduce(input.rank() == 1 ? each.reshape() : each, reduction);
    }

    private static Tensor clampMin0(Tensor x) {
        return x.clamp(0.0, Double.POSITIVE_INFINITY); // the bound passes the gradient, as PyTorch's clamp_min
    }

    private static void checkMargin(String who, double margin) {
        if (Double.isNaN(margin)) {
            throw new IllegalArgumentException(who + ": margin is NaN");
        }
    }

    private static void checkSigns(String who, Tensor target) {
        double[] y = target.toArray();
        for (int i = 0; i < y.length; i++) {
            if (y[i] != 1 && y[i] != -1) {
                throw new IllegalArgumentException(who + ": the target must hold only 1 and -1, got " + y[i] + " at flat index "
                        + i + " of shape " + Arrays.toString(target.shape()));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------ CTC

    /** {@link #ctc(Tensor, int[][], int[], int, Reduction, boolean)} with blank 0, the mean, and infinities kept. */
    public static Tensor ctc(Tensor logProbs, int[][] targets, int[] inputLengths) {
        return ctc(logProbs, targets, inputLengths, 0, Reduction.MEAN, false);
    }

    // "log 0" of the CTC recursion: finite, so that no exp, sum or gradient meets an infinity; it stays itself
    // under the additions of finite log-probabilities (its ulp is far above them). -1e300 is -infinity in float32,
    // whose log 0 is -1e30 (ulp 7.6e22)
    private static final double LOG_ZERO = -1e300;
    private static final double LOG_ZERO_FLOAT32 = -1e30;

    /**
     * F.ctc_loss, connectionist temporal classification: -log of the total probability of the alignments of
     * each target sequence to its input, by the forward (alpha) recursion in log space over the target with
     * blanks interleaved, one step per time step, composed of core ops (so it has forward mode and second
     * derivatives, which PyTorch's CTC has not).
     *
     * <p>{@code logProbs} (T, N, C) holds log-probabilities (normally logSoftmax over C); or (T, C) for one
     * sequence, whose NONE result is a scalar. {@code targets[n]} is sequence n's labels in [0, C), none of them
     * the blank; {@code inputLengths[n]} in [1, T] its number of time steps (later steps are not read).
     * MEAN divides each loss by its target's length (at least 1) and averages those, as PyTorch; SUM and NONE as
     * usual. A target that cannot be aligned (too long for its input, counting a blank between repeats) has an
     * infinite loss, or 0 with {@code zeroInfinity}; its gradient is 0 in both cases (PyTorch's is NaN without
     * zeroInfinity).
     *
     * <p>The gradient is the exact one with respect to the log-probabilities: minus the posterior occupancy of
     * each (time, class). PyTorch's CTC backward returns that plus exp(logProbs), which is the gradient of the
     * logits before a logSoftmax but not the gradient of its own function of logProbs; through a logSoftmax
     * the two agree, and the tests compare there.
     */
    public static Tensor ctc(Tensor logProbs, int[][] targets, int[] inputLengths, int blank, Reduction reduction,
            boolean zeroInfinity) {
        String who = "ctc";
        Objects.requireNonNull(logProbs, () -> who + ": logProbs is null");
        Objects.requireNonNull(targets, () -> who + ": targets is null");
        Objects.requireNonNull(inputLengths, () -> who + ": inputLengths is null");
        check(who, reduction);
        boolean batched = logProbs.rank() == 3;
        if (!batched && logProbs.rank() != 2) {
            throw new IllegalArgumentException(who + ": logProbs must have shape (T, N, C), or (T, C) for one sequence, got "
                    + Arrays.toString(logProbs.shape()));
        }
        Tensor lp = batched ? logProbs : logProbs.unsqueeze(1);
        int steps = lp.dim(0);
        int n = lp.dim(1);
        int c = lp.dim(2);
        if (targets.length != n || inputLengths.length != n) {
            throw new IllegalArgumentException(who + ": logProbs of shape " + Arrays.toString(logProbs.shape()) + " hold " + n
                    + " sequence(s), got " + targets.length + " targets and " + inputLengths.length + " input lengths");
        }
        if (blank < 0 || blank >= c) {
            throw new IllegalArgumentException(who + ": blank " + blank + " is outside [0, " + c + ")");
        }
        int longest = 0;
        for (int b = 0; b < n; b++) {
            int seq = b;
            int[] y = Objects.requireNonNull(targets[b], () -> who + ": target " + seq + " is null");
            if (inputLengths[b] < 1 || inputLengths[b] > steps) {
                throw new IllegalArgumentException(who + ": input length " + inputLengths[b] + " of sequence " + b
                        + " is outside [1, " + steps + "]");
            }
            for (int k = 0; k < y.length; k++) {
                if (y[k] < 0 || y[k] >= c || y[k] == blank) {
                    throw new IllegalArgumentException(who + ": label " + y[k] + " at position " + k + " of target " + b
                            + " is outside [0, " + c + ") or is the blank " + blank);
                }
            }
            longest = Math.max(longest, y.length);
        }
        int s = 2 * longest + 1; // the extended target: blank, y1, blank, y2, ..., blank (padded with blanks)
        double[] ext = new double[steps * n * s];
        double[] skip = new double[n * s];       // 1 where alpha may come from two states back: a label unlike the one before
        double[] first = new double[n * s];      // the states an alignment may start in
        double[] last = new double[n * 2];       // the states it may end in: 2L and 2L - 1
        double[] lastOk = new double[n * 2];
        double[] lengths = new double[n];
        for (int b = 0; b < n; b++) {
            int[] y = targets[b];
            for (int j = 0; j < s; j++) {
                int label = j % 2 == 1 && j / 2 < y.length ? y[j / 2] : blank;
                for (int t = 0; t < steps; t++) {
                    ext[(t * n + b) * s + j] = label;
                }
                skip[b * s + j] = j % 2 == 1 && j >= 3 && j / 2 < y.length && y[j / 2] != y[j / 2 - 1] ? 1 : 0;
                first[b * s + j] = j < Math.min(2, 2 * y.length + 1) ? 1 : 0;
            }
            last[b * 2] = 2 * y.length;
            last[b * 2 + 1] = Math.max(2 * y.length - 1, 0);
            lastOk[b * 2] = 1;
            lastOk[b * 2 + 1] = y.length > 0 ? 1 : 0;
            lengths[b] = Math.max(y.length, 1);
        }
        double log0 = lp.dtype() == DType.FLOAT32 ? LOG_ZERO_FLOAT32 : LOG_ZERO;
        Tensor logZero = Tensor.scalar(log0);
        // log-probabilities of the extended labels, (T, N, S); -infinity (a probability 0) becomes log 0
        Tensor emit = lp.gather(2, Tensor.fromArray(ext, steps, n, s)).clamp(log0, Double.POSITIVE_INFINITY);
        Tensor skips = Tensor.fromArray(skip, n, s);
        Tensor alpha = Tensor.where(Tensor.fromArray(first, n, s), emit.slice(0, 0, 1).reshape(n, s), logZero);
        int shortest = Arrays.stream(inputLengths).min().orElse(steps);
        int longestInput = Arrays.stream(inputLengths).max().orElse(0);
        for (int t = 1; t < longestInput; t++) { // alpha_t(s) = logsumexp(alpha(s), alpha(s - 1), alpha(s - 2) if allowed) + emit_t(s)
            Tensor stay = alpha;
            Tensor fromPrevious = alpha.pad(new int[] {0, 1}, new int[] {0, 0}, log0).slice(1, 0, s);
            Tensor fromSkip = Tensor.where(skips, alpha.pad(new int[] {0, 2}, new int[] {0, 0}, log0).slice(1, 0, s), logZero);
            Tensor next = Tensor.stack(0, stay, fromPrevious, fromSkip).logSumExp(0).add(emit.slice(0, t, t + 1).reshape(n, s));
            if (t < shortest) {
                alpha = next;
            } else { // sequences that have ended keep their alpha
                double[] running = new double[n];
                for (int b = 0; b < n; b++) {
                    running[b] = t < inputLengths[b] ? 1 : 0;
                }
                alpha = Tensor.where(Tensor.fromArray(running, n, 1), next, alpha);
            }
        }
        Tensor ends = Tensor.where(Tensor.fromArray(lastOk, n, 2), alpha.gather(1, Tensor.fromArray(last, n, 2)), logZero);
        Tensor logLikelihood = ends.logSumExp(1);
        Tensor impossible = logLikelihood.lt(log0 / 2); // no alignment: the sum stayed at log 0
        Tensor each = Tensor.where(impossible, Tensor.scalar(zeroInfinity ? 0.0 : Double.POSITIVE_INFINITY), logLikelihood.neg());
        switch (reduction) {
            case MEAN:
                return each.div(Tensor.fromArray(lengths).to(each.dtype())).mean(); // whole numbers, exact in either dtype
            case SUM:
                return each.sum();
            default:
                return batched ? each : each.reshape();
        }
    }

    // ----------------------------------------------------------------------------------------------- penalties

    /** sum |w| over the tensors; derivative sign(w), 0 at the kink w = 0 (as PyTorch's abs), second derivative 0. */
    public static Tensor l1Penalty(Collection<Tensor> weights) {
        Tensor acc = null; // not a float64 0 to start from: the sum has the weights' dtype
        for (Tensor w : checkWeights("l1Penalty", weights)) {
            acc = acc == null ? w.abs().sum() : acc.add(w.abs().sum());
        }
        return acc == null ? Tensor.scalar(0.0) : acc;
    }

    /** sum w^2 over the tensors; smooth. */
    public static Tensor l2Penalty(Collection<Tensor> weights) {
        Tensor acc = null; // not a float64 0 to start from: the sum has the weights' dtype
        for (Tensor w : checkWeights("l2Penalty", weights)) {
            acc = acc == null ? w.square().sum() : acc.add(w.square().sum());
        }
        return acc == null ? Tensor.scalar(0.0) : acc;
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

    // ------------------------------------------------------------------------------------------------- helpers

    /** A reduction this loss takes: not null, and BATCHMEAN only for klDiv (as PyTorch). */
    private static void check(String who, Reduction reduction) {
        Objects.requireNonNull(reduction, () -> who + ": reduction is null");
        if (reduction == Reduction.BATCHMEAN) {
            throw new IllegalArgumentException(who + ": reduction BATCHMEAN is klDiv's only; expected NONE, MEAN or SUM");
        }
    }

    private static Tensor reduce(Tensor each, Reduction reduction) {
        switch (reduction) {
            case MEAN:
                return each.mean();
            case SUM:
                return each.sum();
            default:
                return each;
        }
    }

    private static void sameShape(String who, String what, Tensor x, Tensor target) {
        Objects.requireNonNull(x, () -> who + ": " + what + " is null");
        Objects.requireNonNull(target, () -> who + ": target is null");
        if (!Arrays.equals(x.shape(), target.shape())) {
            throw new IllegalArgumentException(who + ": " + what + " has shape " + Arrays.toString(x.shape())
                    + " but target has shape " + Arrays.toString(target.shape()) + "; they must be equal");
        }
    }

    /** An optional weight broadcasts to x's shape and does not grow it (as PyTorch's expand). */
    private static void broadcastsTo(String who, String what, Tensor w, Tensor x) {
        if (w == null) {
            return;
        }
        int[] ws = w.shape();
        int[] xs = x.shape();
        boolean ok = ws.length <= xs.length;
        for (int i = 1; ok && i <= ws.length; i++) {
            int a = ws[ws.length - i];
            ok = a == 1 || a == xs[xs.length - i];
        }
        if (!ok) {
            throw new IllegalArgumentException(who + ": " + what + " of shape " + Arrays.toString(ws)
                    + " does not broadcast to the input's shape " + Arrays.toString(xs));
        }
    }
}
