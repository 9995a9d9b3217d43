package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;

/**
 * As torch.nn.LSTM: {@link LstmCell}'s equations (gates i, f, g, o stacked in that order in the weights'
 * rows), stacked and optionally bidirectional, with states h and c; shapes, options and parameter names as
 * {@link RnnBase} says. (PyTorch's proj_size is not offered.)
 */
public final class Lstm extends RnnBase {
    /** One layer, time first, one direction. */
    public Lstm(int inputSize, int hiddenSize, long seed) {
        this(inputSize, hiddenSize, 1, true, false, 0, false, seed);
    }

    /** PyTorch's arguments in PyTorch's order. */
    public Lstm(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
            boolean bidirectional, long seed) {
        super("Lstm", 4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, seed);
    }

    @Override
    State step(int k, Tensor gi, State s, Tensor wHhT) {
        return LstmCell.update(gi.addmm(s.h(), wHhT), s.c(), hiddenSize);
    }

    @Override
    boolean hasCellState() {
        return true;
    }
}
