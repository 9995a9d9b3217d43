package dev.autodiff.nn.attention;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Dropout;
import dev.autodiff.nn.LayerNorm;
import dev.autodiff.nn.Module;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * As torch.nn.TransformerDecoderLayer (1.13): self-attention over the target, attention from the target to the
 * encoder's output (memory), and the feed-forward block, each with dropout and a residual connection; post-norm
 * (x = norm1(x + sa(x)); x = norm2(x + mha(x, memory)); x = norm3(x + ff(x))) or normFirst
 * (x = x + sa(norm1 x); x = x + mha(norm2 x, memory); x = x + ff(norm3 x)). Parameters by PyTorch's names: self_attn.*,
 * multihead_attn.*, linear1.*, linear2.*, norm1.*, norm2.*, norm3.*. tgt (T, N, E), memory (S, N, E), or batch first,
 * or unbatched.
 */
public final class TransformerDecoderLayer extends Module {
    private final int dModel;
    private final int nhead;
    private final int dimFeedforward;
    private final String activationName;
    private final boolean normFirst;
    private final MultiheadAttention selfAttn;
    private final MultiheadAttention multiheadAttn;
    private final Projection linear1;
    private final Dropout dropout;
    private final Projection linear2;
    private final LayerNorm norm1;
    private final LayerNorm norm2;
    private final LayerNorm norm3;
    private final Dropout dropout1;
    private final Dropout dropout2;
    private final Dropout dropout3;
    private final UnaryOperator<Tensor> activation;

    /** PyTorch's defaults: dim_feedforward 2048, dropout 0.1, relu, eps 1e-5, sequence first, post-norm. */
    public TransformerDecoderLayer(int dModel, int nhead, long seed) {
        this(dModel, nhead, 2048, 0.1, "relu", 1e-5, false, false, seed);
    }

    /** PyTorch's arguments in its order; activation "relu" or "gelu" (exact, erf); seed for every initialiser and dropout. */
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, String activation, double layerNormEps,
            boolean batchFirst, boolean normFirst, long seed) {
        if (dimFeedforward <= 0) {
            throw new IllegalArgumentException("TransformerDecoderLayer: need dimFeedforward > 0, got " + dimFeedforward);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("TransformerDecoderLayer: need 0 <= dropout <= 1, got " + dropout);
        }
        this.activation = TransformerEncoderLayer.activation("TransformerDecoderLayer", activation);
        this.dModel = dModel;
        this.nhead = nhead;
        this.dimFeedforward = dimFeedforward;
        this.activationName = activation;
        this.normFirst = normFirst;
        selfAttn = child("self_attn", new MultiheadAttention(dModel, nhead, dropout, true, dModel, dModel, batchFirst, seed));
        multiheadAttn = child("multihead_attn", new MultiheadAttention(dModel, nhead, dropout, true, dModel, dModel, batchFirst,
                seed + 5));
        linear1 = child("linear1", new Projection("TransformerDecoderLayer", dModel, dimFeedforward, true, seed + 10));
        this.dropout = child("dropout", new Dropout(dropout, seed + 20));
        linear2 = child("linear2", new Projection("TransformerDecoderLayer", dimFeedforward, dModel, true, seed + 30));
        norm1 = child("norm1", new LayerNorm(new int[] {dModel}, layerNormEps));
        norm2 = child("norm2", new LayerNorm(new int[] {dModel}, layerNormEps));
        norm3 = child("norm3", new LayerNorm(new int[] {dModel}, layerNormEps));
        dropout1 = child("dropout1", new Dropout(dropout, seed + 40));
        dropout2 = child("dropout2", new Dropout(dropout, seed + 50));
        dropout3 = child("dropout3", new Dropout(dropout, seed + 60));
    }

    /** A decoder layer needs the encoder's output: use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor tgt) {
        throw new UnsupportedOperationException(describe() + ": needs the memory as well: use forward(tgt, memory)");
    }

    public Tensor forward(Tensor tgt, Tensor memory) {
        return forward(tgt, memory, null, null, null, null);
    }

    /**
     * PyTorch's {@code forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)};
     * any mask may be null.
     */
    public Tensor forward(Tensor tgt, Tensor memory, AttentionMask tgtMask, AttentionMask memoryMask,
            AttentionMask tgtKeyPaddingMask, AttentionMask memoryKeyPaddingMask) {
        Objects.requireNonNull(tgt, () -> describe() + ": tgt is null");
        Objects.requireNonNull(memory, () -> describe() + ": memory is null");
        if ((tgt.rank() != 2 && tgt.rank() != 3) || tgt.dim(-1) != dModel || memory.rank() != tgt.rank() || memory.dim(-1) != dModel) {
            throw new IllegalArgumentException(describe() + ": tgt and memory must both be (T, N, " + dModel + "), (N, T, " + dModel
                    + ") batch first or (T, " + dModel + "), got tgt " + java.util.Arrays.toString(tgt.shape()) + ", memory "
                    + java.util.Arrays.toString(memory.shape()));
        }
        Tensor x = tgt;
        if (normFirst) {
            x = x.add(selfAttention(norm1.forward(x), tgtMask, tgtKeyPaddingMask));
            x = x.add(crossAttention(norm2.forward(x), memory, memoryMask, memoryKeyPaddingMask));
            x = x.add(feedForward(norm3.forward(x)));
        } else {
            x = norm1.forward(x.add(selfAttention(x, tgtMask, tgtKeyPaddingMask)));
            x = norm2.forward(x.add(crossAttention(x, memory, memoryMask, memoryKeyPaddingMask)));
            x = norm3.forward(x.add(feedForward(x)));
        }
        return x;
    }

    private Tensor selfAttention(Tensor x, AttentionMask mask, AttentionMask keyPadding) {
        return dropout1.forward(selfAttn.forward(x, x, x, keyPadding, false, mask, true).output());
    }

    private Tensor crossAttention(Tensor x, Tensor memory, AttentionMask mask, AttentionMask keyPadding) {
        return dropout2.forward(multiheadAttn.forward(x, memory, memory, keyPadding, false, mask, true).output());
    }

    private Tensor feedForward(Tensor x) {
        return dropout3.forward(linear2.forward(dropout.forward(activation.apply(linear1.forward(x)))));
    }

    @Override
    public String describe() {
        return "TransformerDecoderLayer(" + dModel + ", nhead=" + nhead + ", dimFeedforward=" + dimFeedforward + ", "
                + activationName + (normFirst ? ", normFirst" : "") + ")";
    }
}
