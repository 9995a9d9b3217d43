package dev.autodiff.nn.attention;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * Adds the fixed encoding of "Attention Is All You Need" (Vaswani et al. 2017, section 3.5) to a sequence:
 * PE(pos, 2i) = sin(pos / 10000^(2i / d)), PE(pos, 2i + 1) = cos(pos / 10000^(2i / d)), for positions 0 .. maxLen - 1,
 * held as the buffer "pe" (maxLen, d) (no parameters). Input (L, N, d), or (N, L, d) batch first, or (L, d); L <= maxLen.
 * Dropout, as in PyTorch's tutorial module, is left to a {@code Dropout} after it.
 */
public final class SinusoidalPositionalEncoding extends Module {
    private final int dModel;
    private final int maxLen;
    private final boolean batchFirst;
    private final Tensor pe;

    public SinusoidalPositionalEncoding(int dModel, int maxLen, boolean batchFirst) {
        if (dModel <= 0 || maxLen <= 0 || (long) dModel * maxLen > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("SinusoidalPositionalEncoding: need dModel, maxLen > 0 with a table of at most 2^31 - 1"
                    + " elements, got dModel " + dModel + ", maxLen " + maxLen);
        }
        this.dModel = dModel;
        this.maxLen = maxLen;
        this.batchFirst = batchFirst;
        this.pe = buffer("pe", table(maxLen, dModel));
    }

    /** The (positions, d) table; an odd d ends with a sine. */
    public static Tensor table(int positions, int d) {
        double[] v = new double[positions * d];
        for (int pos = 0; pos < positions; pos++) {
            for (int j = 0; j < d; j++) {
                int i2 = j - (j % 2); // 2i
                double angle = pos / Math.pow(10000.0, (double) i2 / d);
                v[pos * d + j] = j % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
            }
        }
        return Tensor.fromArray(v, positions, d);
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
        Tensor p = pe.slice(0, 0, l);
        return x.add(x.rank() == 3 && !batchFirst ? p.reshape(l, 1, dModel) : p);
    }

    @Override
    public String describe() {
        return "SinusoidalPositionalEncoding(" + dModel + ", maxLen=" + maxLen + (batchFirst ? ", batchFirst=true" : "") + ")";
    }
}
