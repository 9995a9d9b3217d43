package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.function.UnaryOperator;

/** A parameter-free layer from a function, such as an activation: {@code new Lambda("ReLU", Tensor::relu)}. */
public final class Lambda extends Module {
    private final String name;
    private final UnaryOperator<Tensor> f;

    public Lambda(String name, UnaryOperator<Tensor> f) {
        this.name = java.util.Objects.requireNonNull(name, "Lambda: name is null");
        this.f = java.util.Objects.requireNonNull(f, () -> "Lambda '" + name + "': the function is null");
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = f.apply(x);
        if (y == null) {
            throw new IllegalStateException("Lambda '" + name + "': the function returned null");
        }
        return y;
    }

    @Override
    public String describe() {
        return name;
    }
}
