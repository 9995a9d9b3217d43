package dev.autodiff.nn.optim;

import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * SGD as torch.optim.SGD: g = grad + wd p (L2: PyTorch's weight_decay, which has no decoupled form for SGD); with
 * momentum mu, b = g on the first step and b = mu b + g after; the step uses g + mu b (Nesterov) or b;
 * p = p - lr * step.
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

    /**
     * One pass per parameter, in PyTorch 1.13's order of operations: d = g + wd p (only when wd != 0); with
     * momentum, b = d on a parameter's first step and b = mu b + d after, then d = d + mu b (Nesterov) or b;
     * p += -lr d.
     */
    @Override
    protected void update(int i, Tensor p) {
        double wd = weightDecay;
        double mu = momentum;
        double negLr = -lr;
        boolean first = steps(i) == 1;
        boolean nest = nesterov;
        // the float32 forms: the same operations in float32, the hyperparameters rounded to float32 (as PyTorch's
        // float32 kernels take their scalars)
        float wdF = (float) wd;
        float muF = (float) mu;
        float negLrF = (float) negLr;
        if (momentum == 0) {
            InPlace.step("Sgd", p, new Tensor[0], (from, to, out, in) -> {
                double[] pa = out[0];
                double[] ga = in[0];
                for (int k = from; k < to; k++) {
                    double dk = wd == 0 ? ga[k] : ga[k] + wd * pa[k];
                    pa[k] = pa[k] + negLr * dk;
                }
            }, (from, to, out, in) -> {
                float[] pa = out[0];
                float[] ga = in[0];
                for (int k = from; k < to; k++) {
                    float dk = wd == 0 ? ga[k] : ga[k] + wdF * pa[k];
                    pa[k] = pa[k] + negLrF * dk;
                }
            });
            return;
        }
        InPlace.step("Sgd", p, new Tensor[] {state(buffers, i, p)}, (from, to, out, in) -> {
            double[] pa = out[0];
            double[] ba = out[1];
            double[] ga = in[0];
            for (int k = from; k < to; k++) {
                double dk = wd == 0 ? ga[k] : ga[k] + wd * pa[k];
                double bk = first ? dk : ba[k] * mu + dk;
                ba[k] = bk;
                pa[k] = pa[k] + negLr * (nest ? dk + mu * bk : bk);
            }
        }, (from, to, out, in) -> {
            float[] pa = out[0];
            float[] ba = out[1];
            float[] ga = in[0];
            for (int k = from; k < to; k++) {
                float dk = wd == 0 ? ga[k] : ga[k] + wdF * pa[k];
                float bk = first ? dk : ba[k] * muF + dk;
                ba[k] = bk;
                pa[k] = pa[k] + negLrF * (nest ? dk + muF * bk : bk);
            }
        });
    }
}
