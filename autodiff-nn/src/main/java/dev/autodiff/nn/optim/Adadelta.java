package dev.autodiff.nn.optim;

import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * AdaDelta (Zeiler 2012) as torch.optim.Adadelta: with g = grad + wd p,
 * v = rho v + (1 - rho) g^2, d = sqrt(u + eps) / sqrt(v + eps) g, u = rho u + (1 - rho) d^2, p = p - lr d.
 * The step is the ratio of two running root-mean-squares, of past steps (u) over gradients (v), so it has the units
 * of p and needs no learning rate: lr (1.0 by default, as PyTorch's) only scales it. The first steps are about
 * sqrt(eps / (1 - rho)) long, whatever the gradient, and grow as u does. State "square_avg" is v and "acc_delta"
 * is u, as PyTorch names them; rho is in [0, 1], as PyTorch allows.
 */
public final class Adadelta extends Optimizer {
    private final double rho;
    private final double eps;
    private final double weightDecay;
    private final List<Tensor> squareAvg = new ArrayList<>();
    private final List<Tensor> accDelta = new ArrayList<>();

    /** PyTorch's defaults: lr 1.0, rho 0.9, eps 1e-6, no weight decay. */
    public Adadelta(Collection<Tensor> params) {
        this(params, 1.0);
    }

    public Adadelta(Collection<Tensor> params, double lr) {
        this(params, lr, 0.9, 1e-6, 0);
    }

    public Adadelta(Collection<Tensor> params, double lr, double rho, double eps, double weightDecay) {
        super(Hyper.params("Adadelta", params), lr);
        if (!(rho >= 0 && rho <= 1)) {
            throw new IllegalArgumentException("Adadelta: rho must be in [0, 1], got " + rho);
        }
        this.rho = rho;
        this.eps = Hyper.nonNegative("Adadelta", "eps", eps);
        this.weightDecay = Hyper.nonNegative("Adadelta", "weightDecay", weightDecay);
    }

    @Override
    protected java.util.Map<String, List<Tensor>> slots() {
        return java.util.Map.of("square_avg", squareAvg, "acc_delta", accDelta);
    }

    /**
     * One pass over p, g, v and u per parameter, in PyTorch 1.13's order of operations (its single-tensor Adadelta):
     * g + wd p (only when wd != 0); v = v rho + (1 - rho) g g; d = sqrt(u + eps) / sqrt(v + eps) g;
     * u = u rho + (1 - rho) d d; p += -lr d.
     */
    @Override
    protected void update(int i, Tensor p) {
        double r = rho;
        double e = eps;
        double wd = weightDecay;
        double negLr = -lr;
        InPlace.step("Adadelta", p, new Tensor[] {state(squareAvg, i, p), state(accDelta, i, p)},
                (from, to, out, in) -> {
                    double[] pa = out[0];
                    double[] va = out[1];
                    double[] ua = out[2];
                    double[] ga = in[0];
                    for (int k = from; k < to; k++) {
                        double gk = wd == 0 ? ga[k] : ga[k] + wd * pa[k]; // PyTorch adds nothing when wd = 0
                        double vk = va[k] * r + (1 - r) * gk * gk;
                        double dk = Math.sqrt(ua[k] + e) / Math.sqrt(vk + e) * gk;
                        va[k] = vk;
                        ua[k] = ua[k] * r + (1 - r) * dk * dk;
                        pa[k] = pa[k] + negLr * dk;
                    }
                });
    }
}
