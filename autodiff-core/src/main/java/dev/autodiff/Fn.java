package dev.autodiff;

/** A function of tensors, as taken by {@link Autodiff}'s transformations and by GradCheck. */
@FunctionalInterface
public interface Fn {
    Tensor apply(Tensor... inputs);
}
