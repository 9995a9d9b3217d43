package dev.autodiff.nn;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A lookup table (num, dim), initialised N(0, 1) as PyTorch; rows are picked with indexSelect, whose transpose
 * is a scatter-add. Either size may be 0, as PyTorch's.
 *
 * <p>PyTorch's options, set right after construction: {@code new Embedding(1000, 64, 42).paddingIdx(0).maxNorm(1.0)}.
 * <ul>
 * <li>{@link #paddingIdx}: that row is zeroed and gets no gradient; looked up, it gives the row's values as
 * constants of the graph (so also no second derivative), as PyTorch.
 * <li>{@link #maxNorm}: before each lookup, every looked-up row whose p-norm exceeds maxNorm is scaled in place to
 * norm maxNorm, as PyTorch's embedding_renorm_ (by maxNorm / (norm + 1e-7)). The update is not recorded and bumps
 * the weight's version at every lookup, also when no row changed, as PyTorch's; so a graph recorded before it
 * that used the weight cannot be backpropagated afterwards (the backward throws, naming the op and both versions).
 * That includes an earlier lookup: do one lookup per forward pass (all indices of the step at once), as with
 * PyTorch, whose backward refuses the same two lookups.
 * </ul>
 */
public final class Embedding extends Module {
    private final int num;
    private final int dim;
    private final Tensor weight;
    private int paddingIdx = -1; // normalised to [0, num); -1 for none
    private double maxNorm = Double.NaN; // NaN for none
    private double normType = 2;

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
     * Makes row {@code index} the padding row, as PyTorch's padding_idx (a negative index counts from the end):
     * zeroes it now (in place) and gives it no gradient from then on. Returns this embedding.
     */
    public Embedding paddingIdx(int index) {
        if (index < -num || index >= num) {
            throw new IllegalArgumentException(describe() + ".paddingIdx: index " + index + " is outside [" + -num + ", "
                    + num + ")");
        }
        paddingIdx = index < 0 ? index + num : index;
        double[] w = weight.toArray();
        Arrays.fill(w, paddingIdx * dim, (paddingIdx + 1) * dim, 0.0);
        weight.assign(Tensor.fromArray(w, num, dim));
        return this;
    }

    /** {@link #maxNorm(double, double)} with the Euclidean norm, PyTorch's default norm_type 2. */
    public Embedding maxNorm(double maxNorm) {
        return maxNorm(maxNorm, 2);
    }

    /**
     * Renormalises looked-up rows to p-norm at most {@code maxNorm} (finite, > 0) before each lookup, p =
     * {@code normType} (> 0, +infinity for the largest magnitude), as PyTorch's max_norm and norm_type; see the
     * class comment for its effect on graphs. Returns this embedding.
     */
    public Embedding maxNorm(double maxNorm, double normType) {
        if (!(maxNorm > 0 && maxNorm < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(describe() + ".maxNorm: maxNorm must be finite and > 0, got " + maxNorm);
        }
        if (!(normType > 0)) {
            throw new IllegalArgumentException(describe() + ".maxNorm: normType must be > 0 (or +infinity), got " + normType);
        }
        this.maxNorm = maxNorm;
        this.normType = normType;
        return this;
    }

    /** The padding row, or -1 for none. */
    public int paddingIdx() {
        return paddingIdx;
    }

    /** The largest norm a looked-up row may have, or NaN for no limit. */
    public double maxNorm() {
        return maxNorm;
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
        if (!Double.isNaN(maxNorm)) {
            renorm(indices);
        }
        Tensor rows = weight.indexSelect(0, indices);
        if (paddingIdx >= 0) {
            rows = withConstantPadding(rows, indices);
        }
        return rows.reshape(out);
    }

    /** The looked-up rows, with those of the padding index taken from the weight's values: constants of the graph. */
    private Tensor withConstantPadding(Tensor rows, int[] indices) {
        double[] mask = new double[indices.length];
        boolean any = false;
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] == paddingIdx) {
                mask[k] = 1;
                any = true;
            }
        }
        if (!any) {
            return rows;
        }
        Tensor paddingRow = weight.detach().indexSelect(0, paddingIdx); // (1, dim), broadcast over the lookups
        return Tensor.where(Tensor.fromArray(mask, indices.length, 1), paddingRow, rows);
    }

    /**
     * PyTorch's embedding_renorm_: each distinct looked-up row r with ||r||_p > maxNorm becomes
     * r maxNorm / (||r||_p + 1e-7), in place and unrecorded; the weight's version is bumped even if none changes.
     */
    private void renorm(int[] indices) {
        int[] distinct = Arrays.stream(indices).distinct().sorted().toArray();
        double[] rows;
        try (GradScope s = Autodiff.noGrad()) {
            rows = weight.indexSelect(0, distinct).toArray();
        }
        double[] scale = new double[distinct.length];
        for (int k = 0; k < distinct.length; k++) {
            double norm = norm(rows, k * dim, dim);
            scale[k] = norm > maxNorm ? maxNorm / (norm + 1e-7) : 1;
        }
        int d = dim;
        InPlace.update(describe() + ".maxNorm", new Tensor[] {weight}, new Tensor[0], (from, to, out, in) -> {
            double[] w = out[0];
            for (int k = 0; k < distinct.length; k++) {
                if (scale[k] != 1) { // element i of row distinct[k] depends only on itself and the row's scale
                    int lo = Math.max(from, distinct[k] * d);
                    int hi = Math.min(to, (distinct[k] + 1) * d);
                    for (int i = lo; i < hi; i++) {
                        w[i] *= scale[k];
                    }
                }
            }
        });
    }

    private double norm(double[] v, int from, int n) {
        double acc = 0;
        if (normType == Double.POSITIVE_INFINITY) {
            for (int i = from; i < from + n; i++) {
                acc = Math.max(acc, Math.abs(v[i]));
            }
            return acc;
        }
        for (int i = from; i < from + n; i++) {
            acc += normType == 2 ? v[i] * v[i] : normType == 1 ? Math.abs(v[i]) : Math.pow(Math.abs(v[i]), normType);
        }
        return normType == 2 ? Math.sqrt(acc) : normType == 1 ? acc : Math.pow(acc, 1 / normType);
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
        return "Embedding(" + num + ", " + dim + (paddingIdx >= 0 ? ", paddingIdx " + paddingIdx : "")
                + (Double.isNaN(maxNorm) ? "" : ", maxNorm " + maxNorm + (normType == 2 ? "" : ", normType " + normType)) + ")";
    }
}
