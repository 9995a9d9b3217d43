package dev.autodiff.nn.attention;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * As torch.nn.MultiheadAttention (1.13): q, k, v = the inputs projected by in_proj_weight (3E, E) and in_proj_bias
 * (3E) (or q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim) when kdim or vdim differ from E),
 * split into numHeads heads of E / numHeads; per head softmax(q k^T / sqrt(E / numHeads) + mask) v, with dropout on
 * the weights while training; the heads concatenated and projected by out_proj (weight (E, E), bias (E)). Parameter
 * names, layouts, order and initialisation are PyTorch's (in_proj_weight Xavier-uniform, biases 0, out_proj.weight
 * uniform +-1/sqrt(E)), so a state_dict copies in by name.
 *
 * <p>Shapes: query (L, N, E), key (S, N, kdim), value (S, N, vdim), or batch first (N, L, E) ..., or unbatched
 * (L, E) ...; output as the query. key_padding_mask (N, S) or (S), attn_mask (L, S) or (N * numHeads, L, S), each an
 * {@link AttentionMask} ({@link AttentionMask#blocked} for PyTorch's boolean masks, where true ignores). The weights
 * returned with needWeights are after dropout and, with averageAttnWeights, the mean over heads (N, L, S), else
 * (N, numHeads, L, S), as 1.13's. A query whose every key is masked gets zeros where 1.13 gives NaN (see
 * {@link Attention}). Not here: add_bias_kv, add_zero_attn.
 */
public final class MultiheadAttention extends Module {
    private final int embedDim;
    private final int numHeads;
    private final int kdim;
    private final int vdim;
    private final double dropout;
    private final boolean batchFirst;
    private final Tensor inProjWeight;
    private final Tensor qProjWeight;
    private final Tensor kProjWeight;
    private final Tensor vProjWeight;
    private final Tensor inProjBias;
    private final Projection outProj;
    private final SplittableRandom random;

    public MultiheadAttention(int embedDim, int numHeads, long seed) {
        this(embedDim, numHeads, 0.0, true, embedDim, embedDim, false, seed);
    }

    public MultiheadAttention(int embedDim, int numHeads, double dropout, boolean bias, int kdim, int vdim, boolean batchFirst,
            long seed) {
        if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: need embedDim > 0 divisible by numHeads > 0, got embedDim "
                    + embedDim + ", numHeads " + numHeads);
        }
        if (kdim <= 0 || vdim <= 0) {
            throw new IllegalArgumentException("MultiheadAttention: need kdim, vdim > 0, got " + kdim + ", " + vdim);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("MultiheadAttention: need 0 <= dropout <= 1, got " + dropout);
        }
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.kdim = kdim;
        this.vdim = vdim;
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        // xavier_uniform_ on each weight as PyTorch: fan_in = its columns, fan_out = its rows
        if (kdim == embedDim && vdim == embedDim) {
            inProjWeight = param("in_proj_weight", Init.xavierUniform(seed, embedDim, 3 * embedDim, 3 * embedDim, embedDim));
            qProjWeight = kProjWeight = vProjWeight = null;
        } else {
            inProjWeight = null;
            qProjWeight = param("q_proj_weight", Init.xavierUniform(seed, embedDim, embedDim, embedDim, embedDim));
            kProjWeight = param("k_proj_weight", Init.xavierUniform(seed + 1, kdim, embedDim, embedDim, kdim));
            vProjWeight = param("v_proj_weight", Init.xavierUniform(seed + 2, vdim, embedDim, embedDim, vdim));
        }
        inProjBias = bias ? param("in_proj_bias", Tensor.zeros(3 * embedDim)) : null;
        outProj = child("out_proj", new Projection(describe(), embedDim, embedDim, bias, seed + 3)).zeroBias();
        random = new SplittableRandom(seed + 4);
    }

    /** Self-attention of x, no masks: the output only. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, x, x, null, false, null, true).output();
    }

    /** The output of attention of query to key and value, no masks. */
    public Tensor forward(Tensor query, Tensor key, Tensor value) {
        return forward(query, key, value, null, false, null, true).output();
    }

    /**
     * PyTorch's {@code forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights)}:
     * the output, and the weights when needWeights (else null). Either mask may be null.
     */
    public Attention.Result forward(Tensor query, Tensor key, Tensor value, AttentionMask keyPaddingMask, boolean needWeights,
            AttentionMask attnMask, boolean averageAttnWeights) {
        Objects.requireNonNull(query, () -> describe() + ": query is null");
        Objects.requireNonNull(key, () -> describe() + ": key is null");
        Objects.requireNonNull(value, () -> describe() + ": value is null");
        boolean batched = query.rank() == 3;
        int r = query.rank();
        if ((r != 2 && r != 3) || key.rank() != r || value.rank() != r || query.dim(-1) != embedDim || key.dim(-1) != kdim
                || value.dim(-1) != vdim || key.dim(0) != value.dim(0) || (r == 3 && key.dim(1) != value.dim(1))) {
            throw new IllegalArgumentException(describe() + ": need query " + layout("L", "E=" + embedDim) + ", key "
                    + layout("S", "kdim=" + kdim) + ", value " + layout("S", "vdim=" + vdim) + ", got " + shapes(query, key, value));
        }
        // to (N, L, E) batch first, one batch for unbatched input
        Tensor q = batched ? (batchFirst ? query : query.transpose(0, 1)) : query.unsqueeze(0);
        Tensor k = batched ? (batchFirst ? key : key.transpose(0, 1)) : key.unsqueeze(0);
        Tensor v = batched ? (batchFirst ? value : value.transpose(0, 1)) : value.unsqueeze(0);
        int n = q.dim(0);
        int l = q.dim(1);
        int s = k.dim(1);
        if (k.dim(0) != n) {
            throw new IllegalArgumentException(describe() + ": query and key have different batch sizes, got " + shapes(query, key, value));
        }
        int e = embedDim;
        int d = e / numHeads;
        Tensor bq = inProjBias == null ? null : inProjBias.slice(0, 0, e);
        Tensor bk = inProjBias == null ? null : inProjBias.slice(0, e, 2 * e);
        Tensor bv = inProjBias == null ? null : inProjBias.slice(0, 2 * e, 3 * e);
        Tensor wq = inProjWeight != null ? inProjWeight.slice(0, 0, e) : qProjWeight;
        Tensor wk = inProjWeight != null ? inProjWeight.slice(0, e, 2 * e) : kProjWeight;
        Tensor wv = inProjWeight != null ? inProjWeight.slice(0, 2 * e, 3 * e) : vProjWeight;
        // (N, T, E) -> (N, heads, T, d)
        Tensor qh = heads(Projection.project(q, wq, bq), n, l, d);
        Tensor kh = heads(Projection.project(k, wk, bk), n, s, d);
        Tensor vh = heads(Projection.project(v, wv, bv), n, s, d);
        AttentionMask mask = masks(keyPaddingMask, attnMask, batched, n, l, s);
        // 1.13 scales q before the product: (q / sqrt(d)) k^T
        Tensor scores = qh.mul(1 / Math.sqrt(d)).matmulTransB(kh);
        if (mask != null) {
            scores = Attention.addMask(describe(), scores, mask.additive());
        }
        Tensor w = Attention.safeSoftmax(scores);
        if (isTraining() && dropout > 0) {
            w = Attention.dropout(w, dropout, random);
        }
        Tensor out = w.matmul(vh).permute(0, 2, 1, 3).reshape(n, l, e);
        out = outProj.forward(out);
        out = batched ? (batchFirst ? out : out.transpose(0, 1)) : out.squeeze(0);
        Tensor weights = null;
        if (needWeights) {
            weights = averageAttnWeights ? w.mean(1) : w;
            weights = batched ? weights : weights.squeeze(0);
        }
        return new Attention.Result(out, weights);
    }

    private Tensor heads(Tensor x, int n, int t, int d) {
        return x.reshape(n, t, numHeads, d).permute(0, 2, 1, 3);
    }

    /** The two masks as one broadcasting to (N, heads, L, S), after checking PyTorch's shapes. */
    private AttentionMask masks(AttentionMask keyPadding, AttentionMask attn, boolean batched, int n, int l, int s) {
        AttentionMask m = null;
        if (keyPadding != null) {
            int[] want = batched ? new int[] {n, s} : new int[] {s};
            if (!Arrays.equals(keyPadding.shape(), want)) {
                throw new IllegalArgumentException(describe() + ": key_padding_mask must be " + Arrays.toString(want) + " (N, S), got "
                        + Arrays.toString(keyPadding.shape()));
            }
            m = keyPadding.reshape(batched ? n : 1, 1, 1, s);
        }
        if (attn != null) {
            int[] sh = attn.shape();
            AttentionMask a;
            if (Arrays.equals(sh, new int[] {l, s})) {
                a = attn;
            } else if (Arrays.equals(sh, new int[] {n * numHeads, l, s})) {
                a = attn.reshape(n, numHeads, l, s);
            } else {
                throw new IllegalArgumentException(describe() + ": attn_mask must be (L, S) = " + Arrays.toString(new int[] {l, s})
                        + " or (N * heads, L, S) = " + Arrays.toString(new int[] {n * numHeads, l, s}) + ", got " + Arrays.toString(sh));
            }
            m = m == null ? a : m.and(a);
        }
        return m;
    }

    private String layout(String t, String c) {
        return batchFirst ? "(N, " + t + ", " + c + ")" : "(" + t + ", N, " + c + ")";
    }

    private static String shapes(Tensor q, Tensor k, Tensor v) {
        return "query " + Arrays.toString(q.shape()) + ", key " + Arrays.toString(k.shape()) + ", value " + Arrays.toString(v.shape());
    }

    public int embedDim() {
        return embedDim;
    }

    public int numHeads() {
        return numHeads;
    }

    public boolean batchFirst() {
        return batchFirst;
    }

    @Override
    public String describe() {
        return "MultiheadAttention(" + embedDim + ", heads=" + numHeads + (kdim != embedDim ? ", kdim=" + kdim : "")
                + (vdim != embedDim ? ", vdim=" + vdim : "") + (dropout > 0 ? ", dropout=" + dropout : "")
                + (inProjBias == null ? ", bias=false" : "") + (batchFirst ? ", batchFirst=true" : "") + ")";
    }
}
