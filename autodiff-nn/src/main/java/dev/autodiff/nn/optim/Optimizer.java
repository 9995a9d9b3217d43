package dev.autodiff.nn.optim;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Updates parameters from their accumulated gradients, in place, each parameter and its state in one pass through
 * {@link dev.autodiff.InPlace#step} (the sanctioned path, which bumps each parameter's version so that a stale
 * graph cannot be backpropagated, and reads the gradient without handing it out, so that backward reuses its
 * buffer after {@link #zeroGrad()}). Parameters without a gradient are skipped. The formulas are
 * PyTorch's (torch.optim), checked against it on reference fixtures.
 *
 * <p>Either dtype: each parameter's state has the parameter's dtype, as PyTorch's {@code zeros_like(p)}, and the
 * update of a float32 parameter computes in float64 and rounds the parameter and its state once per step. A model
 * converted with {@code Module.to} keeps its optimizer (the same tensor objects); state made before the conversion
 * is converted to its parameter's new dtype at the parameter's next step.
 */
public abstract class Optimizer {
    protected final List<Tensor> params;
    protected double lr;
    private int steps;
    /** How many updates each parameter has had: its own step count, as PyTorch's state['step']. */
    private int[] paramSteps;

    protected Optimizer(Collection<Tensor> params, double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate must be >= 0, got " + lr);
        }
        this.params = new ArrayList<>(params);
        this.lr = lr;
        this.paramSteps = new int[this.params.size()];
        for (Tensor p : this.params) {
            if (!p.needsGrad() || !p.isLeaf()) {
                throw new IllegalArgumentException(getClass().getSimpleName()
                        + ": every parameter must be a leaf that needs grad, got " + p);
            }
        }
    }

    /** One update of every parameter that has a gradient. */
    public final void step() {
        steps++;
        try (GradScope s = Autodiff.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (p.hasGrad()) {
                    paramSteps[i]++;
                    update(i, p);
                }
            }
        }
    }

    /**
     * Updates parameter i (in place) from its accumulated gradient; called inside noGrad, only when it has one. The
     * optimizers here read it through {@link dev.autodiff.InPlace#step}, which leaves the gradient's buffer private
     * so that the next backward after {@link #zeroGrad()} reuses it; {@code p.grad()} works too, without the reuse.
     */
    protected abstract void update(int i, Tensor p);

    /**
     * How many updates parameter i has had, counting the one in progress during {@link #update}: its own step,
     * as PyTorch's per-parameter {@code state['step']}, so a parameter that first gets a gradient late (it was
     * frozen, or its branch unused) starts with step 1 and Adam's bias correction for step 1.
     */
    protected final int steps(int i) {
        return paramSteps[i];
    }

    public final void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    /** The parameters this optimizer updates, in order (the i of {@link #state()}'s keys). */
    public final List<Tensor> parameters() {
        return java.util.Collections.unmodifiableList(params);
    }

    public final double lr() {
        return lr;
    }

    /** Sets the learning rate, as a schedule does between epochs. */
    public final void setLr(double lr) {
        if (!(lr >= 0 && lr < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("setLr: learning rate must be finite and >= 0, got " + lr);
        }
        this.lr = lr;
    }

    /**
     * The optimizer's per-parameter state by slot name (such as "m" and "v" for Adam), one list entry per
     * parameter (null, or missing at the end, for a parameter not updated yet). A parameter's entries in all
     * slots are created together, in its first update: {@link #loadState} relies on it.
     */
    protected abstract Map<String, List<Tensor>> slots();

    /**
     * The state to checkpoint: "slot.i" for parameter i's entry of each slot, and "step.i" (a 0-dim tensor) for
     * its own step count, for every parameter updated so far (in the order of slot name, then parameter). With
     * {@link #stepCount()} and {@link #lr()} it is the whole of the optimizer's changing state.
     */
    public final Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        allSlots().forEach((slot, list) -> {
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) != null) {
                    out.put(slot + "." + i, list.get(i).detach());
                }
            }
        });
        return out;
    }

    /** The optimizer's slots and the per-parameter step counts as slot "step", in name order. */
    private Map<String, List<Tensor>> allSlots() {
        Map<String, List<Tensor>> all = new TreeMap<>(slots());
        List<Tensor> step = new ArrayList<>();
        for (int n : paramSteps) {
            step.add(n == 0 ? null : Tensor.scalar(n));
        }
        if (all.put(STEP, step) != null) {
            throw new IllegalStateException(getClass().getSimpleName() + ": a slot may not be named '" + STEP + "'");
        }
        return all;
    }

    private static final String STEP = "step";

    /** The number of calls of {@link #step()} so far. */
    public final int stepCount() {
        return steps;
    }

    /** The number of parameters this optimizer updates (the i of the "slot.i" keys of {@link #state()}). */
    public final int paramCount() {
        return params.size();
    }

    /**
     * Replaces the whole state with {@code state} (as from {@link #state()}) and the step count, as
     * PyTorch's {@code load_state_dict}: afterwards each parameter has exactly the entries in {@code state},
     * and a parameter with none has no state, as if it had never been updated. So nothing from before the
     * load survives, and loading what {@link #state()} gave restores the optimizer exactly. The values are
     * copied. Everything is checked first, and a refused load changes nothing: it refuses a key that is not
     * "slot.i" of this optimizer, a shape that is not parameter i's, a parameter with some of its slots but
     * not all (they exist together), state with a step count of 0 (state exists only after a step), and a
     * negative step count. Each entry takes its parameter's dtype (a float64 checkpoint loads into float32 state
     * for a float32 parameter, rounded once), as PyTorch's load_state_dict.
     */
    public final void loadState(Map<String, Tensor> state, int stepCount) {
        String op = getClass().getSimpleName() + ".loadState";
        Objects.requireNonNull(state, op + ": state is null");
        if (stepCount < 0) {
            throw new IllegalArgumentException(op + ": negative step count " + stepCount);
        }
        Map<String, List<Tensor>> slots = allSlots();
        Map<String, Tensor[]> loaded = new TreeMap<>();
        slots.keySet().forEach(slot -> loaded.put(slot, new Tensor[params.size()]));
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = Objects.requireNonNull(e.getKey(), op + ": a key is null");
            Tensor value = Objects.requireNonNull(e.getValue(), () -> op + ": state '" + key + "' is null");
            int dot = key.lastIndexOf('.');
            String slot = dot < 0 ? key : key.substring(0, dot);
            String index = dot < 0 ? "" : key.substring(dot + 1);
            int i = index.matches("0|[1-9][0-9]{0,9}") && Long.parseLong(index) < params.size() ? Integer.parseInt(index) : -1;
            if (!slots.containsKey(slot) || i < 0) {
                throw new IllegalArgumentException(op + ": unexpected state '" + key + "'; " + getClass().getSimpleName()
                        + " has slots " + slots.keySet() + " and " + params.size() + " parameters; keys are 'slot.i' with 0 <= i < "
                        + params.size());
            }
            if (slot.equals(STEP)) {
                double n = value.rank() == 0 ? value.item() : Double.NaN;
                if (!(n >= 1 && n <= Integer.MAX_VALUE && n == Math.rint(n))) {
                    throw new IllegalArgumentException(op + ": state '" + key + "' must be a 0-dim whole number >= 1 "
                            + "(parameter " + i + "'s own step count), got " + value);
                }
            } else if (!Arrays.equals(value.shape(), slotShape(slot, i))) {
                int[] want = slotShape(slot, i);
                throw new IllegalArgumentException(op + ": state '" + key + "' has shape " + Arrays.toString(value.shape())
                        + " but " + (Arrays.equals(want, params.get(i).shape()) ? "parameter " + i + " has shape "
                        : slot + " of parameter " + i + " has shape ") + Arrays.toString(want));
            }
            if (value.isDual()) {
                throw new IllegalArgumentException(op + ": state '" + key + "' is a dual number (inside jvp); pass its value");
            }
            loaded.get(slot)[i] = value;
        }
        for (int i = 0; i < params.size(); i++) {
            List<String> have = new ArrayList<>();
            List<String> lack = new ArrayList<>();
            for (Map.Entry<String, Tensor[]> e : loaded.entrySet()) {
                if (!e.getKey().equals(STEP)) {
                    (e.getValue()[i] != null ? have : lack).add(e.getKey() + "." + i);
                }
            }
            if (!have.isEmpty() && !lack.isEmpty()) {
                throw new IllegalArgumentException(op + ": parameter " + i + " has state " + have + " but not " + lack
                        + "; a parameter's slots exist together, so this state is incomplete");
            }
            if (!have.isEmpty() && loaded.get(STEP)[i] == null) {
                throw new IllegalArgumentException(op + ": parameter " + i + " has state " + have + " but no step." + i
                        + " (its own step count), so this state is incomplete");
            }
            if (loaded.get(STEP)[i] != null) {
                have.add(STEP + "." + i);
            }
            if (!have.isEmpty() && stepCount == 0) {
                throw new IllegalArgumentException(op + ": state " + have + " with a step count of 0; state exists only "
                        + "after a step, so the step count is missing or wrong");
            }
            if (loaded.get(STEP)[i] != null && loaded.get(STEP)[i].item() > stepCount) {
                throw new IllegalArgumentException(op + ": step." + i + " is " + (long) loaded.get(STEP)[i].item()
                        + ", more than the step count " + stepCount + ": a parameter has at most one update per step");
            }
        }
        // all checked: replace everything
        for (Map.Entry<String, List<Tensor>> e : slots.entrySet()) {
            if (e.getKey().equals(STEP)) {
                Tensor[] n = loaded.get(STEP);
                for (int i = 0; i < paramSteps.length; i++) {
                    paramSteps[i] = n[i] == null ? 0 : (int) n[i].item();
                }
                continue;
            }
            List<Tensor> list = e.getValue();
            list.clear();
            Tensor[] values = loaded.get(e.getKey());
            for (int i = 0; i < values.length; i++) {
                // a copy in parameter i's dtype, whatever the checkpoint's, as PyTorch's load_state_dict casts
                Tensor v = values[i];
                list.add(v == null ? null : Tensor.zeros(params.get(i).dtype(), v.shape()).assign(v.detach()));
            }
        }
        steps = stepCount;
    }

    /**
     * The shape of parameter i's entry in {@code slot}, which {@link #loadState} requires: the parameter's own, unless
     * the optimizer keeps one number per parameter there (NAdam's mu_product, a 0-dim tensor as in PyTorch).
     */
    protected int[] slotShape(String slot, int i) {
        return params.get(i).shape();
    }

    /**
     * A per-parameter state slot in its parameter's dtype, zero-initialised on first use, as PyTorch's
     * {@code zeros_like(p)}. A slot whose dtype no longer matches (the model was converted with
     * {@code Module.to} after this optimizer had stepped) is converted in place first, as PyTorch's
     * {@code load_state_dict} casts state to its parameter's dtype: float64 state rounds to float32 once.
     */
    protected static Tensor state(List<Tensor> slots, int i, Tensor like) {
        return slot(slots, i, like, () -> Tensor.zeros(like.dtype(), like.shape()));
    }

    /**
     * A per-parameter slot of one number (a 0-dim tensor, as NAdam's mu_product), {@code initial} before the first
     * step, in like's dtype by the same rule as {@link #state(List, int, Tensor)}.
     */
    protected static Tensor scalarState(List<Tensor> slots, int i, Tensor like, double initial) {
        return slot(slots, i, like, () -> Tensor.full(initial, like.dtype()));
    }

    private static Tensor slot(List<Tensor> slots, int i, Tensor like, java.util.function.Supplier<Tensor> fresh) {
        while (slots.size() <= i) {
            slots.add(null);
        }
        Tensor s = slots.get(i);
        if (s == null) {
            s = fresh.get();
            slots.set(i, s);
        } else if (s.dtype() != like.dtype()) {
            InPlace.convert("Optimizer.state", s, like.dtype());
        }
        return s;
    }
}
