package dev.autodiff.nn.attention;

import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Scaled dot-product attention, as torch.nn.functional.scaled_dot_product_attention (PyTorch 2.x; its math
 * reference): {@code softmax(q k^T * scale + mask) v} with scale = 1/sqrt(E) by default, batched over the
 * leading dimensions of q (..., L, E), k (..., S, E) and v (..., S, Ev), which broadcast as in matmul; the
 * output is (..., L, Ev).
 *
 * <p>A query that sees no key (every score -infinity, from masks or causality) gets weights 0 and output 0, as
 * PyTorch's math path since 2.5 ({@code _safe_softmax}); plain softmax, and PyTorch 1.13, give NaN there, which
 * would spread to every gradient through a padded batch. The row maximum is subtracted before exp as a constant
 * (it is 0 for such rows), so the result is exact at any magnitude and the derivatives are softmax's.
 */
public final class Attention {
    private Attention() {
    }

    /** The output and the attention weights softmax(q k^T * scale + mask) after dropout, (..., L, S). */
    public record Result(Tensor output, Tensor weights) {
    }

    /** softmax(q k^T / sqrt(E)) v: no mask, no dropout. */
    public static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v) {
        return scaledDotProduct(q, k, v, null, 0.0, false, null);
    }

    /**
     * As PyTorch's {@code scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)}: mask null or
     * broadcasting to (..., L, S); dropout with probability dropoutP on the weights (inverted: kept weights scaled
     * by 1/(1 - p)), drawn from {@code random}, which may be null only when dropoutP is 0; isCausal only without a
     * mask (PyTorch's rule).
     */
    public static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v, AttentionMask mask, double dropoutP,
            boolean isCausal, SplittableRandom random) {
        return attend(q, k, v, mask, dropoutP, isCausal, Double.NaN, random).output();
    }

    /**
     * The same with the weights as well, and an explicit scale (NaN for 1/sqrt(E), PyTorch's {@code scale=None}).
     */
    public static Result attend(Tensor q, Tensor k, Tensor v, AttentionMask mask, double dropoutP, boolean isCausal,
            double scale, SplittableRandom random) {
        Objects.requireNonNull(q, "scaledDotProduct: q is null");
        Objects.requireNonNull(k, "scaledDotProduct: k is null");
        Objects.requireNonNull(v, "scaledDotProduct: v is null");
        if (q.rank() < 2 || k.rank() < 2 || v.rank() < 2) {
            throw new IllegalArgumentException("scaledDotProduct: q, k, v need rank >= 2 (..., L, E), (..., S, E), (..., S, Ev), got "
                    + shapes(q, k, v));
        }
        if (q.dim(-1) != k.dim(-1) || k.dim(-2) != v.dim(-2)) {
            throw new IllegalArgumentException("scaledDotProduct: need q (..., L, E), k (..., S, E), v (..., S, Ev), got "
                    + shapes(q, k, v));
        }
        if (!(dropoutP >= 0 && dropoutP <= 1)) {
            throw new IllegalArgumentException("scaledDotProduct: need 0 <= dropoutP <= 1, got " + dropoutP);
        }
        if (dropoutP > 0 && random == null) {
            throw new IllegalArgumentException("scaledDotProduct: dropoutP " + dropoutP + " needs a random generator, got null");
        }
        if (isCausal && mask != null) {
            throw new IllegalArgumentException("scaledDotProduct: give either a mask or isCausal, not both (as PyTorch), got "
                    + mask + " and isCausal");
        }
        if (!Double.isNaN(scale) && !Double.isFinite(scale)) {
            throw new IllegalArgumentException("scaledDotProduct: scale must be finite (or NaN for 1/sqrt(E)), got " + scale);
        }
        int l = q.dim(-2);
        int s = k.dim(-2);
        AttentionMask m = isCausal ? AttentionMask.causal(l, s) : mask;
        double c = Double.isNaN(scale) ? 1 / Math.sqrt(q.dim(-1)) : scale;
        Tensor scores = q.matmulTransB(k).mul(c);
        if (m != null) {
            scores = addMask("scaledDotProduct", scores, m.additive());
        }
        Tensor w = dropout(safeSoftmax(scores), dropoutP, random);
        return new Result(w.matmul(v), w);
    }

    /** scores + mask, the mask broadcasting to the scores' shape (it may not enlarge it). */
    static Tensor addMask(String op, Tensor scores, Tensor mask) {
        int[] s = scores.shape();
        int[] m = mask.shape();
        boolean ok = m.length <= s.length;
        for (int i = 1; ok && i <= m.length; i++) {
            int a = m[m.length - i];
            ok = a == 1 || a == s[s.length - i];
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": the mask of shape " + Arrays.toString(m)
                    + " does not broadcast to the scores' shape " + Arrays.toString(s) + " (..., L, S)");
        }
        // in the scores' dtype: the boolean masks and causal masks are float64 constants of 0 and -infinity, exact in
        // either; an additive float64 mask on float32 scores is rounded (PyTorch requires the query's dtype)
        return scores.add(mask.to(scores.dtype()));
    }

    /**
     * softmax along the last axis, with rows that are all -infinity giving 0: exp(x - m) / sum, where m is the row
     * maximum as a constant (0 for a row of -infinity, so exp gives 0 there, not NaN) and a zero sum is replaced by 1.
     */
    static Tensor safeSoftmax(Tensor x) {
        Tensor m = x.detach().max(true, x.rank() - 1);
        m = Tensor.where(m.eq(Double.NEGATIVE_INFINITY), Tensor.scalar(0.0), m);
        Tensor e = x.sub(m).exp();
        Tensor sum = e.sum(true, x.rank() - 1);
        return e.div(Tensor.where(sum.detach().eq(0.0), Tensor.scalar(1.0), sum));
    }

    /** Inverted dropout on the weights: zero with probability p, else scaled by 1/(1 - p); p = 1 zeroes all. */
    static Tensor dropout(Tensor w, double p, SplittableRandom random) {
        if (p == 0) {
            return w;
        }
        double[] mask = new double[w.size()];
        double keep = p == 1 ? 0.0 : 1 / (1 - p);
        synchronized (random) {
            for (int i = 0; i < mask.length; i++) {
                mask[i] = random.nextDouble() < p ? 0.0 : keep;
            }
        }
        return w.mul(Tensor.fromArray(mask, w.shape()).to(w.dtype()));
    }

    private static String shapes(Tensor q, Tensor k, Tensor v) {
        return "q " + Arrays.toString(q.shape()) + ", k " + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape());
    }
}
