package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;

/**
 * As torch.nn.GRU: {@link GruCell}'s equations (gates r, z, n stacked in that order in the weights' rows),
 * stacked and optionally bidirectional; shapes, options and parameter names as {@link RnnBase} says.
 */
public final class Gru extends RnnBase {
    /** One layer, time first, one direction. */
    public Gru(int inputSize, int hiddenSize, long seed) {
        this(inputSize, hiddenSize, 1, true, false, 0, false, seed);
    }

    /** PyTorch's arguments in PyTorch's order. */
    public Gru(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
            boolean bidirectional, long seed) {
        super("Gru", 3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, seed);
    }

    @Override
    State step(int k, Tensor gi, State s, Tensor wHhT) {
        return State.of(GruCell.update(gi, hiddenPart(k, s.h(), wHhT, true), s.h(), hiddenSize));
    }

    @Override
    boolean foldsHiddenBias() {
        return false; // b_hn sits inside r (h W_hn + b_hn)
    }
}
