package dev.autodiff.nn.optim;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Adam and AdamW as torch.optim: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
 * p = p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). Adam adds weight decay to the gradient
 * (L2); AdamW (decoupled) first shrinks p by (1 - lr wd).
 */
public final class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();

    public Adam(Collection<Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** AdamW with PyTorch's defaults (weight decay 0.01). */
    public static Adam adamW(Collection<Tensor> params, double lr, double weightDecay) {
        return new Adam(params, lr, 0.9, 0.999, 1e-8, weightDecay, true);
    }

    public Adam(Collection<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
                boolean decoupled) {
        super(Hyper.params(decoupled ? "AdamW" : "Adam", params), lr);
        String who = decoupled ? "AdamW" : "Adam";
        this.beta1 = Hyper.fraction(who, "beta1", beta1);
        this.beta2 = Hyper.fraction(who, "beta2", beta2);
        this.eps = Hyper.nonNegative(who, "eps", eps);
        this.weightDecay = Hyper.nonNegative(who, "weightDecay", weightDecay);
        this.decoupled = decoupled;
    }

    @Override
    protected java.util.Map<String, List<Tensor>> slots() {
        return java.util.Map.of("m", m, "v", v);
    }

    @Override
    protected void update(int i, Tensor p, Tensor g) {
        if (weightDecay != 0 && decoupled) {
            p.assign(p.mul(1 - lr * weightDecay));
        } else if (weightDecay != 0) {
            g = g.add(p.mul(weightDecay));
        }
        Tensor mi = state(m, i, p);
        Tensor vi = state(v, i, p);
        mi.assign(mi.mul(beta1).add(g.mul(1 - beta1)));
        vi.assign(vi.mul(beta2).add(g.square().mul(1 - beta2)));
        int t = steps(i);
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        Tensor denom = vi.div(c2).sqrt().add(eps);
        p.addInPlace(mi.div(denom), -lr / c1);
    }
}
