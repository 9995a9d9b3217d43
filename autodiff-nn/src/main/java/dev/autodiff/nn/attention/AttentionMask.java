package dev.autodiff.nn.attention;

import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Which query-key pairs take part in attention, stated with its convention, since a tensor here has no boolean
 * dtype and PyTorch's two boolean conventions are opposite: {@link #allowed} is scaled_dot_product_attention's
 * boolean attn_mask (true: takes part), {@link #blocked} is MultiheadAttention's and the Transformer layers'
 * boolean attn_mask and key_padding_mask (true: masked out), {@link #additive} is a float mask added to the
 * scores (0 keeps, -infinity removes, anything else biases). Every form becomes an additive mask; the boolean
 * ones are constants (0 or -infinity), the additive one is used as given, so a mask that needs grad gets one.
 */
public final class AttentionMask {
    private final Tensor additive;
    private final String kind;

    private AttentionMask(Tensor additive, String kind) {
        this.additive = additive;
        this.kind = kind;
    }

    /** Nonzero entries take part, zeros do not (scaled_dot_product_attention's boolean attn_mask). */
    public static AttentionMask allowed(Tensor mask) {
        Objects.requireNonNull(mask, "AttentionMask.allowed: mask is null");
        return new AttentionMask(Tensor.where(mask.detach(), Tensor.scalar(0.0), Tensor.scalar(Double.NEGATIVE_INFINITY)),
                "allowed");
    }

    /** Nonzero entries are masked out (MultiheadAttention's boolean attn_mask and key_padding_mask: true ignores). */
    public static AttentionMask blocked(Tensor mask) {
        Objects.requireNonNull(mask, "AttentionMask.blocked: mask is null");
        return new AttentionMask(Tensor.where(mask.detach(), Tensor.scalar(Double.NEGATIVE_INFINITY), Tensor.scalar(0.0)),
                "blocked");
    }

    /** Added to the scores q k^T * scale before the softmax (PyTorch's float masks). */
    public static AttentionMask additive(Tensor mask) {
        Objects.requireNonNull(mask, "AttentionMask.additive: mask is null");
        return new AttentionMask(mask, "additive");
    }

    /**
     * Query i sees keys j <= i, aligned at the top left as PyTorch's is_causal (torch.ones(L, S).tril()); the same as
     * nn.Transformer.generate_square_subsequent_mask for L = S.
     */
    public static AttentionMask causal(int queries, int keys) {
        if (queries < 0 || keys < 0) {
            throw new IllegalArgumentException("AttentionMask.causal: need sizes >= 0, got L " + queries + ", S " + keys);
        }
        double[] v = new double[queries * keys];
        for (int i = 0; i < queries; i++) {
            for (int j = i + 1; j < keys; j++) {
                v[i * keys + j] = Double.NEGATIVE_INFINITY;
            }
        }
        return new AttentionMask(Tensor.fromArray(v, queries, keys), "causal");
    }

    /** The mask as the tensor added to the scores: 0 keeps, -infinity removes. */
    public Tensor additive() {
        return additive;
    }

    /** Both masks at once: a pair takes part when both let it (their additive forms summed). */
    public AttentionMask and(AttentionMask other) {
        Objects.requireNonNull(other, "AttentionMask.and: other is null");
        return new AttentionMask(additive.add(other.additive), kind + "+" + other.kind);
    }

    /** The same mask with another shape of the same elements (to line up batch and head axes). */
    AttentionMask reshape(int... shape) {
        return new AttentionMask(additive.reshape(shape), kind);
    }

    int[] shape() {
        return additive.shape();
    }

    @Override
    public String toString() {
        return "AttentionMask(" + kind + ", " + Arrays.toString(additive.shape()) + ")";
    }
}
