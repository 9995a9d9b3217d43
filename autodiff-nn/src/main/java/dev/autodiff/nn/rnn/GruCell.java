package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;

/**
 * As torch.nn.GRUCell, gates in the order reset, update, new:
 * r = sigmoid(x W_ir + b_ir + h W_hr + b_hr), z likewise, n = tanh(x W_in + b_in + r (h W_hn + b_hn)),
 * h' = (1 - z) n + z h.
 */
public final class GruCell extends Cell {
    public GruCell(int inputSize, int hiddenSize, long seed) {
        super(inputSize, hiddenSize, 3, seed);
    }

    @Override
    protected State stepBatched(Tensor x, State s) {
        return State.of(update(inputPart(x), hiddenPart(s.h()), s.h(), hiddenSize));
    }

    /**
     * The gate equations on xi = x W_i + b_i and hh = h W_h + b_h, each (N, 3 hidden), and h (N, hidden); the two
     * parts stay apart because r multiplies the hidden part of n only. {@link Gru} shares them.
     */
    static Tensor update(Tensor xi, Tensor hh, Tensor h, int hidden) {
        Tensor r = gate(xi, 0, hidden).add(gate(hh, 0, hidden)).sigmoid();
        Tensor z = gate(xi, 1, hidden).add(gate(hh, 1, hidden)).sigmoid();
        Tensor n = gate(xi, 2, hidden).add(r.mul(gate(hh, 2, hidden))).tanh();
        return z.rsub(1.0).mul(n).add(z.mul(h));
    }
}
