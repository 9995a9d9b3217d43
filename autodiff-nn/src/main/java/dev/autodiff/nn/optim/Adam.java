package dev.autodiff.nn.optim;

import dev.autodiff.InPlace;
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

    /**
     * One pass over p, g, m and v per parameter, in PyTorch 1.13's order of operations (its single-tensor Adam):
     * g + wd p (L2, only when wd != 0) or p *= 1 - lr wd (decoupled); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g;
     * p += -(lr / c1) m / (sqrt(v) / sqrt(c2) + eps) with c1 = 1 - b1^t, c2 = 1 - b2^t, except that sqrt(v) is
     * multiplied by 1 / sqrt(c2) (within an ulp of PyTorch's division): the loop is bound by its divisions and square
     * roots, and one division fewer makes it 1.3x faster (OptimizerBenchmark).
     */
    @Override
    protected void update(int i, Tensor p) {
        int t = steps(i);
        double b1 = beta1;
        double b2 = beta2;
        double e = eps;
        double l2 = decoupled ? 0 : weightDecay;
        double shrink = decoupled ? 1 - lr * weightDecay : 1;
        double negStep = -lr / (1 - Math.pow(beta1, t));
        double invSqrtC2 = 1 / Math.sqrt(1 - Math.pow(beta2, t));
        float b1F = (float) b1;
        float b2F = (float) b2;
        float oneMinusB1 = (float) (1 - b1);
        float oneMinusB2 = (float) (1 - b2);
        float eF = (float) e;
        float l2F = (float) l2;
        float shrinkF = (float) shrink;
        float negStepF = (float) negStep;
        float invSqrtC2F = (float) invSqrtC2;
        InPlace.step(decoupled ? "AdamW" : "Adam", p, new Tensor[] {state(m, i, p), state(v, i, p)},
                (from, to, out, in) -> {
                    double[] pa = out[0];
                    double[] ma = out[1];
                    double[] va = out[2];
                    double[] ga = in[0];
                    for (int k = from; k < to; k++) {
                        double gk = l2 == 0 ? ga[k] : ga[k] + l2 * pa[k]; // PyTorch adds nothing when wd = 0
                        double pk = pa[k] * shrink;
                        double mk = ma[k] * b1 + (1 - b1) * gk;
                        double vk = va[k] * b2 + (1 - b2) * gk * gk;
                        ma[k] = mk;
                        va[k] = vk;
                        pa[k] = pk + negStep * (mk / (Math.sqrt(vk) * invSqrtC2 + e));
                    }
                }, (from, to, out, in) -> {
                    // the same in float32, the scalars rounded to float32 (PyTorch's float32 Adam computes in float)
                    float[] pa = out[0];
                    float[] ma = out[1];
                    float[] va = out[2];
                    float[] ga = in[0];
                    for (int k = from; k < to; k++) {
                        float gk = l2 == 0 ? ga[k] : ga[k] + l2F * pa[k];
                        float pk = pa[k] * shrinkF;
                        float mk = ma[k] * b1F + oneMinusB1 * gk;
                        float vk = va[k] * b2F + oneMinusB2 * gk * gk;
                        ma[k] = mk;
                        va[k] = vk;
                        pa[k] = pk + negStepF * (mk / ((float) Math.sqrt(vk) * invSqrtC2F + eF));
                    }
                });
    }
}
