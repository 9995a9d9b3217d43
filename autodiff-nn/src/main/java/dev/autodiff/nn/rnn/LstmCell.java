package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;

/**
 * As torch.nn.LSTMCell, gates in the order input, forget, candidate, output:
 * i = sigmoid, f = sigmoid, g = tanh, o = sigmoid of (x W_ih + b_ih + h W_hh + b_hh);
 * c' = f c + i g; h' = o tanh(c').
 */
public final class LstmCell extends Cell {
    public LstmCell(int inputSize, int hiddenSize, long seed) {
        super(inputSize, hiddenSize, 4, seed);
    }

    @Override
    public State initialState(int n) {
        checkBatch(n);
        return new State(Tensor.zeros(wIh.dtype(), n, hiddenSize), Tensor.zeros(wIh.dtype(), n, hiddenSize));
    }

    @Override
    protected boolean hasCellState() {
        return true;
    }

    @Override
    protected State stepBatched(Tensor x, State s) {
        return update(preActivation(x, s.h()), s.c(), hiddenSize);
    }

    /** The gate equations on a (N, 4 hidden) pre-activation and the cell state c (N, hidden); {@link Lstm} shares them. */
    static State update(Tensor pre, Tensor c, int hidden) {
        Tensor i = gate(pre, 0, hidden).sigmoid();
        Tensor f = gate(pre, 1, hidden).sigmoid();
        Tensor g = gate(pre, 2, hidden).tanh();
        Tensor o = gate(pre, 3, hidden).sigmoid();
        Tensor c2 = f.mul(c).add(i.mul(g));
        return new State(o.mul(c2.tanh()), c2);
    }
}
