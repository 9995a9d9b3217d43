package dev.autodiff.nn;

import dev.autodiff.DType;
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
    private static final Tensor ZERO32 = ZERO.to(DType.FLOAT32);
    private static final Tensor ONE = Tensor.scalar(1.0);
    private static final Tensor ONE32 = ONE.to(DType.FLOAT32);

    /**
     * A 0-d 0 (or 1) in x's dtype: a 0-d float64 constant next to a 0-d float32 x would promote the result to
     * float64 (torch.result_type: 0-d operands alone promote among themselves).
     */
    private static Tensor zero(Tensor x) {
        return x.dtype() == DType.FLOAT32 ? ZERO32 : ZERO;
    }

    private static Tensor one(Tensor x) {
        return x.dtype() == DType.FLOAT32 ? ONE32 : ONE;
    }

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
        Tensor xNeg = Tensor.where(negative, x, zero(x));
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
        return Tensor.where(positive, zero(x), x);
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

    // ---- issue 17: RReLU, the noisy ReLU, hardSwish, mish, silu, logSigmoid, softsign, celu, glu ------------

    /** RReLU's default bounds on the random negative slope, as PyTorch's (1/8 and 1/3). */
    public static final double RRELU_LOWER = 1.0 / 8;
    public static final double RRELU_UPPER = 1.0 / 3;

    /**
     * RReLU in evaluation (PyTorch's F.rrelu with training False): x for x > 0 and the mean slope
     * (lower + upper) / 2 times x otherwise, that is {@code leakyRelu(x, (lower + upper) / 2)}; derivative the
     * mean slope at the kink x = 0, second derivative 0. {@link RRelu} draws the slopes while training.
     */
    public static Tensor rrelu(Tensor x, double lower, double upper) {
        nonNull(x, "rrelu");
        rreluBounds("rrelu", lower, upper);
        return leakyRelu(x, (lower + upper) / 2);
    }

    /**
     * RReLU while training, with its slopes given (PyTorch's rrelu_with_noise, whose noise holds them): x for
     * x > 0 and {@code slopes * x} otherwise, the slopes broadcasting to x's shape; {@link RRelu} draws them from
     * U(lower, upper). Derivative the element's slope at the kink x = 0 (PyTorch takes x &lt;= 0 as negative),
     * second derivative 0; a slope tensor that needs grad gets x where x &lt;= 0, 0 elsewhere.
     */
    public static Tensor rrelu(Tensor x, Tensor slopes) {
        nonNull(x, "rrelu");
        Objects.requireNonNull(slopes, "rrelu: slopes is null");
        if (!broadcastsTo(slopes.shape(), x.shape())) {
            throw new IllegalArgumentException("rrelu: slopes of shape " + java.util.Arrays.toString(slopes.shape())
                    + " do not broadcast to the input's shape " + java.util.Arrays.toString(x.shape()));
        }
        Tensor positive = x.gt(0.0);
        return Tensor.where(positive, x, nonPositivePart(x, positive).mul(slopes));
    }

    static void rreluBounds(String who, double lower, double upper) {
        finite(who, "lower", lower);
        finite(who, "upper", upper);
        if (lower > upper) {
            throw new IllegalArgumentException(who + ": need lower <= upper, got lower " + lower + ", upper " + upper);
        }
    }

    /**
     * The lecture's noisy ReLU max(0, x + N(0, sigma(x))) (SJTU notes, after Nair and Hinton 2010), with the noise
     * given as standard normal samples ({@code noise}, broadcasting to x's shape; {@link NoisyRelu} draws them):
     * relu(x + sqrt(sigmoid(x)) noise). sigma(x) is the noise's variance and, as in Nair and Hinton, the logistic
     * sigmoid: a noisy ReLU stands for the sum of many binary units with shifted biases, whose variance is
     * sigmoid(x). The standard deviation is computed as exp(logSigmoid(x) / 2), whose derivative
     * sqrt(sigmoid(x)) sigmoid(-x) / 2 is finite at any x (sqrt's at sigmoid(x) = 0, x below about -745, is not).
     * The derivative is that of the function computed for the given noise (the path through the standard
     * deviation included, as autograd gives it for the same formula); at the kink x + sd noise = 0 it is 0, as relu's.
     */
    public static Tensor noisyRelu(Tensor x, Tensor noise) {
        nonNull(x, "noisyRelu");
        Objects.requireNonNull(noise, "noisyRelu: noise is null");
        if (!broadcastsTo(noise.shape(), x.shape())) {
            throw new IllegalArgumentException("noisyRelu: noise of shape " + java.util.Arrays.toString(noise.shape())
                    + " does not broadcast to the input's shape " + java.util.Arrays.toString(x.shape()));
        }
        return x.add(logSigmoidOf(x).mul(0.5).exp().mul(noise)).relu();
    }

    /**
     * PyTorch's hardswish: 0 for x &lt; -3, x (x + 3) / 6 on [-3, 3], x for x > 3 (x times PyTorch's hardsigmoid,
     * x / 6 + 1/2 clamped, not this library's {@link #hardSigmoid}). At the kinks the middle piece's derivative
     * x / 3 + 1/2: -1/2 at x = -3 and 3/2 at x = 3, as PyTorch's scalar kernel (its vectorised one gives 1 at
     * x = 3: the value depends on where the element falls in the tensor); second derivative 1/3 strictly between
     * the kinks and 0 at and beyond them, as PyTorch's double backward.
     */
    public static Tensor hardSwish(Tensor x) {
        nonNull(x, "hardSwish");
        Tensor inside = x.gt(-3.0).mul(x.lt(3.0));
        Tensor atKink = x.eq(-3.0).add(x.eq(3.0));
        Tensor xIn = Tensor.where(inside, x, zero(x));
        Tensor middle = xIn.mul(xIn.add(3.0)).div(6.0);
        // at x0 = +-3: the middle piece's tangent line x0 (x0 + 3) / 6 + (x0 / 3 + 1/2)(x - x0): its value and
        // slope, curvature 0
        Tensor xK = Tensor.where(atKink, x, zero(x));
        Tensor x0 = xK.detach();
        Tensor tangent = x0.mul(x0.add(3.0)).div(6.0).add(xK.sub(x0).mul(x0.div(3.0).add(0.5)));
        // below -3: x times 0, as PyTorch's x relu6(x + 3) / 6 (-0 for finite x, NaN at -infinity)
        return Tensor.where(inside, middle, Tensor.where(atKink, tangent, Tensor.where(x.lt(-3.0), x.mul(0.0), x)));
    }

    /**
     * x tanh(softplus(x)) (Misra 2019), as PyTorch's mish. Smooth: mish'(0) = 0.6, mish''(0) = 0.64. softplus is
     * the core's (x above 20 taken as is), where tanh is 1 in float64 anyway; mish''(x) is 0 far out on both sides
     * (PyTorch's double backward gives NaN from x of about 710 on, where its formula overflows).
     */
    public static Tensor mish(Tensor x) {
        nonNull(x, "mish");
        return x.mul(x.softplus().tanh());
    }

    /** SiLU, x sigmoid(x): {@link #swish} with beta = 1, as PyTorch's silu. Smooth; silu'(0) = 1/2. */
    public static Tensor silu(Tensor x) {
        return swish(nonNull(x, "silu"), one(x));
    }

    /**
     * log sigmoid(x) = -softplus(-x), computed as PyTorch's log_sigmoid does: min(x, 0) - log(1 + e^-|x|), so it
     * is exact for every x (-1000 at x = -1000, -e^-x far above 0). Smooth: derivative sigmoid(-x) (1/2 at 0),
     * second derivative -sigmoid(x) sigmoid(-x) (-1/4 at 0), both finite at any x.
     */
    public static Tensor logSigmoid(Tensor x) {
        return logSigmoidOf(nonNull(x, "logSigmoid"));
    }

    private static Tensor logSigmoidOf(Tensor x) {
        Tensor negative = x.lt(0.0);
        // softplus sees only -|x| <= 0, below its threshold: log1p(e^-|x|) accurate, derivative sigmoid(-|x|)
        Tensor minusAbs = Tensor.where(negative, x, x.neg());
        return Tensor.where(negative, x, zero(x)).sub(minusAbs.softplus());
    }

    /**
     * x / (1 + |x|), as PyTorch's softsign. Derivative 1 / (1 + |x|)^2, 1 at 0; the second derivative
     * -2 sign(x) / (1 + |x|)^3 jumps from 2 to -2 at x = 0, where it is 0 (|x|' = 0 at 0), as PyTorch's.
     */
    public static Tensor softsign(Tensor x) {
        nonNull(x, "softsign");
        return x.div(x.abs().add(1.0));
    }

    /**
     * CELU: x for x > 0, alpha (e^(x / alpha) - 1) for x &lt; 0 (alpha != 0), as PyTorch's celu (e^(x (1/alpha)) - 1,
     * as its kernel computes it). C^1 at the kink x = 0: value 0, derivative 1, second derivative 0 (PyTorch's
     * double backward takes x &lt; 0 as negative; from the left it is 1/alpha). PyTorch's own gradient rounds
     * 1/alpha to float32, so it is off by about 1e-8 for an alpha float32 cannot hold (0.7): this one is not.
     */
    public static Tensor celu(Tensor x, double alpha) {
        nonNull(x, "celu");
        celuAlpha("celu", alpha);
        Tensor positive = x.gt(0.0);
        Tensor negative = x.lt(0.0);
        Tensor xNeg = Tensor.where(negative, x, zero(x));
        // x = 0 (and NaN) take x: value 0, slope 1, curvature 0
        return Tensor.where(positive, x, Tensor.where(negative, xNeg.mul(1 / alpha).exp().sub(1.0).mul(alpha), x));
    }

    private static void celuAlpha(String who, double alpha) {
        finite(who, "alpha", alpha);
        if (alpha == 0) {
            throw new IllegalArgumentException(who + ": alpha must not be 0 (x / alpha), got 0");
        }
    }

    /**
     * The gated linear unit a sigmoid(b), where a and b are the first and second halves of x along {@code axis}
     * (negative counts from the end), as PyTorch's glu; that axis must have even size. Smooth.
     */
    public static Tensor glu(Tensor x, int axis) {
        nonNull(x, "glu");
        if (x.rank() == 0) {
            throw new IllegalArgumentException("glu: a 0-d input has no axis to halve; need rank >= 1");
        }
        int a = checkAxis("glu", x, axis);
        a = a < 0 ? a + x.rank() : a;
        int n = x.dim(a);
        if (n % 2 != 0) {
            throw new IllegalArgumentException("glu: axis " + axis + " of shape " + java.util.Arrays.toString(x.shape())
                    + " has odd size " + n + "; it must split into two halves");
        }
        return x.slice(a, 0, n / 2).mul(x.slice(a, n / 2, n).sigmoid());
    }

    public static Module hardSwish() {
        return new Lambda("Hardswish", Activations::hardSwish);
    }

    public static Module mish() {
        return new Lambda("Mish", Activations::mish);
    }

    public static Module silu() {
        return new Lambda("SiLU", Activations::silu);
    }

    public static Module logSigmoid() {
        return new Lambda("LogSigmoid", Activations::logSigmoid);
    }

    public static Module softsign() {
        return new Lambda("Softsign", Activations::softsign);
    }

    public static Module celu(double alpha) {
        celuAlpha("CELU", alpha);
        return new Lambda("CELU(" + alpha + ")", x -> celu(x, alpha));
    }

    /** GLU along {@code axis}; PyTorch's nn.GLU default is the last axis, -1. */
    public static Module glu(int axis) {
        return new Lambda("GLU(" + axis + ")", x -> glu(x, axis));
    }
}
