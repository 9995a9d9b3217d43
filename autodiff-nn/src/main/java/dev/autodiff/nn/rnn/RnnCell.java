package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;

/** h' = tanh(x W_ih + b_ih + h W_hh + b_hh), as torch.nn.RNNCell. */
public final class RnnCell extends Cell {
    public RnnCell(int inputSize, int hiddenSize, long seed) {
        super(inputSize, hiddenSize, 1, seed);
    }

    @Override
    protected State stepBatched(Tensor x, State s) {
        return State.of(preActivation(x, s.h()).tanh());
    }
}
