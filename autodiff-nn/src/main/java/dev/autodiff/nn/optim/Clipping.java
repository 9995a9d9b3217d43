package dev.autodiff.nn.optim;

import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Gradient clipping, as torch.nn.utils: by the joint norm of all gradients ({@link #clipGradNorm}) or by value
 * ({@link #clipGradValue}). Parameters without a gradient are skipped. The gradients are read and rewritten through
 * {@link InPlace#readGrad} and {@link InPlace#updateGrad}: in place while a gradient's buffer is private to its
 * parameter (so the next backward reuses it, as after an optimizer step), into a copy when someone holds the gradient
 * tensor or it is shared (add hands both inputs the same tensor), which then never changes. The parameters' versions
 * are untouched. A tensor listed twice (a tied weight, as Module.parameters() lists it) is clipped once. A gradient that carries a graph (backward with createGraph) is replaced by an op on it instead, so
 * clipping stays differentiable.
 */
public final class Clipping {
    private Clipping() {}

    /** {@link #clipGradNorm(Collection, double, double)} with the L2 norm, PyTorch's default. */
    public static double clipGradNorm(Collection<Tensor> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2);
    }

    /**
     * Scales all gradients by maxNorm / (total + 1e-6) when their joint norm {@code total} exceeds maxNorm, as
     * torch.nn.utils.clip_grad_norm_; returns the norm before clipping. The norm is over all gradients' elements
     * together: (sum |g|^p)^(1/p) for {@code normType} p > 0 (2 by default, 1, or any other), max |g| for p =
     * infinity. maxNorm = infinity never clips. A NaN norm is returned and the gradients are left as they are
     * (PyTorch multiplies them all by NaN); an infinite one scales them all by 0 (the infinite ones become NaN), as
     * PyTorch. With no gradient at all the norm is 0.
     */
    public static double clipGradNorm(Collection<Tensor> given, double maxNorm, double normType) {
        List<Tensor> params = distinct("clipGradNorm", given);
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be > 0, got " + maxNorm);
        }
        if (!(normType > 0)) {
            throw new IllegalArgumentException("clipGradNorm: normType must be > 0 (2 for L2, 1, Infinity for the max),"
                    + " got " + normType);
        }
        double total = normType == Double.POSITIVE_INFINITY ? 0 : sumOfPowers(params, normType);
        if (normType == Double.POSITIVE_INFINITY) {
            double[] max = {0};
            for (Tensor p : params) {
                if (p.hasGrad()) {
                    InPlace.readGrad("clipGradNorm", p, (from, to, out, in) -> {
                        for (int i = from; i < to; i++) {
                            max[0] = Math.max(max[0], Math.abs(in[0][i])); // Math.max propagates NaN, as torch's max
                        }
                    });
                }
            }
            total = max[0];
        } else {
            total = normType == 2 ? Math.sqrt(total) : normType == 1 ? total : Math.pow(total, 1 / normType);
        }
        double scale = maxNorm / (total + 1e-6);
        if (scale < 1) {
            for (Tensor p : params) {
                if (InPlace.gradCarriesGraph(p)) {
                    p.setGrad(p.grad().mul(scale));
                } else if (p.hasGrad()) {
                    InPlace.updateGrad("clipGradNorm", p, (from, to, out, in) -> {
                        double[] g = out[0];
                        for (int i = from; i < to; i++) {
                            g[i] *= scale;
                        }
                    });
                }
            }
        }
        return total;
    }

    /** sum |g|^p over every gradient's elements; g g for p = 2 and |g| for p = 1, without pow. */
    private static double sumOfPowers(List<Tensor> params, double p) {
        double[] s = {0};
        for (Tensor t : params) {
            if (t.hasGrad()) {
                InPlace.readGrad("clipGradNorm", t, (from, to, out, in) -> {
                    for (int i = from; i < to; i++) { // one pass in element order, on this thread
                        double g = in[0][i];
                        s[0] += p == 2 ? g * g : p == 1 ? Math.abs(g) : Math.pow(Math.abs(g), p);
                    }
                });
            }
        }
        return s[0];
    }

    /**
     * Limits every gradient element to [-clipValue, clipValue], as torch.nn.utils.clip_grad_value_ (NaN stays NaN).
     * clipValue = 0 zeroes the gradients; infinity leaves them as they are.
     */
    public static void clipGradValue(Collection<Tensor> given, double clipValue) {
        List<Tensor> params = distinct("clipGradValue", given);
        if (!(clipValue >= 0)) {
            throw new IllegalArgumentException("clipGradValue: clipValue must be >= 0 (gradients are limited to "
                    + "[-clipValue, clipValue]), got " + clipValue);
        }
        if (clipValue == Double.POSITIVE_INFINITY) {
            return;
        }
        for (Tensor p : params) {
            if (InPlace.gradCarriesGraph(p)) {
                p.setGrad(p.grad().clamp(-clipValue, clipValue));
            } else if (p.hasGrad()) {
                InPlace.updateGrad("clipGradValue", p, (from, to, out, in) -> {
                    double[] g = out[0];
                    for (int i = from; i < to; i++) {
                        g[i] = g[i] < -clipValue ? -clipValue : g[i] > clipValue ? clipValue : g[i]; // NaN stays NaN
                    }
                });
            }
        }
    }

    /**
     * The parameters, each once: a weight tied in two places is listed under both paths by Module.parameters(), and
     * counted twice it would enter the norm twice and be scaled twice (PyTorch's parameters() yields it once).
     */
    private static List<Tensor> distinct(String op, Collection<Tensor> params) {
        Objects.requireNonNull(params, op + ": params is null");
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> out = new ArrayList<>();
        int i = 0;
        for (Tensor p : params) {
            if (p == null) {
                throw new NullPointerException(op + ": parameter " + i + " is null");
            }
            if (seen.add(p)) {
                out.add(p);
            }
            i++;
        }
        return out;
    }
}
