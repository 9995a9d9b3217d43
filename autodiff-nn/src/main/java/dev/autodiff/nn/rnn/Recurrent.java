package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Unrolls a cell over a sequence (T, N, in), time first as PyTorch's default. The graph spans every
 * step, so backward is backpropagation through time.
 */
public final class Recurrent {
    private Recurrent() {}

    /** Every step's hidden state (many-to-many) and the final state. */
    public record Result(List<Tensor> outputs, State last) {
        /** The hidden states stacked as (T, N, H). */
        public Tensor stacked() {
            return Tensor.stack(0, outputs.toArray(new Tensor[0]));
        }
    }

    /** Runs the cell from {@code initial} (null for zeros) over the T steps of {@code xs}. */
    public static Result unroll(Cell cell, Tensor xs, State initial) {
        if (xs.rank() != 3) {
            throw new IllegalArgumentException("Recurrent.unroll: the sequence must be (T, N, in), got shape "
                    + java.util.Arrays.toString(xs.shape()));
        }
        State s = initial != null ? initial : cell.initialState(xs.dim(1));
        List<Tensor> outs = new ArrayList<>(xs.dim(0));
        for (int t = 0; t < xs.dim(0); t++) {
            s = cell.step(xs.slice(0, t, t + 1).squeeze(0), s);
            outs.add(s.h());
        }
        return new Result(outs, s);
    }

    /** Many-to-one: the final hidden state. */
    public static Tensor last(Cell cell, Tensor xs) {
        return unroll(cell, xs, null).last().h();
    }
}
