package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;

/** A recurrent state: the hidden state h and, for an LSTM, the cell state c (null otherwise). */
public record State(Tensor h, Tensor c) {
    public State {
        java.util.Objects.requireNonNull(h, "State: the hidden state h is null");
    }

    public static State of(Tensor h) {
        return new State(h, null);
    }
}
