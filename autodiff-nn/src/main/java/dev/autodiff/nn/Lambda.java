package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.function.UnaryOperator;

/** A parameter-free layer from a function, such as an activation: {@code new Lambda("ReLU", Tensor::relu)}. */
public final class Lambda extends Module {
    private final String name;
    private final UnaryOperator<Tensor> f;

    public Lambda(String name, UnaryOperator<Tensor> f) {
        this.name = name;
        this.f = f;
    }

    @Override
    public Tensor forward(Tensor x) {
        return f.apply(x);
    }

    @Override
    public String describe() {
        return name;
    }
}
