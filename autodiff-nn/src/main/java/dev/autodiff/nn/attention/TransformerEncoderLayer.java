package dev.autodiff.nn.attention;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Activations;
import dev.autodiff.nn.Dropout;
import dev.autodiff.nn.LayerNorm;
import dev.autodiff.nn.Module;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * As torch.nn.TransformerEncoderLayer (1.13): self-attention and a feed-forward block linear2(dropout(act(linear1 x))),
 * each with dropout and a residual connection, normalised after (post-norm, the default:
 * x = norm1(x + sa(x)); x = norm2(x + ff(x))) or before (normFirst: x = x + sa(norm1 x); x = x + ff(norm2 x)).
 * Parameters by PyTorch's names and layouts: self_attn.in_proj_weight, ..., linear1.weight (dim_feedforward, d_model),
 * linear1.bias, linear2.weight, linear2.bias, norm1.weight, norm1.bias, norm2.weight, norm2.bias. Input (S, N, E), or
 * (N, S, E) batch first, or unbatched (S, E).
 */
public final class TransformerEncoderLayer extends Module {
    private final int dModel;
    private final int nhead;
    private final int dimFeedforward;
    private final String activationName;
    private final boolean normFirst;
    private final MultiheadAttention selfAttn;
    private final Projection linear1;
    private final Dropout dropout;
    private final Projection linear2;
    private final LayerNorm norm1;
    private final LayerNorm norm2;
    private final Dropout dropout1;
    private final Dropout dropout2;
    private final UnaryOperator<Tensor> activation;

    /** PyTorch's defaults: dim_feedforward 2048, dropout 0.1, relu, eps 1e-5, sequence first, post-norm. */
    public TransformerEncoderLayer(int dModel, int nhead, long seed) {
        this(dModel, nhead, 2048, 0.1, "relu", 1e-5, false, false, seed);
    }

    /** PyTorch's arguments in its order; activation "relu" or "gelu" (exact, erf); seed for every initialiser and dropout. */
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, String activation, double layerNormEps,
            boolean batchFirst, boolean normFirst, long seed) {
        if (dimFeedforward <= 0) {
            throw new IllegalArgumentException("TransformerEncoderLayer: need dimFeedforward > 0, got " + dimFeedforward);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("TransformerEncoderLayer: need 0 <= dropout <= 1, got " + dropout);
        }
        this.activation = activation("TransformerEncoderLayer", activation);
        this.dModel = dModel;
        this.nhead = nhead;
        this.dimFeedforward = dimFeedforward;
        this.activationName = activation;
        this.normFirst = normFirst;
        selfAttn = child("self_attn", new MultiheadAttention(dModel, nhead, dropout, true, dModel, dModel, batchFirst, seed));
        linear1 = child("linear1", new Projection("TransformerEncoderLayer", dModel, dimFeedforward, true, seed + 10));
        this.dropout = child("dropout", new Dropout(dropout, seed + 20));
        linear2 = child("linear2", new Projection("TransformerEncoderLayer", dimFeedforward, dModel, true, seed + 30));
        norm1 = child("norm1", new LayerNorm(new int[] {dModel}, layerNormEps));
        norm2 = child("norm2", new LayerNorm(new int[] {dModel}, layerNormEps));
        dropout1 = child("dropout1", new Dropout(dropout, seed + 40));
        dropout2 = child("dropout2", new Dropout(dropout, seed + 50));
    }

    /** relu or the exact gelu, by PyTorch's names. */
    static UnaryOperator<Tensor> activation(String layer, String name) {
        if ("relu".equals(name)) {
            return Activations::relu;
        }
        if ("gelu".equals(name)) {
            return Activations::gelu;
        }
        throw new IllegalArgumentException(layer + ": activation should be relu or gelu, got " + name);
    }

    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null);
    }

    /** PyTorch's {@code forward(src, src_mask, src_key_padding_mask)}; either mask may be null. */
    public Tensor forward(Tensor src, AttentionMask srcMask, AttentionMask srcKeyPaddingMask) {
        Objects.requireNonNull(src, () -> describe() + ": src is null");
        if ((src.rank() != 2 && src.rank() != 3) || src.dim(-1) != dModel) {
            throw new IllegalArgumentException(describe() + ": src must be (S, N, " + dModel + "), (N, S, " + dModel
                    + ") batch first or (S, " + dModel + "), got " + java.util.Arrays.toString(src.shape()));
        }
        Tensor x = src;
        if (normFirst) {
            x = x.add(selfAttention(norm1.forward(x), srcMask, srcKeyPaddingMask));
            x = x.add(feedForward(norm2.forward(x)));
        } else {
            x = norm1.forward(x.add(selfAttention(x, srcMask, srcKeyPaddingMask)));
            x = norm2.forward(x.add(feedForward(x)));
        }
        return x;
    }

    private Tensor selfAttention(Tensor x, AttentionMask mask, AttentionMask keyPadding) {
        return dropout1.forward(selfAttn.forward(x, x, x, keyPadding, false, mask, true).output());
    }

    private Tensor feedForward(Tensor x) {
        return dropout2.forward(linear2.forward(dropout.forward(activation.apply(linear1.forward(x)))));
    }

    public MultiheadAttention selfAttn() {
        return selfAttn;
    }

    @Override
    public String describe() {
        return "TransformerEncoderLayer(" + dModel + ", nhead=" + nhead + ", dimFeedforward=" + dimFeedforward + ", "
                + activationName + (normFirst ? ", normFirst" : "") + ")";
    }
}
