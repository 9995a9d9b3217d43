package dev.autodiff.nn.optim;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

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
