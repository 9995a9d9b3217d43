package dev.autodiff;

import dev.autodiff.kernel.Elementwise;
import dev.autodiff.kernel.Shapes;

/**
 * Fused in-place updates: one pass over the arrays of several tensors of one shape, updating some of them from
 * their old values and the others', as an optimizer updates a parameter and its state (PyTorch's fused
 * optimizers, {@code torch._foreach_*}). It is the general form of {@link Tensor#assign} and
 * {@link Tensor#addInPlace}, with the same rules: only leaves outside forward mode that own their storage are
 * updated, nothing is recorded, and each updated tensor's version counter (shared with its views) is bumped, so a
 * backward through a graph that saved an old value throws instead of using the new one. It allocates nothing in
 * proportion to the tensors.
 *
 * <pre>{@code
 * // m = b1 m + (1 - b1) g and p -= lr m, in one pass
 * InPlace.update("myOptimizer", new Tensor[] {p, m}, new Tensor[] {g}, (from, to, out, in) -> {
 *     double[] pa = out[0], ma = out[1], ga = in[0];
 *     for (int i = from; i < to; i++) {
 *         ma[i] = b1 * ma[i] + (1 - b1) * ga[i];
 *         pa[i] -= lr * ma[i];
 *     }
 * });
 * }</pre>
 */
public final class InPlace {
    private InPlace() {}

    /**
     * The body of an update over the elements [from, to). {@code out} holds the storage of the tensors being updated
     * and {@code in} that of the tensors only read, in the order given to {@link #update}; the kernel must not write
     * {@code in} (those arrays are other tensors' values, which never change) nor keep any array after it returns.
     * Element i of each output may depend only on element i of the arrays, and must be read before it is written
     * (an input may share storage with an output, as a gradient seeded with the parameter's own values does): the
     * work is split into ranges over threads for large tensors, and the result must not depend on the split.
     */
    @FunctionalInterface
    public interface Kernel {
        void run(int from, int to, double[][] out, double[][] in);
    }

    /**
     * {@link Kernel} on float32 arrays, with the same contract: an optimizer's float32 form, computing in float32 as
     * PyTorch's float32 optimizers do. Given beside a Kernel, it runs when every tensor of the update is float32;
     * otherwise the Kernel runs, on float64 copies of chunks of any float32 array (see {@link #update}).
     */
    @FunctionalInterface
    public interface Kernel32 {
        void run(int from, int to, float[][] out, float[][] in);
    }

    /**
     * Runs {@code kernel} over every element of {@code out}, which it updates in place from their old values and
     * those of {@code in}. All tensors have the shape of {@code out[0]}. Throws, before anything changes, naming
     * {@code op}, if a tensor is null, a shape differs, a tensor in {@code out} is not a leaf or is a view of a
     * computed tensor, a tensor is a dual number (inside jvp), or two tensors in {@code out} share storage.
     */
    public static void update(String op, Tensor[] out, Tensor[] in, Kernel kernel) {
        run(op, out, in, kernel, null);
    }

    /** {@link #update} with a float32 form of the kernel, run instead when every tensor is float32. */
    public static void update(String op, Tensor[] out, Tensor[] in, Kernel kernel, Kernel32 kernel32) {
        Tensor.nonNull(op, "InPlace.update", "op");
        run(op, out, in, kernel, Tensor.nonNull(kernel32, op, "kernel32"));
    }

    /**
     * An optimizer's step: as {@link #update} with {@code param} and then {@code state} as the tensors to update,
     * and the gradient accumulated in {@code param} (by backward) as the one tensor read, {@code in[0]} of the
     * kernel. The gradient is read without being handed out, so, unlike after {@link Tensor#grad()}, its buffer
     * stays private and the next backward after {@link Tensor#zeroGrad()} writes the new gradient into it instead
     * of allocating one. Throws naming {@code op} if {@code param} has no gradient.
     */
    public static void step(String op, Tensor param, Tensor[] state, Kernel kernel) {
        stepWith(op, param, state, kernel, null);
    }

    /**
     * {@link #step} with a float32 form of the kernel, run instead when the parameter, its state and its gradient are
     * all float32 (the float arrays as they are, no float64 copies).
     */
    public static void step(String op, Tensor param, Tensor[] state, Kernel kernel, Kernel32 kernel32) {
        Tensor.nonNull(op, "InPlace.step", "op");
        stepWith(op, param, state, kernel, Tensor.nonNull(kernel32, op, "kernel32"));
    }

    private static void stepWith(String op, Tensor param, Tensor[] state, Kernel kernel, Kernel32 kernel32) {
        Tensor.nonNull(op, "InPlace.step", "op");
        Tensor.nonNull(param, op, "the parameter");
        Tensor.nonNull(state, op, "the state");
        if (param.grad == null) {
            throw new IllegalStateException(op + ": the parameter of shape " + Shapes.str(param.shape)
                    + " has no gradient; call backward() first, or skip parameters without one (Tensor.hasGrad())");
        }
        Tensor[] out = new Tensor[state.length + 1];
        out[0] = param;
        System.arraycopy(state, 0, out, 1, state.length);
        run(op, out, new Tensor[] {param.grad}, kernel, kernel32);
    }

    /**
     * Reads the gradient accumulated in {@code param} without handing it out, as gradient clipping must (reading
     * it through {@link Tensor#grad()} would make backward allocate a new buffer next time): runs
     * {@code kernel.run(0, n, {}, {g})} once, on this thread, so a sum over it is in a fixed order. The kernel must
     * not write g nor keep it. Throws naming {@code op} if {@code param} has no gradient or is a dual number.
     */
    public static void readGrad(String op, Tensor param, Kernel kernel) {
        Tensor g = gradOf(op, param, kernel);
        double[] gv = g.values();
        kernel.run(0, gv.length, new double[0][], new double[][] {gv});
    }

    /**
     * Changes the gradient accumulated in {@code param} elementwise, as clipping does ({@code out[0]} is g, to be
     * written from its own old values: element i from element i), split over threads as {@link #update}. In place
     * when g's buffer is private to this tensor (backward made it and nobody was handed it), else into a copy, so
     * a gradient tensor someone holds never changes. The parameter itself, and its version, are untouched. Throws
     * naming {@code op} if there is no gradient, or if the gradient carries a graph (backward with createGraph):
     * change that one with {@code setGrad(grad().mul(...))}, which differentiates through.
     */
    public static void updateGrad(String op, Tensor param, Kernel kernel) {
        Tensor g = gradOf(op, param, kernel);
        if (g.needsGrad()) {
            throw new IllegalStateException(op + ": the gradient of the parameter of shape " + Shapes.str(param.shape)
                    + " carries a graph (backward with createGraph); change it with setGrad(grad().mul(...)) instead");
        }
        if (!param.gradOwned) {
            // a private copy: the old gradient tensor may be held by someone
            g = g.f32 != null ? new Tensor(g.f32.clone(), g.shape) : new Tensor(g.data.clone(), g.shape);
            param.grad = g;
            param.gradOwned = true;
        }
        if (g.f32 != null) {
            Tensor[] out = {g};
            Elementwise.forRanges(g.size(), (from, to) -> chunked(out, new Tensor[0], kernel, from, to));
            return;
        }
        double[][] out = {g.data};
        Elementwise.forRanges(out[0].length, (from, to) -> kernel.run(from, to, out, new double[0][]));
    }

    /**
     * Whether the gradient accumulated in {@code param} carries a graph (backward with createGraph), without
     * handing it out; false without a gradient. Such a gradient is changed with {@code setGrad(grad().mul(...))}.
     */
    public static boolean gradCarriesGraph(Tensor param) {
        Tensor.nonNull(param, "InPlace.gradCarriesGraph", "param");
        return param.grad != null && (param.grad.needsGrad() || param.grad.dual != null);
    }

    /**
     * Changes a leaf's dtype in place, as {@code module.to(dtype)} changes its parameters in PyTorch: the same tensor
     * object (so a module's fields and an optimizer's references still hold it) gets its values converted (float64 to
     * float32 rounds to nearest), and its gradient, if any, too. Like every in-place update it bumps the version, so
     * a graph that saved the old values refuses to backpropagate. Throws naming {@code op} for a tensor that is not
     * a leaf owning its storage (a computed tensor, a view of one, a dual number, a batched tensor).
     */
    public static void convert(String op, Tensor leaf, DType dtype) {
        Tensor.nonNull(op, "InPlace.convert", "op");
        Tensor.nonNull(leaf, op, "the tensor");
        Tensor.nonNull(dtype, op, "dtype");
        if (leaf.dtype() == dtype) {
            return;
        }
        leaf.checkUpdatable(op, "the tensor");
        if (dtype == DType.FLOAT32) {
            leaf.f32 = leaf.narrowed().f32;
            leaf.data = null;
        } else {
            leaf.data = leaf.values();
            leaf.f32 = null;
        }
        if (leaf.grad != null) {
            leaf.grad = leaf.grad.detach().to(dtype);
            leaf.gradOwned = false;
        }
        leaf.spareGrad = null;
        leaf.version.value++;
    }

    private static Tensor gradOf(String op, Tensor param, Kernel kernel) {
        Tensor.nonNull(op, "InPlace.grad", "op");
        Tensor.nonNull(param, op, "the parameter");
        Tensor.nonNull(kernel, op, "kernel");
        if (param.grad == null) {
            throw new IllegalStateException(op + ": the parameter of shape " + Shapes.str(param.shape)
                    + " has no gradient; call backward() first, or skip parameters without one (Tensor.hasGrad())");
        }
        if (param.grad.dual != null) {
            throw new IllegalStateException(op + ": the gradient is a dual number (inside jvp)");
        }
        return param.grad;
    }

    private static void run(String op, Tensor[] out, Tensor[] in, Kernel kernel, Kernel32 kernel32) {
        Tensor.nonNull(op, "InPlace.update", "op");
        Tensor.nonNull(out, op, "the tensors to update");
        Tensor.nonNull(in, op, "the tensors to read");
        Tensor.nonNull(kernel, op, "kernel");
        if (out.length == 0) {
            throw new IllegalArgumentException(op + ": no tensors to update");
        }
        int[] shape = Tensor.nonNull(out[0], op, "tensor to update 0").shape;
        double[][] outs = new double[out.length][];
        for (int k = 0; k < out.length; k++) {
            Tensor t = Tensor.nonNull(out[k], op, "tensor to update " + k);
            t.checkUpdatable(op, "tensor to update " + k);
            t.checkReadable(op, "tensor to update " + k, shape);
            for (int j = 0; j < k; j++) {
                if (out[j].data == t.data && out[j].f32 == t.f32) {
                    throw new IllegalArgumentException(op + ": tensors to update " + j + " and " + k
                            + " share their storage; each must be updated once");
                }
            }
            outs[k] = t.data;
        }
        double[][] ins = new double[in.length][];
        boolean float32 = false;
        for (int k = 0; k < in.length; k++) {
            Tensor t = Tensor.nonNull(in[k], op, "tensor to read " + k);
            t.checkReadable(op, "tensor to read " + k, shape);
            ins[k] = t.data;
            float32 |= t.f32 != null;
        }
        boolean all32 = kernel32 != null;
        for (Tensor t : out) {
            float32 |= t.f32 != null;
            all32 &= t.f32 != null;
        }
        for (Tensor t : in) {
            all32 &= t.f32 != null;
        }
        try {
            if (all32) {
                float[][] fo = new float[out.length][];
                float[][] fi = new float[in.length][];
                for (int k = 0; k < out.length; k++) {
                    fo[k] = out[k].f32;
                }
                for (int k = 0; k < in.length; k++) {
                    fi[k] = in[k].f32;
                }
                Elementwise.forRanges(fo[0].length, (from, to) -> kernel32.run(from, to, fo, fi));
            } else if (float32) {
                Elementwise.forRanges(out[0].size(), (from, to) -> chunked(out, in, kernel, from, to));
            } else {
                Elementwise.forRanges(outs[0].length, (from, to) -> kernel.run(from, to, outs, ins));
            }
        } finally {
            for (Tensor t : out) {
                t.version.value++;
            }
        }
    }

    private static final int CHUNK = 1024;

    /**
     * The kernel over [from, to) when a tensor is float32: on float64 copies of 1024-element chunks of every array
     * (element i of the chunk is element start + i), the outputs copied back (float32 rounded once). Each element is
     * computed as the kernel computes it on float64 arrays, so the bits do not depend on the chunking.
     */
    private static void chunked(Tensor[] out, Tensor[] in, Kernel kernel, int from, int to) {
        double[][] co = new double[out.length][Math.min(CHUNK, to - from)];
        double[][] ci = new double[in.length][Math.min(CHUNK, to - from)];
        for (int c = from; c < to; c += CHUNK) {
            int len = Math.min(CHUNK, to - c);
            for (int k = 0; k < out.length; k++) {
                copyOut(out[k], c, co[k], len);
            }
            for (int k = 0; k < in.length; k++) {
                copyOut(in[k], c, ci[k], len);
            }
            kernel.run(0, len, co, ci);
            for (int k = 0; k < out.length; k++) {
                copyBack(co[k], out[k], c, len);
            }
        }
    }

    private static void copyBack(double[] chunk, Tensor t, int start, int len) {
        if (t.f32 != null) {
            Elementwise.narrow(chunk, 0, t.f32, start, len);
        } else {
            System.arraycopy(chunk, 0, t.data, start, len);
        }
    }

    private static void copyOut(Tensor t, int start, double[] chunk, int len) {
        if (t.f32 != null) {
            Elementwise.widen(t.f32, start, chunk, 0, len);
        } else {
            System.arraycopy(t.data, start, chunk, 0, len);
        }
    }
}
