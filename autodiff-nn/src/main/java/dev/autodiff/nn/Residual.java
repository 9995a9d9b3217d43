package dev.autodiff.nn;

import dev.autodiff.Tensor;

/** x + f(x), or P(x) + f(x) with a projection P when f changes the shape. */
public final class Residual extends Module {
    private final Module f;
    private final Module projection;

    public Residual(Module f) {
        this(f, null);
    }

    public Residual(Module f, Module projection) {
        java.util.Objects.requireNonNull(f, "Residual: f is null");
        this.f = child("f", f);
        this.projection = projection == null ? null : child("projection", projection);
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, "Residual: the input x is null");
        Tensor fx = f.forward(x);
        Tensor skip = projection == null ? x : projection.forward(x);
        if (!java.util.Arrays.equals(fx.shape(), skip.shape())) {
            throw new IllegalArgumentException("Residual: f(x) has shape " + java.util.Arrays.toString(fx.shape())
                    + " but the skip path " + java.util.Arrays.toString(skip.shape()) + "; pass a projection");
        }
        return skip.add(fx);
    }
}
