package dev.autodiff.nn.optim;

import dev.autodiff.Tensor;
import java.util.Collection;

/** Gradient clipping. */
public final class Clipping {
    private Clipping() {}

    /**
     * Scales all gradients by maxNorm / (total + 1e-6) when their joint L2 norm exceeds maxNorm, as
     * torch.nn.utils.clip_grad_norm_; returns the norm before clipping.
     */
    public static double clipGradNorm(Collection<Tensor> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be > 0, got " + maxNorm);
        }
        double sq = 0;
        for (Tensor p : params) {
            if (p.grad() != null) {
                for (double g : p.grad().toArray()) {
                    sq += g * g;
                }
            }
        }
        double total = Math.sqrt(sq);
        double scale = maxNorm / (total + 1e-6);
        if (scale < 1) {
            for (Tensor p : params) {
                if (p.grad() != null) {
                    p.setGrad(p.grad().mul(scale)); // replace, never scale in place: gradients may share storage
                }
            }
        }
        return total;
    }
}
