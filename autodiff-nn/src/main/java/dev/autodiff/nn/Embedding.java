package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A lookup table (num, dim), initialised N(0, 1) as PyTorch; rows are picked with indexSelect, whose transpose
 * is a scatter-add. Either size may be 0, as PyTorch's.
 */
public final class Embedding extends Module {
    private final int num;
    private final int dim;
    private final Tensor weight;

    public Embedding(int num, int dim, long seed) {
        if (num < 0 || dim < 0 || (long) num * dim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Embedding: need num, dim >= 0 with num * dim <= 2^31 - 1, got num " + num
                    + ", dim " + dim);
        }
        this.num = num;
        this.dim = dim;
        weight = param("weight", Init.normal(seed, 0, 1, num, dim));
    }

    /**
     * Rows for integer indices in [0, num), in the given shape (whose element count must be indices.length),
     * or 1-D when no shape is given: output shape + (dim).
     */
    public Tensor lookup(int[] indices, int... shape) {
        Objects.requireNonNull(indices, () -> describe() + ": indices is null");
        Objects.requireNonNull(shape, () -> describe() + ": shape is null");
        return rows(indices, shape.length == 0 ? new int[] {indices.length} : shape);
    }

    private Tensor rows(int[] indices, int[] s) {
        long n = 1;
        for (int d : s) {
            if (d < 0) {
                throw new IllegalArgumentException(describe() + ": negative dimension in shape " + Arrays.toString(s));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                break;
            }
        }
        if (n != indices.length) {
            throw new IllegalArgumentException(describe() + ": shape " + Arrays.toString(s) + " does not hold "
                    + indices.length + " indices");
        }
        for (int i : indices) {
            if (i < 0 || i >= num) {
                throw new IllegalArgumentException(describe() + ": index " + i + " is outside [0, " + num + ")");
            }
        }
        int[] out = Arrays.copyOf(s, s.length + 1);
        out[s.length] = dim;
        return weight.indexSelect(0, indices).reshape(out);
    }

    /** As {@link #lookup}, with the indices given as a tensor of whole numbers of any shape (0-d included). */
    @Override
    public Tensor forward(Tensor indices) {
        Objects.requireNonNull(indices, () -> describe() + ": indices is null");
        double[] d = indices.toArray();
        int[] idx = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            if (d[i] != Math.rint(d[i])) {
                throw new IllegalArgumentException(describe() + ": index " + d[i] + " is not a whole number");
            }
            if (!(d[i] >= 0 && d[i] < num)) {
                throw new IllegalArgumentException(describe() + ": index " + d[i] + " is outside [0, " + num + ")");
            }
            idx[i] = (int) d[i];
        }
        return rows(idx, indices.shape());
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    public String describe() {
        return "Embedding(" + num + ", " + dim + ")";
    }
}
