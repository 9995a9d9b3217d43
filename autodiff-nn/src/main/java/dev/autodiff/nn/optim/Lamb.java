package dev.autodiff.nn.optim;

import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * LAMB (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes", arXiv 1904.00962v5,
 * Algorithm 2): Adam's step made layer-wise. Per parameter tensor x, m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
 * r = (m / c1) / (sqrt(v / c2) + eps) with c1 = 1 - b1^t and c2 = 1 - b2^t, u = r + wd x, and
 * x = x - lr (||x|| / ||u||) u: the trust ratio ||x|| / ||u|| makes each tensor's step lr times its own size,
 * whatever the scale of its gradient. PyTorch has no LAMB (1.13 or later); the scaling function phi is the identity,
 * as in the paper's experiments, and the rest follows timm's {@code Lamb} (timm.optim.lamb, the NVLAMB variant of
 * NVIDIA apex's FusedLAMB), which the paper leaves open:
 * <ul>
 *   <li>the trust ratio is 1 when ||x|| = 0 or ||u|| = 0 (timm and apex alike): a tensor initialised to zero, such as
 *       a bias, takes a plain Adam step instead of none, and a zero update stays zero instead of 0/0;</li>
 *   <li>weight decay is the paper's: added to the update r, inside the trust ratio (not to the gradient, not
 *       decoupled as AdamW's shrink), 0.01 by default as in timm and apex;</li>
 *   <li>{@code alwaysAdapt} true (the paper's, timm's {@code always_adapt=True}, apex's {@code use_nvlamb=True})
 *       applies the trust ratio to every tensor; false (timm's and apex's default) applies it only when weight
 *       decay is not 0, and without it the step is Adam's with eps outside the square root;</li>
 *   <li>no clipping of the global gradient norm inside the step (timm's {@code max_grad_norm=None}; timm and apex
 *       default to 1.0, dividing all gradients by max(1, norm)): call {@link Clipping#clipGradNorm} before it.</li>
 * </ul>
 * State "exp_avg" is m and "exp_avg_sq" is v, as timm names them; the step count is per parameter, as the others'
 * here (timm counts per group, the same when every parameter has a gradient at every step).
 */
public final class Lamb extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean alwaysAdapt;
    private final List<Tensor> expAvg = new ArrayList<>();
    private final List<Tensor> expAvgSq = new ArrayList<>();

    /**
     * timm's defaults: betas (0.9, 0.999), eps 1e-6, weight decay 0.01. alwaysAdapt is true here and false in timm,
     * which differ only for tensors without weight decay: with 0.01 every tensor is adapted either way.
     */
    public Lamb(Collection<Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-6, 0.01, true);
    }

    public Lamb(Collection<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
                boolean alwaysAdapt) {
        super(Hyper.params("Lamb", params), lr);
        this.beta1 = Hyper.fraction("Lamb", "beta1", beta1);
        this.beta2 = Hyper.fraction("Lamb", "beta2", beta2);
        this.eps = Hyper.nonNegative("Lamb", "eps", eps);
        this.weightDecay = Hyper.nonNegative("Lamb", "weightDecay", weightDecay);
        this.alwaysAdapt = alwaysAdapt;
    }

    @Override
    protected Map<String, List<Tensor>> slots() {
        return Map.of("exp_avg", expAvg, "exp_avg_sq", expAvgSq);
    }

    /**
     * Two passes when the trust ratio is applied, since it needs the whole tensor's norms before any element moves:
     * the first (through InPlace.step, which reads the gradient) updates m and v and sums x^2 and u^2; the second
     * recomputes u from the new m and v and the unchanged x, the same operations on the same numbers so the same bits,
     * and moves x. So x and both slots are read twice and nothing of x's size is allocated, but x's version is bumped
     * twice. Without the ratio, one pass. In timm's order of operations: u = (m / c1) / (sqrt(v) / sqrt(c2) + eps)
     * + wd x (wd x only when wd != 0), x += -lr (u ratio).
     */
    @Override
    protected void update(int i, Tensor p) {
        int t = steps(i);
        double b1 = beta1;
        double b2 = beta2;
        double e = eps;
        double wd = weightDecay;
        double negLr = -lr;
        double c1 = 1 - Math.pow(beta1, t);
        double sqrtC2 = Math.sqrt(1 - Math.pow(beta2, t));
        Tensor m = state(expAvg, i, p);
        Tensor v = state(expAvgSq, i, p);
        if (!alwaysAdapt && wd == 0) {
            InPlace.step("Lamb", p, new Tensor[] {m, v}, (from, to, out, in) -> {
                double[] pa = out[0];
                double[] ma = out[1];
                double[] va = out[2];
                double[] ga = in[0];
                for (int k = from; k < to; k++) {
                    double gk = ga[k];
                    double mk = ma[k] * b1 + (1 - b1) * gk;
                    double vk = va[k] * b2 + (1 - b2) * gk * gk;
                    ma[k] = mk;
                    va[k] = vk;
                    pa[k] = pa[k] + negLr * (mk / c1 / (Math.sqrt(vk) / sqrtC2 + e));
                }
            });
            return;
        }
        SquareSum weightSq = new SquareSum();
        SquareSum updateSq = new SquareSum();
        InPlace.step("Lamb", p, new Tensor[] {m, v}, (from, to, out, in) -> {
            double[] pa = out[0];
            double[] ma = out[1];
            double[] va = out[2];
            double[] ga = in[0];
            SquareSum w = new SquareSum();
            SquareSum u = new SquareSum();
            for (int k = from; k < to; k++) {
                double gk = ga[k];
                double mk = ma[k] * b1 + (1 - b1) * gk;
                double vk = va[k] * b2 + (1 - b2) * gk * gk;
                ma[k] = mk;
                va[k] = vk;
                double uk = mk / c1 / (Math.sqrt(vk) / sqrtC2 + e);
                w.addSquare(pa[k]);
                u.addSquare(wd == 0 ? uk : uk + wd * pa[k]);
            }
            synchronized (weightSq) {
                weightSq.add(w);
                updateSq.add(u);
            }
        });
        double weightNorm;
        double updateNorm;
        synchronized (weightSq) {
            weightNorm = Math.sqrt(weightSq.value());
            updateNorm = Math.sqrt(updateSq.value());
        }
        // 1 when either norm is 0 (timm, apex); NaN compares false, so a NaN norm gives 1 too, as timm's torch.where
        double ratio = weightNorm > 0 && updateNorm > 0 ? weightNorm / updateNorm : 1;
        InPlace.update("Lamb", new Tensor[] {p}, new Tensor[] {m, v}, (from, to, out, in) -> {
            double[] pa = out[0];
            double[] ma = in[0];
            double[] va = in[1];
            for (int k = from; k < to; k++) {
                double uk = ma[k] / c1 / (Math.sqrt(va[k]) / sqrtC2 + e);
                double pk = pa[k];
                pa[k] = pk + negLr * ((wd == 0 ? uk : uk + wd * pk) * ratio);
            }
        });
    }
}
