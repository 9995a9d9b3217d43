package dev.autodiff.nn.data;

import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * One batch of tensor examples: each field (input, target, ...) stacked along a new first dimension of
 * {@link #size()} examples. {@link #labels(int)} reads a field of whole numbers as the int labels the
 * classification losses take.
 */
public final class Batch {
    private final Tensor[] fields;

    public Batch(Tensor... fields) {
        Objects.requireNonNull(fields, "Batch: fields is null");
        if (fields.length == 0) {
            throw new IllegalArgumentException("Batch: need at least one field");
        }
        for (int k = 0; k < fields.length; k++) {
            Objects.requireNonNull(fields[k], "Batch: field " + k + " is null");
            if (fields[k].rank() == 0 || fields[k].shape()[0] != fields[0].shape()[0]) {
                throw new IllegalArgumentException("Batch: every field needs the same first dimension (examples), got "
                        + Arrays.toString(fields[0].shape()) + " and " + Arrays.toString(fields[k].shape()));
            }
        }
        this.fields = fields.clone();
    }

    /** The number of examples. */
    public int size() {
        return fields[0].shape()[0];
    }

    /** The number of fields. */
    public int fields() {
        return fields.length;
    }

    /** Field k. */
    public Tensor get(int k) {
        if (k < 0 || k >= fields.length) {
            throw new IllegalArgumentException("Batch.get: field " + k + " out of range; this batch has " + fields.length);
        }
        return fields[k];
    }

    /** Field 0, by convention the input. */
    public Tensor input() {
        return get(0);
    }

    /** Field 1, by convention the target. */
    public Tensor target() {
        return get(1);
    }

    /** Field k, a 1-D tensor of whole numbers in [0, 2^31), as int labels (for crossEntropy). */
    public int[] labels(int k) {
        Tensor t = get(k);
        if (t.rank() != 1) {
            throw new IllegalArgumentException("Batch.labels: field " + k + " has shape " + Arrays.toString(t.shape())
                    + "; labels are one whole number per example, shape (N)");
        }
        double[] v = t.toArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0 && v[i] <= Integer.MAX_VALUE && v[i] == Math.rint(v[i]))) {
                throw new IllegalArgumentException("Batch.labels: field " + k + " holds " + v[i] + " at example " + i
                        + "; labels must be whole numbers in [0, 2^31)");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    /** Field 1 as int labels. */
    public int[] labels() {
        return labels(1);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Batch(").append(size()).append(" examples:");
        for (Tensor f : fields) {
            sb.append(' ').append(Arrays.toString(f.shape()));
        }
        return sb.append(')').toString();
    }
}
