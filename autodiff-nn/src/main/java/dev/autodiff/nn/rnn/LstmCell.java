package dev.autodiff.nn.rnn;

import dev.autodiff.Fused;
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
        if (c.rank() == 2 && pre.rank() == 2 && c.dim(0) == pre.dim(0) && c.dim(1) == hidden && pre.dim(1) == 4 * hidden) {
            // the same values in one pass and two arrays (issue 14), instead of the 13 arrays of the ops below
            Tensor c2 = Fused.lstmCell(pre, c);
            return new State(Fused.lstmHidden(pre, c2), c2);
        }
        Tensor i = gate(pre, 0, hidden).sigmoid();
        Tensor f = gate(pre, 1, hidden).sigmoid();
        Tensor g = gate(pre, 2, hidden).tanh();
        Tensor o = gate(pre, 3, hidden).sigmoid();
        Tensor c2 = f.mul(c).add(i.mul(g));
        return new State(o.mul(c2.tanh()), c2);
    }
}
