package dev.autodiff;

/**
 * One row of the primitive table: the forward computation, and beside it the vector-Jacobian product
 * (reverse mode) and the Jacobian-vector product (forward mode). Rules are written with public
 * {@link Tensor} ops, so under {@code createGraph} or nested forward mode they are themselves
 * differentiated.
 *
 * <p>{@link #apply} is the one way a primitive runs: plain values go straight to {@link #forward};
 * inputs carrying forward-mode tangents go through {@link #applyDual}; and when grad mode is on and an
 * input needs grad, the result is recorded for reverse mode.
 */
abstract class Primitive {
    /** Every kind of primitive; a test fails if one of them is not checked in both modes and to second order. */
    enum Kind {
        NEG, EXP, LOG, RECIPROCAL, SQRT, TANH, SIGMOID, RELU, ABS, ERF, SOFTPLUS,
        ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, WHERE,
        MATMUL, ADDMM, SUM, MAX, MIN, RESHAPE, BROADCAST_TO, TAKE, SCATTER_ADD, CONCAT, CUSTOM,
        // issue 16: reductions and scans
        CUMSUM,
        // issue 16: elementwise math
        SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH, ASINH, ACOSH, ATANH, LOG1P, EXPM1, EXP2, LOG2, LOG10, RSQRT,
        FLOOR, CEIL, ROUND, TRUNC, ATAN2, HYPOT, LOGADDEXP, XLOGY,
        // issue 19: dtype conversion
        CAST,
        // issue 14: fused layers (see Fused)
        CONV, LSTM_CELL, LSTM_HIDDEN
    }

    final Kind kind;
    /** The name shown in graph listings and error messages: the user-facing op, such as "permute". */
    final String name;

    Primitive(Kind kind, String name) {
        this.kind = kind;
        this.name = name;
    }

    /** The output value from plain (non-dual) inputs: a fresh tensor, never recorded. */
    abstract Tensor forward(Tensor[] in);

    /**
     * Given {@code g}, the gradient of some scalar with respect to {@code out}, returns the gradient with
     * respect to {@code in[i]} (same shape as {@code in[i]}). Called only for inputs that need grad.
     */
    abstract Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out);

    /**
     * Adds the vjp for {@code in[i]} into {@code acc}, a gradient buffer of that input's shape held by the
     * running backward pass alone, without recording anything, and returns true; or returns false and
     * leaves acc alone when this op has no such path for these shapes (the pass then calls {@link #vjp}).
     * A weight used at every step of a recurrence thus sums its gradient in one buffer. With {@code overwrite}
     * it stores the vjp instead, whatever acc held (a leaf's recycled gradient buffer), and then only where the
     * result has the very bits {@link #vjp} would give. The pass calls it only when {@link #unrecorded} holds for
     * g and the inputs.
     */
    boolean vjpInto(int i, Tensor g, Tensor[] in, Tensor out, double[] acc, boolean overwrite) {
        return false;
    }

    /**
     * {@link #vjpInto} for a float32 input: {@code acc} is a float32 buffer, g and the saved inputs are plain float32
     * ({@link #unrecorded32}).
     */
    boolean vjpInto32(int i, Tensor g, Tensor[] in, Tensor out, float[] acc, boolean overwrite) {
        return false;
    }

    /**
     * The vjp of a one-input op written over {@code g.data}, which the running backward pass holds alone and
     * will not read again (it is a buffer that pass made, not delivered to the caller), when nothing is
     * recorded: returns true and g then holds the gradient with respect to {@code in[0]} (of the same shape);
     * or returns false, g untouched, when this op has no such path (the pass then calls {@link #vjp}).
     * It saves a ReLU's (and tanh's, sigmoid's, log's...) backward a new array per call. The pass calls it only
     * when {@link #unrecorded} holds.
     */
    boolean vjpOverwrite(Tensor g, Tensor[] in, Tensor out) {
        return false;
    }

    /**
     * The one answer to "may a rule read plain arrays?", asked by every fast path of the backward pass
     * ({@link #vjpInto}, {@link #vjpOverwrite}, buffers summed in place) and by rules that call a kernel: only
     * when nothing is being recorded on this thread (a backward pass without createGraph) and neither g nor
     * any saved input carries a forward-mode tangent, which a plain array would drop, or is batched inside vmap (it has
     * no plain array).
     */
    static boolean unrecorded(Tensor g, Tensor[] in) {
        return !GradMode.current().enabled && plain64(g, in);
    }

    /** {@link #unrecorded} but for the grad mode, which the backward pass knows: g and the inputs plain float64 arrays. */
    static boolean plain64(Tensor g, Tensor[] in) {
        // g.data and each t.data are null for float32 tensors too: the fast paths read float64 arrays
        if (g.dual != null || g.data == null) {
            return false;
        }
        for (Tensor t : in) {
            if (t.dual != null || t.data == null) {
                return false;
            }
        }
        return true;
    }

    /** {@link #unrecorded} for a rule that reads float32 arrays: g, the saved inputs and the output all plain float32. */
    static boolean unrecorded32(Tensor g, Tensor[] in, Tensor out) {
        return !GradMode.current().enabled && plain32(g, in, out);
    }

    /** {@link #unrecorded32} but for the grad mode. */
    static boolean plain32(Tensor g, Tensor[] in, Tensor out) {
        if (g.dual != null || g.f32 == null || out.dual != null || out.f32 == null) {
            return false;
        }
        for (Tensor t : in) {
            if (t.dual != null || t.f32 == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@link #vjp} for {@code in[i]} always returns a new tensor nothing else holds, which the pass may
     * then add into.
     */
    boolean freshVjp(int i) {
        return false;
    }

    /**
     * Whether {@code in[i]} is the only input whose vjp may be g itself, the other inputs' rules reading g without
     * keeping it: the pass may then hand a g it owns on to that input as owned (a buffer summed into in place and
     * recycled later).
     */
    boolean passesGOnlyTo(int i) {
        return false;
    }

    /**
     * The tangent of {@code out} given the tangents of the inputs ({@code null} for a zero tangent), or
     * null when the output's tangent is zero. A tangent has the shape of its primal or, in batched forward
     * mode, one extra leading dimension; see {@link Tangents}.
     */
    abstract Tensor jvp(Tensor[] in, Tensor[] tangents, Tensor out);

    /**
     * The batching rule (vmap): the op applied to a batch, given the inputs' physical forms {@code x} (for the batched
     * ones, flagged in {@code batched}: dense, batch axis first, n examples; the others as they are, shared by every
     * example). Returns the physical output, batch axis first. Written with this op (or others) on physical tensors,
     * so batched inputs of outer levels, tangents and recording are handled by the same dispatch. This default runs
     * the op once per example and stacks the results, and says so once.
     */
    Tensor batch(Tensor[] x, boolean[] batched, int n) {
        return Batching.loop(this, x, batched, n);
    }

    final Tensor apply(Tensor... in) {
        int level = 0;
        int batchLevel = 0;
        boolean grad = false;
        boolean float32 = false;
        for (int i = 0; i < in.length; i++) {
            Tensor t = in[i];
            if (t == null) {
                throw new NullPointerException(name + ": input " + i + " is null");
            }
            if (t.dual != null) {
                level = Math.max(level, t.dual.level);
            }
            if (t.batch != null) {
                batchLevel = Math.max(batchLevel, t.batch.level);
            }
            grad |= t.requiresGrad;
            float32 |= t.f32 != null;
        }
        Tensor out = batchLevel > level ? applyBatched(batchLevel, in)
                : level > 0 ? applyDual(level, in) : float32 ? forwardMixed(in, resultDtype(in)) : forward(in);
        return grad ? record(out, in) : out;
    }

    /**
     * The dtype of the result of an op on these inputs, as torch.result_type: float64 if a tensor with dimensions is
     * float64, else float32 if one is float32; when every input is 0-dimensional, float64 if any is. A Java number
     * given to an op ({@link Tensor#wrap}) takes part only when every operand is one, so it promotes nothing.
     */
    static DType resultType(Tensor[] in) {
        boolean dim64 = false;
        boolean dim32 = false;
        boolean zero64 = false;
        boolean tensors = false;
        for (Tensor t : in) {
            if (t.wrapped) {
                continue;
            }
            tensors = true;
            boolean f64 = t.dtype() == DType.FLOAT64;
            if (t.rank() > 0) {
                dim64 |= f64;
                dim32 |= !f64;
            } else {
                zero64 |= f64;
            }
        }
        return !tensors || dim64 ? DType.FLOAT64 : dim32 ? DType.FLOAT32 : zero64 ? DType.FLOAT64 : DType.FLOAT32;
    }

    /** The dtype of this op's result: {@link #resultType} of the inputs that hold values (not masks or indices). */
    DType resultDtype(Tensor[] in) {
        return resultType(in);
    }

    /**
     * The forward when a plain input is float32: this default (every op's cold path) runs the float64 kernel on the
     * inputs widened (exactly) and rounds the result to {@code dtype} once, so each element is the float64 result
     * correctly rounded, as accurate as float32 can hold. Ops with float32 kernels of their own, and ops that
     * choose their result's dtype (a conversion, a view), override it.
     */
    Tensor forwardMixed(Tensor[] in, DType dtype) {
        Tensor[] wide = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            wide[i] = in[i].widened();
        }
        return Tensor.like(forward(wide), dtype);
    }

    /** vmap at the innermost level present: the batching rule on the physical forms of the inputs batched there. */
    private Tensor applyBatched(int level, Tensor[] in) {
        Tensor[] x = new Tensor[in.length];
        boolean[] batched = new boolean[in.length];
        int n = -1;
        for (int i = 0; i < in.length; i++) {
            Tensor.Batch b = in[i].batch;
            batched[i] = b != null && b.level == level;
            x[i] = batched[i] ? b.physical : in[i];
            if (batched[i]) {
                n = b.size();
            }
        }
        Tensor p = batch(x, batched, n);
        if (p.rank() == 0 || p.shape[0] != n) {
            throw new IllegalStateException("internal error: the batching rule of '" + name + "' gave shape "
                    + dev.autodiff.kernel.Shapes.str(p.shape) + " for a batch of " + n);
        }
        return Tensor.batched(level, p);
    }

    /**
     * Forward mode at the innermost level present: the primal output is this op applied to the primals
     * (which may carry tangents of outer levels, handled by the same recursion), and the tangent comes
     * from the jvp rule. Inputs without a tangent at this level contribute a symbolic zero.
     */
    private Tensor applyDual(int level, Tensor[] in) {
        Tensor[] primals = new Tensor[in.length];
        Tensor[] tangents = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            Tensor.Dual d = in[i].dual;
            boolean atLevel = d != null && d.level == level;
            primals[i] = atLevel ? d.primal : in[i];
            tangents[i] = atLevel ? d.tangent : null;
        }
        Tensor p = apply(primals);
        Tensor t = jvp(primals, tangents, p);
        return t == null ? p.alias() : Tensor.dual(level, p, t);
    }

    /** Records {@code out} as produced by this primitive from {@code in} when grad mode asks for it. */
    final Tensor record(Tensor out, Tensor... in) {
        GradMode mode = GradMode.current();
        if (!mode.enabled) {
            return out;
        }
        out.op = this;
        out.inputs = in;
        out.requiresGrad = true;
        int depth = 0;
        for (int i = 0; i < in.length; i++) {
            depth = Math.max(depth, in[i].depth);
            if (in[i].version != null) {
                if (out.savedVersions == null) {
                    out.savedVersions = new int[in.length];
                }
                out.savedVersions[i] = in[i].version.value;
            }
        }
        if (depth == Integer.MAX_VALUE) {
            throw new IllegalStateException(name + ": the graph is 2^31 - 1 ops deep; backward could not order it");
        }
        out.depth = depth + 1;
        if (mode.anomaly) {
            out.createdAt = new Throwable().getStackTrace();
        }
        return out;
    }

    @Override
    public String toString() {
        return name;
    }
}
