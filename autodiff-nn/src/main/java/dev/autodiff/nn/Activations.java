package dev.autodiff.nn;

import dev.autodiff.Tensor;

/**
 * Activation functions, each a composition of core ops (so each has reverse mode, forward mode and
 * higher derivatives). Where a function has a kink, the derivative there follows PyTorch.
 */
public final class Activations {
    private Activations() {}

    /** SELU's constants, from Klambauer et al. (2017), as in PyTorch. */
    public static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    public static final double SELU_SCALE = 1.0507009873554804934193349852946;

    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    public static Tensor tanh(Tensor x) {
        return x.tanh();
    }

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    /** x for x > 0, gamma x otherwise (derivative gamma at 0, as PyTorch). */
    public static Tensor leakyRelu(Tensor x, double gamma) {
        return Tensor.where(x.gt(0.0), x, x.mul(gamma));
    }

    /** x for x > 0, alpha (e^x - 1) otherwise; the exponential sees min(x, 0) so that it never overflows. */
    public static Tensor elu(Tensor x, double alpha) {
        return Tensor.where(x.gt(0.0), x, x.minimum(0.0).exp().sub(1.0).mul(alpha));
    }

    public static Tensor selu(Tensor x) {
        return elu(x, SELU_ALPHA).mul(SELU_SCALE);
    }

    /** log(1 + e^x), finite for every finite x. */
    public static Tensor softplus(Tensor x) {
        return x.softplus();
    }

    /** x sigmoid(beta x); beta may be a learnable tensor (see {@link Swish}). */
    public static Tensor swish(Tensor x, Tensor beta) {
        return x.mul(x.mul(beta).sigmoid());
    }

    /** x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, the exact GELU (PyTorch's default, not the tanh approximation). */
    public static Tensor gelu(Tensor x) {
        return x.mul(x.mul(Math.sqrt(0.5)).erf().add(1.0)).mul(0.5);
    }

    /** max(min(0.25 x + 0.5, 1), 0) as this library defines it (PyTorch's hardsigmoid uses x / 6 + 1/2). */
    public static Tensor hardSigmoid(Tensor x) {
        return x.mul(0.25).add(0.5).clamp(0.0, 1.0);
    }

    /** max(min(x, 1), -1). */
    public static Tensor hardTanh(Tensor x) {
        return x.clamp(-1.0, 1.0);
    }

    public static Tensor softmax(Tensor x, int axis) {
        return x.softmax(axis);
    }

    public static Tensor logSoftmax(Tensor x, int axis) {
        return x.logSoftmax(axis);
    }

    /** PReLU: x for x > 0, a x otherwise, with a of shape [] or (C) applied along axis 1 (channels). */
    public static Tensor prelu(Tensor x, Tensor a) {
        Tensor slope = a;
        if (a.rank() == 1 && x.rank() > 1) {
            int[] s = new int[x.rank() - 1];
            java.util.Arrays.fill(s, 1);
            s[0] = a.dim(0);
            slope = a.reshape(s);
        }
        return Tensor.where(x.gt(0.0), x, x.mul(slope));
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
        return new Lambda("LeakyReLU(" + gamma + ")", x -> leakyRelu(x, gamma));
    }

    public static Module elu(double alpha) {
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
