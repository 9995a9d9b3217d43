package dev.autodiff;

/**
 * A function of tensors with several results, one per argument differentiated: what
 * {@link Autodiff#grad(Fn, int...)} returns (as {@code jax.grad(f, argnums)} returns a tuple).
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
