package dev.autodiff.nn.optim;

import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * RAdam (Liu et al. 2019, rectified Adam) as torch.optim.RAdam: with g = grad + wd p, m = b1 m + (1 - b1) g,
 * v = b2 v + (1 - b2) g^2. Adam's adaptive step 1 / sqrt(v / c2) has a variance that is unbounded in the first
 * steps; RAdam estimates the length of the average v stands for, rho_t = rho_inf - 2 t b2^t / c2 with
 * rho_inf = 2 / (1 - b2) - 1 and c2 = 1 - b2^t, and only when rho_t > 5 (the variance is finite and tractable)
 * takes the adaptive step scaled by the rectification r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf /
 * ((rho_inf - 4)(rho_inf - 2) rho_t)): p = p - lr (m / c1) r_t sqrt(c2) / (sqrt(v) + eps); before that it takes a
 * momentum step p = p - lr m / c1 (c1 = 1 - b1^t). With b2 = 0.999 the first five steps are momentum steps.
 *
 * <p>Weight decay is L2 (added to the gradient) only: 1.13 has no decoupled form for RAdam (2.1 added
 * {@code decoupled_weight_decay}). State "exp_avg" is m and "exp_avg_sq" is v, as PyTorch names them.
 */
public final class RAdam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final List<Tensor> expAvg = new ArrayList<>();
    private final List<Tensor> expAvgSq = new ArrayList<>();

    /** PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public RAdam(Collection<Tensor> params) {
        this(params, 1e-3);
    }

    public RAdam(Collection<Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0);
    }

    public RAdam(Collection<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(Hyper.params("RAdam", params), lr);
        this.beta1 = Hyper.fraction("RAdam", "beta1", beta1);
        this.beta2 = Hyper.fraction("RAdam", "beta2", beta2);
        this.eps = Hyper.nonNegative("RAdam", "eps", eps);
        this.weightDecay = Hyper.nonNegative("RAdam", "weightDecay", weightDecay);
    }

    @Override
    protected Map<String, List<Tensor>> slots() {
        return Map.of("exp_avg", expAvg, "exp_avg_sq", expAvgSq);
    }

    /**
     * One pass over p, g, m and v per parameter, in PyTorch 1.13's order of operations (its single-tensor RAdam):
     * g + wd p (only when wd != 0); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g; then, when rho_t > 5,
     * p -= (m / c1) lr (sqrt(c2) / (sqrt(v) + eps)) r_t, else p -= (m / c1) lr. For b2 &lt; 0.6, rho_inf &lt; 4
     * and rho_t &lt;= rho_inf never passes 5, so r_t's square root never sees a negative number.
     */
    @Override
    protected void update(int i, Tensor p) {
        int t = steps(i);
        double b1 = beta1;
        double b2 = beta2;
        double e = eps;
        double wd = weightDecay;
        double l = lr;
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        double rhoInf = 2 / (1 - beta2) - 1;
        double rhoT = rhoInf - 2 * t * Math.pow(beta2, t) / c2;
        boolean rectified = rhoT > 5;
        double rect = rectified ? Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
        double sqrtC2 = Math.sqrt(c2);
        InPlace.step("RAdam", p, new Tensor[] {state(expAvg, i, p), state(expAvgSq, i, p)}, (from, to, out, in) -> {
            double[] pa = out[0];
            double[] ma = out[1];
            double[] va = out[2];
            double[] ga = in[0];
            for (int k = from; k < to; k++) {
                double gk = wd == 0 ? ga[k] : ga[k] + wd * pa[k]; // PyTorch adds nothing when wd = 0
                double mk = ma[k] * b1 + (1 - b1) * gk;
                double vk = va[k] * b2 + (1 - b2) * gk * gk;
                ma[k] = mk;
                va[k] = vk;
                pa[k] = rectified ? pa[k] - mk / c1 * l * (sqrtC2 / (Math.sqrt(vk) + e)) * rect : pa[k] - mk / c1 * l;
            }
        });
    }
}
