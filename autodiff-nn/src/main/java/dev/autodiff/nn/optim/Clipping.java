package dev.autodiff.nn.optim;

import dev.autodiff.Tensor;
import java.util.Collection;

/** Gradient clipping. */
public final class Clipping {
    private Clipping() {}

    /**
     * Scales all gradients by maxNorm / (total + 1e-6) when their joint L2 norm exceeds maxNorm, as
     * torch.nn.utils.clip_grad_norm_; returns the norm before clipping. maxNorm = infinity never clips. A NaN
     * norm is returned and the gradients are left as they are (PyTorch multiplies them all by NaN).
     */
    public static double clipGradNorm(Collection<Tensor> params, double maxNorm) {
        java.util.Objects.requireNonNull(params, "clipGradNorm: params is null");
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be > 0, got " + maxNorm);
        }
        int i = 0;
        for (Tensor p : params) {
            if (p == null) {
                throw new NullPointerException("clipGradNorm: parameter " + i + " is null");
            }
            i++;
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
