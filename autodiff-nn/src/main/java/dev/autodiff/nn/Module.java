package dev.autodiff.nn;

import dev.autodiff.Autodiff;
import dev.autodiff.DType;
import dev.autodiff.GradScope;
import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A layer or a model: named, ordered parameters (leaves that need grad), buffers (state that is not
 * trained, such as batch norm's running statistics) and named submodules, a train/eval mode, and
 * {@link #forward}. Names are paths, as PyTorch's {@code named_parameters}: {@code "0.weight"},
 * {@code "encoder.1.bias"}.
 *
 * <p>Modules are built in float64; {@link #to} makes one float32 (or back). A float32 model on float32 inputs gives
 * float32 outputs, losses and gradients: the layers make their constants (masks, initial states, averaging weights)
 * in the input's dtype, so nothing promotes to float64 unless a float64 tensor with dimensions is given.
 */
public abstract class Module {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    public abstract Tensor forward(Tensor x);

    /**
     * Registers a parameter: a copy of {@code init} with its shape and dtype (a 0-dim init stays 0-dim), as a leaf
     * that needs grad (the caller's tensor is never updated).
     */
    protected final Tensor param(String name, Tensor init) {
        checkName(name);
        Objects.requireNonNull(init, () -> getClass().getSimpleName() + ": the initial value of parameter '" + name + "' is null");
        Tensor p = copy(init).requiresGrad();
        params.put(name, p);
        return p;
    }

    /**
     * Registers a buffer: a copy of {@code init} (its dtype too) that the module updates itself (in place, through
     * {@link Tensor#assign}) and that is not trained, as PyTorch's {@code register_buffer}.
     */
    protected final Tensor buffer(String name, Tensor init) {
        checkName(name);
        Objects.requireNonNull(init, () -> getClass().getSimpleName() + ": the initial value of buffer '" + name + "' is null");
        Tensor b = copy(init);
        buffers.put(name, b);
        return b;
    }

    /** A new leaf holding init's values in its shape and dtype. */
    private static Tensor copy(Tensor init) {
        return init.dtype() == DType.FLOAT32 ? Tensor.fromArray(init.toFloatArray(), init.shape())
                : Tensor.fromArray(init.toArray(), init.shape());
    }

    /**
     * Converts every parameter and buffer of this module and its submodules to {@code dtype} in place, as PyTorch's
     * {@code module.to(dtype)}, and returns this module. Each tensor keeps its identity (a tensor shared by two
     * modules is converted once), so the module's fields and an optimizer made before still hold the parameters;
     * the optimizer's state follows on its next step (each slot is converted to its parameter's dtype there, see
     * {@link dev.autodiff.nn.optim.Optimizer}). Float64 to float32 rounds to nearest; back to float64 is exact.
     * An accumulated gradient is converted too. Like every in-place update, it bumps the tensors' versions, so a
     * graph recorded before cannot be backpropagated afterwards.
     */
    public final Module to(DType dtype) {
        Objects.requireNonNull(dtype, () -> getClass().getSimpleName() + ".to: dtype is null");
        java.util.Set<Tensor> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map<String, Tensor> tensors : List.of(parameters(), buffers())) {
            for (Tensor t : tensors.values()) {
                if (seen.add(t)) {
                    InPlace.convert(getClass().getSimpleName() + ".to", t, dtype);
                }
            }
        }
        return this;
    }

    /**
     * The dtype of this module's parameters (of its buffers when it has none, float64 when it has neither): what
     * {@link #to} made them. A module whose tensors have mixed dtypes reports the first parameter's.
     */
    public final DType dtype() {
        for (Map<String, Tensor> tensors : List.of(parameters(), buffers())) {
            for (Tensor t : tensors.values()) {
                return t.dtype();
            }
        }
        return DType.FLOAT64;
    }

    /** Registers a submodule. */
    protected final <M extends Module> M child(String name, M module) {
        checkName(name);
        Objects.requireNonNull(module, () -> getClass().getSimpleName() + ": submodule '" + name + "' is null");
        if (((Module) module).contains(this)) { // a cycle: parameters(), toString() and every walk of the tree would never end
            throw new IllegalArgumentException(getClass().getSimpleName() + ": submodule '" + name + "' ("
                    + module.getClass().getSimpleName() + ") is " + (module == this ? "this module itself" : "one that contains this module")
                    + ": a module cannot contain itself");
        }
        children.put(name, module);
        return module;
    }

    /** Whether {@code m} is this module or one of its descendants (the tree has no cycle: child refuses one). */
    private boolean contains(Module m) {
        if (this == m) {
            return true;
        }
        for (Module c : children.values()) {
            if (c.contains(m)) {
                return true;
            }
        }
        return false;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".") || params.containsKey(name) || buffers.containsKey(name)
                || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": invalid or duplicate name '" + name + "'");
        }
    }

    /**
     * Every parameter of this module and its submodules, by path, in registration order; a module used in two
     * places (shared weights) lists its parameters under both paths, the same tensors.
     */
    public final Map<String, Tensor> parameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", m -> m.params, out);
        return Collections.unmodifiableMap(out);
    }

    /** Every buffer of this module and its submodules, by path, in registration order (the tensors themselves). */
    public final Map<String, Tensor> buffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", m -> m.buffers, out);
        return Collections.unmodifiableMap(out);
    }

    /** The tensors {@code own} picks from this module and each submodule, under their paths. */
    private void collect(String prefix, java.util.function.Function<Module, Map<String, Tensor>> own, Map<String, Tensor> out) {
        own.apply(this).forEach((n, t) -> out.put(prefix + n, t));
        children.forEach((n, m) -> m.collect(prefix + n + ".", own, out));
    }

    /** The direct submodules, by name. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** The number of trainable numbers: each distinct parameter tensor counted once, shared ones included. */
    public final long parameterCount() {
        long n = 0;
        java.util.Set<Tensor> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor p : parameters().values()) {
            if (seen.add(p)) {
                n += p.size();
            }
        }
        return n;
    }

    /** Clears the accumulated gradient of every parameter. */
    public final void zeroGrad() {
        for (Tensor p : parameters().values()) {
            p.zeroGrad();
        }
    }

    /** Training mode (the default), for this module and all submodules. */
    public final Module train() {
        return setTraining(true);
    }

    /** Evaluation mode (dropout off, batch norm on running statistics), for this module and all submodules. */
    public final Module eval() {
        return setTraining(false);
    }

    private Module setTraining(boolean on) {
        training = on;
        for (Module m : children.values()) {
            m.setTraining(on);
        }
        return this;
    }

    public final boolean isTraining() {
        return training;
    }

    /**
     * A table in the manner of Keras' {@code model.summary()} and torchinfo: every module of the tree, indented by
     * depth and named by its path, with its output shape for an input of {@code inputShape} (computed by running
     * the model once on zeros) and its own parameter count (shared ones counted once, in the total).
     *
     * <p>Output shapes are those the summary can observe: a module it runs itself (the model, each element of a
     * {@link Sequential}, and the inside of a wrapper whose output equals its single child's, such as
     * {@link Mlp}). The submodules of any other module are listed with "-": their shapes would need hooks in
     * the parent's forward.
     *
     * <p>It changes nothing: the run is in evaluation mode (so batch norm uses, and does not update, its running
     * statistics, and dropout draws no mask) and records no graph; every module's mode is restored after it,
     * and so is every parameter and buffer, should a module's forward have changed one.
     */
    public final String summary(int... inputShape) {
        Objects.requireNonNull(inputShape, "summary: inputShape is null");
        for (int d : inputShape) {
            if (d < 0) {
                throw new IllegalArgumentException("summary: negative dimension in inputShape " + java.util.Arrays.toString(inputShape));
            }
        }
        List<String[]> rows = new ArrayList<>();
        Map<Module, Boolean> modes = new IdentityHashMap<>();
        saveModes(modes);
        Map<Tensor, double[]> state = new IdentityHashMap<>();
        parameters().values().forEach(t -> state.put(t, t.toArray()));
        buffers().values().forEach(t -> state.put(t, t.toArray()));
        try (GradScope s = Autodiff.noGrad()) {
            eval();
            summarize(this, "", 0, Tensor.zeros(dtype(), inputShape), rows);
        } finally {
            modes.forEach((m, training) -> m.training = training);
            state.forEach((t, v) -> {
                if (!java.util.Arrays.equals(t.toArray(), v)) {
                    t.assign(Tensor.fromArray(v, t.shape()));
                }
            });
        }
        int width = 36;
        for (String[] r : rows) {
            width = Math.max(width, r[0].length() + 2);
        }
        String format = "%-" + width + "s %-18s %12s%n";
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, format, "layer", "output shape", "parameters"));
        for (String[] r : rows) {
            sb.append(String.format(java.util.Locale.ROOT, format, r[0], r[1], r[2]));
        }
        return sb.append(String.format(java.util.Locale.ROOT, "total parameters: %d%n", parameterCount())).toString();
    }

    /**
     * Adds the rows of {@code m} (named {@code path}) and its subtree; runs it on {@code x} when x is not null and
     * returns its output (null when it was not run).
     */
    private static Tensor summarize(Module m, String path, int depth, Tensor x, List<String[]> rows) {
        String label = "  ".repeat(depth) + (path.isEmpty() ? "" : path + " ") + "(" + m.describe() + ")";
        String[] row = {label, "-", Long.toString(m.ownParameterCount())};
        rows.add(row);
        Tensor y = null;
        if (m instanceof Sequential && x != null) {
            y = x;
            for (Map.Entry<String, Module> e : m.children.entrySet()) {
                y = summarize(e.getValue(), child(path, e.getKey()), depth + 1, y, rows);
            }
        } else {
            y = x == null ? null : m.forward(x);
            // a wrapper whose output is its single child's: the child's inside can be run as well
            Tensor inner = null;
            if (y != null && m.children.size() == 1 && m.params.isEmpty()) {
                Module only = m.children.values().iterator().next();
                try {
                    Tensor z = only.forward(x);
                    inner = java.util.Arrays.equals(z.shape(), y.shape()) && java.util.Arrays.equals(z.toArray(), y.toArray()) ? x : null;
                } catch (RuntimeException e) {
                    inner = null; // the wrapper changes the input before its child: the child's shapes are not observable
                }
            }
            for (Map.Entry<String, Module> e : m.children.entrySet()) {
                summarize(e.getValue(), child(path, e.getKey()), depth + 1, inner, rows);
            }
        }
        row[1] = y == null ? "-" : java.util.Arrays.toString(y.shape());
        return y;
    }

    private static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The numbers in this module's own parameters (not its submodules'). */
    private long ownParameterCount() {
        long n = 0;
        for (Tensor p : params.values()) {
            n += p.size();
        }
        return n;
    }

    /**
     * The module tree, as PyTorch prints a model: each module's description, its own parameters with their shapes,
     * then its submodules indented, and the total parameter count at the end.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        tree(sb, "", 0);
        return sb.append(String.format(java.util.Locale.ROOT, "total parameters: %,d", parameterCount())).toString();
    }

    private void tree(StringBuilder sb, String name, int depth) {
        sb.append("  ".repeat(depth)).append(name.isEmpty() ? "" : "(" + name + "): ").append(describe());
        if (!params.isEmpty()) {
            StringBuilder own = new StringBuilder();
            params.forEach((n, p) -> own.append(own.length() == 0 ? "" : ", ").append(n).append(' ')
                    .append(java.util.Arrays.toString(p.shape())));
            sb.append("  [").append(own).append(String.format(java.util.Locale.ROOT, "; %,d parameters]", ownParameterCount()));
        }
        sb.append('\n');
        children.forEach((n, m) -> m.tree(sb, n, depth + 1));
    }

    private void saveModes(Map<Module, Boolean> modes) {
        if (modes.put(this, training) == null) {
            children.values().forEach(m -> m.saveModes(modes));
        }
    }

    /** A short description for summaries, such as {@code Linear(784 -> 512)}. */
    public String describe() {
        return getClass().getSimpleName();
    }
}
