package dev.autodiff;

/** A function of tensors with several results, as taken by {@link Autodiff#vmap(MultiFn, Integer[], int[])}. */
@FunctionalInterface
public interface MultiFn {
    Tensor[] apply(Tensor... inputs);
}
