package dev.autodiff;

/**
 * A function of tensors with several results: what {@link Autodiff#grad(Fn, int...)} returns, one result per argument
 * differentiated (as {@code jax.grad(f, argnums)} returns a tuple), and what {@link Autodiff#vmap(FnN, Integer[], int[])}
 * maps.
 */
@FunctionalInterface
public interface FnN {
    Tensor[] apply(Tensor... inputs);

    /** Result {@code k} alone, as an {@link Fn} for the one-result transformations: {@code jacfwd(grad(f, 0, 1).output(1), ...)}. */
    default Fn output(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("output: index " + k + " is negative");
        }
        return xs -> {
            Tensor[] r = apply(xs);
            if (r == null) {
                throw new NullPointerException("output: the function returned null");
            }
            if (k >= r.length) {
                throw new IllegalArgumentException("output: index " + k + " but the function returned " + r.length + " results");
            }
            return r[k];
        };
    }
}
