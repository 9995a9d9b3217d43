package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Unrolls a cell over a sequence (T, N, in), time first as PyTorch's default. The graph spans every
 * step, so backward is backpropagation through time. T may be 0: no outputs, and the last state is the
 * initial one.
 */
public final class Recurrent {
    private Recurrent() {}

    /** Every step's hidden state (many-to-many) and the final state. */
    public record Result(List<Tensor> outputs, State last) {
        public Result {
            Objects.requireNonNull(outputs, "Recurrent.Result: outputs is null");
            Objects.requireNonNull(last, "Recurrent.Result: last is null");
            outputs = List.copyOf(outputs);
        }

        /** The hidden states stacked as (T, N, H); (0, N, H) for no steps. */
        public Tensor stacked() {
            if (outputs.isEmpty()) {
                int[] h = last.h().shape();
                int[] s = new int[h.length + 1];
                System.arraycopy(h, 0, s, 1, h.length);
                return Tensor.zeros(last.h().dtype(), s);
            }
            return Tensor.stack(0, outputs.toArray(new Tensor[0]));
        }
    }

    /** Runs the cell from {@code initial} (null for zeros) over the T steps of {@code xs}. */
    public static Result unroll(Cell cell, Tensor xs, State initial) {
        return unroll("Recurrent.unroll", cell, xs, initial);
    }

    private static Result unroll(String who, Cell cell, Tensor xs, State initial) {
        Objects.requireNonNull(cell, () -> who + ": cell is null");
        Objects.requireNonNull(xs, () -> who + ": the sequence xs is null");
        if (xs.rank() != 3 || xs.dim(2) != cell.inputSize()) {
            throw new IllegalArgumentException(who + ": the sequence must be (T, N, " + cell.inputSize() + ") for "
                    + cell.describe() + ", got shape " + java.util.Arrays.toString(xs.shape()));
        }
        State s = initial != null ? initial : cell.initialState(xs.dim(1));
        cell.checkState(who + " (" + cell.describe() + ")", xs.dim(1), s);
        List<Tensor> outs = new ArrayList<>(xs.dim(0));
        for (int t = 0; t < xs.dim(0); t++) {
            s = cell.step(xs.slice(0, t, t + 1).squeeze(0), s);
            outs.add(s.h());
        }
        return new Result(outs, s);
    }

    /** Many-to-one: the final hidden state (the initial one, zeros, for T = 0). */
    public static Tensor last(Cell cell, Tensor xs) {
        return unroll("Recurrent.last", cell, xs, null).last().h();
    }
}
