package dev.autodiff;

/**
 * The functional entry points and the per-thread modes.
 *
 * <pre>{@code
 * Tensor[] g = Autodiff.grad(loss, w, b);            // d loss/dw, d loss/db; w.grad() untouched
 * Tensor dy = Autodiff.grad(y, true, x)[0];          // createGraph: dy can be differentiated again
 * Tensor d2y = Autodiff.grad(dy.sum(), x)[0];
 * try (GradScope s = Autodiff.noGrad()) { ... }      // nothing is recorded on this thread inside
 * }</pre>
 */
public final class Autodiff {
    private Autodiff() {}

    /** Gradients of a one-element {@code output} with respect to each input; frees the graph. */
    public static Tensor[] grad(Tensor output, Tensor... inputs) {
        return Backprop.grad(output, null, false, false, inputs);
    }

    /**
     * As {@link #grad(Tensor, Tensor...)}; with {@code createGraph} the backward pass is itself recorded
     * (and the graph retained), so the returned gradients can be differentiated again.
     */
    public static Tensor[] grad(Tensor output, boolean createGraph, Tensor... inputs) {
        return Backprop.grad(output, null, createGraph, createGraph, inputs);
    }

    /** The general form: {@code seed} (null for a one-element output) gives the vector in seed^T J. */
    public static Tensor[] grad(Tensor output, Tensor seed, boolean retainGraph, boolean createGraph, Tensor... inputs) {
        return Backprop.grad(output, seed, retainGraph || createGraph, createGraph, inputs);
    }

    /** A scope in which this thread records no graph. */
    public static GradScope noGrad() {
        return new GradScope(false, GradMode.current().anomaly);
    }

    /** A scope in which this thread records again, inside an enclosing {@link #noGrad()}. */
    public static GradScope enableGrad() {
        return new GradScope(true, GradMode.current().anomaly);
    }

    /**
     * A scope in which every recorded op remembers the Java call site that created it, and backward
     * throws {@link AnomalyException} naming the first op whose backward produced NaN or infinity.
     * Slow: for debugging only.
     */
    public static GradScope detectAnomaly() {
        return new GradScope(GradMode.current().enabled, true);
    }

    /** Whether ops on this thread currently record a graph. */
    public static boolean isGradEnabled() {
        return GradMode.current().enabled;
    }
}
