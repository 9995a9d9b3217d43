package dev.autodiff.nn.attention;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * Adds a trained vector per position (BERT's and GPT's position embedding): the parameter "weight" (maxLen, d),
 * initialised N(0, 1) as nn.Embedding, rows 0 .. L - 1 added to a sequence (L, N, d), or (N, L, d) batch first, or
 * (L, d); L <= maxLen.
 */
public final class LearnedPositionalEmbedding extends Module {
    private final int dModel;
    private final int maxLen;
    private final boolean batchFirst;
    private final Tensor weight;

    public LearnedPositionalEmbedding(int maxLen, int dModel, boolean batchFirst, long seed) {
        if (dModel <= 0 || maxLen <= 0 || (long) dModel * maxLen > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("LearnedPositionalEmbedding: need maxLen, dModel > 0 with a table of at most 2^31 - 1"
                    + " elements, got maxLen " + maxLen + ", dModel " + dModel);
        }
        this.dModel = dModel;
        this.maxLen = maxLen;
        this.batchFirst = batchFirst;
        this.weight = param("weight", Init.normal(seed, 0, 1, maxLen, dModel));
    }

    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        int seqAxis = x.rank() == 3 && !batchFirst ? 0 : x.rank() - 2;
        if ((x.rank() != 2 && x.rank() != 3) || x.dim(-1) != dModel || x.dim(seqAxis) > maxLen) {
            throw new IllegalArgumentException(describe() + ": input must be " + (batchFirst ? "(N, L, " : "(L, N, ") + dModel
                    + ") or (L, " + dModel + ") with L <= " + maxLen + ", got " + Arrays.toString(x.shape()));
        }
        int l = x.dim(seqAxis);
        Tensor p = weight.slice(0, 0, l);
        return x.add(x.rank() == 3 && !batchFirst ? p.reshape(l, 1, dModel) : p);
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    public String describe() {
        return "LearnedPositionalEmbedding(" + maxLen + ", " + dModel + (batchFirst ? ", batchFirst=true" : "") + ")";
    }
}
