package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;

/**
 * As torch.nn.RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) with act tanh or relu, stacked and
 * optionally bidirectional; shapes, options and parameter names as {@link RnnBase} says.
 */
public final class Rnn extends RnnBase {
    private final boolean relu;

    /** One layer, tanh, time first, one direction. */
    public Rnn(int inputSize, int hiddenSize, long seed) {
        this(inputSize, hiddenSize, 1, "tanh", true, false, 0, false, seed);
    }

    /** PyTorch's arguments in PyTorch's order; nonlinearity "tanh" or "relu". */
    public Rnn(int inputSize, int hiddenSize, int numLayers, String nonlinearity, boolean bias, boolean batchFirst,
            double dropout, boolean bidirectional, long seed) {
        super("Rnn", 1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, seed);
        if (!"tanh".equals(nonlinearity) && !"relu".equals(nonlinearity)) {
            throw new IllegalArgumentException("Rnn: nonlinearity must be \"tanh\" or \"relu\", got "
                    + (nonlinearity == null ? "null" : "\"" + nonlinearity + "\""));
        }
        this.relu = "relu".equals(nonlinearity);
    }

    @Override
    State step(int k, Tensor gi, State s, Tensor wHhT) {
        Tensor pre = gi.addmm(s.h(), wHhT);
        return State.of(relu ? pre.relu() : pre.tanh());
    }

    @Override
    void describeOptions(StringBuilder sb) {
        if (relu) {
            sb.append(", nonlinearity=relu");
        }
    }
}
