package dev.autodiff.nn.optim;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their accumulated {@code grad()}, in place through {@link Tensor#assign} and
 * {@link Tensor#addInPlace} (the one sanctioned path, which bumps each parameter's version so that a
 * stale graph cannot be backpropagated). Parameters without a gradient are skipped. The formulas are
 * PyTorch's (torch.optim), checked against it on reference fixtures.
 */
public abstract class Optimizer {
    protected final List<Tensor> params;
    protected double lr;
    private int steps;

    protected Optimizer(Collection<Tensor> params, double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate must be >= 0, got " + lr);
        }
        this.params = new ArrayList<>(params);
        this.lr = lr;
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
                if (p.grad() != null) {
                    update(i, p, p.grad());
                }
            }
        }
    }

    /** Updates parameter i (in place) from its gradient g; called inside noGrad. */
    protected abstract void update(int i, Tensor p, Tensor g);

    /** The number of steps taken, counting the one in progress during {@link #update}. */
    protected final int steps() {
        return steps;
    }

    public final void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    public final double lr() {
        return lr;
    }

    /** Sets the learning rate, as a schedule does between epochs. */
    public final void setLr(double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("setLr: learning rate must be >= 0, got " + lr);
        }
        this.lr = lr;
    }

    /** The optimizer's per-parameter state by slot name (such as "m" and "v" for Adam), one list entry per parameter. */
    protected abstract Map<String, List<Tensor>> slots();

    /** The state to checkpoint: "slot.i" for parameter i's entry of each slot that exists yet. */
    public final Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        slots().forEach((slot, list) -> {
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) != null) {
                    out.put(slot + "." + i, list.get(i).detach());
                }
            }
        });
        return out;
    }

    /** The number of steps taken so far. */
    public final int stepCount() {
        return steps;
    }

    /**
     * Restores {@link #state()} and the step count, checking every entry first (slot, index, shape) so that a
     * mismatch changes nothing.
     */
    public final void loadState(Map<String, Tensor> state, int stepCount) {
        Map<String, List<Tensor>> slots = slots();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String[] parts = e.getKey().split("\\.");
            int i = parts.length == 2 && parts[1].matches("[0-9]+") ? Integer.parseInt(parts[1]) : -1;
            if (!slots.containsKey(parts[0]) || i < 0 || i >= params.size()) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": unexpected optimizer state '" + e.getKey()
                        + "' (slots " + slots.keySet() + ", " + params.size() + " parameters)");
            }
            if (!java.util.Arrays.equals(e.getValue().shape(), params.get(i).shape())) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": state '" + e.getKey() + "' has shape "
                        + java.util.Arrays.toString(e.getValue().shape()) + " but parameter " + i + " has "
                        + java.util.Arrays.toString(params.get(i).shape()));
            }
        }
        if (stepCount < 0) {
            throw new IllegalArgumentException("loadState: negative step count " + stepCount);
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String[] parts = e.getKey().split("\\.");
            int i = Integer.parseInt(parts[1]);
            state(slots.get(parts[0]), i, params.get(i)).assign(e.getValue());
        }
        steps = stepCount;
    }

    /** A per-parameter state slot, zero-initialised on first use. */
    protected static Tensor state(List<Tensor> slots, int i, Tensor like) {
        while (slots.size() <= i) {
            slots.add(null);
        }
        if (slots.get(i) == null) {
            slots.set(i, Tensor.zeros(like.shape()));
        }
        return slots.get(i);
    }
}
