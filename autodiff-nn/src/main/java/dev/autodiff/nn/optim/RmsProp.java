package dev.autodiff.nn.optim;

import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * RMSProp as torch.optim.RMSprop (not centred, no momentum): with g = grad + wd p (L2, PyTorch's weight_decay; it has
 * no decoupled form), v = a v + (1 - a) g^2, p = p - lr g / (sqrt(v) + eps), with 0 &lt;= a &lt;= 1 (PyTorch also
 * takes a > 1, which can make v negative and the step NaN).
 */
public final class RmsProp extends Optimizer {
    private final double alpha;
    private final double eps;
    private final double weightDecay;
    private final List<Tensor> v = new ArrayList<>();

    public RmsProp(Collection<Tensor> params, double lr) {
        this(params, lr, 0.99, 1e-8);
    }

    public RmsProp(Collection<Tensor> params, double lr, double alpha, double eps) {
        this(params, lr, alpha, eps, 0);
    }

    public RmsProp(Collection<Tensor> params, double lr, double alpha, double eps, double weightDecay) {
        super(Hyper.params("RmsProp", params), lr);
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("RmsProp: alpha must be in [0, 1], got " + alpha);
        }
        this.alpha = alpha;
        this.eps = Hyper.nonNegative("RmsProp", "eps", eps);
        this.weightDecay = Hyper.nonNegative("RmsProp", "weightDecay", weightDecay);
    }

    @Override
    protected java.util.Map<String, List<Tensor>> slots() {
        return java.util.Map.of("v", v);
    }

    /**
     * One pass per parameter, in PyTorch 1.13's order: g + wd p (only when wd != 0); v = a v + (1 - a) g g;
     * p += -lr g / (sqrt(v) + eps).
     */
    @Override
    protected void update(int i, Tensor p) {
        double a = alpha;
        double e = eps;
        double wd = weightDecay;
        double negLr = -lr;
        InPlace.step("RmsProp", p, new Tensor[] {state(v, i, p)}, (from, to, out, in) -> {
            double[] pa = out[0];
            double[] va = out[1];
            double[] ga = in[0];
            for (int k = from; k < to; k++) {
                double gk = wd == 0 ? ga[k] : ga[k] + wd * pa[k]; // PyTorch adds nothing when wd = 0
                double vk = va[k] * a + (1 - a) * gk * gk;
                va[k] = vk;
                pa[k] = pa[k] + negLr * (gk / (Math.sqrt(vk) + e));
            }
        });
    }
}
