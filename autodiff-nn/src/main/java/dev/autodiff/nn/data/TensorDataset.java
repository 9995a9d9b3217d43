package dev.autodiff.nn.data;

import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Examples that are the rows of tensors sharing their first dimension, as torch.utils.data.TensorDataset: example
 * i is {@code {t0[i], t1[i], ...}}. A {@link DataLoader} batches it by one {@link Tensor#indexSelect} per tensor,
 * without building the examples one by one. The tensors are held detached (so a batch never carries a graph back
 * into them) and share storage with the caller's, as torch's TensorDataset does: changing one in place (assign)
 * changes the dataset.
 */
public final class TensorDataset implements Dataset<Tensor[]> {
    private final Tensor[] tensors;

    public TensorDataset(Tensor... tensors) {
        Objects.requireNonNull(tensors, "TensorDataset: tensors is null");
        if (tensors.length == 0) {
            throw new IllegalArgumentException("TensorDataset: need at least one tensor");
        }
        this.tensors = new Tensor[tensors.length];
        for (int k = 0; k < tensors.length; k++) {
            Tensor t = Objects.requireNonNull(tensors[k], "TensorDataset: tensor " + k + " is null");
            if (t.rank() == 0) {
                throw new IllegalArgumentException("TensorDataset: tensor " + k + " is 0-dim; each needs a first "
                        + "dimension of examples");
            }
            if (t.shape()[0] != tensors[0].shape()[0]) {
                throw new IllegalArgumentException("TensorDataset: tensors need the same first dimension (the number "
                        + "of examples), got shapes " + Arrays.toString(tensors[0].shape()) + " and "
                        + Arrays.toString(t.shape()) + " (tensor " + k + ")");
            }
            this.tensors[k] = t.detach();
        }
    }

    /** Inputs and integer class labels, the common case (labels stored as whole numbers). */
    public static TensorDataset of(Tensor inputs, int[] labels) {
        Objects.requireNonNull(labels, "TensorDataset.of: labels is null");
        double[] y = new double[labels.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels[i];
        }
        return new TensorDataset(inputs, Tensor.fromArray(y));
    }

    @Override
    public int size() {
        return tensors[0].shape()[0];
    }

    @Override
    public Tensor[] get(int index) {
        if (index < 0 || index >= size()) {
            throw new IllegalArgumentException("TensorDataset.get: index " + index + " out of range for " + size() + " examples");
        }
        Tensor[] out = new Tensor[tensors.length];
        for (int k = 0; k < tensors.length; k++) {
            out[k] = tensors[k].slice(0, index, index + 1).squeeze(0);
        }
        return out;
    }

    /** The number of tensors (fields) per example. */
    public int fields() {
        return tensors.length;
    }

    /** Tensor k, all examples. */
    public Tensor tensor(int k) {
        if (k < 0 || k >= tensors.length) {
            throw new IllegalArgumentException("TensorDataset.tensor: field " + k + " out of range; it has " + tensors.length);
        }
        return tensors[k];
    }

    /** The examples at {@code indices} as one batch: each tensor's rows picked in one op. */
    public Batch batch(int[] indices) {
        Objects.requireNonNull(indices, "TensorDataset.batch: indices is null");
        for (int i : indices) {
            if (i < 0 || i >= size()) {
                throw new IllegalArgumentException("TensorDataset.batch: index " + i + " out of range for " + size() + " examples");
            }
        }
        Tensor[] out = new Tensor[tensors.length];
        for (int k = 0; k < tensors.length; k++) {
            out[k] = tensors[k].indexSelect(0, indices);
        }
        return new Batch(out);
    }
}
