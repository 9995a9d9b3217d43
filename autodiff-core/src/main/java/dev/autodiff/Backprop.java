package dev.autodiff;

import dev.autodiff.kernel.Buffers;
import dev.autodiff.kernel.Shapes;
import java.util.Arrays;
import java.util.IdentityHashMap;

/**
 * Reverse-mode traversal. Every recorded tensor has a depth, one more than its deepest recorded input's (leaves and
 * constants have depth 0), fixed when it is recorded. Visiting the reachable nodes in decreasing depth visits each after
 * every consumer of it (a consumer is deeper than each of its inputs), so a node's gradient is complete when its vjp
 * rules run. The pass keeps one list of waiting nodes per depth: a node joins its depth's list when its first gradient
 * arrives, and the deepest nonempty list gives the next node. Ordering and processing are one pass over the nodes, with
 * no search ahead of it; no recursion, so a chain of any length backpropagates without growing the Java stack. Within
 * a depth the lists are last in, first out, which fixes the order of every sum: the same program gives the same bits.
 */
final class Backprop {
    private Backprop() {}

    /** Accumulates into {@code grad()} of the leaves (and retained non-leaves). */
    static void backward(Tensor root, Tensor seed, boolean retainGraph, boolean createGraph) {
        run("backward", root, seed, retainGraph, createGraph, null, null);
    }

    /** Returns the gradients with respect to {@code inputs} (zeros for one the output does not depend on). */
    static Tensor[] grad(Tensor root, Tensor seed, boolean retainGraph, boolean createGraph, Tensor[] inputs) {
        Tensor.nonNull(root, "grad", "the output");
        Tensor.nonNull(inputs, "grad", "the inputs");
        for (int i = 0; i < inputs.length; i++) {
            Tensor.nonNull(inputs[i], "grad", "input " + i);
        }
        IdentityHashMap<Tensor, Integer> targets = new IdentityHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad) {
                throw new IllegalArgumentException("grad: input " + i + " (shape " + Shapes.str(inputs[i].shape)
                        + ") does not need grad; call requiresGrad() on it before computing the output");
            }
            if (targets.put(inputs[i], i) != null) {
                throw new IllegalArgumentException("grad: input " + i + " appears twice among the inputs");
            }
        }
        Tensor[] results = new Tensor[inputs.length];
        run("grad", root, seed, retainGraph, createGraph, targets, results);
        for (int i = 0; i < results.length; i++) {
            if (results[i] == null) {
                results[i] = Tensor.zeros(inputs[i].dtype(), inputs[i].shape); // a gradient has its input's dtype
            }
        }
        return results;
    }

    private static void run(String caller, Tensor root, Tensor seed, boolean retainGraph, boolean createGraph,
                            IdentityHashMap<Tensor, Integer> targets, Tensor[] results) {
        if (!root.requiresGrad) {
            throw new IllegalArgumentException(caller + ": the output does not need grad: no input it was computed from "
                    + "was marked with requiresGrad(), or it was computed under noGrad()");
        }
        Tensor g0 = seedFor(caller, root, seed);
        Tensor[] waiting = new Tensor[root.depth + 1]; // per depth, the nodes whose gradient has begun, linked by next
        Tensor[] leaves = new Tensor[8];
        int nLeaves = 0;
        GradMode mode = GradMode.current();
        boolean wasEnabled = mode.enabled;
        boolean done = false;
        mode.enabled = createGraph;
        try {
            root.pending = g0;
            if (root.op == null) {
                leaves[nLeaves++] = root;
            } else {
                waiting[root.depth] = root;
            }
            for (int depth = root.depth; (depth = deepest(waiting, depth)) > 0; ) {
                Tensor t = waiting[depth];
                waiting[depth] = t.next;
                t.next = null;
                if (t.inputs == null) {
                    throw freed(caller, t);
                }
                Tensor g = t.pending;
                boolean gOwned = t.pendingOwned; // a buffer this pass made and nobody else holds
                t.pending = null;
                t.pendingOwned = false;
                Tensor[] in = t.inputs;
                if (!retainGraph) {
                    t.inputs = null; // free the saved values as soon as this node is done
                }
                if (t.savedVersions != null) {
                    checkVersions(caller, t, in);
                }
                if (targets != null) {
                    Integer slot = targets.get(t);
                    if (slot != null) {
                        results[slot] = g;
                        gOwned = false;
                    }
                } else if (t.retainsGrad) {
                    t.grad = t.grad == null ? g : t.grad.add(g);
                    gOwned = false;
                }
                // the fast paths (vjpInto, vjpOverwrite, buffers summed in place) read plain arrays of one dtype: only
                // when nothing is recorded and neither g nor any saved input carries a tangent, and no per-op check runs
                boolean checked = t.createdAt != null || mode.anomaly;
                boolean direct64 = !checked && !createGraph && Primitive.plain64(g, in); // createGraph: grad mode on
                boolean direct = direct64 || !checked && !createGraph && Primitive.plain32(g, in, t);
                // built-in rules keep nothing they are given; a custom op's user code might
                boolean builtIn = t.op.kind != Primitive.Kind.CUSTOM;
                boolean gPassedOn = false; // g's buffer went on as (part of) an input's gradient
                for (int i = 0; i < in.length; i++) {
                    Tensor c = in[i];
                    if (!c.requiresGrad) {
                        continue;
                    }
                    if (direct && c.pendingOwned && into(t.op, i, g, in, t, c.pending, direct64, false)) {
                        // e.g. a slice's gradient scattered, or a matmul's multiplied, straight into c's buffer
                        continue;
                    }
                    if (direct && c.op == null && c.pending == null && c.spareGrad != null && targets == null
                            && into(t.op, i, g, in, t, c.spareGrad, direct64, true)) {
                        // a leaf's first path written into the gradient buffer its last zeroGrad() gave back
                        c.pending = c.spareGrad.f32 != null ? new Tensor(c.spareGrad.f32, c.shape)
                                : new Tensor(c.spareGrad.data, c.shape);
                        c.pendingOwned = true;
                        c.spareGrad = null;
                        if (nLeaves == leaves.length) {
                            leaves = Arrays.copyOf(leaves, nLeaves * 2);
                        }
                        leaves[nLeaves++] = c;
                        continue;
                    }
                    // g's buffer, when only this pass holds it and this op has one input, may become the input's
                    boolean overwritten = direct && gOwned && in.length == 1 && t.op.vjpOverwrite(g, in, t);
                    Tensor gi = overwritten ? g : t.op.vjp(i, g, in, t);
                    if (gi.dtype() != c.dtype()) {
                        gi = gi.to(c.dtype()); // a gradient has its input's dtype, whatever the rule's constants made
                    }
                    if (gi.shape != c.shape && !Arrays.equals(gi.shape, c.shape)) {
                        throw new IllegalStateException("internal error: vjp of '" + t.op.name + "' for input " + i
                                + " has shape " + Shapes.str(gi.shape) + ", expected " + Shapes.str(c.shape));
                    }
                    if (t.createdAt != null || mode.anomaly) {
                        Anomaly.check(t, i, gi);
                    }
                    boolean same = sameStorage(gi, g);
                    gPassedOn |= same;
                    if (c.pending == null) {
                        c.pending = gi;
                        // a buffer nobody else holds: new, or g's own passed on whole by a built-in one-input op (a
                        // reshape's view, a ReLU written over g), g being dropped now; a custom op's rule that returns
                        // g may also have kept it. An op with more inputs may pass g on whole to one of them whose
                        // others' rules only read it (addmm's bias), unless that input is also one of the others.
                        c.pendingOwned = direct && (t.op.freshVjp(i) || builtIn && gOwned && same
                                && (in.length == 1 || t.op.passesGOnlyTo(i) && once(in, i)));
                        if (c.op == null) {
                            if (nLeaves == leaves.length) {
                                leaves = Arrays.copyOf(leaves, nLeaves * 2);
                            }
                            leaves[nLeaves++] = c;
                        } else {
                            c.next = waiting[c.depth];
                            waiting[c.depth] = c;
                        }
                    } else {
                        accumulate(c, gi, createGraph);
                        if (direct && builtIn && t.op.freshVjp(i) && !same) {
                            recycle(gi); // a new buffer, summed into c's and held by nobody
                        }
                    }
                }
                if (gOwned && direct && builtIn && !gPassedOn) {
                    recycle(g); // this pass made g, no rule kept it, and nobody else ever saw it
                }
            }
            // each leaf's paths are summed; now deliver once
            for (int k = 0; k < nLeaves; k++) {
                Tensor leaf = leaves[k];
                Tensor g = leaf.pending;
                boolean owned = leaf.pendingOwned;
                leaf.pending = null;
                leaf.pendingOwned = false;
                if (targets == null) {
                    leaf.deliverGrad(g, owned, createGraph);
                } else {
                    Integer slot = targets.get(leaf);
                    if (slot != null) {
                        results[slot] = g;
                    }
                }
            }
            done = true;
        } finally {
            mode.enabled = wasEnabled;
            if (!done) {
                for (Tensor head : waiting) {
                    for (Tensor t = head, after; t != null; t = after) {
                        after = t.next;
                        t.next = null;
                        t.pending = null;
                        t.pendingOwned = false;
                    }
                }
                for (int k = 0; k < nLeaves; k++) {
                    leaves[k].pending = null;
                    leaves[k].pendingOwned = false;
                }
            }
        }
    }

    /**
     * The op's vjpInto for input i into {@code acc}, a buffer of that input's shape and dtype: the float64 form when the
     * node's arrays are float64 ({@code float64}), else the float32 one; false when the op has no such path, or the
     * buffer's dtype is not the arrays' (a spare buffer left from before a conversion).
     */
    private static boolean into(Primitive op, int i, Tensor g, Tensor[] in, Tensor out, Tensor acc, boolean float64,
                                boolean overwrite) {
        if (float64) {
            return acc.data != null && op.vjpInto(i, g, in, out, acc.data, overwrite);
        }
        return acc.f32 != null && op.vjpInto32(i, g, in, out, acc.f32, overwrite);
    }

    /** The deepest depth at most d whose list of waiting nodes is nonempty, or 0 when none is. */
    private static int deepest(Tensor[] waiting, int d) {
        while (d > 0 && waiting[d] == null) {
            d--;
        }
        return d;
    }

    /** Whether two plain tensors share their array (for a gradient passed on as it is). */
    private static boolean sameStorage(Tensor a, Tensor b) {
        return a.data == b.data && a.f32 == b.f32;
    }

    private static void recycle(Tensor t) {
        if (t.data != null) {
            Buffers.recycle(t.data);
        } else if (t.f32 != null) {
            Buffers.recycle(t.f32);
        }
    }

    /** Whether in[i] appears in in only once. */
    private static boolean once(Tensor[] in, int i) {
        for (int j = 0; j < in.length; j++) {
            if (j != i && in[j] == in[i]) {
                return false;
            }
        }
        return true;
    }

    /** A value this node saved has been updated in place since: its rules would use the new values. */
    private static void checkVersions(String caller, Tensor t, Tensor[] in) {
        for (int i = 0; i < in.length; i++) {
            Tensor.Version v = in[i].version;
            if (v != null && v.value != t.savedVersions[i]) {
                throw new IllegalStateException(caller + ": input " + i + " of '" + t.op.name + "' (shape "
                        + Shapes.str(in[i].shape) + ") was updated in place after it was saved: it is at version "
                        + v.value + ", but the graph recorded version " + t.savedVersions[i]
                        + "; compute the output again after the update, or update after backward");
            }
        }
    }

    /**
     * Adds another path's gradient. When the pass records (createGraph) this is a recorded add; otherwise
     * the sum lives in a buffer private to this pass, made on the second path and updated in place after
     * (except for dual numbers, whose tangents must be summed too).
     */
    private static void accumulate(Tensor c, Tensor gi, boolean createGraph) {
        if (!(!createGraph && c.pendingOwned && Tensor.addIntoPlain(c.pending, gi))) {
            c.pending = c.pending.add(gi);
            c.pendingOwned = !createGraph && Tensor.plain(c.pending);
        }
    }

    private static Tensor seedFor(String caller, Tensor root, Tensor seed) {
        if (seed == null) {
            if (root.size() != 1) {
                throw new IllegalArgumentException(caller + ": the output has shape " + Shapes.str(root.shape)
                        + "; a seed (a tensor of that shape) is needed to backpropagate from a non-scalar output");
            }
            return Tensor.like(new Tensor(new double[] {1.0}, root.shape), root.dtype());
        }
        if (!Arrays.equals(seed.shape, root.shape)) {
            throw new IllegalArgumentException(caller + ": the seed has shape " + Shapes.str(seed.shape)
                    + " but the output has shape " + Shapes.str(root.shape));
        }
        return seed.dtype() == root.dtype() ? seed : seed.to(root.dtype());
    }

    /** Recorded tensors reachable from root, inputs before the tensors computed from them. */
    static Tensor[] postOrder(String caller, Tensor root) {
        if (root.op == null) {
            return new Tensor[0];
        }
        Object visit = new Object(); // marks this traversal; never confused with another thread's
        Tensor[] order = new Tensor[256];
        int n = 0;
        Tensor[] stack = new Tensor[64];
        int[] next = new int[64];
        int top = 0;
        stack[0] = root;
        root.mark = visit;
        try {
            while (top >= 0) {
                Tensor t = stack[top];
                Tensor[] in = t.inputs;
                if (in == null) {
                    throw freed(caller, t);
                }
                int i = next[top];
                if (i < in.length) {
                    next[top] = i + 1;
                    Tensor c = in[i];
                    if (c.op != null && c.mark != visit) {
                        c.mark = visit;
                        if (++top == stack.length) {
                            stack = Arrays.copyOf(stack, top * 2);
                            next = Arrays.copyOf(next, top * 2);
                        }
                        stack[top] = c;
                        next[top] = 0;
                    }
                } else {
                    if (n == order.length) {
                        order = Arrays.copyOf(order, n * 2);
                    }
                    order[n++] = t;
                    top--;
                }
            }
        } finally {
            for (int k = 0; k <= top; k++) {
                stack[k].mark = null;
            }
            for (int k = 0; k < n; k++) {
                order[k].mark = null;
            }
        }
        return n == order.length ? order : Arrays.copyOf(order, n);
    }

    private static IllegalStateException freed(String caller, Tensor t) {
        return new IllegalStateException(caller + ": trying to backpropagate a second time through the graph: the "
                + "values saved by '" + t.op.name + "' (output shape " + Shapes.str(t.shape) + ") were freed after "
                + "the first backward; pass retainGraph=true to the first backward to keep them");
    }
}
