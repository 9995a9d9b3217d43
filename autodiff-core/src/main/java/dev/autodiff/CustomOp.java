package dev.autodiff;

import java.util.Arrays;
import java.util.Objects;

/**
 * A user-defined differentiable op: a forward computation with its vjp (reverse mode) and, optionally,
 * its jvp (forward mode), written in plain Java. The forward sees constant inputs (nothing it does is
 * recorded); the rules should use Tensor ops so that they can themselves be differentiated.
 * Check both rules with {@code GradCheck}.
 *
 * <pre>{@code
 * // softplus with a hand-written derivative: d/dx log(1 + e^x) = sigmoid(x)
 * CustomOp softplus = CustomOp.of("mySoftplus",
 *         xs -> xs[0].softplus(),
 *         (i, g, xs, y) -> g.mul(xs[0].sigmoid()),
 *         (xs, ts, y) -> ts[0].mul(xs[0].sigmoid()));
 * Tensor y = softplus.apply(x);
 * }</pre>
 */
public final class CustomOp {
    /** The gradient with respect to input {@code i}, given the output gradient {@code g}. */
    @FunctionalInterface
    public interface Vjp {
        Tensor apply(int i, Tensor g, Tensor[] inputs, Tensor output);
    }

    /** The output tangent given one tangent per input (zeros where an input has none). */
    @FunctionalInterface
    public interface Jvp {
        Tensor apply(Tensor[] inputs, Tensor[] tangents, Tensor output);
    }

    private final Rule rule;

    private CustomOp(String name, Fn forward, Vjp vjp, Jvp jvp, boolean leadingDims) {
        this.rule = new Rule(name, forward, vjp, jvp, leadingDims);
    }

    /** A custom op; {@code jvp} may be null, and then forward mode through it throws. */
    public static CustomOp of(String name, Fn forward, Vjp vjp, Jvp jvp) {
        return create(name, forward, vjp, jvp, false);
    }

    /**
     * A custom op as {@link #of}, whose forward and rules treat leading dimensions as batch dimensions: given every
     * input with one extra leading axis of size n, the forward returns the n results stacked along a leading axis
     * (slice k is the op on the inputs' slices k), and the vjp and jvp do likewise. Inside {@link Autodiff#vmap} it
     * then runs once on the whole batch (batch axis first, inputs shared by every example copied for each) instead
     * of once per example.
     */
    public static CustomOp batchedOverLeadingDims(String name, Fn forward, Vjp vjp, Jvp jvp) {
        return create(name, forward, vjp, jvp, true);
    }

    private static CustomOp create(String name, Fn forward, Vjp vjp, Jvp jvp, boolean leadingDims) {
        Objects.requireNonNull(name, "CustomOp: name");
        Objects.requireNonNull(forward, "CustomOp: forward");
        Objects.requireNonNull(vjp, "CustomOp: vjp");
        return new CustomOp(name, forward, vjp, jvp, leadingDims);
    }

    public Tensor apply(Tensor... inputs) {
        return rule.apply(inputs.clone());
    }

    private static final class Rule extends Primitive {
        private final Fn forwardFn;
        private final Vjp vjpFn;
        private final Jvp jvpFn;
        private final boolean leadingDims;

        Rule(String name, Fn forward, Vjp vjp, Jvp jvp, boolean leadingDims) {
            super(Kind.CUSTOM, name);
            this.forwardFn = forward;
            this.vjpFn = vjp;
            this.jvpFn = jvp;
            this.leadingDims = leadingDims;
        }

        /** Once on the whole batch when the op is batched over leading dimensions, else once per example. */
        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            if (!leadingDims) {
                return Batching.loop(this, x, batched, n);
            }
            Tensor[] physical = new Tensor[x.length];
            for (int i = 0; i < x.length; i++) {
                physical[i] = Batching.materialize(x[i], batched[i], n);
            }
            Tensor y = apply(physical);
            if (y.rank() == 0 || y.shape[0] != n) {
                throw new IllegalStateException("customOp '" + name + "' is declared batched over leading dimensions, "
                        + "but for inputs with a leading batch axis of " + n + " it returned shape "
                        + Arrays.toString(y.shape));
            }
            return y;
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor y;
            try (GradScope s = Autodiff.noGrad()) {
                y = forwardFn.apply(in);
            }
            if (y == null) {
                throw new IllegalStateException("customOp '" + name + "': forward returned null");
            }
            return y.view(y.shape); // a fresh object (the op's own output) over the same storage
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor gi = vjpFn.apply(i, g, in, out);
            if (gi == null || !Arrays.equals(gi.shape, in[i].shape)) {
                throw new IllegalStateException("customOp '" + name + "': vjp for input " + i + " returned "
                        + (gi == null ? "null" : "shape " + Arrays.toString(gi.shape)) + ", expected shape "
                        + Arrays.toString(in[i].shape));
            }
            return gi;
        }

        /** Batched tangents are handled by calling the user's rule once per tangent. */
        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            if (jvpFn == null) {
                throw new IllegalStateException("customOp '" + name + "' has no jvp rule; forward mode (jvp, jacfwd, "
                        + "hvp, hessian) through it needs one: pass it as the last argument of CustomOp.of");
            }
            int k = 0;
            while (k < t.length && t[k] == null) {
                k++;
            }
            if (k == t.length) {
                return null;
            }
            if (Tangents.batch(t[k], in[k]) == 0) {
                return check(jvpFn.apply(in, zerosFor(in, t, -1), out), out.shape);
            }
            int n = t[k].shape[0];
            if (n == 0) {
                return Tensor.zeros(Tangents.batched(t[k], in[k], out.shape)); // no tangent to push
            }
            Tensor[] each = new Tensor[n];
            for (int b = 0; b < n; b++) {
                each[b] = check(jvpFn.apply(in, zerosFor(in, t, b), out), out.shape);
            }
            return Tensor.stack(0, each);
        }

        /** The tangents for one call: slice b of each batched tangent (or the tangent itself), zeros for none. */
        private static Tensor[] zerosFor(Tensor[] in, Tensor[] t, int b) {
            Tensor[] r = new Tensor[t.length];
            for (int i = 0; i < t.length; i++) {
                r[i] = t[i] == null ? Tensor.zeros(in[i].dtype(), in[i].shape) : b < 0 ? t[i] : t[i].slice(0, b, b + 1).squeeze(0);
            }
            return r;
        }

        private Tensor check(Tensor tangent, int[] shape) {
            if (tangent == null || !Arrays.equals(tangent.shape, shape)) {
                throw new IllegalStateException("customOp '" + name + "': jvp returned "
                        + (tangent == null ? "null" : "shape " + Arrays.toString(tangent.shape)) + ", expected the output's shape "
                        + Arrays.toString(shape));
            }
            return tangent;
        }
    }
}
