package dev.autodiff;

import dev.autodiff.kernel.Shapes;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * vmap's machinery. Inside {@link Autodiff#vmap} a batched tensor stands for n tensors of its (logical) shape; its
 * values are a dense physical tensor with the batch axis first, and it has no values of its own ({@code data} is
 * null, so a read of per-example values fails loudly). Levels are forward mode's (one counter per thread), so vmap
 * nests with jvp, grad and itself: an op runs at the innermost level among its inputs, unwraps the inputs batched
 * there to their physical forms and applies its batching rule ({@link Primitive#batch}), which runs ops on physical
 * tensors that may be batched or dual at outer levels; reverse mode records on batched tensors as on any others, and
 * its rules, being ops, are batched in turn.
 *
 * <p>NumPy broadcasting aligns shapes from the right, so a batched input meeting one of higher rank is first lifted:
 * physical {@code (n, *x)} becomes {@code (n, 1, ..., 1, *x)}, and an input that is not batched broadcasts against
 * it unchanged.
 */
final class Batching {
    private Batching() {}

    private static final System.Logger LOG = System.getLogger("dev.autodiff.vmap");
    // the ops already reported as running one example at a time: a diagnostic only, it never changes a result
    private static final Set<String> LOOPED = ConcurrentHashMap.newKeySet();

    static int[] prepend(int n, int[] shape) {
        int[] s = new int[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    static boolean[] prepend(boolean first, boolean[] mask) {
        boolean[] m = new boolean[mask.length + 1];
        m[0] = first;
        System.arraycopy(mask, 0, m, 1, mask.length);
        return m;
    }

    /** A batched input's physical form (n, *x) lifted to logical rank {@code rank}: (n, 1, ..., 1, *x). */
    static Tensor lift(Tensor physical, int rank) {
        int logical = physical.rank() - 1;
        if (logical >= rank) {
            return physical;
        }
        int[] s = new int[rank + 1];
        s[0] = physical.shape[0];
        Arrays.fill(s, 1, 1 + rank - logical, 1);
        System.arraycopy(physical.shape, 1, s, 1 + rank - logical, logical);
        return physical.reshape(s);
    }

    /** The inputs of a broadcasting op with the batched ones lifted to the highest logical rank among them. */
    static Tensor[] lifted(Tensor[] x, boolean[] batched) {
        int rank = 0;
        for (int i = 0; i < x.length; i++) {
            rank = Math.max(rank, x[i].rank() - (batched[i] ? 1 : 0));
        }
        Tensor[] y = x.clone();
        for (int i = 0; i < x.length; i++) {
            if (batched[i]) {
                y[i] = lift(x[i], rank);
            }
        }
        return y;
    }

    /** The physical form of an input at a batching rule: batched ones as they are, others copied for each example. */
    static Tensor materialize(Tensor x, boolean batched, int n) {
        return batched ? x : x.unsqueeze(0).broadcastTo(prepend(n, x.shape));
    }

    /**
     * A constant (non-differentiable) broadcasting op such as a comparison, at the innermost batch level among its
     * inputs: {@code op} applied to the lifted physical forms gives the physical result.
     */
    static Tensor constant(Tensor[] in, java.util.function.Function<Tensor[], Tensor> op) {
        int level = 0;
        for (Tensor t : in) {
            if (t.batch != null) {
                level = Math.max(level, t.batch.level);
            }
        }
        Tensor[] x = new Tensor[in.length];
        boolean[] batched = new boolean[in.length];
        for (int i = 0; i < in.length; i++) {
            batched[i] = in[i].batch != null && in[i].batch.level == level;
            x[i] = batched[i] ? in[i].batch.physical : in[i];
        }
        return Tensor.batched(level, op.apply(lifted(x, batched)));
    }

    /**
     * The fallback of an op without a batching rule: the op once per example (slice k of each batched input, the
     * others as they are), the results stacked. Correct in every mode, since each call is the op itself; n times the
     * dispatch cost. Reported once per op name through System.Logger ("dev.autodiff.vmap").
     */
    static Tensor loop(Primitive p, Tensor[] x, boolean[] batched, int n) {
        if (LOOPED.add(p.name)) {
            LOG.log(System.Logger.Level.WARNING, "vmap: ''{0}'' has no batching rule; it runs once per example", p.name);
        }
        if (n == 0) {
            // no example to run: the output's shape from one run on zeros of each example's shape
            Tensor[] zeros = new Tensor[x.length];
            for (int i = 0; i < x.length; i++) {
                zeros[i] = batched[i] ? Tensor.zeros(x[i].dtype(), Arrays.copyOfRange(x[i].shape, 1, x[i].rank())) : x[i];
            }
            Tensor y;
            try (GradScope s = Autodiff.noGrad()) {
                y = p.apply(zeros);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("vmap: '" + p.name + "' has no batching rule, and over an empty batch "
                        + "the shape of its result is learnt by running it on one example of zeros, which failed: "
                        + e.getMessage(), e);
            }
            return Tensor.zeros(y.dtype(), prepend(0, y.shape));
        }
        Tensor[] outs = new Tensor[n];
        Tensor[] args = new Tensor[x.length];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < x.length; i++) {
                args[i] = batched[i] ? x[i].slice(0, k, k + 1).squeeze(0) : x[i];
            }
            outs[k] = p.apply(args.clone());
        }
        return Tensor.stack(0, outs);
    }

    /** Whether an op of this name has run once per example inside vmap (and been reported). */
    static boolean looped(String op) {
        return LOOPED.contains(op);
    }

    /**
     * Constants that {@code f} computes from plain values, such as a selection's indices, for a tensor that may be
     * batched at any number of levels: {@code f(p, lead)} gets the plain tensor under every level, whose first
     * {@code lead} axes are batch axes (so an axis {@code a} of x is {@code a + lead} there), and must return tensors
     * with those leading axes, each example's part what it would be for that example alone. They are rewrapped at
     * x's levels, so every example is computed in one call.
     */
    static Tensor[] perExample(Tensor x, java.util.function.BiFunction<Tensor, Integer, Tensor[]> f) {
        return perExample(x, 0, f);
    }

    private static Tensor[] perExample(Tensor x, int lead, java.util.function.BiFunction<Tensor, Integer, Tensor[]> f) {
        if (x.batch == null) {
            return f.apply(x, lead);
        }
        Tensor[] p = perExample(x.batch.physical, lead + 1, f);
        for (int i = 0; i < p.length; i++) {
            p[i] = Tensor.batched(x.batch.level, p[i]);
        }
        return p;
    }

    // ================================================================================ vmap itself

    /**
     * f mapped over the axis {@code inAxes[i]} of each input i (null: not batched, the same tensor for every example)
     * with the results' batch axis at {@code outAxes[j]}. At least one input must be batched, all along axes of the
     * same size. An output that does not depend on the batch is copied for each example.
     */
    static Tensor[] vmap(String op, java.util.function.Function<Tensor[], Tensor[]> f, Integer[] inAxes,
                         int[] outAxes, Tensor[] xs) {
        Tensor.nonNull(xs, op, "the inputs");
        if (xs.length != inAxes.length) {
            throw new IllegalArgumentException(op + ": " + inAxes.length + " input axes for " + xs.length + " inputs");
        }
        int n = -1;
        int[] axes = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            Tensor.nonNull(xs[i], op, "input " + i);
            if (inAxes[i] == null) {
                continue;
            }
            if (xs[i].rank() == 0) {
                throw new IllegalArgumentException(op + ": input " + i + " is a scalar, which has no axis " + inAxes[i]
                        + " to map over; pass null as its axis to use it unbatched");
            }
            axes[i] = Shapes.axis(op + ": input " + i, inAxes[i], xs[i].rank());
            int size = xs[i].shape[axes[i]];
            if (n >= 0 && size != n) {
                throw new IllegalArgumentException(op + ": inputs are batched along axes of different sizes: " + n
                        + " and " + size + " (input " + i + ", shape " + Shapes.str(xs[i].shape) + ", axis " + inAxes[i]
                        + ")");
            }
            n = size;
        }
        if (n < 0) {
            throw new IllegalArgumentException(op + ": no input is batched (every input axis is null)");
        }
        int level = GradMode.current().newLevel();
        Tensor[] in = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            in[i] = inAxes[i] == null ? xs[i] : Tensor.batched(level, moveAxis(xs[i], axes[i], 0));
        }
        Tensor[] ys = f.apply(in);
        if (ys == null) {
            throw new NullPointerException(op + ": the function returned null");
        }
        if (ys.length != outAxes.length) {
            throw new IllegalArgumentException(op + ": the function returned " + ys.length + " tensors but "
                    + outAxes.length + " output axes were given");
        }
        Tensor[] out = new Tensor[ys.length];
        for (int j = 0; j < ys.length; j++) {
            Tensor y = Tensor.nonNull(ys[j], op, "output " + j + " of the function");
            Tensor physical = y.batch != null && y.batch.level == level ? y.batch.physical
                    : materialize(y, false, n);
            int a = Shapes.axis(op + ": output " + j, outAxes[j], physical.rank());
            out[j] = moveAxis(physical, 0, a);
        }
        return out;
    }

    /** x with axis {@code from} moved to position {@code to}, the others in order. */
    static Tensor moveAxis(Tensor x, int from, int to) {
        if (from == to) {
            return x;
        }
        int[] perm = new int[x.rank()];
        int[] rest = new int[x.rank() - 1];
        for (int d = 0, j = 0; d < x.rank(); d++) {
            if (d != from) {
                rest[j++] = d;
            }
        }
        for (int d = 0, j = 0; d < perm.length; d++) {
            perm[d] = d == to ? from : rest[j++];
        }
        return x.permute(perm);
    }
}
