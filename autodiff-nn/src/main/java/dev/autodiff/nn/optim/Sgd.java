package dev.autodiff.nn.optim;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * SGD as torch.optim.SGD: g = grad + wd p; with momentum mu, b = g on the first step and b = mu b + g
 * after; the step uses g + mu b (Nesterov) or b; p = p - lr * step.
 */
public final class Sgd extends Optimizer {
    private final double momentum;
    private final boolean nesterov;
    private final double weightDecay;
    private final List<Tensor> buffers = new ArrayList<>();

    public Sgd(Collection<Tensor> params, double lr) {
        this(params, lr, 0, false, 0);
    }

    public Sgd(Collection<Tensor> params, double lr, double momentum, boolean nesterov, double weightDecay) {
        super(Hyper.params("Sgd", params), lr);
        Hyper.nonNegative("Sgd", "momentum", momentum);
        Hyper.nonNegative("Sgd", "weightDecay", weightDecay);
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("Sgd: Nesterov momentum needs momentum > 0, got " + momentum);
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    @Override
    protected java.util.Map<String, List<Tensor>> slots() {
        return java.util.Map.of("momentum", buffers);
    }

    @Override
    protected void update(int i, Tensor p, Tensor g) {
        Tensor d = weightDecay == 0 ? g : g.add(p.mul(weightDecay));
        if (momentum != 0) {
            Tensor b = state(buffers, i, p);
            if (steps(i) == 1) {
                b.assign(d);
            } else {
                b.assign(b.mul(momentum).add(d));
            }
            d = nesterov ? d.add(b.mul(momentum)) : b;
        }
        p.addInPlace(d, -lr);
    }
}
