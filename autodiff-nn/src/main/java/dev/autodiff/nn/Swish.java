package dev.autodiff.nn;

import dev.autodiff.Tensor;

/** Swish x sigmoid(beta x) with a fixed or learnable beta. */
public final class Swish extends Module {
    private final Tensor beta;

    public Swish(double beta, boolean learnable) {
        Activations.finite("Swish", "beta", beta);
        this.beta = learnable ? param("beta", Tensor.scalar(beta)) : Tensor.scalar(beta);
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, "Swish: the input x is null");
        return Activations.swish(x, beta);
    }
}
