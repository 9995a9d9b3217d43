package dev.autodiff.nn.optim;

import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Adagrad as torch.optim.Adagrad (without lr_decay and initial_accumulator_value): with g = grad + wd p (L2,
 * PyTorch's weight_decay; it has no decoupled form), s = s + g^2, p = p - lr g / (sqrt(s) + eps).
 */
public final class Adagrad extends Optimizer {
    private final double eps;
    private final double weightDecay;
    private final List<Tensor> sums = new ArrayList<>();

    public Adagrad(Collection<Tensor> params, double lr) {
        this(params, lr, 1e-10);
    }

    public Adagrad(Collection<Tensor> params, double lr, double eps) {
        this(params, lr, eps, 0);
    }

    public Adagrad(Collection<Tensor> params, double lr, double eps, double weightDecay) {
        super(Hyper.params("Adagrad", params), lr);
        this.eps = Hyper.nonNegative("Adagrad", "eps", eps);
        this.weightDecay = Hyper.nonNegative("Adagrad", "weightDecay", weightDecay);
    }

    @Override
    protected java.util.Map<String, List<Tensor>> slots() {
        return java.util.Map.of("sum", sums);
    }

    /** One pass per parameter, in PyTorch 1.13's order: g + wd p (only when wd != 0); s = s + g g; p += -lr g / (sqrt(s) + eps). */
    @Override
    protected void update(int i, Tensor p) {
        double e = eps;
        double wd = weightDecay;
        double negLr = -lr;
        InPlace.step("Adagrad", p, new Tensor[] {state(sums, i, p)}, (from, to, out, in) -> {
            double[] pa = out[0];
            double[] sa = out[1];
            double[] ga = in[0];
            for (int k = from; k < to; k++) {
                double gk = wd == 0 ? ga[k] : ga[k] + wd * pa[k]; // PyTorch adds nothing when wd = 0
                double sk = sa[k] + gk * gk;
                sa[k] = sk;
                pa[k] = pa[k] + negLr * (gk / (Math.sqrt(sk) + e));
            }
        });
    }
}
