package dev.autodiff;

import dev.autodiff.Primitive.Kind;
import dev.autodiff.kernel.Elementwise;
import dev.autodiff.kernel.IndexMap;
import dev.autodiff.kernel.IndexMaps;
import dev.autodiff.kernel.Reductions;
import dev.autodiff.kernel.Shapes;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An n-dimensional float64 array, row-major, whose values never change once made. Every operation
 * returns a new tensor; when grad mode is on and an input {@link #needsGrad() needs grad}, the result
 * also remembers the primitive and inputs that made it, which is the graph {@link #backward()} walks.
 *
 * <p>Gradients: {@link #backward()} accumulates into {@link #grad()} of every leaf that needs grad
 * (call {@link #zeroGrad()} between steps); {@link Autodiff#grad(Tensor, Tensor...)} returns gradients
 * without touching {@code grad()}. After a backward pass the graph's saved values are released unless
 * {@code retainGraph} is set, and a second backward through it throws.
 */
public final class Tensor {
    // value: data (float64) or f32 (float32), length the product of shape; the other is null (both are null for a
    // tensor batched inside vmap, whose values live in batch.physical). Never written after construction except by
    // the sanctioned in-place updates, and replaced only by InPlace.convert (a leaf's dtype changed in place)
    double[] data;
    float[] f32;
    final int[] shape;

    // graph: set once, by Primitive.record, on a freshly made result; inputs is cleared to free the graph
    Primitive op;
    Tensor[] inputs;
    int depth;               // 0 unless recorded; then one more than the deepest input's (see Backprop)
    boolean requiresGrad;
    StackTraceElement[] createdAt;

    // forward mode: null, or this tensor is a dual number (its data is the primal's)
    Dual dual;

    // vmap: null, or this tensor stands for a batch of tensors of its shape (its data is null: each example has its
    // own values, which live in batch.physical)
    Batch batch;

    // in-place updates: the counter of the storage this tensor shares (null until the storage can change),
    // and, on a recorded node, the versions of its inputs when it was recorded
    Version version;
    int[] savedVersions;
    // true for views (detach, reshape, ...) of a computed tensor's storage: graph nodes may read it, so it
    // must never be updated in place
    boolean borrowed;

    // gradient state and backward scratch
    Tensor grad;
    // grad's storage was made by backward for this leaf alone and never handed out by grad(): nothing else can
    // read it, so backward may add into it and zeroGrad() may keep it as spareGrad for the next backward
    boolean gradOwned;
    Tensor spareGrad;
    boolean retainsGrad;
    boolean wrapped;         // a Java number made a tensor by an op's overload: see wrap()
    Tensor pending;          // gradient being summed during a backward pass
    boolean pendingOwned;    // whether pending is a buffer private to that pass (summed in place)
    Tensor next;             // the next node waiting at this one's depth during a backward pass
    Object mark;             // visited mark of the traversal in progress

    Tensor(double[] data, int[] shape) {
        this.data = data;
        this.shape = shape.length == 0 ? Shapes.SCALAR : shape;
    }

    Tensor(float[] f32, int[] shape) {
        this.f32 = f32;
        this.shape = shape.length == 0 ? Shapes.SCALAR : shape;
    }

    /** The element type: float32 or float64 (a batched tensor's is its examples'). */
    public DType dtype() {
        return f32 != null ? DType.FLOAT32 : batch != null ? batch.physical.dtype() : DType.FLOAT64;
    }

    /**
     * This tensor converted to {@code dtype}, as PyTorch's {@code x.to(dtype)}: itself when it already has that
     * dtype, else a new tensor (float64 to float32 rounds to nearest). Differentiable: its gradient (and tangent) is
     * converted back.
     */
    public Tensor to(DType dtype) {
        nonNull(dtype, "to", "dtype");
        return dtype() == dtype ? this : new Primitives.Cast(dtype).apply(this);
    }

    /** The values as float64: the array itself for a float64 tensor (not to be written), else a widened copy. */
    double[] values() {
        if (data != null) {
            return data;
        }
        double[] d = new double[f32.length];
        Elementwise.widen(f32, 0, d, 0, d.length);
        return d;
    }

    /** A float64 tensor of this one's values and shape (itself when float64): kernels that read float64 take it. */
    Tensor widened() {
        return data != null ? this : new Tensor(values(), shape);
    }

    /** A float32 tensor of this (plain, float64) tensor's values rounded to nearest. */
    Tensor narrowed() {
        if (f32 != null) {
            return this;
        }
        float[] f = new float[data.length];
        Elementwise.narrow(data, 0, f, 0, f.length);
        return new Tensor(f, shape);
    }

    /**
     * The forward-mode part of a dual number: at {@code level} it is {@code primal + tangent eps}. The primal
     * may itself be a dual of an outer (lower) level. Kept out of line so plain tensors stay small.
     */
    static final class Dual {
        final int level;
        final Tensor primal;
        final Tensor tangent;

        Dual(int level, Tensor primal, Tensor tangent) {
            this.level = level;
            this.primal = primal;
            this.tangent = tangent;
        }
    }

    /**
     * The vmap part of a batched tensor: at {@code level} it stands for the n tensors {@code physical[0..n)}, each of
     * the batched tensor's (logical) shape; physical is dense with the batch axis first and may itself be batched or
     * dual at an outer (lower) level. See {@link Batching}.
     */
    static final class Batch {
        final int level;
        final Tensor physical;

        Batch(int level, Tensor physical) {
            this.level = level;
            this.physical = physical;
        }

        int size() {
            return physical.shape[0];
        }
    }

    /** A batched tensor at {@code level} whose examples are the slices of {@code physical} along its first axis. */
    static Tensor batched(int level, Tensor physical) {
        Tensor t = new Tensor((double[]) null, Arrays.copyOfRange(physical.shape, 1, physical.shape.length));
        t.batch = new Batch(level, physical);
        return t;
    }

    /** The NullPointerException-free refusal of a read of values that differ per example inside vmap. */
    private void checkNotBatched(String op) {
        if (batch != null) {
            throw new IllegalStateException(op + ": this tensor is batched inside vmap (shape " + Shapes.str(shape)
                    + " per example): its values differ from example to example; return it from the vmapped "
                    + "function and read it outside");
        }
    }

    /** How many times the storage behind a tensor and its views has been updated in place. */
    static final class Version {
        int value;
    }

    /** A new tensor over the same storage (and so the same version counter) in another shape. */
    Tensor view(int[] newShape) {
        if (batch != null) {
            // the same examples in the new shape, and like any view cut off from the graph and tangents
            return batched(batch.level, batch.physical.view(Batching.prepend(batch.size(), newShape)));
        }
        Tensor v = data != null ? new Tensor(data, newShape) : new Tensor(f32, newShape);
        v.version = version;
        v.borrowed = borrowed || op != null;
        return v;
    }

    /** A dual number: the value of {@code primal} carrying {@code tangent} at forward level {@code level}. */
    static Tensor dual(int level, Tensor primal, Tensor tangent) {
        if (tangent.dtype() != primal.dtype()) {
            tangent = tangent.to(primal.dtype()); // a tangent has its primal's dtype, whatever the rule made
        }
        Tensor d = primal.view(primal.shape);
        d.dual = new Dual(level, primal, tangent);
        return d;
    }

    /** The forward level of this tensor: 0 for a plain tensor. */
    int level() {
        return dual == null ? 0 : dual.level;
    }

    /** A new tensor with this one's value and tangents but no graph. */
    Tensor alias() {
        if (batch != null && dual == null) {
            // no graph at this level; the examples keep theirs, so a reverse pass around the vmap still reaches them
            return batched(batch.level, batch.physical);
        }
        Tensor a = view(shape);
        a.dual = dual;
        return a;
    }

    // ================================================================================ factories

    public static Tensor scalar(double value) {
        return new Tensor(new double[] {value}, Shapes.SCALAR);
    }

    /**
     * A Java number given to an op ({@code x.mul(2.0)}): a 0-d float64 tensor that does not take part in dtype
     * promotion unless every operand is one, as PyTorch's wrapped numbers (so float32 x.mul(2.0) stays float32).
     */
    static Tensor wrap(double value) {
        Tensor t = scalar(value);
        t.wrapped = true;
        return t;
    }

    /** A 1-D tensor holding a copy of {@code data}. */
    public static Tensor fromArray(double[] data) {
        return fromArray(data, new int[] {nonNull(data, "fromArray", "data").length});
    }

    /**
     * A tensor holding a copy of {@code data} in the given shape; an empty shape is rank 0 (one value), so that
     * {@code fromArray(t.toArray(), t.shape())} gives back t's shape whatever its rank.
     */
    public static Tensor fromArray(double[] data, int... shape) {
        return new Tensor(nonNull(data, "fromArray", "data").clone(), filledShape(data.length, shape));
    }

    /** fromArray's shape, checked to hold exactly {@code length} values. */
    private static int[] filledShape(int length, int[] shape) {
        int[] s = checkShape("fromArray", nonNull(shape, "fromArray", "shape"));
        if (Shapes.size(s) != length) {
            throw new IllegalArgumentException("fromArray: " + length + " values do not fill shape "
                    + Shapes.str(s) + " (" + Shapes.size(s) + " elements)");
        }
        return s;
    }

    /** A 1-D float32 tensor holding a copy of {@code data}. */
    public static Tensor fromArray(float[] data) {
        return fromArray(nonNull(data, "fromArray", "data"), new int[] {data.length});
    }

    /** A float32 tensor holding a copy of {@code data} in the given shape (an empty shape is rank 0). */
    public static Tensor fromArray(float[] data, int... shape) {
        return new Tensor(nonNull(data, "fromArray", "data").clone(), filledShape(data.length, shape));
    }

    /** zeros of the given dtype. */
    public static Tensor zeros(DType dtype, int... shape) {
        return like(zeros(shape), nonNull(dtype, "zeros", "dtype"));
    }

    /** ones of the given dtype. */
    public static Tensor ones(DType dtype, int... shape) {
        return like(ones(shape), nonNull(dtype, "ones", "dtype"));
    }

    /** {@code value} (rounded to the dtype) everywhere. */
    public static Tensor full(double value, DType dtype, int... shape) {
        return like(full(value, shape), nonNull(dtype, "full", "dtype"));
    }

    /** {@link #rand(long, int...)}'s values rounded to the dtype. */
    public static Tensor rand(long seed, DType dtype, int... shape) {
        return like(rand(seed, shape), nonNull(dtype, "rand", "dtype"));
    }

    /** {@link #randn(long, int...)}'s values rounded to the dtype. */
    public static Tensor randn(long seed, DType dtype, int... shape) {
        return like(randn(seed, shape), nonNull(dtype, "randn", "dtype"));
    }

    /**
     * A tensor of the given shape whose elements {@code writer} writes, row-major, into a new zero-filled array:
     * for data too large to hold twice (a data set read from a file), which {@link #fromArray(double[], int...)}
     * would copy. The array becomes the tensor's when {@code writer} returns; writer must not keep it.
     */
    public static Tensor filled(java.util.function.Consumer<double[]> writer, int... shape) {
        nonNull(writer, "filled", "writer");
        nonNull(shape, "filled", "shape");
        int[] s = checkShape("filled", shape);
        double[] data = new double[Shapes.size(s)];
        writer.accept(data);
        return new Tensor(data, s);
    }

    /** {@link #filled} for a float32 tensor: {@code writer} fills a new zero-filled float array (a float32 data set). */
    public static Tensor filledFloat(java.util.function.Consumer<float[]> writer, int... shape) {
        nonNull(writer, "filledFloat", "writer");
        nonNull(shape, "filledFloat", "shape");
        int[] s = checkShape("filledFloat", shape);
        float[] data = new float[Shapes.size(s)];
        writer.accept(data);
        return new Tensor(data, s);
    }

    public static Tensor zeros(int... shape) {
        return full("zeros", 0.0, shape);
    }

    public static Tensor ones(int... shape) {
        return full("ones", 1.0, shape);
    }

    public static Tensor full(double value, int... shape) {
        return full("full", value, shape);
    }

    private static Tensor full(String op, double value, int[] shape) {
        int[] s = checkShape(op, shape);
        double[] d = new double[Shapes.size(s)];
        if (value != 0.0) {
            Arrays.fill(d, value);
        }
        return new Tensor(d, s);
    }

    /** 0, 1, ..., n-1. */
    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    /** start, start + step, ... while below end (above it for a negative step), as NumPy's arange. */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || !Double.isFinite(step) || !Double.isFinite(start) || !Double.isFinite(end)) {
            throw new IllegalArgumentException("arange: need finite start, end and a non-zero step, got start=" + start
                    + ", end=" + end + ", step=" + step);
        }
        double count = Math.max(0, Math.ceil((end - start) / step));
        if (count > Shapes.MAX_ELEMENTS) {
            throw new IllegalArgumentException("arange: start=" + start + ", end=" + end + ", step=" + step + " gives "
                    + count + " elements, more than the " + Shapes.MAX_ELEMENTS + " a tensor can hold");
        }
        int n = (int) count;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = start + i * step;
        }
        return new Tensor(d, new int[] {n});
    }

    /** The n x n identity matrix. */
    public static Tensor eye(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("eye: n must be >= 0, got " + n);
        }
        Tensor t = full("eye", 0.0, new int[] {n, n});
        for (int i = 0; i < n; i++) {
            t.data[i * n + i] = 1.0;
        }
        return t;
    }

    /** Uniform on [0, 1), from {@link SplittableRandom} with the given seed. */
    public static Tensor rand(long seed, int... shape) {
        int[] s = checkShape("rand", shape);
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[Shapes.size(s)];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextDouble();
        }
        return new Tensor(d, s);
    }

    /** Standard normal, from {@link SplittableRandom} with the given seed. */
    public static Tensor randn(long seed, int... shape) {
        int[] s = checkShape("randn", shape);
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[Shapes.size(s)];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextGaussian();
        }
        return new Tensor(d, s);
    }

    /** A user's shape, checked (no negative dimension, not too many elements) and copied. */
    private static int[] checkShape(String op, int[] shape) {
        nonNull(shape, op, "shape");
        Shapes.size(op, shape);
        return shape.length == 0 ? Shapes.SCALAR : shape.clone();
    }

    /** The NullPointerException a null argument gets: it names the op the user called and the argument. */
    static <T> T nonNull(T value, String op, String argument) {
        if (value == null) {
            throw new NullPointerException(op + ": " + argument + " is null");
        }
        return value;
    }

    /** A non-null array of non-null tensors. */
    private static Tensor[] nonNullAll(Tensor[] tensors, String op) {
        nonNull(tensors, op, "the tensor array");
        for (int i = 0; i < tensors.length; i++) {
            if (tensors[i] == null) {
                throw new NullPointerException(op + ": tensor " + i + " is null");
            }
        }
        return tensors;
    }

    // ================================================================================ accessors

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The size of one dimension; negative axes count from the end. */
    public int dim(int axis) {
        return shape[Shapes.axis("dim", axis, rank())];
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return data != null ? data.length : f32 != null ? f32.length : Shapes.size(shape);
    }

    /** The single value of a tensor with exactly one element. */
    public double item() {
        checkNotBatched("item");
        if (size() != 1) {
            throw new IllegalArgumentException("item: only a tensor with exactly one element has an item; this one has shape "
                    + Shapes.str(shape) + " (" + size() + " elements)");
        }
        return data != null ? data[0] : f32[0];
    }

    /** A copy of the values in row-major order. */
    public double[] toArray() {
        checkNotBatched("toArray");
        return data != null ? data.clone() : values();
    }

    /** A copy of the values as floats in row-major order (float64 values rounded to nearest). */
    public float[] toFloatArray() {
        checkNotBatched("toFloatArray");
        return f32 != null ? f32.clone() : widened().narrowed().f32;
    }

    public double get(int... index) {
        nonNull(index, "get", "index");
        checkNotBatched("get");
        if (index.length != shape.length) {
            throw new IllegalArgumentException("get: index " + Arrays.toString(index) + " has " + index.length
                    + " coordinates but the tensor has rank " + shape.length + " (shape " + Shapes.str(shape) + ")");
        }
        int off = 0;
        for (int d = 0; d < index.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d]) {
                throw new IllegalArgumentException("get: index " + Arrays.toString(index) + " is out of bounds for shape "
                        + Shapes.str(shape));
            }
            off = off * shape[d] + index[d];
        }
        return data != null ? data[off] : f32[off];
    }

    /** Whether every element differs from {@code other}'s by at most {@code atol + rtol * |other|} (NaN equal to NaN). */
    public boolean allClose(Tensor other, double rtol, double atol) {
        nonNull(other, "allClose", "other");
        checkNotBatched("allClose");
        other.checkNotBatched("allClose");
        if (!Arrays.equals(shape, other.shape)) {
            return false;
        }
        double[] x = values();
        double[] y = other.values();
        for (int i = 0; i < x.length; i++) {
            double a = x[i];
            double b = y[i];
            boolean ok = a == b || (Double.isNaN(a) && Double.isNaN(b)) || Math.abs(a - b) <= atol + rtol * Math.abs(b);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    // ================================================================================ graph

    /**
     * Marks this leaf as needing a gradient and returns it. Only leaves can be marked; for a computed
     * tensor use {@code detach().requiresGrad()}.
     */
    public Tensor requiresGrad() {
        if (op != null) {
            throw new IllegalStateException("requiresGrad: only a leaf can be marked, but this tensor was computed by '"
                    + op.name + "'; use detach().requiresGrad() to start a new leaf from its value");
        }
        requiresGrad = true;
        if (version == null) {
            version = new Version(); // parameters are what gets updated in place
        }
        return this;
    }

    /** Whether gradients flow to this tensor: a marked leaf, or computed from one while grad mode was on. */
    public boolean needsGrad() {
        return requiresGrad;
    }

    /** True for tensors not computed by a recorded op: constants and marked leaves. */
    public boolean isLeaf() {
        return op == null;
    }

    /** The name of the op that computed this tensor in the graph, or null for a leaf. */
    public String opName() {
        return op == null ? null : op.name;
    }

    /** Whether this tensor carries a forward-mode tangent (inside {@link Autodiff#jvp}). */
    public boolean isDual() {
        return dual != null;
    }

    /** The same values, cut off from the graph and from forward-mode tangents: a constant leaf. */
    public Tensor detach() {
        return view(shape);
    }

    /**
     * The accumulated gradient, or null if none has reached this tensor since the last {@link #zeroGrad()}. Like
     * every tensor it never changes afterwards: once handed out here, its storage is never reused (an optimizer
     * that reads gradients through {@link InPlace#step} lets backward recycle them instead).
     */
    public Tensor grad() {
        gradOwned = false;
        return grad;
    }

    /** Whether a gradient has been accumulated since the last {@link #zeroGrad()} (without handing it out). */
    public boolean hasGrad() {
        return grad != null;
    }

    /**
     * Replaces the accumulated gradient, as {@code p.grad = g} in PyTorch (for gradient clipping or
     * surgery); null forgets it. Gradients may share storage with each other, so change them this way, never
     * in place.
     */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape)) {
            throw new IllegalArgumentException("setGrad: a gradient of shape " + Shapes.str(g.shape)
                    + " for a tensor of shape " + Shapes.str(shape));
        }
        forgetGrad();
        grad = g;
    }

    /**
     * Forgets the accumulated gradient (it becomes null, as PyTorch's set_to_none). A gradient that was never
     * handed out by {@link #grad()} (an optimizer read it through {@link InPlace#step}) is private, so its buffer
     * is kept for the next backward to write this tensor's gradient into, as PyTorch reuses {@code .grad}: no
     * tensor anyone can reach is overwritten.
     */
    public void zeroGrad() {
        forgetGrad();
    }

    private void forgetGrad() {
        if (gradOwned) {
            spareGrad = grad;
        }
        grad = null;
        gradOwned = false;
    }

    /**
     * Backward's delivery of this leaf's summed gradient g; {@code owned}: g's buffer is private to the pass that
     * made it, so it becomes this leaf's own, and a later pass may add into it while nobody else has seen it.
     */
    void deliverGrad(Tensor g, boolean owned, boolean createGraph) {
        if (grad == null) {
            grad = g;
            gradOwned = owned;
        } else if (!(gradOwned && !createGraph && addIntoPlain(grad, g))) {
            grad = grad.add(g);
            gradOwned = !createGraph && plain(grad);
        }
        spareGrad = null; // used by this pass, or it could not be: do not hold on to it
    }

    /** A tensor of plain values (an array of either dtype, no tangent), whose storage a backward pass may own. */
    static boolean plain(Tensor t) {
        return t.dual == null && (t.data != null || t.f32 != null);
    }

    /**
     * {@code sum += g} in sum's own array, when both are plain arrays of one dtype (the float32 add is the float64 one
     * rounded, the bits of a recorded add), and true; otherwise false and nothing changes. The caller owns sum.
     */
    static boolean addIntoPlain(Tensor sum, Tensor g) {
        if (sum.dual != null || g.dual != null) {
            return false;
        }
        if (sum.data != null && g.data != null) {
            Elementwise.axpy(1.0, g.data, sum.data);
            return true;
        }
        if (sum.f32 != null && g.f32 != null) {
            Elementwise.addInto32(g.f32, sum.f32);
            return true;
        }
        return false;
    }

    /** Asks backward to also store the gradient of this computed (non-leaf) tensor in {@link #grad()}. */
    public Tensor retainGrad() {
        retainsGrad = true;
        return this;
    }

    /** Backpropagates from this one-element tensor with seed 1, then frees the graph. */
    public void backward() {
        Backprop.backward(this, null, false, false);
    }

    /** As {@link #backward()}, keeping the graph for another backward when {@code retainGraph}. */
    public void backward(boolean retainGraph) {
        Backprop.backward(this, null, retainGraph, false);
    }

    /** Backpropagates the vector {@code seed} (same shape as this tensor): leaves receive seed^T J. */
    public void backward(Tensor seed) {
        Backprop.backward(this, seed, false, false);
    }

    /**
     * The general form: {@code seed} may be null for a one-element tensor; {@code createGraph} records
     * the backward pass itself, so that the gradients can be differentiated again (it implies
     * {@code retainGraph}).
     */
    public void backward(Tensor seed, boolean retainGraph, boolean createGraph) {
        Backprop.backward(this, seed, retainGraph || createGraph, createGraph);
    }

    // ================================================================================ in-place updates

    /**
     * Replaces this leaf's values with {@code value}'s (same shape): the sanctioned way to change a tensor,
     * as optimizers do. It is not recorded, and it bumps the version counter shared by this tensor and its
     * views, so a backward through a graph that saved the old values throws instead of using the new ones.
     */
    public Tensor assign(Tensor value) {
        checkInPlace("assign", value);
        if (data != null) {
            System.arraycopy(value.values(), 0, data, 0, data.length);
        } else if (value.f32 != null) {
            System.arraycopy(value.f32, 0, f32, 0, f32.length);
        } else {
            for (int i = 0; i < f32.length; i++) {
                f32[i] = (float) value.data[i];
            }
        }
        version.value++;
        return this;
    }

    /** {@code this += alpha * x} in place (x of the same shape), with the same rules as {@link #assign}. */
    public Tensor addInPlace(Tensor x, double alpha) {
        checkInPlace("addInPlace", x);
        if (data != null) {
            Elementwise.axpy(alpha, x.values(), data);
        } else {
            double[] xv = x.values();
            for (int i = 0; i < f32.length; i++) {
                f32[i] = (float) (f32[i] + alpha * xv[i]); // one rounding, as a fused float32 axpy
            }
        }
        version.value++;
        return this;
    }

    /** The number of in-place updates of this tensor's storage so far. */
    public int version() {
        return version == null ? 0 : version.value;
    }

    private void checkInPlace(String what, Tensor x) {
        nonNull(x, what, "the value");
        checkUpdatable(what, "this tensor");
        x.checkReadable(what, "the value", shape);
    }

    /**
     * Checks that this tensor may be updated in place by {@code op} (it is a leaf outside forward mode that owns its
     * storage) and gives it a version counter if it has none; {@code which} names it in the message.
     */
    void checkUpdatable(String op, String which) {
        if (this.op != null) {
            throw new IllegalStateException(op + ": only a leaf can be updated in place, but " + which
                    + " was computed by '" + this.op.name + "'");
        }
        if (dual != null) {
            throw new IllegalStateException(op + ": dual numbers (inside jvp) cannot be updated in place");
        }
        if (batch != null) {
            throw new IllegalStateException(op + ": batched tensors (inside vmap) cannot be updated in place");
        }
        if (borrowed) {
            throw new IllegalStateException(op + ": " + which + " shares its storage with a computed tensor (it is a "
                    + "detach() or reshape of one), whose value the graph may still need; update a copy instead");
        }
        if (version == null) {
            version = new Version();
        }
    }

    /** Checks that an in-place update of a tensor of {@code shape} may read this one's values. */
    void checkReadable(String op, String which, int[] shape) {
        if (dual != null) {
            throw new IllegalStateException(op + ": dual numbers (inside jvp) cannot be updated in place, and "
                    + which + " is one");
        }
        if (batch != null) {
            throw new IllegalStateException(op + ": batched tensors (inside vmap) cannot be read by an in-place update, "
                    + "and " + which + " is one");
        }
        if (!Arrays.equals(shape, this.shape)) {
            throw new IllegalArgumentException(op + ": " + which + " has shape " + Shapes.str(this.shape)
                    + ", which does not match the tensor's " + Shapes.str(shape));
        }
    }

    // ================================================================================ elementwise

    public Tensor add(Tensor other) {
        return Primitives.ADD.apply(this, other);
    }

    public Tensor add(double c) {
        return Primitives.ADD.apply(this, wrap(c));
    }

    public Tensor sub(Tensor other) {
        return Primitives.SUB.apply(this, other);
    }

    public Tensor sub(double c) {
        return Primitives.SUB.apply(this, wrap(c));
    }

    /** c - this. */
    public Tensor rsub(double c) {
        return Primitives.SUB.apply(wrap(c), this);
    }

    public Tensor mul(Tensor other) {
        return Primitives.MUL.apply(this, other);
    }

    public Tensor mul(double c) {
        return Primitives.MUL.apply(this, wrap(c));
    }

    public Tensor div(Tensor other) {
        return Primitives.DIV.apply(this, other);
    }

    public Tensor div(double c) {
        return Primitives.DIV.apply(this, wrap(c));
    }

    public Tensor pow(Tensor exponent) {
        return Primitives.POW.apply(this, exponent);
    }

    public Tensor pow(double exponent) {
        return Primitives.POW.apply(this, wrap(exponent));
    }

    /** Elementwise maximum (NaN if either is NaN); on ties each input receives half the gradient. */
    public Tensor maximum(Tensor other) {
        return Primitives.MAXIMUM.apply(this, other);
    }

    public Tensor maximum(double c) {
        return Primitives.MAXIMUM.apply(this, wrap(c));
    }

    /** Elementwise minimum (NaN if either is NaN); on ties each input receives half the gradient. */
    public Tensor minimum(Tensor other) {
        return Primitives.MINIMUM.apply(this, other);
    }

    public Tensor minimum(double c) {
        return Primitives.MINIMUM.apply(this, wrap(c));
    }

    /**
     * Limits every element to [min, max] (NaN stays NaN). The derivative is 1 on the closed interval, bounds
     * included, and 0 outside, as PyTorch's clamp (maximum and minimum would give 1/2 at a bound).
     */
    public Tensor clamp(double min, double max) {
        if (!(min <= max)) {
            throw new IllegalArgumentException("clamp: need min <= max, got min=" + min + ", max=" + max);
        }
        return where(lt(min), wrap(min), where(gt(max), wrap(max), this));
    }

    public Tensor neg() {
        return Primitives.NEG.apply(this);
    }

    public Tensor exp() {
        return Primitives.EXP.apply(this);
    }

    public Tensor log() {
        return Primitives.LOG.apply(this);
    }

    public Tensor reciprocal() {
        return Primitives.RECIPROCAL.apply(this);
    }

    public Tensor sqrt() {
        return Primitives.SQRT.apply(this);
    }

    public Tensor square() {
        return mul(this);
    }

    public Tensor tanh() {
        return Primitives.TANH.apply(this);
    }

    /** 1/(1+e^-x), computed without overflow for any x. */
    public Tensor sigmoid() {
        return Primitives.SIGMOID.apply(this);
    }

    public Tensor relu() {
        return Primitives.RELU.apply(this);
    }

    public Tensor abs() {
        return Primitives.ABS.apply(this);
    }

    /** The error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x. */
    public Tensor erf() {
        return Primitives.ERF.apply(this);
    }

    /**
     * log(1 + e^x), as PyTorch's softplus (beta 1, threshold 20): log1p(e^x) up to x = 20 and x above, accurate
     * for every x (e^x far below 0). Smooth: the derivative is sigmoid(x), 1/2 at 0, and 1 above 20.
     */
    public Tensor softplus() {
        return Primitives.SOFTPLUS.apply(this);
    }

    /** -1, 0 or 1 per element; a constant (no gradient flows through it). */
    public Tensor sign() {
        if (batch != null) {
            return batched(batch.level, batch.physical.sign());
        }
        return like(new Tensor(Elementwise.unary(Elementwise.Unary.SIGN, values()), shape), dtype());
    }

    // comparisons give constant 0/1 masks; no gradient flows through them

    public Tensor gt(Tensor other) {
        return compare(Elementwise.Binary.GT, "gt", other);
    }

    public Tensor gt(double c) {
        return compare(Elementwise.Binary.GT, "gt", wrap(c));
    }

    public Tensor ge(Tensor other) {
        return compare(Elementwise.Binary.GE, "ge", other);
    }

    public Tensor ge(double c) {
        return compare(Elementwise.Binary.GE, "ge", wrap(c));
    }

    public Tensor lt(Tensor other) {
        return compare(Elementwise.Binary.LT, "lt", other);
    }

    public Tensor lt(double c) {
        return compare(Elementwise.Binary.LT, "lt", wrap(c));
    }

    public Tensor le(Tensor other) {
        return compare(Elementwise.Binary.LE, "le", other);
    }

    public Tensor le(double c) {
        return compare(Elementwise.Binary.LE, "le", wrap(c));
    }

    public Tensor eq(Tensor other) {
        return compare(Elementwise.Binary.EQ, "eq", other);
    }

    public Tensor eq(double c) {
        return compare(Elementwise.Binary.EQ, "eq", wrap(c));
    }

    public Tensor ne(Tensor other) {
        return compare(Elementwise.Binary.NE, "ne", other);
    }

    public Tensor ne(double c) {
        return compare(Elementwise.Binary.NE, "ne", wrap(c));
    }

    private Tensor compare(Elementwise.Binary code, String name, Tensor other) {
        nonNull(other, name, "other");
        int[] s = Shapes.broadcast(name, shape, other.shape);
        if (batch != null || other.batch != null) {
            return Batching.constant(new Tensor[] {this, other}, p -> p[0].compare(code, name, p[1]));
        }
        // a mask in the dtype the operands promote to (0 and 1 are exact in either)
        return like(new Tensor(Elementwise.binary(code, values(), shape, other.values(), other.shape, s), s),
                Primitive.resultType(new Tensor[] {this, other}));
    }

    /** A plain float64 result given the dtype it should have. */
    static Tensor like(Tensor float64, DType dtype) {
        return dtype == DType.FLOAT32 ? float64.narrowed() : float64;
    }

    /** Elementwise {@code cond != 0 ? a : b} with broadcasting; the condition is treated as a constant. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        nonNull(cond, "where", "cond");
        nonNull(a, "where", "a");
        nonNull(b, "where", "b");
        return Primitives.WHERE.apply(cond.detach(), a, b);
    }

    // ================================================================================ matmul

    /**
     * Matrix product with NumPy/PyTorch semantics: 1-D @ 1-D is a dot product, a 1-D operand is treated
     * as a row (left) or column (right) vector and that dimension removed from the result, and operands
     * of rank > 2 are stacks of matrices whose batch dimensions broadcast.
     */
    public Tensor matmul(Tensor other) {
        nonNull(other, "matmul", "other");
        if (rank() == 0 || other.rank() == 0) {
            throw new IllegalArgumentException("matmul: both operands need rank >= 1, got shapes " + Shapes.str(shape)
                    + " @ " + Shapes.str(other.shape));
        }
        Tensor a = rank() == 1 ? reshape(1, shape[0]) : this;
        Tensor b = other.rank() == 1 ? other.reshape(other.shape[0], 1) : other;
        if (a.shape[a.rank() - 1] != b.shape[b.rank() - 2]) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shapes.str(shape) + " @ "
                    + Shapes.str(other.shape));
        }
        if (rank() == 2 && other.rank() == 1) {
            // M v as the row v^T M^T: a batched tangent of v then meets M in one matrix product
            return Primitives.matmul(other.reshape(1, other.shape[0]), false, this, true).reshape(shape[0]);
        }
        Tensor c = Primitives.matmul(a, false, b, false);
        if (rank() > 1 && other.rank() > 1) {
            return c;
        }
        int[] s = c.shape;
        int[] out;
        if (rank() == 1 && other.rank() == 1) {
            out = Shapes.SCALAR;
        } else if (rank() == 1) {
            out = removeAxis(s, s.length - 2);
        } else {
            out = removeAxis(s, s.length - 1);
        }
        return c.reshape(out);
    }

    /**
     * {@code this + a @ b}, as PyTorch's addmm: a layer's {@code x W + b} in one op, the product's array taking
     * this bias in place instead of a second array and pass. a and b are matrices or stacks of them (rank >= 2,
     * batch dimensions broadcast as in {@link #matmul}); this must broadcast to the product's shape.
     */
    public Tensor addmm(Tensor a, Tensor b) {
        nonNull(a, "addmm", "a");
        nonNull(b, "addmm", "b");
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("addmm: a and b must be matrices or stacks of them (rank >= 2), got shapes "
                    + Shapes.str(a.shape) + " @ " + Shapes.str(b.shape) + "; use add(a.matmul(b)) for vectors");
        }
        if (a.shape[a.rank() - 1] != b.shape[b.rank() - 2]) {
            throw new IllegalArgumentException("addmm: inner dimensions differ: " + Shapes.str(a.shape) + " @ "
                    + Shapes.str(b.shape));
        }
        return Primitives.ADDMM.apply(this, a, b);
    }

    /** {@code this^T @ other} for matrices (or stacks of them), without materialising the transpose. */
    public Tensor matmulTransA(Tensor other) {
        return Primitives.matmul(this, true, other, false);
    }

    /** {@code this @ other^T} for matrices (or stacks of them), without materialising the transpose. */
    public Tensor matmulTransB(Tensor other) {
        return Primitives.matmul(this, false, other, true);
    }

    // ================================================================================ reductions

    /** Sum over the given axes (all when none are given), removing them. */
    public Tensor sum(int... axes) {
        return Primitives.reduce(Kind.SUM, this, axes, false);
    }

    public Tensor sum(boolean keepDims, int... axes) {
        return Primitives.reduce(Kind.SUM, this, axes, keepDims);
    }

    public Tensor mean(int... axes) {
        return mean(false, axes);
    }

    /** Sum divided by the number of reduced elements (NaN when that number is 0). */
    public Tensor mean(boolean keepDims, int... axes) {
        boolean[] mask = Shapes.axesMask("mean", axes, rank());
        long count = 1;
        for (int d = 0; d < mask.length; d++) {
            count *= mask[d] ? shape[d] : 1;
        }
        return sum(keepDims, axes).div((double) count);
    }

    /** Maximum over the given axes (all when none); the gradient is shared equally among tied maxima. */
    public Tensor max(int... axes) {
        return Primitives.reduce(Kind.MAX, this, axes, false);
    }

    public Tensor max(boolean keepDims, int... axes) {
        return Primitives.reduce(Kind.MAX, this, axes, keepDims);
    }

    /** Minimum over the given axes (all when none); the gradient is shared equally among tied minima. */
    public Tensor min(int... axes) {
        return Primitives.reduce(Kind.MIN, this, axes, false);
    }

    public Tensor min(boolean keepDims, int... axes) {
        return Primitives.reduce(Kind.MIN, this, axes, keepDims);
    }

    /**
     * The index of the first maximum along {@code axis}, as torch.argmax: NaN counts as the maximum. The
     * indices are whole numbers in a tensor without gradient; {@code keepDims} keeps the axis with size 1.
     */
    public Tensor argmax(int axis, boolean keepDims) {
        return argExtremum("argmax", true, axis, keepDims);
    }

    public Tensor argmax(int axis) {
        return argmax(axis, false);
    }

    /** The index of the first minimum along {@code axis}, as torch.argmin: NaN counts as the minimum. */
    public Tensor argmin(int axis, boolean keepDims) {
        return argExtremum("argmin", false, axis, keepDims);
    }

    public Tensor argmin(int axis) {
        return argmin(axis, false);
    }

    private Tensor argExtremum(String op, boolean max, int axis, boolean keepDims) {
        if (rank() == 0) {
            Shapes.scalarAxis(op, axis); // names a rank-0 tensor's one element, as in PyTorch
            return scalar(0.0);
        }
        int a = Shapes.axis(op, axis, rank());
        if (shape[a] == 0) {
            throw new IllegalArgumentException(op + ": axis " + a + " of shape " + Shapes.str(shape)
                    + " is empty, so it has no " + (max ? "maximum" : "minimum"));
        }
        if (batch != null) {
            return batched(batch.level, batch.physical.argExtremum(op, max, a + 1, keepDims));
        }
        boolean[] mask = new boolean[rank()];
        mask[a] = true;
        // indices stay float64 whatever the dtype: float32 holds whole numbers exactly only up to 2^24
        double[] at = f32 != null ? Reductions.argExtremum(max, f32, shape, a) : Reductions.argExtremum(max, data, shape, a);
        return new Tensor(at, Shapes.reduced(shape, mask, keepDims));
    }

    public Tensor logSumExp(int... axes) {
        return logSumExp(false, axes);
    }

    /**
     * log(sum(exp(x))) over the axes (all when none), as torch.logsumexp: computed as
     * {@code m + log(sum(exp(x - m)))} with m the maximum taken as a constant, so that it is exact at any
     * magnitude; an infinite m is replaced by 0 (so a line of -infinity gives -infinity), and an empty line
     * gives -infinity.
     */
    public Tensor logSumExp(boolean keepDims, int... axes) {
        boolean[] mask = Shapes.axesMask("logSumExp", axes, rank());
        int[] ax = axesOf(mask);
        Tensor lse;
        if (size() == 0) {
            // no element: -inf wherever a line is empty; written as a sum so that the (empty) gradient and the
            // tangent stay defined (log of a sum of nothing would make the tangent 0 / 0)
            lse = sum(true, ax).add(Double.NEGATIVE_INFINITY);
        } else {
            Tensor m = maxShift(mask, true);
            lse = sub(m).exp().sum(true, ax).log().add(m);
        }
        return keepDims ? lse : lse.reshape(Shapes.reduced(shape, mask, false));
    }

    /**
     * exp(x) / sum(exp(x)) along the axis, as torch.softmax: the maximum (a constant) is subtracted first, so
     * that {@code x - max} is exact and the result is right at any magnitude. A line holding +infinity, or only
     * -infinity, gives NaN, as PyTorch's.
     */
    public Tensor softmax(int axis) {
        boolean[] mask = Shapes.axesMask("softmax", new int[] {axis}, rank());
        Tensor e = sub(maxShift(mask, false)).exp();
        return e.div(e.sum(true, axesOf(mask)));
    }

    /** x - logSumExp(x) along the axis, as torch.log_softmax: (x - max) - log(sum(exp(x - max))), exact at any magnitude. */
    public Tensor logSoftmax(int axis) {
        boolean[] mask = Shapes.axesMask("logSoftmax", new int[] {axis}, rank());
        Tensor z = sub(maxShift(mask, false));
        return z.sub(z.exp().sum(true, axesOf(mask)).log());
    }

    /**
     * The maximum over the masked axes in the kept-dims shape, as a constant (no graph, no tangent): the shift
     * that keeps exp from overflowing. 0 where a line is empty, and with {@code finite} also where it is infinite.
     */
    private Tensor maxShift(boolean[] mask, boolean finite) {
        int[] kept = Shapes.reduced(shape, mask, true);
        if (size() == 0) {
            return like(zeros(kept), dtype());
        }
        if (batch != null) {
            return batched(batch.level, batch.physical.maxShift(Batching.prepend(false, mask), finite));
        }
        double[] m = f32 != null ? Reductions.reduce(Reductions.Op.MAX, f32, shape, mask)
                : Reductions.reduce(Reductions.Op.MAX, data, shape, mask);
        if (finite) {
            for (int i = 0; i < m.length; i++) {
                m[i] = Double.isInfinite(m[i]) ? 0.0 : m[i];
            }
        }
        return like(new Tensor(m, kept), dtype());
    }

    /** The axes flagged in a mask, in order. */
    private static int[] axesOf(boolean[] mask) {
        int n = 0;
        int[] axes = new int[mask.length];
        for (int d = 0; d < mask.length; d++) {
            if (mask[d]) {
                axes[n++] = d;
            }
        }
        return Arrays.copyOf(axes, n);
    }

    /** Sums over the dimensions that broadcasting would have added or stretched, giving {@code shape}. */
    public Tensor sumTo(int... target) {
        nonNull(target, "sumTo", "the shape");
        if (shape == target || Arrays.equals(shape, target)) {
            return this;
        }
        if (!Shapes.broadcastsTo(target, shape)) {
            throw new IllegalArgumentException("sumTo: shape " + Shapes.str(shape) + " is not a broadcast of "
                    + Shapes.str(target));
        }
        int lead = rank() - target.length;
        int[] axes = new int[rank()];
        int n = 0;
        for (int d = 0; d < rank(); d++) {
            if (d < lead || (target[d - lead] == 1 && shape[d] != 1)) {
                axes[n++] = d;
            }
        }
        return sum(true, Arrays.copyOf(axes, n)).reshape(target);
    }

    // ================================================================================ movement

    /** Same values in a new shape of the same size; one dimension may be -1 and is then inferred. */
    public Tensor reshape(int... newShape) {
        int[] s = nonNull(newShape, "reshape", "the shape").clone();
        int infer = -1;
        long known = 1;
        for (int d = 0; d < s.length; d++) {
            if (s[d] == -1 && infer < 0) {
                infer = d;
            } else if (s[d] < 0) {
                throw new IllegalArgumentException("reshape: invalid shape " + Arrays.toString(newShape)
                        + " (at most one -1, no other negative dimension)");
            } else if (s[d] == 0) {
                known = 0;
            } else if (known > 0 && known <= Integer.MAX_VALUE) {
                known *= s[d]; // exact (below 2^62); once past 2^31 it stays past, so it can only mismatch
            }
        }
        if (infer >= 0) {
            if (known == 0 || size() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot infer the -1 in " + Arrays.toString(newShape)
                        + " for " + size() + " elements (shape " + Shapes.str(shape) + ")");
            }
            s[infer] = (int) (size() / known);
            known *= s[infer];
        }
        if (known != size()) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " (" + size()
                    + " elements) to " + Arrays.toString(newShape) + " ("
                    + (known > Integer.MAX_VALUE ? "more than " + Integer.MAX_VALUE : Long.toString(known)) + " elements)");
        }
        if (Arrays.equals(s, shape)) {
            return this;
        }
        return new Primitives.Reshape(s.length == 0 ? Shapes.SCALAR : s).apply(this);
    }

    /** A 1-D view of all elements. */
    public Tensor flatten() {
        return reshape(size());
    }

    /** Inserts a dimension of size 1 at {@code axis} (which may be rank(), or negative). */
    public Tensor unsqueeze(int axis) {
        int a = Shapes.axis("unsqueeze", axis, rank() + 1);
        int[] s = new int[rank() + 1];
        for (int d = 0, j = 0; d < s.length; d++) {
            s[d] = d == a ? 1 : shape[j++];
        }
        return reshape(s);
    }

    /** Removes dimension {@code axis}, which must have size 1. */
    public Tensor squeeze(int axis) {
        if (rank() == 0) {
            Shapes.scalarAxis("squeeze", axis); // as in PyTorch
            return this;
        }
        int a = Shapes.axis("squeeze", axis, rank());
        if (shape[a] != 1) {
            throw new IllegalArgumentException("squeeze: axis " + axis + " has size " + shape[a] + ", not 1, in shape "
                    + Shapes.str(shape));
        }
        return reshape(removeAxis(shape, a));
    }

    /** Reorders the dimensions: output dimension d is input dimension perm[d]. */
    public Tensor permute(int... perm) {
        nonNull(perm, "permute", "the permutation");
        if (perm.length != rank()) {
            throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " has " + perm.length
                    + " entries but the tensor has rank " + rank() + " (shape " + Shapes.str(shape) + ")");
        }
        int[] p = new int[perm.length];
        boolean[] seen = new boolean[perm.length];
        boolean identity = true;
        for (int d = 0; d < perm.length; d++) {
            p[d] = Shapes.axis("permute", perm[d], rank());
            if (seen[p[d]]) {
                throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " is not a permutation of the "
                        + rank() + " axes");
            }
            seen[p[d]] = true;
            identity &= p[d] == d;
        }
        if (identity) {
            return this;
        }
        int[] out = new int[p.length];
        for (int d = 0; d < p.length; d++) {
            out[d] = shape[p[d]];
        }
        return new Primitives.Take("permute", "permuteBackward", IndexMaps.permute(shape, p), out).apply(this);
    }

    /** Swaps two dimensions. */
    public Tensor transpose(int axis0, int axis1) {
        if (rank() == 0) {
            Shapes.scalarAxis("transpose", axis0); // as in PyTorch
            Shapes.scalarAxis("transpose", axis1);
            return this;
        }
        int a = Shapes.axis("transpose", axis0, rank());
        int b = Shapes.axis("transpose", axis1, rank());
        int[] perm = new int[rank()];
        for (int d = 0; d < perm.length; d++) {
            perm[d] = d == a ? b : d == b ? a : d;
        }
        return permute(perm);
    }

    /** Copies the values broadcast to {@code target}, as NumPy's broadcast_to. */
    public Tensor broadcastTo(int... target) {
        nonNull(target, "broadcastTo", "the shape");
        Shapes.size("broadcastTo", target);
        if (!Shapes.broadcastsTo(shape, target)) {
            throw new IllegalArgumentException("broadcastTo: shape " + Shapes.str(shape) + " cannot be broadcast to "
                    + Arrays.toString(target));
        }
        if (Arrays.equals(shape, target)) {
            return this;
        }
        return new Primitives.BroadcastTo(target.clone()).apply(this);
    }

    /** Elements start, start+1, ..., end-1 along one axis; negative indices count from the end. */
    public Tensor slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /** Elements start, start+step, ... below end along one axis (step > 0), with Python's index rules. */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = Shapes.axis("slice", axis, rank());
        int[] starts = new int[rank()];
        int[] ends = shape.clone();
        int[] steps = new int[rank()];
        Arrays.fill(steps, 1);
        starts[a] = start;
        ends[a] = end;
        steps[a] = step;
        return slice(starts, ends, steps);
    }

    /** Slices every axis at once: start[d], end[d], step[d] per axis, with Python's index rules. */
    public Tensor slice(int[] start, int[] end, int[] step) {
        nonNull(start, "slice", "start");
        nonNull(end, "slice", "end");
        nonNull(step, "slice", "step");
        if (start.length != rank() || end.length != rank() || step.length != rank()) {
            throw new IllegalArgumentException("slice: start, end and step need one entry per axis (" + rank()
                    + " for shape " + Shapes.str(shape) + "), got " + start.length + ", " + end.length + ", " + step.length);
        }
        int[] s0 = new int[rank()];
        int[] out = new int[rank()];
        boolean whole = true;
        for (int d = 0; d < rank(); d++) {
            if (step[d] <= 0) {
                throw new IllegalArgumentException("slice: step must be positive, got " + step[d] + " on axis " + d);
            }
            int n = shape[d];
            int lo = clampIndex(start[d], n);
            int hi = clampIndex(end[d], n);
            s0[d] = lo;
            out[d] = hi > lo ? (int) (((long) hi - lo + step[d] - 1) / step[d]) : 0;
            whole &= lo == 0 && out[d] == n && (step[d] == 1 || n <= 1);
        }
        if (whole) {
            return this;
        }
        IndexMap map = IndexMaps.slice(shape, s0, step, out);
        return new Primitives.Take("slice", "sliceBackward", map, out).apply(this);
    }

    private static int clampIndex(int i, int n) {
        int j = i < 0 ? i + n : i;
        return Math.max(0, Math.min(n, j));
    }

    /** Joins tensors of equal shape (except along {@code axis}) along {@code axis}. */
    public static Tensor concat(int axis, Tensor... tensors) {
        nonNullAll(tensors, "concat");
        if (tensors.length == 0) {
            throw new IllegalArgumentException("concat: need at least one tensor");
        }
        int rank = tensors[0].rank();
        for (Tensor t : tensors) {
            if (t.rank() != rank) {
                throw new IllegalArgumentException("concat: all tensors need the same rank, got shapes "
                        + Shapes.str(tensors[0].shape) + " and " + Shapes.str(t.shape));
            }
        }
        if (rank == 0) {
            throw new IllegalArgumentException("concat: rank-0 tensors have no axis to join along; use stack");
        }
        int a = Shapes.axis("concat", axis, rank);
        return tensors.length == 1 ? tensors[0] : new Primitives.Concat(a).apply(tensors.clone());
    }

    /** Stacks tensors of equal shape along a new dimension {@code axis}. */
    public static Tensor stack(int axis, Tensor... tensors) {
        nonNullAll(tensors, "stack");
        if (tensors.length == 0) {
            throw new IllegalArgumentException("stack: need at least one tensor");
        }
        int a = Shapes.axis("stack", axis, tensors[0].rank() + 1);
        Tensor[] parts = new Tensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            if (!Arrays.equals(tensors[i].shape, tensors[0].shape)) {
                throw new IllegalArgumentException("stack: all tensors need the same shape, got "
                        + Shapes.str(tensors[0].shape) + " and " + Shapes.str(tensors[i].shape));
            }
            parts[i] = tensors[i].unsqueeze(a);
        }
        return concat(a, parts);
    }

    /** Pads every axis d with before[d] and after[d] elements of {@code value}. */
    public Tensor pad(int[] before, int[] after, double value) {
        nonNull(before, "pad", "before");
        nonNull(after, "pad", "after");
        if (before.length != rank() || after.length != rank()) {
            throw new IllegalArgumentException("pad: before and after need one entry per axis (" + rank() + " for shape "
                    + Shapes.str(shape) + "), got " + before.length + " and " + after.length);
        }
        int[] out = new int[rank()];
        int[] step = new int[rank()];
        for (int d = 0; d < rank(); d++) {
            if (before[d] < 0 || after[d] < 0) {
                throw new IllegalArgumentException("pad: widths must be >= 0, got before " + Arrays.toString(before)
                        + " after " + Arrays.toString(after));
            }
            out[d] = Shapes.add("pad", (long) shape[d] + before[d], after[d], "dimension " + d + " of the result");
            step[d] = 1;
        }
        Shapes.size("pad", out);
        // where each input element lands in the padded output
        IndexMap map = IndexMaps.slice(out, before, step, shape);
        Tensor padded = new Primitives.ScatterAdd("pad", "slice", map, out).apply(this);
        if (value == 0.0) {
            return padded;
        }
        double[] fill = new double[padded.size()];
        Arrays.fill(fill, value);
        for (int i : map.toArray()) {
            fill[i] = 0.0;
        }
        return padded.add(like(new Tensor(fill, out), dtype()));
    }

    /** Picks positions {@code indices} along {@code axis} (repeats allowed), as torch.index_select. */
    public Tensor indexSelect(int axis, int... indices) {
        nonNull(indices, "indexSelect", "indices");
        int a = Shapes.axis("indexSelect", axis, rank());
        checkIndices("indexSelect", indices, shape[a], a);
        int[] out = shape.clone();
        out[a] = indices.length;
        Shapes.size("indexSelect", out);
        return new Primitives.Take("indexSelect", "indexAdd", IndexMaps.indexSelect(shape, a, indices), out).apply(this);
    }

    /** This tensor plus {@code source} added at positions {@code indices} along {@code axis}, as torch.index_add. */
    public Tensor indexAdd(int axis, int[] indices, Tensor source) {
        nonNull(indices, "indexAdd", "indices");
        nonNull(source, "indexAdd", "source");
        int a = Shapes.axis("indexAdd", axis, rank());
        checkIndices("indexAdd", indices, shape[a], a);
        int[] expected = shape.clone();
        expected[a] = indices.length;
        if (!Arrays.equals(source.shape, expected)) {
            throw new IllegalArgumentException("indexAdd: source has shape " + Shapes.str(source.shape) + ", expected "
                    + Shapes.str(expected) + " for " + indices.length + " indices along axis " + a + " of "
                    + Shapes.str(shape));
        }
        return add(new Primitives.ScatterAdd("indexAdd", "indexSelect", IndexMaps.indexSelect(shape, a, indices), shape)
                .apply(source));
    }

    /**
     * torch.gather: out[p] = this[p with coordinate {@code axis} replaced by index[p]]; index holds whole numbers.
     * Inside vmap the index may be batched (each example its own positions, as a selection's indices).
     */
    public Tensor gather(int axis, Tensor index) {
        nonNull(index, "gather", "index");
        int a = Shapes.axis("gather", axis, rank());
        checkGatherShape("gather", a, index);
        return Primitives.ByIndex.gather(this, a, index);
    }

    /** This tensor plus {@code src} added at the positions gather would read, as torch.scatter_add. */
    public Tensor scatterAdd(int axis, Tensor index, Tensor src) {
        nonNull(index, "scatterAdd", "index");
        nonNull(src, "scatterAdd", "src");
        int a = Shapes.axis("scatterAdd", axis, rank());
        checkGatherShape("scatterAdd", a, index);
        if (!Arrays.equals(src.shape, index.shape)) {
            throw new IllegalArgumentException("scatterAdd: src shape " + Shapes.str(src.shape) + " must equal index shape "
                    + Shapes.str(index.shape));
        }
        return add(Primitives.ByIndex.scatter(shape, a, index, src));
    }

    private void checkGatherShape(String op, int axis, Tensor index) {
        if (index.rank() != rank()) {
            throw new IllegalArgumentException(op + ": index has rank " + index.rank() + " (shape " + Shapes.str(index.shape)
                    + ") but the tensor has rank " + rank() + " (shape " + Shapes.str(shape) + ")");
        }
        for (int d = 0; d < rank(); d++) {
            if (d != axis && index.shape[d] > shape[d]) {
                throw new IllegalArgumentException(op + ": index shape " + Shapes.str(index.shape) + " exceeds tensor shape "
                        + Shapes.str(shape) + " on axis " + d);
            }
        }
    }

    /** The values of a plain index tensor as ints, each a whole number in [0, shape[axis]). */
    static int[] indexValues(String op, int axis, Tensor index, int[] shape) {
        double[] iv = index.values();
        int[] idx = new int[iv.length];
        for (int i = 0; i < idx.length; i++) {
            double v = iv[i];
            if (v != Math.rint(v) || v < 0 || v >= shape[axis]) {
                throw new IllegalArgumentException(op + ": index value " + v + " is not a whole number in [0, "
                        + shape[axis] + ") for axis " + axis + " of shape " + Shapes.str(shape));
            }
            idx[i] = (int) v;
        }
        return idx;
    }

    private static void checkIndices(String op, int[] indices, int n, int axis) {
        for (int i : indices) {
            if (i < 0 || i >= n) {
                throw new IllegalArgumentException(op + ": index " + i + " is out of range [0, " + n + ") on axis " + axis);
            }
        }
    }

    /**
     * im2col: for input {@code (N, C, s_1, ..., s_d)}, the sliding blocks of size {@code kernel} as
     * columns of an {@code (N, C * prod(kernel), L)} tensor, as torch.nn.functional.unfold (which is the
     * d = 2 case). A convolution is {@code weight.reshape(out, -1) @ unfold(x)}.
     */
    public Tensor unfold(int[] kernel, int[] stride, int[] padding, int[] dilation) {
        checkConvArgs("unfold", kernel, stride, padding, dilation);
        if (rank() != kernel.length + 2) {
            throw new IllegalArgumentException("unfold: input must be (N, C, " + kernel.length + " spatial dimension"
                    + (kernel.length == 1 ? "" : "s") + ") for kernel " + Arrays.toString(kernel) + ", got shape "
                    + Shapes.str(shape));
        }
        int[] outSpatial = convOutput("unfold", shape, kernel, stride, padding, dilation);
        int[] out = {shape[0], Shapes.size("unfold", new int[] {shape[1], Shapes.size("unfold", kernel)}),
            Shapes.size("unfold", outSpatial)};
        Shapes.size("unfold", out);
        IndexMap map = IndexMaps.unfold(shape, kernel, stride, padding, dilation, outSpatial);
        return new Primitives.Take("unfold", "fold", map, out).apply(this);
    }

    /** col2im, the transpose of {@link #unfold}: sums the blocks of {@code (N, C * prod(kernel), L)} back into {@code (N, C, outputSize...)}. */
    public Tensor fold(int[] outputSize, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        nonNull(outputSize, "fold", "outputSize");
        checkConvArgs("fold", kernel, stride, padding, dilation);
        if (rank() != 3) {
            throw new IllegalArgumentException("fold: input must be (N, C * prod(kernel), L), got shape " + Shapes.str(shape));
        }
        if (outputSize.length != kernel.length) {
            throw new IllegalArgumentException("fold: outputSize " + Arrays.toString(outputSize) + " needs one entry per "
                    + "kernel dimension (kernel " + Arrays.toString(kernel) + ")");
        }
        int kSize = Shapes.size("fold", kernel);
        if (kSize == 0 || shape[1] % kSize != 0) {
            throw new IllegalArgumentException("fold: dimension 1 of " + Shapes.str(shape) + " is not a multiple of the kernel size "
                    + Arrays.toString(kernel));
        }
        int[] image = new int[outputSize.length + 2];
        image[0] = shape[0];
        image[1] = shape[1] / kSize;
        System.arraycopy(outputSize, 0, image, 2, outputSize.length);
        Shapes.size("fold", image);
        int[] outSpatial = convOutput("fold", image, kernel, stride, padding, dilation);
        long blocks = 1;
        for (int o : outSpatial) {
            blocks *= o; // each o < 2^31 and the product is checked before it could overflow
            if (blocks > Shapes.MAX_ELEMENTS) {
                break;
            }
        }
        if (blocks != shape[2]) {
            throw new IllegalArgumentException("fold: " + shape[2] + " blocks given but output size "
                    + Arrays.toString(outputSize) + " with kernel " + Arrays.toString(kernel) + ", stride "
                    + Arrays.toString(stride) + ", padding " + Arrays.toString(padding) + " and dilation "
                    + Arrays.toString(dilation) + " has " + (blocks > Shapes.MAX_ELEMENTS ? "more than " + Shapes.MAX_ELEMENTS : blocks));
        }
        IndexMap map = IndexMaps.unfold(image, kernel, stride, padding, dilation, outSpatial);
        return new Primitives.ScatterAdd("fold", "unfold", map, image).apply(this);
    }

    static void checkConvArgs(String op, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        nonNull(kernel, op, "kernel");
        nonNull(stride, op, "stride");
        nonNull(padding, op, "padding");
        nonNull(dilation, op, "dilation");
        int sd = kernel.length;
        if (sd == 0 || stride.length != sd || padding.length != sd || dilation.length != sd) {
            throw new IllegalArgumentException(op + ": need one kernel, stride, padding and dilation entry per spatial "
                    + "dimension (at least one), got kernel " + Arrays.toString(kernel) + ", stride " + Arrays.toString(stride)
                    + ", padding " + Arrays.toString(padding) + ", dilation " + Arrays.toString(dilation));
        }
        for (int d = 0; d < sd; d++) {
            if (kernel[d] <= 0 || stride[d] <= 0 || padding[d] < 0 || dilation[d] <= 0) {
                throw new IllegalArgumentException(op + ": need kernel, stride, dilation > 0 and padding >= 0, got kernel "
                        + Arrays.toString(kernel) + ", stride " + Arrays.toString(stride) + ", padding "
                        + Arrays.toString(padding) + ", dilation " + Arrays.toString(dilation));
            }
        }
    }

    /**
     * The output's spatial size for input {@code (N, C, spatial...)}. Worked in long: a padded size or kernel span
     * past {@link Shapes#MAX_ELEMENTS} is refused, so that every coordinate the index maps compute fits an int.
     */
    static int[] convOutput(String op, int[] in, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        int sd = kernel.length;
        int[] spatial = Arrays.copyOfRange(in, 2, in.length);
        int[] out = new int[sd];
        for (int d = 0; d < sd; d++) {
            long span = (long) dilation[d] * (kernel[d] - 1) + 1;
            long padded = in[d + 2] + 2L * padding[d];
            if (padded > Shapes.MAX_ELEMENTS || span > Shapes.MAX_ELEMENTS) {
                throw new IllegalArgumentException(op + ": spatial size " + Arrays.toString(spatial) + " padded by "
                        + Arrays.toString(padding) + ", or kernel " + Arrays.toString(kernel) + " with dilation "
                        + Arrays.toString(dilation) + ", spans more than " + Shapes.MAX_ELEMENTS + " positions");
            }
            if (padded < span) {
                throw new IllegalArgumentException(op + ": kernel " + Arrays.toString(kernel) + " with dilation "
                        + Arrays.toString(dilation) + " (span " + span + " in dimension " + d + ") does not fit spatial size "
                        + Arrays.toString(spatial) + " padded by " + Arrays.toString(padding));
            }
            out[d] = (int) ((padded - span) / stride[d] + 1);
        }
        return out;
    }

    private static int[] removeAxis(int[] s, int axis) {
        int[] out = new int[s.length - 1];
        for (int d = 0, j = 0; d < s.length; d++) {
            if (d != axis) {
                out[j++] = s[d];
            }
        }
        return out;
    }

    // ================================================================================ printing

    /** Shape, values (abbreviated beyond 1000 elements) and, for a graph node, the op that made it. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("tensor(");
        if (batch != null) {
            return sb.append("batched inside vmap, shape=").append(Shapes.str(shape)).append(" per example, examples=")
                    .append(batch.physical.toString()).append(")").toString();
        }
        TensorFormat.values(sb, values(), shape);
        sb.append(", shape=").append(Shapes.str(shape));
        if (f32 != null) {
            sb.append(", dtype=float32");
        }
        if (dual != null) {
            sb.append(", dual");
        }
        if (op != null) {
            sb.append(", op=").append(op.name);
        } else if (requiresGrad) {
            sb.append(", requiresGrad");
        }
        return sb.append(')').toString();
    }

    // ===== issue 16: reductions, scans and movement ==================================================
    // PyTorch's names and semantics. All composites of the primitives above (their gradients, tangents and
    // higher derivatives come from the composition), except cumsum, a primitive of its own (Primitives.CumSum).

    /** The variance over all elements with Bessel's correction (divisor N - 1), as torch.var. */
    public Tensor var() {
        return var(1.0, false);
    }

    /**
     * The variance over the given axes (all when none), {@code sum((x - mean)^2) / max(0, N - correction)}, as
     * torch.var(dim, correction, keepdim): correction 1 is the unbiased estimate (PyTorch's default), 0 the
     * population variance. N - correction <= 0 gives NaN or infinity (and a NaN gradient), as PyTorch's.
     */
    public Tensor var(double correction, boolean keepDims, int... axes) {
        return variance("var", correction, keepDims, axes);
    }

    private Tensor variance(String op, double correction, boolean keepDims, int[] axes) {
        boolean[] mask = Shapes.axesMask(op, nonNull(axes, op, "axes"), rank());
        if (!Double.isFinite(correction)) {
            throw new IllegalArgumentException(op + ": correction must be finite, got " + correction);
        }
        int[] ax = axesOf(mask);
        long n = reducedCount(mask);
        // the mean stays in the graph: the Hessian 2/(N - c) (I - 1 1^T / N) needs its dependence on x
        Tensor d = sub(mean(true, ax));
        return d.mul(d).sum(keepDims, ax).div(Math.max(0.0, n - correction));
    }

    /** The standard deviation over all elements with Bessel's correction, as torch.std. */
    public Tensor std() {
        return std(1.0, false);
    }

    /**
     * sqrt of {@link #var(double, boolean, int...)}. Where the variance is exactly 0 (all elements equal) the
     * gradient is 0, as PyTorch's std_backward (which masks grad / (2 std) to 0 where std is 0, in 1.13 and 2.x):
     * the subgradient of the cone at its tip, where sqrt's chain rule would give infinity times 0. The second
     * derivative there is 0 (PyTorch's double backward also gives 0).
     */
    public Tensor std(double correction, boolean keepDims, int... axes) {
        return sqrtZeroGrad(variance("std", correction, keepDims, axes));
    }

    /**
     * sqrt(v) with derivative 0 where v is exactly 0 instead of infinity: sqrt reads 1 there, so that neither its
     * value nor its gradient is infinite, and where passes none of it on.
     */
    private static Tensor sqrtZeroGrad(Tensor v) {
        Tensor zero = v.eq(0.0);
        return where(zero, wrap(0.0), where(zero, wrap(1.0), v).sqrt());
    }

    /** The product of all elements, as torch.prod. */
    public Tensor prod() {
        return prod(false);
    }

    /**
     * The product over the given axes (all when none; 1 over an empty axis), as torch.prod. Computed as a tree of
     * pairwise multiplications (each half times the other), so that every gradient is an exact product of the
     * other factors: with one zero the zero's gradient is the product of the rest and the others' 0, with two or
     * more zeros all 0, as PyTorch's prod_backward; no division by x, which would give 0/0.
     */
    public Tensor prod(boolean keepDims, int... axes) {
        boolean[] mask = Shapes.axesMask("prod", nonNull(axes, "prod", "axes"), rank());
        int[] kept = Shapes.reduced(shape, mask, true);
        int[] outShape = Shapes.reduced(shape, mask, keepDims);
        int[] ax = axesOf(mask);
        if (ax.length == 0) {
            return reshape(outShape);
        }
        long n = reducedCount(mask);
        if (n == 0) {
            // the empty product: ones, written through sum so that the (empty) gradient stays defined
            return sum(keepDims, ax).mul(0.0).add(1.0);
        }
        // the reduced axes last, flattened into one: (kept elements, n)
        int[] perm = new int[rank()];
        int j = 0;
        for (int d = 0; d < rank(); d++) {
            if (!mask[d]) {
                perm[j++] = d;
            }
        }
        for (int d : ax) {
            perm[j++] = d;
        }
        Tensor y = permute(perm).reshape(Shapes.size(kept), (int) n);
        for (int len = (int) n; len > 1; ) {
            int half = len / 2;
            Tensor paired = y.slice(1, 0, half).mul(y.slice(1, half, 2 * half));
            y = len % 2 == 0 ? paired : concat(1, paired, y.slice(1, 2 * half, len));
            len = half + len % 2;
        }
        return y.reshape(outShape);
    }

    /** Running sum along {@code axis}: {@code y_i = x_0 + ... + x_i}, as torch.cumsum. */
    public Tensor cumsum(int axis) {
        if (rank() == 0) {
            Shapes.scalarAxis("cumsum", axis);
            return this;
        }
        int a = Shapes.axis("cumsum", axis, rank());
        return shape[a] <= 1 ? this : new Primitives.CumSum(a, false).apply(this);
    }

    /**
     * Running product along {@code axis}: {@code y_i = x_0 * ... * x_i}, as torch.cumprod. An inclusive scan of
     * multiplications (Hillis-Steele: log2 n rounds, each a slice, a product and a concat), so that zeros are
     * handled exactly as in {@link #prod}: each gradient is a sum of products of the other factors, as PyTorch's
     * cumprod_backward, never a division by x (exp(cumsum(log x)) would fail at zeros and negatives).
     */
    public Tensor cumprod(int axis) {
        return scan("cumprod", axis, Tensor::mul);
    }

    /**
     * {@code log(exp(x_0) + ... + exp(x_i))} along {@code axis}, as torch.logcumsumexp, computed as
     * {@code y_i = m_i + log(s_i)} with m_i the running maximum (a constant, infinities replaced by 0) and
     * {@code s_i = sum_(j <= i) exp(x_j - m_i)} by a scan of the affine recurrence
     * {@code s_i = exp(m_(i-1) - m_i) s_(i-1) + exp(x_i - m_i)}: every exp is at most 1 and s_i at least 1, so
     * that the value and the gradient (a softmax over the prefix) are right at any magnitude (a scan of
     * pairwise logaddexps would round each partial result: at [1e300, 1e300, 1e300], m + log 2 rounds to m and
     * the last gradient row came out [1/2, 1/4, 1/4] instead of [1/3, 1/3, 1/3]). A prefix of -infinities
     * gives -infinity.
     */
    public Tensor logcumsumexp(int axis) {
        if (rank() == 0) {
            Shapes.scalarAxis("logcumsumexp", axis);
            return this;
        }
        int a = Shapes.axis("logcumsumexp", axis, rank());
        int n = shape[a];
        if (n <= 1 || size() == 0) {
            return this;
        }
        Tensor[] shiftStep = runningMaxShift(a);
        Tensor m = shiftStep[0];
        Tensor step = shiftStep[1];
        // (step_i, s_i) stands for the map s -> step_i s + s_i; after the round with step k it is the
        // composition of the maps of positions i-2k+1 ... i (Hillis-Steele), and s_i is the prefix sum
        Tensor s = sub(m).exp();
        for (int k = 1; k < n; k *= 2) {
            Tensor later = step.slice(a, k, n);
            s = concat(a, s.slice(a, 0, k), later.mul(s.slice(a, 0, n - k)).add(s.slice(a, k, n)));
            step = concat(a, step.slice(a, 0, k), later.mul(step.slice(a, 0, n - k)));
        }
        return s.log().add(m);
    }

    /**
     * Constants for {@link #logcumsumexp} along axis a, from the plain values: the running maximum m_i with
     * infinities replaced by 0, and exp(m_(i-1) - m_i) (0 at i = 0 and after a prefix of -infinities, whose
     * sum is 0).
     */
    private Tensor[] runningMaxShift(int a) {
        if (batch != null) {
            Tensor[] p = batch.physical.runningMaxShift(a + 1);
            return new Tensor[] {batched(batch.level, p[0]), batched(batch.level, p[1])};
        }
        int n = shape[a];
        int inner = 1;
        for (int d = a + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        double[] x = values();
        int outer = x.length / (n * inner);
        double[] m = new double[x.length];
        double[] step = new double[x.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double run = Double.NEGATIVE_INFINITY;
                double prev = 0;
                for (int j = 0; j < n; j++) {
                    int at = base + j * inner;
                    boolean empty = run == Double.NEGATIVE_INFINITY;
                    run = j == 0 ? x[at] : Math.max(run, x[at]);
                    double shift = Double.isInfinite(run) ? 0.0 : run;
                    m[at] = shift;
                    step[at] = empty ? 0.0 : Math.exp(prev - shift);
                    prev = shift;
                }
            }
        }
        return new Tensor[] {like(new Tensor(m, shape.clone()), dtype()), like(new Tensor(step, shape.clone()), dtype())};
    }

    /** An inclusive scan with the associative op f along one axis, in log2 n rounds (Hillis-Steele). */
    private Tensor scan(String op, int axis, java.util.function.BinaryOperator<Tensor> f) {
        if (rank() == 0) {
            Shapes.scalarAxis(op, axis);
            return this;
        }
        int a = Shapes.axis(op, axis, rank());
        int n = shape[a];
        Tensor y = this;
        // after the round with step k, y_i combines x_(i-2k+1) ... x_i
        for (int k = 1; k < n; k *= 2) {
            y = concat(a, y.slice(a, 0, k), f.apply(y.slice(a, k, n), y.slice(a, 0, n - k)));
        }
        return y;
    }

    /** The 2-norm of all elements (the Frobenius norm of a matrix), as torch.linalg.vector_norm / torch.norm. */
    public Tensor norm() {
        return norm(2.0, false);
    }

    /**
     * The vector p-norm over the given axes (all when none), as torch.linalg.vector_norm, for any real p:
     * p = 1 (sum |x|), 2 (sqrt(sum x^2); over two axes of a matrix, the Frobenius norm), infinity (max |x|),
     * -infinity (min |x|), 0 (the number of non-zero elements, a constant) and otherwise (sum |x|^p)^(1/p).
     * Subgradients at the kinks, as PyTorch's: at x = 0 every p gives gradient 0 (abs'(0) = 0, and the 2-norm's
     * x / |x| is masked to 0 where the norm is 0); with p = +-infinity, k tied extremal |x_i| share the gradient,
     * sign(x_i) / k each; with p &lt; 0 a zero element makes the norm 0 with gradient 0 for all. The 2-norm's second
     * derivative at 0 is 0 (PyTorch's double backward gives NaN there). Over no elements (a reduced axis of size 0)
     * p = +-infinity and p &lt; 0 throw, as PyTorch raises: those reductions have no identity.
     */
    public Tensor norm(double p, boolean keepDims, int... axes) {
        return norm("norm", p, keepDims, axes);
    }

    /** {@link #norm(double, boolean, int...)} with errors naming {@code op}, the op the user called. */
    Tensor norm(String op, double p, boolean keepDims, int... axes) {
        boolean[] mask = Shapes.axesMask(op, nonNull(axes, op, "axes"), rank());
        int[] ax = axesOf(mask);
        if (p == 2.0) {
            return sqrtZeroGrad(mul(this).sum(keepDims, ax));
        }
        if (p == 1.0) {
            return abs().sum(keepDims, ax);
        }
        if ((p < 0 || p == Double.POSITIVE_INFINITY) && reducedCount(mask) == 0) {
            // as torch.linalg.vector_norm, which raises here too (a p < 0 norm is, like the min it tends to, a
            // reduction without an identity: 0^(1/p) = infinity over no elements)
            throw new IllegalArgumentException(op + ": the " + p + "-norm of an empty tensor (shape " + Shapes.str(shape)
                    + ", axes " + Arrays.toString(axes) + ") is undefined: "
                    + (Math.abs(p) == Double.POSITIVE_INFINITY ? "max and min have no identity" : "for p < 0 it has no identity"));
        }
        if (Math.abs(p) == Double.POSITIVE_INFINITY) {
            return p > 0 ? abs().max(keepDims, ax) : abs().min(keepDims, ax);
        }
        if (p == 0.0) {
            return detach().ne(0.0).sum(keepDims, ax);
        }
        if (Double.isNaN(p)) {
            throw new IllegalArgumentException(op + ": p must be a real number or +-Infinity, got NaN");
        }
        // |x|^p read as 1 where x = 0 (so that neither it nor its gradient is infinite) and then replaced by its
        // value there, 0 (p > 0) or infinity (p < 0), with gradient 0; the root likewise where the sum is 0 or
        // infinite (the norm is then 0)
        Tensor zero = eq(0.0);
        // (wrapped numbers, which do not promote: a 0-d float32 x or sum stays float32)
        Tensor pw = where(zero, wrap(p > 0 ? 0.0 : Double.POSITIVE_INFINITY), where(zero, wrap(1.0), abs()).pow(p));
        Tensor sum = pw.sum(keepDims, ax);
        Tensor flat = sum.eq(p > 0 ? 0.0 : Double.POSITIVE_INFINITY);
        return where(flat, wrap(0.0), where(flat, wrap(1.0), sum).pow(1 / p));
    }

    /** 1 if every element is non-zero (NaN counts as non-zero), else 0: a constant, as torch.all (1 when empty). */
    public Tensor all() {
        return all(false);
    }

    /** {@link #all()} over the given axes (all when none): a constant 0/1 mask. */
    public Tensor all(boolean keepDims, int... axes) {
        boolean[] mask = Shapes.axesMask("all", nonNull(axes, "all", "axes"), rank());
        return detach().eq(0.0).sum(keepDims, axesOf(mask)).eq(0.0);
    }

    /** 1 if some element is non-zero (NaN counts as non-zero), else 0: a constant, as torch.any (0 when empty). */
    public Tensor any() {
        return any(false);
    }

    /** {@link #any()} over the given axes (all when none): a constant 0/1 mask. */
    public Tensor any(boolean keepDims, int... axes) {
        boolean[] mask = Shapes.axesMask("any", nonNull(axes, "any", "axes"), rank());
        return detach().ne(0.0).sum(keepDims, axesOf(mask)).gt(0.0);
    }

    private long reducedCount(boolean[] mask) {
        long n = 1;
        for (int d = 0; d < mask.length; d++) {
            n *= mask[d] ? shape[d] : 1;
        }
        return n;
    }

    // ---- movement

    /** Reverses the order of the elements along each given axis, as torch.flip. */
    public Tensor flip(int... axes) {
        nonNull(axes, "flip", "axes");
        if (axes.length == 0) {
            return this;
        }
        if (rank() == 0) {
            Shapes.axesMask("flip", axes, 0); // axis 0 or -1, once, as PyTorch
            return this;
        }
        boolean[] mask = Shapes.axesMask("flip", axes, rank());
        int[] start = new int[rank()];
        int[] step = new int[rank()];
        for (int d = 0; d < rank(); d++) {
            start[d] = mask[d] ? Math.max(0, shape[d] - 1) : 0;
            step[d] = mask[d] ? -1 : 1;
        }
        IndexMap map = IndexMaps.slice(shape, start, step, shape);
        return new Primitives.Take("flip", "flipBackward", map, shape).apply(this);
    }

    /** Rolls the flattened elements by {@code shift} places (toward the end) and restores the shape, as torch.roll. */
    public Tensor roll(int shift) {
        return flatten().roll(new int[] {shift}, new int[] {0}).reshape(shape);
    }

    /** Rolls by {@code shift} places along {@code axis}: element i moves to (i + shift) mod n, as torch.roll. */
    public Tensor roll(int shift, int axis) {
        return roll(new int[] {shift}, new int[] {axis});
    }

    /** Rolls by shifts[j] along axes[j], as torch.roll(shifts, dims); an axis may appear more than once. */
    public Tensor roll(int[] shifts, int[] axes) {
        nonNull(shifts, "roll", "shifts");
        nonNull(axes, "roll", "axes");
        if (shifts.length != axes.length || axes.length == 0) {
            throw new IllegalArgumentException("roll: need one shift per axis (at least one), got shifts "
                    + Arrays.toString(shifts) + " and axes " + Arrays.toString(axes));
        }
        if (rank() == 0) {
            for (int a : axes) {
                Shapes.scalarAxis("roll", a);
            }
            return this;
        }
        Tensor y = this;
        for (int j = 0; j < axes.length; j++) {
            int a = Shapes.axis("roll", axes[j], rank());
            int n = shape[a];
            int s = n == 0 ? 0 : Math.floorMod(shifts[j], n);
            if (s != 0) {
                y = concat(a, y.slice(a, n - s, n), y.slice(a, 0, n - s));
            }
        }
        return y;
    }

    /**
     * Tiles the tensor reps[d] times along each axis, as torch.Tensor.repeat: reps has at least rank() entries,
     * extra leading ones adding new axes; the gradient sums over the copies.
     */
    public Tensor repeat(int... reps) {
        nonNull(reps, "repeat", "reps");
        return repeat("repeat", reps, reps);
    }

    /** repeat with {@code op} (the method the user called) and its own {@code given} counts in the messages. */
    private Tensor repeat(String op, int[] reps, int[] given) {
        if (reps.length < rank()) {
            throw new IllegalArgumentException(op + ": need at least one repetition count per axis (" + rank()
                    + " for shape " + Shapes.str(shape) + "), got " + Arrays.toString(reps));
        }
        int r = reps.length;
        int[] padded = new int[r];
        Arrays.fill(padded, 0, r - rank(), 1);
        System.arraycopy(shape, 0, padded, r - rank(), rank());
        int[] view = new int[2 * r];
        int[] wide = new int[2 * r];
        int[] out = new int[r];
        for (int d = 0; d < r; d++) {
            if (reps[d] < 0) {
                throw new IllegalArgumentException(op + ": repetition counts must be >= 0, got " + Arrays.toString(given));
            }
            view[2 * d] = 1;
            view[2 * d + 1] = padded[d];
            wide[2 * d] = reps[d];
            wide[2 * d + 1] = padded[d];
            out[d] = (int) Math.min(Integer.MAX_VALUE, (long) reps[d] * padded[d]);
        }
        Shapes.size(op, out);
        // (1, s_0, 1, s_1, ...) broadcast to (r_0, s_0, r_1, s_1, ...): copy k of axis d is the block r_d = k
        return reshape(view).broadcastTo(wide).reshape(out);
    }

    /** As numpy.tile / torch.tile: reps shorter than the rank is padded with leading ones, then {@link #repeat}. */
    public Tensor tile(int... reps) {
        nonNull(reps, "tile", "reps");
        if (reps.length >= rank()) {
            return repeat("tile", reps, reps);
        }
        int[] full = new int[rank()];
        Arrays.fill(full, 1);
        System.arraycopy(reps, 0, full, rank() - reps.length, reps.length);
        return repeat("tile", full, reps);
    }

    /** Each element of the flattened tensor {@code repeats} times in a row, as torch.repeat_interleave without dim. */
    public Tensor repeatInterleave(int repeats) {
        return flatten().repeatInterleave(repeats, 0);
    }

    /** Each position along {@code axis} {@code repeats} times in a row, as torch.repeat_interleave(repeats, dim). */
    public Tensor repeatInterleave(int repeats, int axis) {
        if (repeats < 0) {
            throw new IllegalArgumentException("repeatInterleave: repeats must be >= 0, got " + repeats);
        }
        Tensor x = rank() == 0 ? reshape(1) : this;
        if (rank() == 0) {
            Shapes.scalarAxis("repeatInterleave", axis);
        }
        int a = Shapes.axis("repeatInterleave", axis, x.rank());
        int[] wide = new int[x.rank() + 1];
        for (int d = 0, j = 0; d < wide.length; d++) {
            wide[d] = d == a + 1 ? repeats : x.shape[j++];
        }
        int[] out = x.shape.clone();
        out[a] = (int) Math.min(Integer.MAX_VALUE, (long) x.shape[a] * repeats);
        Shapes.size("repeatInterleave", out);
        return x.unsqueeze(a + 1).broadcastTo(wide).reshape(out);
    }

    /** Position i along {@code axis} repeats[i] times in a row (repeats: one count per position), as torch.repeat_interleave. */
    public Tensor repeatInterleave(int[] repeats, int axis) {
        nonNull(repeats, "repeatInterleave", "repeats");
        Tensor x = rank() == 0 ? reshape(1) : this;
        if (rank() == 0) {
            Shapes.scalarAxis("repeatInterleave", axis);
        }
        int a = Shapes.axis("repeatInterleave", axis, x.rank());
        if (repeats.length != x.shape[a]) {
            throw new IllegalArgumentException("repeatInterleave: need one count per position along axis " + a + " ("
                    + x.shape[a] + " for shape " + Shapes.str(x.shape) + "), got " + repeats.length);
        }
        long total = 0;
        for (int r : repeats) {
            if (r < 0) {
                throw new IllegalArgumentException("repeatInterleave: repeats must be >= 0, got " + Arrays.toString(repeats));
            }
            total += r;
        }
        if (total > Shapes.MAX_ELEMENTS) {
            throw new IllegalArgumentException("repeatInterleave: " + total + " positions, more than a tensor holds");
        }
        int[] index = new int[(int) total];
        for (int i = 0, k = 0; i < repeats.length; i++) {
            for (int c = 0; c < repeats[i]; c++) {
                index[k++] = i;
            }
        }
        return x.indexSelect(a, index);
    }

    /** The lower triangle of the last two axes: elements with column - row <= 0, the others 0, as torch.tril. */
    public Tensor tril() {
        return tril(0);
    }

    /** Keeps elements with column - row <= k (k > 0: above the diagonal too), as torch.tril(diagonal=k). */
    public Tensor tril(int k) {
        return triangle("tril", k, true);
    }

    /** The upper triangle of the last two axes: elements with column - row >= 0, the others 0, as torch.triu. */
    public Tensor triu() {
        return triu(0);
    }

    /** Keeps elements with column - row >= k, as torch.triu(diagonal=k). */
    public Tensor triu(int k) {
        return triangle("triu", k, false);
    }

    private Tensor triangle(String op, int k, boolean lower) {
        if (rank() < 2) {
            throw new IllegalArgumentException(op + ": needs a matrix or a stack of them (rank >= 2), got shape "
                    + Shapes.str(shape));
        }
        int rows = shape[rank() - 2];
        int cols = shape[rank() - 1];
        double[] keep = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                long diff = (long) j - i;
                keep[i * cols + j] = (lower ? diff <= k : diff >= k) ? 1.0 : 0.0;
            }
        }
        // where, not a product with the mask: the dropped elements become 0 even when infinite or NaN
        return where(new Tensor(keep, new int[] {rows, cols}), this, wrap(0.0));
    }

    /** The main diagonal of a matrix, or the diagonal matrix of a vector, as torch.diag. */
    public Tensor diag() {
        return diag(0);
    }

    /**
     * As torch.diag: of a vector, the square matrix (n + |k|) with the vector on diagonal k (k > 0 above the main
     * diagonal) and 0 elsewhere; of a matrix, its diagonal k as a vector.
     */
    public Tensor diag(int k) {
        if (rank() == 2) {
            return diagonalOf("diag", k, 0, 1);
        }
        if (rank() != 1) {
            throw new IllegalArgumentException("diag: needs a vector or a matrix, got shape " + Shapes.str(shape));
        }
        int n = shape[0];
        int m = Shapes.add("diag", n, Math.abs((long) k), "the side of the result");
        int[] out = {m, m};
        Shapes.size("diag", out);
        int first = k >= 0 ? k : -k * m; // the flat position of the diagonal's first element
        IndexMap map = new IndexMap.Builder(n, m * m).run(0, first, n, m + 1).build();
        return new Primitives.ScatterAdd("diag", "diagonal", map, out).apply(this);
    }

    /**
     * The diagonal at {@code offset} of the matrices spanned by axes {@code axis1} and {@code axis2}, as
     * torch.diagonal: those axes removed and the diagonal appended as the last axis (offset > 0 above the main
     * diagonal, that is element (i, i + offset)).
     */
    public Tensor diagonal(int offset, int axis1, int axis2) {
        return diagonalOf("diagonal", offset, axis1, axis2);
    }

    /** The main diagonal of axes 0 and 1, appended as the last axis, as torch.diagonal(). */
    public Tensor diagonal() {
        return diagonalOf("diagonal", 0, 0, 1);
    }

    private Tensor diagonalOf(String op, int offset, int axis1, int axis2) {
        if (rank() < 2) {
            throw new IllegalArgumentException(op + ": needs rank >= 2, got shape " + Shapes.str(shape));
        }
        int a1 = Shapes.axis(op, axis1, rank());
        int a2 = Shapes.axis(op, axis2, rank());
        if (a1 == a2) {
            throw new IllegalArgumentException(op + ": axis1 and axis2 must differ, both are axis " + a1 + " of shape "
                    + Shapes.str(shape));
        }
        long n1 = shape[a1];
        long n2 = shape[a2];
        int len = (int) Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
        int[] strides = Shapes.strides(shape);
        int[] rest = new int[rank() - 2];
        int[] restStrides = new int[rank() - 2];
        for (int d = 0, j = 0; d < rank(); d++) {
            if (d != a1 && d != a2) {
                rest[j] = shape[d];
                restStrides[j++] = strides[d];
            }
        }
        int[] out = Arrays.copyOf(rest, rest.length + 1);
        out[rest.length] = len;
        int count = Shapes.size(op, out);
        int first = len == 0 ? 0 : (offset >= 0 ? offset * strides[a2] : -offset * strides[a1]);
        IndexMap.Builder runs = new IndexMap.Builder(count, size());
        int outer = Shapes.size(rest);
        int[] idx = new int[rest.length];
        for (int o = 0; o < outer && len > 0; o++) {
            int base = first;
            for (int j = 0; j < rest.length; j++) {
                base += idx[j] * restStrides[j];
            }
            runs.run(o * len, base, len, strides[a1] + strides[a2]);
            for (int j = rest.length - 1; j >= 0; j--) {
                if (++idx[j] < rest[j]) {
                    break;
                }
                idx[j] = 0;
            }
        }
        return new Primitives.Take(op, op + "Backward", runs.build(), out).apply(this);
    }

    /** The sum of a matrix's main diagonal, as torch.trace. */
    public Tensor trace() {
        if (rank() != 2) {
            throw new IllegalArgumentException("trace: needs a matrix, got shape " + Shapes.str(shape));
        }
        return diagonalOf("trace", 0, 0, 1).sum();
    }

    /** The most empty pieces {@link #chunk} makes of an empty axis. */
    private static final int MAX_EMPTY_CHUNKS = 1 << 24;

    /**
     * Splits along {@code axis} into {@code chunks} pieces of ceil(n / chunks) positions (the last smaller, and
     * fewer pieces when they run out first), as torch.chunk; an empty axis gives {@code chunks} empty pieces
     * (at most 2^24).
     */
    public Tensor[] chunk(int chunks, int axis) {
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: chunks must be > 0, got " + chunks);
        }
        int a = Shapes.axis("chunk", axis, rank());
        int n = shape[a];
        if (n == 0) {
            // PyTorch gives `chunks` empty pieces here: one object each, so a huge count is refused, not run out of memory
            if (chunks > MAX_EMPTY_CHUNKS) {
                throw new IllegalArgumentException("chunk: " + chunks + " empty pieces of the empty axis " + a + " of shape "
                        + Shapes.str(shape) + ": at most " + MAX_EMPTY_CHUNKS);
            }
            int[] sizes = new int[chunks];
            return split(sizes, a);
        }
        return split((int) ((n + (long) chunks - 1) / chunks), a);
    }

    /** Pieces of {@code size} positions along {@code axis}, the last smaller if n is no multiple, as torch.split. */
    public Tensor[] split(int size, int axis) {
        int a = Shapes.axis("split", axis, rank());
        int n = shape[a];
        if (size <= 0 && !(size == 0 && n == 0)) {
            throw new IllegalArgumentException("split: size must be > 0, got " + size + " for axis " + a + " of shape "
                    + Shapes.str(shape));
        }
        int pieces = n == 0 ? 1 : (int) ((n + (long) size - 1) / size);
        Tensor[] out = new Tensor[pieces];
        for (int p = 0; p < pieces; p++) {
            int lo = (int) Math.min(n, (long) p * size);
            out[p] = slice(a, lo, (int) Math.min(n, (long) lo + size));
        }
        return out;
    }

    /** Pieces of sizes[j] positions along {@code axis}, which must add up to its length, as torch.split(list). */
    public Tensor[] split(int[] sizes, int axis) {
        nonNull(sizes, "split", "sizes");
        int a = Shapes.axis("split", axis, rank());
        long total = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("split: sizes must be >= 0, got " + Arrays.toString(sizes));
            }
            total += s;
        }
        if (total != shape[a]) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " add up to " + total
                    + ", not the " + shape[a] + " positions of axis " + a + " of shape " + Shapes.str(shape));
        }
        Tensor[] out = new Tensor[sizes.length];
        for (int j = 0, lo = 0; j < sizes.length; lo += sizes[j], j++) {
            out[j] = slice(a, lo, lo + sizes[j]);
        }
        return out;
    }

    /**
     * {@code value} where {@code mask} is non-zero, else this tensor's element, as torch.Tensor.masked_fill; the
     * mask (a constant) broadcasts to this tensor's shape, and the filled positions get no gradient.
     */
    public Tensor maskedFill(Tensor mask, double value) {
        nonNull(mask, "maskedFill", "mask");
        if (!Shapes.broadcastsTo(mask.shape, shape)) {
            throw new IllegalArgumentException("maskedFill: mask of shape " + Shapes.str(mask.shape)
                    + " does not broadcast to the tensor's shape " + Shapes.str(shape));
        }
        return where(mask, wrap(value), this);
    }

    // ===== issue 16: elementwise math ================================================================
    // PyTorch's names and semantics. Each is a primitive (Primitives, block "issue 16: elementwise math") with its
    // derivative stated once. Special values as PyTorch 1.13's: see
    // MathOpsTorchTest for the poles, signed zeros and infinities of each.

    public Tensor sin() {
        return Primitives.SIN.apply(this);
    }

    public Tensor cos() {
        return Primitives.COS.apply(this);
    }

    /** tan x; its derivative 1 + tan^2 x. */
    public Tensor tan() {
        return Primitives.TAN.apply(this);
    }

    /** arcsin on [-1, 1] (NaN outside); the derivative 1/sqrt(1 - x^2) is +infinity at +-1. */
    public Tensor asin() {
        return Primitives.ASIN.apply(this);
    }

    /** arccos on [-1, 1] (NaN outside); the derivative -1/sqrt(1 - x^2) is -infinity at +-1. */
    public Tensor acos() {
        return Primitives.ACOS.apply(this);
    }

    public Tensor atan() {
        return Primitives.ATAN.apply(this);
    }

    /**
     * The angle of the point (other, this) in (-pi, pi], as torch.atan2(input, other), signed zeros included
     * (atan2(+-0, -0) = +-pi); broadcasting. The gradient at (0, 0) is NaN, as PyTorch's.
     */
    public Tensor atan2(Tensor other) {
        return Primitives.ATAN2.apply(this, other);
    }

    public Tensor atan2(double other) {
        return Primitives.ATAN2.apply(this, wrap(other));
    }

    public Tensor sinh() {
        return Primitives.SINH.apply(this);
    }

    public Tensor cosh() {
        return Primitives.COSH.apply(this);
    }

    public Tensor asinh() {
        return Primitives.ASINH.apply(this);
    }

    /** acosh for x >= 1 (NaN below); the derivative 1/sqrt(x^2 - 1) is +infinity at 1. */
    public Tensor acosh() {
        return Primitives.ACOSH.apply(this);
    }

    /** atanh on [-1, 1] (+-infinity at +-1, NaN outside); the derivative 1/(1 - x^2) is +infinity at +-1. */
    public Tensor atanh() {
        return Primitives.ATANH.apply(this);
    }

    /** log(1 + x), accurate for tiny x (where log(1 + x) would round 1 + x); -infinity at -1. */
    public Tensor log1p() {
        return Primitives.LOG1P.apply(this);
    }

    /** e^x - 1, accurate for tiny x (where exp(x) - 1 cancels). */
    public Tensor expm1() {
        return Primitives.EXPM1.apply(this);
    }

    /** The base-2 logarithm, exact at powers of 2 (log2(8) = 3), as torch.log2. */
    public Tensor log2() {
        return Primitives.LOG2.apply(this);
    }

    /** The base-10 logarithm, exact at powers of 10 (log10(1000) = 3), as torch.log10. */
    public Tensor log10() {
        return Primitives.LOG10.apply(this);
    }

    /** 2^x, exact at integers (pow(2, x), not e^(x ln 2)). */
    public Tensor exp2() {
        return Primitives.EXP2.apply(this);
    }

    /**
     * 1/sqrt(x): +infinity at 0 (-infinity at -0), with derivative -infinity there, as torch.rsqrt (the composite
     * sqrt().reciprocal() would give the same value but a NaN derivative's derivative).
     */
    public Tensor rsqrt() {
        return Primitives.RSQRT.apply(this);
    }

    /** sqrt(this^2 + other^2) without overflow or underflow, as torch.hypot; broadcasting. NaN gradient at (0, 0). */
    public Tensor hypot(Tensor other) {
        return Primitives.HYPOT.apply(this, other);
    }

    public Tensor hypot(double other) {
        return Primitives.HYPOT.apply(this, wrap(other));
    }

    /** The largest integer <= x; zero gradient everywhere, as PyTorch. */
    public Tensor floor() {
        return Primitives.FLOOR.apply(this);
    }

    /** The smallest integer >= x; zero gradient everywhere, as PyTorch. */
    public Tensor ceil() {
        return Primitives.CEIL.apply(this);
    }

    /** The nearest integer, halves to even (round(0.5) = 0, round(2.5) = 2), as torch.round; zero gradient. */
    public Tensor round() {
        return Primitives.ROUND.apply(this);
    }

    /** The integer part, toward zero (trunc(-0.5) = -0), as torch.trunc; zero gradient. */
    public Tensor trunc() {
        return Primitives.TRUNC.apply(this);
    }

    /**
     * log(e^this + e^other) without overflow at any magnitude, as torch.logaddexp; broadcasting. Equal infinities
     * give that infinity (and a NaN gradient, as PyTorch's).
     */
    public Tensor logaddexp(Tensor other) {
        return Primitives.LOGADDEXP.apply(this, other);
    }

    public Tensor logaddexp(double other) {
        return Primitives.LOGADDEXP.apply(this, wrap(other));
    }

    /**
     * this * log(other), 0 where this is 0 (whatever other is, unless NaN), as torch.xlogy; broadcasting. The
     * derivative in this is log(other), taken as 0 where this is 0 and other <= 0, as PyTorch's.
     */
    public Tensor xlogy(Tensor other) {
        return Primitives.XLOGY.apply(this, other);
    }

    public Tensor xlogy(double other) {
        return Primitives.XLOGY.apply(this, wrap(other));
    }

    // ===== issue 16: selection and einsum

    /**
     * The two results of a selection (sort, topk, kthvalue, median), as PyTorch's (values, indices): values
     * differentiable (read through gather, so the gradient goes to the chosen positions), indices whole numbers in
     * a tensor without gradient, as {@link #argmax}.
     */
    public record ValuesIndices(Tensor values, Tensor indices) {}

    /** Ascending sort along the last axis, as torch.sort. */
    public ValuesIndices sort() {
        return sort(-1, false, false);
    }

    public ValuesIndices sort(int dim) {
        return sort(dim, false, false);
    }

    public ValuesIndices sort(int dim, boolean descending) {
        return sort(dim, descending, false);
    }

    /**
     * Sorts along {@code dim}, as torch.sort: NaN counts as the largest value, -0.0 ties with 0.0, and tied
     * elements keep their input order (also when descending, as PyTorch with stable=True). That order is what
     * {@code stable = true} promises; with false (PyTorch's default, which promises no tie order) it is the same.
     */
    public ValuesIndices sort(int dim, boolean descending, boolean stable) {
        return Selection.sort("sort", this, dim, descending);
    }

    /** The indices that sort along {@code dim}, as torch.argsort: sort(dim, descending, stable).indices(). */
    public Tensor argsort(int dim, boolean descending, boolean stable) {
        return Selection.sort("argsort", this, dim, descending).indices().detach();
    }

    public Tensor argsort(int dim, boolean descending) {
        return argsort(dim, descending, false);
    }

    public Tensor argsort() {
        return argsort(-1, false, false);
    }

    /** The k largest elements along the last axis, largest first, as torch.topk(k). */
    public ValuesIndices topk(int k) {
        return topk(k, -1, true, true);
    }

    /**
     * The k largest (or smallest) elements along {@code dim}, as torch.topk: the first k of the stable sort, so
     * among tied elements the earliest in input order is taken first (PyTorch does not say which it takes) and
     * NaN counts as the largest. They always come sorted, which {@code sorted = false} allows.
     */
    public ValuesIndices topk(int k, int dim, boolean largest, boolean sorted) {
        return Selection.topk(this, k, dim, largest);
    }

    /** The k-th smallest element (k from 1) along {@code dim}, as torch.kthvalue; NaN counts as the largest. */
    public ValuesIndices kthvalue(int k, int dim, boolean keepDims) {
        return Selection.kthvalue(this, k, dim, keepDims);
    }

    public ValuesIndices kthvalue(int k, int dim) {
        return kthvalue(k, dim, false);
    }

    /** kthvalue along the last axis. */
    public ValuesIndices kthvalue(int k) {
        return kthvalue(k, -1, false);
    }

    /**
     * The median of all elements, as torch.median(): for an even count the lower of the two middle values; NaN if
     * any element is NaN (or there are none). The gradient is shared equally among the elements equal to the
     * median, as PyTorch's.
     */
    public Tensor median() {
        return Selection.median(this);
    }

    /**
     * The lower median along {@code dim} and its index, as torch.median(dim): a lane holding NaN gives NaN at its
     * first NaN; among tied elements the earliest in the stable order is chosen. The gradient goes to that index.
     */
    public ValuesIndices median(int dim, boolean keepDims) {
        return Selection.median(this, dim, keepDims);
    }

    public ValuesIndices median(int dim) {
        return median(dim, false);
    }

    /**
     * Einstein summation, as torch.einsum: explicit ({@code "ij,jk->ik"}) or implicit ({@code "ij,jk"}, output
     * the subscripts occurring once, alphabetically) form, {@code ...} for broadcast leading dimensions, a
     * subscript repeated within an operand for its diagonal ({@code "ii->i"}, {@code "ii"} the trace), and
     * subscripts absent from the output summed. Three or more operands are contracted pairwise in opt_einsum's
     * greedy order, each pair as one (batched) matmul; a composite, so every mode and order is differentiable.
     */
    public static Tensor einsum(String equation, Tensor... operands) {
        return Einsum.einsum(equation, operands);
    }
}
