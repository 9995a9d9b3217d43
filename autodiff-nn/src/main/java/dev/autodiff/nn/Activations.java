package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.Objects;

/**
 * Activation functions, each a composition of core ops (so each has reverse mode, forward mode and
 * higher derivatives). Each function's Javadoc states its derivative at every kink, and it is PyTorch
 * 1.13's there in every mode and order (KinkTest checks them exactly at the kinks).
 *
 * <p>A kink's derivative is never inherited from a core op's tie rule (maximum and minimum give each input
 * half on a tie; clamp's bounds are a convention of their own). It is chosen explicitly with
 * {@code Tensor.where(mask, a, b)}, and each branch is fed an input that is safe where that branch is not
 * taken (the "double where": where's backward sends 0 into the discarded branch, and 0 times an infinite
 * partial derivative would be NaN, at the first order or a later one).
 */
public final class Activations {
    private Activations() {}

    /** SELU's constants, from Klambauer et al. (2017), as in PyTorch. */
    public static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    public static final double SELU_SCALE = 1.0507009873554804934193349852946;

    private static final Tensor ZERO = Tensor.scalar(0.0);

    /** Smooth; sigmoid'(0) = 1/4. */
    public static Tensor sigmoid(Tensor x) {
        return nonNull(x, "sigmoid").sigmoid();
    }

    /** Smooth; tanh'(0) = 1. */
    public static Tensor tanh(Tensor x) {
        return nonNull(x, "tanh").tanh();
    }

    /** max(x, 0); derivative 0 at the kink x = 0 (the core primitive's, as PyTorch), second derivative 0. */
    public static Tensor relu(Tensor x) {
        return nonNull(x, "relu").relu();
    }

    /**
     * x for x > 0, gamma x otherwise. Derivative gamma at the kink x = 0 (as PyTorch's leaky_relu: the
     * x &lt;= 0 branch), second derivative 0 everywhere.
     */
    public static Tensor leakyRelu(Tensor x, double gamma) {
        nonNull(x, "leakyRelu");
        finite("leakyRelu", "the negative slope gamma", gamma);
        Tensor positive = x.gt(0.0);
        return Tensor.where(positive, x, nonPositivePart(x, positive).mul(gamma));
    }

    /**
     * x for x > 0, alpha (e^x - 1) for x &lt; 0. At the kink x = 0: value 0, derivative alpha and second
     * derivative 0, as PyTorch (its elu_backward takes x &lt;= 0, its double backward x &lt; 0); with
     * alpha = 1 the function is C^1 and 1 is the only right derivative. e^x - 1 rather than expm1, as
     * PyTorch 1.13's CPU kernel; the exponential sees x only where x &lt; 0, so it never overflows.
     */
    public static Tensor elu(Tensor x, double alpha) {
        nonNull(x, "elu");
        finite("elu", "alpha", alpha);
        return eluOf(x, alpha);
    }

    private static Tensor eluOf(Tensor x, double alpha) {
        Tensor positive = x.gt(0.0);
        Tensor negative = x.lt(0.0);
        Tensor xNeg = Tensor.where(negative, x, ZERO);
        // x = 0 (and NaN) take alpha x: value 0, slope alpha, curvature 0
        return Tensor.where(positive, x, Tensor.where(negative, xNeg.exp().sub(1.0).mul(alpha), x.mul(alpha)));
    }

    /**
     * SELU_SCALE elu(x, SELU_ALPHA). At the kink x = 0: derivative SELU_SCALE SELU_ALPHA (about 1.7581) and
     * second derivative 0, as PyTorch.
     */
    public static Tensor selu(Tensor x) {
        return eluOf(nonNull(x, "selu"), SELU_ALPHA).mul(SELU_SCALE);
    }

    /**
     * log(1 + e^x), as PyTorch's softplus (beta 1, threshold 20): log1p(e^x) for x &lt;= 20 and x above,
     * accurate for every x (also far below 0, where it is e^x). Smooth: softplus'(0) = 1/2 and
     * softplus''(0) = 1/4. At PyTorch's threshold x = 20 the derivative is sigmoid(20), 1 above it; the
     * second derivative is sigmoid'(x) below 20 and 0 from 20 on, as PyTorch's double backward.
     */
    public static Tensor softplus(Tensor x) {
        return nonNull(x, "softplus").softplus();
    }

    /** x sigmoid(beta x); beta may be a learnable tensor (see {@link Swish}). Smooth; swish'(0) = 1/2. */
    public static Tensor swish(Tensor x, Tensor beta) {
        nonNull(x, "swish");
        Objects.requireNonNull(beta, "swish: beta is null");
        if (!broadcastsTo(beta.shape(), x.shape())) {
            throw new IllegalArgumentException("swish: beta of shape " + java.util.Arrays.toString(beta.shape())
                    + " does not broadcast to the input's shape " + java.util.Arrays.toString(x.shape()));
        }
        return x.mul(x.mul(beta).sigmoid());
    }

    /**
     * x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, the exact GELU (PyTorch's default, not the tanh approximation).
     * Smooth; gelu'(0) = 1/2.
     */
    public static Tensor gelu(Tensor x) {
        nonNull(x, "gelu");
        return x.mul(x.mul(Math.sqrt(0.5)).erf().add(1.0)).mul(0.5);
    }

    /**
     * max(min(x / 4 + 1/2, 1), 0), this library's hard logistic (PyTorch's hardsigmoid uses x / 6 + 1/2).
     * Derivative 1/4 strictly between the kinks x = -2 and x = 2, and 0 at them and beyond, as PyTorch's
     * hardsigmoid at its kinks; second derivative 0 everywhere.
     */
    public static Tensor hardSigmoid(Tensor x) {
        nonNull(x, "hardSigmoid");
        Tensor inside = x.gt(-2.0).mul(x.lt(2.0));
        return Tensor.where(inside, x.mul(0.25).add(0.5), flat(x.detach().mul(0.25).add(0.5), 0.0, 1.0));
    }

    /**
     * max(min(x, 1), -1). Derivative 1 strictly between the kinks x = -1 and x = 1, and 0 at them and beyond,
     * as PyTorch's hardtanh; second derivative 0 everywhere.
     */
    public static Tensor hardTanh(Tensor x) {
        nonNull(x, "hardTanh");
        Tensor inside = x.gt(-1.0).mul(x.lt(1.0));
        return Tensor.where(inside, x, flat(x.detach(), -1.0, 1.0));
    }

    /** A constant (no derivative in any mode): v limited to [lo, hi], NaN staying NaN. */
    private static Tensor flat(Tensor v, double lo, double hi) {
        return v.maximum(lo).minimum(hi);
    }

    /** Smooth; stable at any magnitude. */
    public static Tensor softmax(Tensor x, int axis) {
        return nonNull(x, "softmax").softmax(checkAxis("softmax", x, axis));
    }

    /** Smooth; stable at any magnitude. */
    public static Tensor logSoftmax(Tensor x, int axis) {
        return nonNull(x, "logSoftmax").logSoftmax(checkAxis("logSoftmax", x, axis));
    }

    /**
     * PReLU: x for x > 0, a x otherwise, with a of shape [] or (1) shared by every element, or (C) applied
     * along axis 1 (channels) of an input of rank >= 2, as PyTorch's prelu. At the kink x = 0: derivative a
     * with respect to x and x = 0 with respect to a (PyTorch's reverse mode; its forward mode gives 1 there,
     * disagreeing with its own reverse mode); second derivative 0 in x, and 1 in (x, a) where x &lt;= 0.
     */
    public static Tensor prelu(Tensor x, Tensor a) {
        nonNull(x, "prelu");
        Objects.requireNonNull(a, "prelu: the slope a is null");
        return preluOf("prelu", x, a);
    }

    static Tensor preluOf(String who, Tensor x, Tensor a) {
        if (a.rank() > 1) {
            throw new IllegalArgumentException(who + ": the slope must be a scalar or 1-D, got shape "
                    + java.util.Arrays.toString(a.shape()));
        }
        int c = a.size();
        Tensor slope;
        if (c == 1) {
            slope = a.rank() == 0 ? a : a.reshape(); // shared: the output keeps the input's shape, 0-d included
        } else {
            if (x.rank() < 2 || x.dim(1) != c) {
                throw new IllegalArgumentException(who + ": " + c + " slopes need an input with " + c
                        + " channels along axis 1 (rank >= 2), got shape " + java.util.Arrays.toString(x.shape()));
            }
            int[] s = new int[x.rank() - 1];
            java.util.Arrays.fill(s, 1);
            s[0] = c;
            slope = a.reshape(s);
        }
        Tensor positive = x.gt(0.0);
        return Tensor.where(positive, x, nonPositivePart(x, positive).mul(slope));
    }

    /** x where x &lt;= 0 (or NaN), 0 where x > 0: the input of a branch taken only where x &lt;= 0. */
    private static Tensor nonPositivePart(Tensor x, Tensor positive) {
        return Tensor.where(positive, ZERO, x);
    }

    /** Whether a tensor of shape {@code from} broadcasts to exactly {@code to} (NumPy's rules). */
    private static boolean broadcastsTo(int[] from, int[] to) {
        if (from.length > to.length) {
            return false;
        }
        for (int i = 0; i < from.length; i++) {
            int t = to[to.length - from.length + i];
            if (from[i] != 1 && from[i] != t) {
                return false;
            }
        }
        return true;
    }

    private static Tensor nonNull(Tensor x, String who) {
        return Objects.requireNonNull(x, () -> who + ": the input x is null");
    }

    static double finite(String who, String what, double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(who + ": " + what + " must be finite, got " + v);
        }
        return v;
    }

    private static int checkAxis(String who, Tensor x, int axis) {
        int r = Math.max(x.rank(), 1); // a 0-d tensor has axes 0 and -1, as in PyTorch
        if (axis < -r || axis >= r) {
            throw new IllegalArgumentException(who + ": axis " + axis + " is out of range for shape "
                    + java.util.Arrays.toString(x.shape()) + " (expected " + -r + " <= axis < " + r + ")");
        }
        return axis;
    }

    // ---- the same as modules, for Sequential: Activations.relu() beside Activations.relu(x) ----------

    public static Module sigmoid() {
        return new Lambda("Sigmoid", Activations::sigmoid);
    }

    public static Module tanh() {
        return new Lambda("Tanh", Activations::tanh);
    }

    public static Module relu() {
        return new Lambda("ReLU", Activations::relu);
    }

    public static Module leakyRelu(double gamma) {
        finite("LeakyReLU", "the negative slope gamma", gamma);
        return new Lambda("LeakyReLU(" + gamma + ")", x -> leakyRelu(x, gamma));
    }

    public static Module elu(double alpha) {
        finite("ELU", "alpha", alpha);
        return new Lambda("ELU(" + alpha + ")", x -> elu(x, alpha));
    }

    public static Module selu() {
        return new Lambda("SELU", Activations::selu);
    }

    public static Module softplus() {
        return new Lambda("Softplus", Activations::softplus);
    }

    public static Module gelu() {
        return new Lambda("GELU", Activations::gelu);
    }

    public static Module hardSigmoid() {
        return new Lambda("HardSigmoid", Activations::hardSigmoid);
    }

    public static Module hardTanh() {
        return new Lambda("HardTanh", Activations::hardTanh);
    }

    public static Module softmax(int axis) {
        return new Lambda("Softmax(" + axis + ")", x -> softmax(x, axis));
    }

    public static Module logSoftmax(int axis) {
        return new Lambda("LogSoftmax(" + axis + ")", x -> logSoftmax(x, axis));
    }
}
