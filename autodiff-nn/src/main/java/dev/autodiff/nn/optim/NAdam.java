package dev.autodiff.nn.optim;

import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * NAdam (Dozat 2016, Adam with Nesterov momentum) as torch.optim.NAdam: with g = grad + wd p and the momentum
 * schedule mu_t = b1 (1 - 0.5 * 0.96^(t psi)) (psi = momentum_decay, 4e-3 by default),
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, and
 * p = p - lr [(1 - mu_t) g / (1 - prod_{i<=t} mu_i) + mu_{t+1} m / (1 - prod_{i<=t+1} mu_i)] / (sqrt(v / (1 - b2^t)) + eps).
 * The first term is the gradient's share of the Nesterov look-ahead, the second the momentum's, each bias-corrected
 * by the product of the schedule so far, kept in state "mu_product" (prod_{i<=t} mu_i, one number per parameter, as
 * PyTorch's 0-dim tensor; PyTorch keeps it in the default dtype, here in its parameter's dtype, as every slot).
 *
 * <p>The denominator prod_{i<=t+1} mu_i is PyTorch's documented formula, its 1.13 multi-tensor path
 * ({@code foreach=True}) and every release from 2.0 on; 1.13's default single-tensor path multiplied mu_t in twice
 * (pytorch/pytorch#92699, a bug fix), so this NAdam matches 1.13 with {@code foreach=True}, not its default.
 * Weight decay is L2 (added to the gradient) only: 1.13 has no decoupled form for NAdam (2.1 added
 * {@code decoupled_weight_decay}); use AdamW for decoupled decay. State "exp_avg" is m and "exp_avg_sq" is v.
 */
public final class NAdam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final double momentumDecay;
    private final List<Tensor> expAvg = new ArrayList<>();
    private final List<Tensor> expAvgSq = new ArrayList<>();
    private final List<Tensor> muProduct = new ArrayList<>();

    /** PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, no weight decay, momentum_decay 4e-3. */
    public NAdam(Collection<Tensor> params) {
        this(params, 2e-3);
    }

    public NAdam(Collection<Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, 4e-3);
    }

    public NAdam(Collection<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
                 double momentumDecay) {
        super(Hyper.params("NAdam", params), lr);
        this.beta1 = Hyper.fraction("NAdam", "beta1", beta1);
        this.beta2 = Hyper.fraction("NAdam", "beta2", beta2);
        this.eps = Hyper.nonNegative("NAdam", "eps", eps);
        this.weightDecay = Hyper.nonNegative("NAdam", "weightDecay", weightDecay);
        this.momentumDecay = Hyper.nonNegative("NAdam", "momentumDecay", momentumDecay);
    }

    @Override
    protected Map<String, List<Tensor>> slots() {
        return Map.of("exp_avg", expAvg, "exp_avg_sq", expAvgSq, "mu_product", muProduct);
    }

    @Override
    protected int[] slotShape(String slot, int i) {
        return slot.equals("mu_product") ? new int[0] : super.slotShape(slot, i);
    }

    /**
     * One pass over p, g, m and v per parameter, in PyTorch's order of operations: g + wd p (only when wd != 0);
     * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g; d = sqrt(v) / sqrt(c2) + eps with c2 = 1 - b2^t;
     * p += a g / d, then p += b m / d, with a = -lr (1 - mu_t) / (1 - prod_t) and b = -lr mu_{t+1} / (1 - prod_{t+1}).
     * As in Adam, sqrt(v) is multiplied by 1 / sqrt(c2) (within an ulp of the division).
     */
    @Override
    protected void update(int i, Tensor p) {
        int t = steps(i);
        double b1 = beta1;
        double b2 = beta2;
        double e = eps;
        double wd = weightDecay;
        double mu = beta1 * (1 - 0.5 * Math.pow(0.96, t * momentumDecay));
        double muNext = beta1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * momentumDecay));
        Tensor m = state(expAvg, i, p);
        Tensor v = state(expAvgSq, i, p);
        Tensor product = muProductOf(i, p);
        double prod = product.item() * mu;        // prod_{i<=t} mu_i
        double prodNext = prod * muNext;           // prod_{i<=t+1} mu_i
        double a = -lr * (1 - mu) / (1 - prod);
        double b = -lr * muNext / (1 - prodNext);
        double invSqrtC2 = 1 / Math.sqrt(1 - Math.pow(beta2, t));
        InPlace.step("NAdam", p, new Tensor[] {m, v}, (from, to, out, in) -> {
            double[] pa = out[0];
            double[] ma = out[1];
            double[] va = out[2];
            double[] ga = in[0];
            for (int k = from; k < to; k++) {
                double gk = wd == 0 ? ga[k] : ga[k] + wd * pa[k]; // PyTorch adds nothing when wd = 0
                double mk = ma[k] * b1 + (1 - b1) * gk;
                double vk = va[k] * b2 + (1 - b2) * gk * gk;
                double dk = Math.sqrt(vk) * invSqrtC2 + e;
                ma[k] = mk;
                va[k] = vk;
                pa[k] = pa[k] + a * (gk / dk) + b * (mk / dk);
            }
        });
        InPlace.update("NAdam", new Tensor[] {product}, new Tensor[0], (from, to, out, in) -> out[0][0] = prod);
    }

    /** Parameter i's mu_product (0-dim), 1 (the empty product) before its first step; created with its other slots. */
    private Tensor muProductOf(int i, Tensor p) {
        return scalarState(muProduct, i, p, 1.0);
    }
}
