package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Module;

/**
 * A recurrent cell: one step {@code state' = step(x, state)} on a batch x of shape (N, in). Weights are
 * stored as (in, k H) and (H, k H) so that a batch needs no transpose (PyTorch stores their transposes);
 * gate order and formulas are PyTorch's, and so is the default initialisation, uniform on +-1/sqrt(H).
 */
public abstract class Cell extends Module {
    protected final int inputSize;
    protected final int hiddenSize;
    protected final Tensor wIh;
    protected final Tensor wHh;
    protected final Tensor bIh;
    protected final Tensor bHh;

    protected Cell(int inputSize, int hiddenSize, int gates, long seed) {
        if (inputSize < 1 || hiddenSize < 1) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": sizes must be >= 1, got input "
                    + inputSize + ", hidden " + hiddenSize);
        }
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        double a = 1 / Math.sqrt(hiddenSize);
        wIh = param("weightIh", Init.uniform(seed, -a, a, inputSize, gates * hiddenSize));
        wHh = param("weightHh", Init.uniform(seed + 1, -a, a, hiddenSize, gates * hiddenSize));
        bIh = param("biasIh", Init.uniform(seed + 2, -a, a, gates * hiddenSize));
        bHh = param("biasHh", Init.uniform(seed + 3, -a, a, gates * hiddenSize));
    }

    /** Sets all four weights (as PyTorch's weight_ih^T, weight_hh^T, bias_ih, bias_hh), for loading reference values. */
    public final void load(Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh) {
        wIh.assign(weightIh);
        wHh.assign(weightHh);
        bIh.assign(biasIh);
        bHh.assign(biasHh);
    }

    /** Zeros for a batch of n: the hidden state (cells with more state override this). */
    public State initialState(int n) {
        return State.of(Tensor.zeros(n, hiddenSize));
    }

    public abstract State step(Tensor x, State state);

    /** As a Module: one step from the zero state, returning the hidden state. */
    @Override
    public Tensor forward(Tensor x) {
        return step(x, initialState(x.dim(0))).h();
    }

    public final int hiddenSize() {
        return hiddenSize;
    }

    protected final void checkInput(Tensor x, State s) {
        if (x.rank() != 2 || x.dim(1) != inputSize || s.h().rank() != 2 || s.h().dim(0) != x.dim(0)
                || s.h().dim(1) != hiddenSize) {
            throw new IllegalArgumentException(describe() + ": need x (N, " + inputSize + ") and h (N, " + hiddenSize
                    + "), got " + java.util.Arrays.toString(x.shape()) + " and " + java.util.Arrays.toString(s.h().shape()));
        }
    }

    /** x W_ih + b_ih and h W_hh + b_hh, each (N, k H). */
    protected final Tensor inputPart(Tensor x) {
        return bIh.addmm(x, wIh);
    }

    protected final Tensor hiddenPart(Tensor h) {
        return bHh.addmm(h, wHh);
    }

    /**
     * x W_ih + b_ih + h W_hh + b_hh, summed as ((b_ih + b_hh) + x W_ih) + h W_hh: each product's array takes
     * what comes before it in place (addmm), so the (N, k H) pre-activation costs two arrays, not four.
     */
    protected final Tensor preActivation(Tensor x, Tensor h) {
        return bIh.add(bHh).addmm(x, wIh).addmm(h, wHh);
    }

    /** Gate g (0-based) of a (N, k H) pre-activation. */
    protected final Tensor gate(Tensor pre, int g) {
        return pre.slice(1, g * hiddenSize, (g + 1) * hiddenSize);
    }

    @Override
    public String describe() {
        return getClass().getSimpleName() + "(" + inputSize + " -> " + hiddenSize + ")";
    }
}
