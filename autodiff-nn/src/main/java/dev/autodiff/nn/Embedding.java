package dev.autodiff.nn;

import dev.autodiff.Tensor;

/** A lookup table (num, dim), initialised N(0, 1) as PyTorch; rows are picked with indexSelect, whose transpose is a scatter-add. */
public final class Embedding extends Module {
    private final int num;
    private final int dim;
    private final Tensor weight;

    public Embedding(int num, int dim, long seed) {
        this.num = num;
        this.dim = dim;
        weight = param("weight", Init.normal(seed, 0, 1, num, dim));
    }

    /** Rows for integer indices of any shape: output shape + (dim). */
    public Tensor lookup(int[] indices, int... shape) {
        int[] s = shape.length == 0 ? new int[] {indices.length} : shape;
        for (int i : indices) {
            if (i < 0 || i >= num) {
                throw new IllegalArgumentException(describe() + ": index " + i + " is outside [0, " + num + ")");
            }
        }
        int[] out = java.util.Arrays.copyOf(s, s.length + 1);
        out[s.length] = dim;
        return weight.indexSelect(0, indices).reshape(out);
    }

    /** As {@link #lookup}, with the indices given as a tensor of whole numbers. */
    @Override
    public Tensor forward(Tensor indices) {
        double[] d = indices.toArray();
        int[] idx = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            if (d[i] != Math.rint(d[i])) {
                throw new IllegalArgumentException(describe() + ": index " + d[i] + " is not a whole number");
            }
            idx[i] = (int) d[i];
        }
        return lookup(idx, indices.shape());
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    public String describe() {
        return "Embedding(" + num + ", " + dim + ")";
    }
}
