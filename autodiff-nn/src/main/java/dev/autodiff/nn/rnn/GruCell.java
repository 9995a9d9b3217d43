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
        Tensor xi = inputPart(x);
        Tensor hh = hiddenPart(s.h());
        Tensor r = gate(xi, 0).add(gate(hh, 0)).sigmoid();
        Tensor z = gate(xi, 1).add(gate(hh, 1)).sigmoid();
        Tensor n = gate(xi, 2).add(r.mul(gate(hh, 2))).tanh();
        return State.of(z.rsub(1.0).mul(n).add(z.mul(s.h())));
    }
}
