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

    // ================================================================ forward mode and transformations

    /** The value of a function and its directional derivative (its tangent). */
    public record Jvp(Tensor value, Tensor tangent) {}

    /** The value of a function and its gradient with respect to each input. */
    public record ValueAndGrad(Tensor value, Tensor[] grads) {}

    /** The value of a function and its pullback: {@code u -> u^T J} for each input, callable many times. */
    public static final class Vjp {
        private final Tensor value;
        private final Tensor[] inputs;
        private final boolean createGraph;

        private Vjp(Tensor value, Tensor[] inputs, boolean createGraph) {
            this.value = value;
            this.inputs = inputs;
            this.createGraph = createGraph;
        }

        public Tensor value() {
            return value;
        }

        /** The cotangent {@code u} (shape of the value) pulled back to each input. */
        public Tensor[] pullback(Tensor u) {
            Tensor.nonNull(u, "pullback", "the cotangent");
            if (!value.needsGrad()) {
                Tensor[] z = new Tensor[inputs.length];
                for (int i = 0; i < z.length; i++) {
                    z[i] = Tensor.zeros(inputs[i].dtype(), inputs[i].shape);
                }
                return z;
            }
            return Backprop.grad(value, u, true, createGraph, inputs);
        }
    }

    /**
     * Forward mode: runs {@code f} on dual numbers {@code x + v eps} and returns its value and tangent
     * {@code J v}, eagerly, recording nothing (unless grad mode records for an outer reverse pass). A
     * tangent may have one extra leading dimension of size n to push n tangents in one pass.
     */
    public static Jvp jvp(java.util.function.Function<Tensor, Tensor> f, Tensor x, Tensor v) {
        Tensor.nonNull(f, "jvp", "the function");
        Tensor.nonNull(x, "jvp", "x");
        Tensor.nonNull(v, "jvp", "the tangent");
        return jvp(xs -> f.apply(xs[0]), new Tensor[] {x}, new Tensor[] {v});
    }

    /** Forward mode with several inputs, one tangent each (null for none); see {@link #jvp(java.util.function.Function, Tensor, Tensor)}. */
    public static Jvp jvp(Fn f, Tensor[] xs, Tensor[] vs) {
        Tensor.nonNull(f, "jvp", "the function");
        checkInputs("jvp", xs);
        Tensor.nonNull(vs, "jvp", "the tangents");
        if (xs.length != vs.length) {
            throw new IllegalArgumentException("jvp: " + xs.length + " inputs but " + vs.length + " tangents");
        }
        int level = GradMode.current().newLevel();
        Tensor[] duals = new Tensor[xs.length];
        Tensor ref = null;
        Tensor refPrimal = null;
        for (int i = 0; i < xs.length; i++) {
            if (vs[i] == null) {
                duals[i] = xs[i];
                continue;
            }
            Tangents.checkShape(xs[i], vs[i]);
            if (ref != null && Tangents.batch(vs[i], xs[i]) != Tangents.batch(ref, refPrimal)) {
                throw new IllegalArgumentException("jvp: either every tangent is batched (one extra leading dimension) or none is");
            }
            if (ref != null && Tangents.batch(ref, refPrimal) == 1 && ref.shape[0] != vs[i].shape[0]) {
                throw new IllegalArgumentException("jvp: batched tangents disagree on the batch size: " + ref.shape[0]
                        + " vs " + vs[i].shape[0]);
            }
            ref = vs[i];
            refPrimal = xs[i];
            duals[i] = Tensor.dual(level, xs[i], vs[i]);
        }
        Tensor y = result("jvp", f.apply(duals));
        if (y.level() == level) {
            return new Jvp(y.dual.primal, y.dual.tangent);
        }
        // y does not depend on the tangents: a zero tangent, in y's dtype as every tangent has its primal's
        Tensor zero = Tensor.zeros(y.dtype(), ref == null ? y.shape : Tangents.batched(ref, refPrimal, y.shape));
        return new Jvp(y, zero);
    }

    /** Inputs as reverse-mode targets: one that already needs grad is used as it is, others become new leaves. */
    private static Tensor[] targets(Tensor[] xs) {
        Tensor[] t = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            t[i] = xs[i].needsGrad() ? xs[i] : xs[i].alias().requiresGrad();
        }
        return t;
    }

    /** Whether an outer reverse pass will differentiate through the result (then the backward must record). */
    private static boolean outerNeedsGrad(Tensor[] xs) {
        for (Tensor x : xs) {
            // inside vmap an input's examples may need grad for a reverse pass around the vmap
            for (Tensor t = x; t != null; t = t.batch == null ? null : t.batch.physical) {
                if (t.needsGrad()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The value of a one-element function and its gradient with respect to every input. */
    public static ValueAndGrad valueAndGrad(Fn f, Tensor... xs) {
        Tensor.nonNull(f, "valueAndGrad", "the function");
        checkInputs("valueAndGrad", xs);
        Tensor[] in = targets(xs);
        Tensor y = result("valueAndGrad", f.apply(in));
        if (!y.needsGrad()) {
            Tensor[] z = new Tensor[xs.length];
            for (int i = 0; i < z.length; i++) {
                z[i] = Tensor.zeros(xs[i].dtype(), xs[i].shape);
            }
            return new ValueAndGrad(y, z);
        }
        boolean create = outerNeedsGrad(xs);
        return new ValueAndGrad(y, Backprop.grad(y, null, create, create, in));
    }

    /** The value of f and its pullback, for vector-Jacobian products with any cotangent. */
    public static Vjp vjp(Fn f, Tensor... xs) {
        Tensor.nonNull(f, "vjp", "the function");
        checkInputs("vjp", xs);
        Tensor[] in = targets(xs);
        return new Vjp(result("vjp", f.apply(in)), in, outerNeedsGrad(xs));
    }

    /** The gradient of a one-element function as a function, to compose: {@code jacfwd(gradient(f), x)}. */
    public static java.util.function.Function<Tensor, Tensor> gradient(java.util.function.Function<Tensor, Tensor> f) {
        Tensor.nonNull(f, "gradient", "the function");
        return x -> valueAndGrad(xs -> f.apply(xs[0]), x).grads()[0];
    }

    /** The Jacobian, shape {@code f(x).shape + x.shape}, by reverse mode: one vjp per output element. */
    public static Tensor jacrev(java.util.function.Function<Tensor, Tensor> f, Tensor x) {
        Tensor.nonNull(f, "jacrev", "the function");
        Tensor.nonNull(x, "jacrev", "x");
        Vjp v = vjp(xs -> f.apply(xs[0]), x);
        Tensor y = v.value();
        int m = y.size();
        Tensor[] rows = new Tensor[m];
        for (int i = 0; i < m; i++) {
            Tensor seed = Tensor.zeros(y.shape);
            seed.data[i] = 1.0;
            rows[i] = v.pullback(seed)[0];
        }
        return stackJacobian(rows, y.shape, x.shape, x.dtype());
    }

    /** The Jacobian, shape {@code f(x).shape + x.shape}, by forward mode in one batched pass of width x.size(). */
    public static Tensor jacfwd(java.util.function.Function<Tensor, Tensor> f, Tensor x) {
        return jacfwd(f, x, true);
    }

    /**
     * The Jacobian by forward mode: batched (one pass pushing all x.size() basis tangents at once) or
     * not (one jvp per input element, as a baseline).
     */
    public static Tensor jacfwd(java.util.function.Function<Tensor, Tensor> f, Tensor x, boolean batched) {
        Tensor.nonNull(f, "jacfwd", "the function");
        Tensor.nonNull(x, "jacfwd", "x");
        int n = x.size();
        if (batched) {
            int[] vShape = new int[x.rank() + 1];
            vShape[0] = n;
            System.arraycopy(x.shape, 0, vShape, 1, x.rank());
            Tensor basis = Tensor.eye(n).reshape(vShape);
            Tensor t = jvp(f, x, basis).tangent(); // (n, *y.shape)
            int[] perm = new int[t.rank()];
            for (int d = 0; d < perm.length; d++) {
                perm[d] = (d + 1) % perm.length;
            }
            int[] yShape = java.util.Arrays.copyOfRange(t.shape, 1, t.rank());
            return t.permute(perm).reshape(concat(yShape, x.shape));
        }
        Tensor[] cols = new Tensor[n];
        int[] yShape = null;
        for (int j = 0; j < n; j++) {
            Tensor e = Tensor.zeros(x.shape);
            e.data[j] = 1.0;
            cols[j] = jvp(f, x, e).tangent();
            yShape = cols[j].shape;
        }
        if (n == 0) {
            Tensor y = result("jacfwd", f.apply(x));
            return Tensor.zeros(y.dtype(), concat(y.shape, x.shape));
        }
        return Tensor.stack(-1, cols).reshape(concat(yShape, x.shape));
    }

    /** The Hessian of a one-element function, shape {@code x.shape + x.shape}: forward over reverse. */
    public static Tensor hessian(java.util.function.Function<Tensor, Tensor> f, Tensor x) {
        Tensor.nonNull(f, "hessian", "the function");
        Tensor.nonNull(x, "hessian", "x");
        return jacfwd(gradient(f), x);
    }

    /** The Hessian-vector product H v of a one-element function, by forward over reverse (no Hessian is formed). */
    public static Tensor hvp(java.util.function.Function<Tensor, Tensor> f, Tensor x, Tensor v) {
        Tensor.nonNull(f, "hvp", "the function");
        Tensor.nonNull(x, "hvp", "x");
        Tensor.nonNull(v, "hvp", "v");
        return jvp(gradient(f), x, v).tangent();
    }

    private static void checkInputs(String op, Tensor[] xs) {
        Tensor.nonNull(xs, op, "the inputs");
        for (int i = 0; i < xs.length; i++) {
            Tensor.nonNull(xs[i], op, "input " + i);
        }
    }

    /** A transformed function's result, which must be a tensor. */
    private static Tensor result(String op, Tensor y) {
        if (y == null) {
            throw new NullPointerException(op + ": the function returned null");
        }
        return y;
    }

    private static Tensor stackJacobian(Tensor[] rows, int[] yShape, int[] xShape, DType dtype) {
        if (rows.length == 0) {
            return Tensor.zeros(dtype, concat(yShape, xShape)); // (a gradient's dtype: its input's)
        }
        return Tensor.stack(0, rows).reshape(concat(yShape, xShape));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] s = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, s, a.length, b.length);
        return s;
    }

    /**
     * {@code f} with its intermediates recomputed in the backward pass instead of kept, as torch.utils.checkpoint and
     * JAX's remat: the graph holds only f's inputs and output, and backward runs f once more (with grad on) to take
     * its vjp, so memory falls from all of f's intermediates to its inputs, for one more forward pass. The gradients
     * are those of f itself, bit for bit (the same ops on the same values); under backward with createGraph the
     * recomputation is recorded, so every order works, and forward mode (jvp through the checkpoint) runs f on dual
     * numbers. f must be a function of its inputs alone: randomness or state it reads would differ in the
     * recomputation (seed a Dropout inside it explicitly, or keep it outside).
     */
    public static Fn checkpoint(Fn f) {
        Tensor.nonNull(f, "checkpoint", "the function");
        return xs -> {
            checkInputs("checkpoint", xs);
            // one op per application: its vjp recomputes f once for all inputs and keeps the gradients for the
            // other inputs' calls with the same output gradient
            Tensor[] lastSeed = {null};
            Tensor[][] lastGrads = {null};
            CustomOp op = CustomOp.of("checkpoint", in -> result("checkpoint", f.apply(in)), (i, g, in, out) -> {
                if (lastSeed[0] != g || lastGrads[0] == null) {
                    lastGrads[0] = recomputedVjp(f, g, in);
                    lastSeed[0] = g;
                }
                return lastGrads[0][i];
            }, (in, ts, out) -> jvp(f, in, ts).tangent());
            return op.apply(xs);
        };
    }

    // ===== issue 16: vmap

    /**
     * f mapped over the first axis of every input, its result stacked along the first axis: {@code vmap(f).apply(xs)}
     * equals stacking {@code f(xs[0][k], xs[1][k], ...)} over k, computed in one pass by each op's batching rule (a
     * batch of matrix-vector products becomes one matrix product). As JAX's vmap and torch.func.vmap; see
     * {@link #vmap(FnN, Integer[], int[])}.
     */
    public static Fn vmap(Fn f) {
        Tensor.nonNull(f, "vmap", "the function");
        return xs -> {
            Tensor.nonNull(xs, "vmap", "the inputs");
            Integer[] axes = new Integer[xs.length];
            java.util.Arrays.fill(axes, 0);
            return vmap(f, axes, 0).apply(xs);
        };
    }

    /** f mapped over axis {@code inAxes[i]} of input i (null: the same tensor for every example), results' batch axis at {@code outAxis}. */
    public static Fn vmap(Fn f, Integer[] inAxes, int outAxis) {
        Tensor.nonNull(f, "vmap", "the function");
        Integer[] axes = Tensor.nonNull(inAxes, "vmap", "the input axes").clone();
        return xs -> Batching.vmap("vmap", ys -> new Tensor[] {f.apply(ys)}, axes, new int[] {outAxis}, xs)[0];
    }

    /**
     * f mapped over axis {@code inAxes[i]} of each input i (null: not batched, the same tensor for every example), each
     * result j with its batch axis at {@code outAxes[j]} (negative counts from the end). At least one input is batched,
     * along axes of one size n; a result that does not depend on the batch is copied n times.
     *
     * <p>Every primitive has a batching rule (elementwise ops and reductions run on the batch as it is, movement ops
     * repeat their index map per example, matmul batches into one larger product, gather and scatterAdd by a batched
     * index build one map over every example); the selections (sort, argsort, topk, kthvalue, median) find every
     * example's indices in one call, each as it would alone. A custom op declared
     * {@link CustomOp#batchedOverLeadingDims} (as the linear algebra is) runs once on the whole batch; any other runs
     * once per example and says so once (System.Logger "dev.autodiff.vmap", WARNING). vmap nests with itself,
     * {@link #jvp}, {@link #valueAndGrad} and reverse mode: {@code vmap(x -> valueAndGrad(loss, w, x).grads()[0])}
     * gives per-example gradients in one pass. Inside f a batched tensor has each example's shape but no values of its
     * own: {@code item()}, {@code toArray()} and in-place updates refuse it. Random ops inside f draw one sample shared
     * by every example.
     */
    public static FnN vmap(FnN f, Integer[] inAxes, int[] outAxes) {
        Tensor.nonNull(f, "vmap", "the function");
        Integer[] axes = Tensor.nonNull(inAxes, "vmap", "the input axes").clone();
        int[] outs = Tensor.nonNull(outAxes, "vmap", "the output axes").clone();
        return xs -> Batching.vmap("vmap", f::apply, axes, outs, xs);
    }

    /** f's vjp with seed g at {@code in}, by running f again: recorded (differentiable) when grad mode is on. */
    private static Tensor[] recomputedVjp(Fn f, Tensor g, Tensor[] in) {
        boolean createGraph = isGradEnabled();
        Tensor[] xs = new Tensor[in.length];
        for (int j = 0; j < in.length; j++) {
            // under createGraph the recomputation must hang on the real inputs, so higher derivatives reach them; a
            // fresh leaf otherwise, keeping forward-mode tangents (forward over reverse differentiates this vjp)
            xs[j] = createGraph && in[j].needsGrad() ? in[j] : in[j].alias().requiresGrad();
        }
        try (GradScope s = enableGrad()) {
            Tensor y = f.apply(xs);
            if (y == null) {
                throw new IllegalStateException("checkpoint: the function returned null");
            }
            if (!y.needsGrad()) { // f ignores its inputs: a zero gradient for each
                Tensor[] zeros = new Tensor[in.length];
                for (int j = 0; j < in.length; j++) {
                    zeros[j] = Tensor.zeros(in[j].shape());
                }
                return zeros;
            }
            return grad(y, g, false, createGraph, xs);
        }
    }

    // ===== issue 16: argnums and Jacobian blocks
    //
    // As jax.grad(f, argnums), jax.jacrev/jacfwd(f, argnums) and jax.hessian(f, argnums): differentiate a function of
    // several tensors with respect to the arguments named by argnums (in that order). The other arguments are passed
    // through as they are: constants to this transform (no new leaf, so nothing is recorded for them), but still seen
    // by an enclosing transform, so d/dy of grad(f, 0)(x, y) works under an outer reverse pass or jvp.

    /**
     * The value of a one-element function and its gradients with respect to the inputs {@code argnums} only, in
     * argnums' order; the other inputs are constants here (an outer pass may still differentiate through them).
     */
    public static ValueAndGrad valueAndGrad(Fn f, int[] argnums, Tensor... xs) {
        return valueAndGrad("valueAndGrad", f, argnums, xs);
    }

    /** The gradients of a one-element function with respect to its inputs {@code argnums}, as a function. */
    public static FnN grad(Fn f, int... argnums) {
        Tensor.nonNull(f, "grad", "the function");
        checkArgnums("grad", argnums, Integer.MAX_VALUE);
        int[] a = argnums.clone();
        return xs -> valueAndGrad("grad", f, a, xs).grads();
    }

    /** The value of f and its pullback to the inputs {@code argnums} only: {@code pullback(u)[i]} is u^T df/dxs[argnums[i]]. */
    public static Vjp vjp(Fn f, int[] argnums, Tensor... xs) {
        Tensor.nonNull(f, "vjp", "the function");
        checkInputs("vjp", xs);
        int[] a = checkArgnums("vjp", argnums, xs.length);
        Tensor[] in = xs.clone();
        Tensor[] chosen = new Tensor[a.length];
        Tensor[] t = targets(pick(xs, a));
        for (int i = 0; i < a.length; i++) {
            in[a[i]] = t[i];
            chosen[i] = t[i];
        }
        return new Vjp(result("vjp", f.apply(in)), chosen, outerNeedsGrad(xs));
    }

    /**
     * The Jacobian blocks of f with respect to its inputs {@code argnums}, by reverse mode: block i has shape
     * {@code f(xs).shape + xs[argnums[i]].shape}. One vjp per output element gives a row of every block.
     */
    public static Tensor[] jacrev(Fn f, int[] argnums, Tensor... xs) {
        Tensor.nonNull(f, "jacrev", "the function");
        checkInputs("jacrev", xs);
        int[] a = checkArgnums("jacrev", argnums, xs.length);
        Vjp v = vjp(f, a, xs);
        Tensor y = v.value();
        int m = y.size();
        Tensor[][] rows = new Tensor[a.length][m];
        for (int r = 0; r < m; r++) {
            Tensor seed = Tensor.zeros(y.shape);
            seed.data[r] = 1.0;
            Tensor[] g = v.pullback(seed);
            for (int i = 0; i < a.length; i++) {
                rows[i][r] = g[i];
            }
        }
        Tensor[] blocks = new Tensor[a.length];
        for (int i = 0; i < a.length; i++) {
            blocks[i] = stackJacobian(rows[i], y.shape, xs[a[i]].shape, xs[a[i]].dtype());
        }
        return blocks;
    }

    /**
     * The Jacobian blocks of f with respect to its inputs {@code argnums}, by forward mode: one batched jvp per
     * argument (its xs[argnums[i]].size() basis tangents at once, no tangent on the others); block i has shape
     * {@code f(xs).shape + xs[argnums[i]].shape}.
     */
    public static Tensor[] jacfwd(Fn f, int[] argnums, Tensor... xs) {
        Tensor.nonNull(f, "jacfwd", "the function");
        checkInputs("jacfwd", xs);
        int[] a = checkArgnums("jacfwd", argnums, xs.length);
        Tensor[] blocks = new Tensor[a.length];
        for (int i = 0; i < a.length; i++) {
            int k = a[i];
            blocks[i] = jacfwd(x -> f.apply(with(xs, k, x)), xs[k], true);
        }
        return blocks;
    }

    /**
     * The Hessian blocks of a one-element function with respect to its inputs {@code argnums}: {@code H[i][j]} has
     * shape {@code xs[argnums[i]].shape + xs[argnums[j]].shape} and holds d^2 f / dxs[argnums[i]] dxs[argnums[j]].
     * Forward over reverse: for each j, one batched jvp (all xs[argnums[j]].size() basis tangents) of the gradients
     * with respect to every argnums input gives the column of blocks H[.][j]. H[i][j] is H[j][i] transposed.
     */
    public static Tensor[][] hessian(Fn f, int[] argnums, Tensor... xs) {
        Tensor.nonNull(f, "hessian", "the function");
        checkInputs("hessian", xs);
        int[] a = checkArgnums("hessian", argnums, xs.length);
        int[] offsets = new int[a.length + 1];
        for (int i = 0; i < a.length; i++) {
            offsets[i + 1] = offsets[i] + xs[a[i]].size();
        }
        // every gradient flattened and joined, so that one jvp carries them all; split again below
        Fn joined = in -> {
            Tensor[] g = valueAndGrad("hessian", f, a, in).grads();
            Tensor[] flat = new Tensor[g.length];
            for (int i = 0; i < g.length; i++) {
                flat[i] = g[i].reshape(g[i].size());
            }
            return Tensor.concat(0, flat);
        };
        Tensor[][] h = new Tensor[a.length][a.length];
        for (int j = 0; j < a.length; j++) {
            Tensor xj = xs[a[j]];
            int nj = xj.size();
            Tensor[] vs = new Tensor[xs.length];
            vs[a[j]] = Tensor.eye(nj).reshape(concat(new int[] {nj}, xj.shape));
            Tensor t = jvp(joined, xs, vs).tangent(); // (nj, offsets[a.length]): row e is d grads / d xj[e]
            for (int i = 0; i < a.length; i++) {
                Tensor col = t.slice(1, offsets[i], offsets[i + 1]); // (nj, ni)
                h[i][j] = col.permute(1, 0).reshape(concat(xs[a[i]].shape, xj.shape));
            }
        }
        return h;
    }

    private static ValueAndGrad valueAndGrad(String op, Fn f, int[] argnums, Tensor[] xs) {
        Tensor.nonNull(f, op, "the function");
        checkInputs(op, xs);
        int[] a = checkArgnums(op, argnums, xs.length);
        Tensor[] in = xs.clone();
        Tensor[] t = targets(pick(xs, a));
        for (int i = 0; i < a.length; i++) {
            in[a[i]] = t[i];
        }
        Tensor y = result(op, f.apply(in));
        if (y.size() != 1) {
            throw new IllegalArgumentException(op + ": the function must return one element to take its gradient, got shape "
                    + dev.autodiff.kernel.Shapes.str(y.shape) + "; use vjp or jacrev for a tensor-valued function");
        }
        if (!y.needsGrad()) { // f does not depend on the chosen inputs (or ran under noGrad)
            Tensor[] z = new Tensor[a.length];
            for (int i = 0; i < z.length; i++) {
                z[i] = Tensor.zeros(xs[a[i]].dtype(), xs[a[i]].shape);
            }
            return new ValueAndGrad(y, z);
        }
        // record the backward when an enclosing reverse pass differentiates through any input, chosen or not
        boolean create = outerNeedsGrad(xs);
        return new ValueAndGrad(y, Backprop.grad(y, null, create, create, t));
    }

    /** argnums checked against n inputs (Integer.MAX_VALUE when n is not yet known): non-empty, in range, distinct. */
    private static int[] checkArgnums(String op, int[] argnums, int n) {
        Tensor.nonNull(argnums, op, "argnums");
        if (argnums.length == 0) {
            throw new IllegalArgumentException(op + ": argnums is empty; name at least one input to differentiate (0 for the first)");
        }
        for (int i = 0; i < argnums.length; i++) {
            int k = argnums[i];
            if (k < 0 || k >= n) {
                throw new IllegalArgumentException(op + ": argnums[" + i + "] = " + k + " is out of range for "
                        + (n == Integer.MAX_VALUE ? "an input index (expected >= 0)" : n + " inputs (expected 0.." + (n - 1) + ")"));
            }
            for (int j = 0; j < i; j++) {
                if (argnums[j] == k) {
                    throw new IllegalArgumentException(op + ": argnums names input " + k + " twice (argnums["
                            + j + "] and argnums[" + i + "]): " + java.util.Arrays.toString(argnums));
                }
            }
        }
        return argnums;
    }

    private static Tensor[] pick(Tensor[] xs, int[] argnums) {
        Tensor[] p = new Tensor[argnums.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = xs[argnums[i]];
        }
        return p;
    }

    /** xs with input k replaced by x. */
    private static Tensor[] with(Tensor[] xs, int k, Tensor x) {
        Tensor[] c = xs.clone();
        c[k] = x;
        return c;
    }
}
