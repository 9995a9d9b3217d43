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
        return new State(Tensor.zeros(n, hiddenSize), Tensor.zeros(n, hiddenSize));
    }

    @Override
    protected boolean hasCellState() {
        return true;
    }

    @Override
    protected State stepBatched(Tensor x, State s) {
        Tensor pre = preActivation(x, s.h());
        Tensor i = gate(pre, 0).sigmoid();
        Tensor f = gate(pre, 1).sigmoid();
        Tensor g = gate(pre, 2).tanh();
        Tensor o = gate(pre, 3).sigmoid();
        Tensor c = f.mul(s.c()).add(i.mul(g));
        return new State(o.mul(c.tanh()), c);
    }
}
