package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * A recurrent cell: one step {@code state' = step(x, state)} on a batch x of shape (N, in), or on one
 * unbatched example x of shape (in) with a state of shape (H), as PyTorch's cells. Weights are stored as
 * (in, k H) and (H, k H) so that a batch needs no transpose (PyTorch stores their transposes); gate order
 * and formulas are PyTorch's, and so is the default initialisation, uniform on +-1/sqrt(H) (zeros for
 * H = 0). Sizes may be 0, as PyTorch's.
 */
public abstract class Cell extends Module {
    protected final int inputSize;
    protected final int hiddenSize;
    protected final Tensor wIh;
    protected final Tensor wHh;
    protected final Tensor bIh;
    protected final Tensor bHh;

    protected Cell(int inputSize, int hiddenSize, int gates, long seed) {
        long width = (long) gates * hiddenSize;
        if (inputSize < 0 || hiddenSize < 0 || width > Integer.MAX_VALUE || inputSize * width > Integer.MAX_VALUE
                || hiddenSize * width > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": sizes must be >= 0 with weights of at most "
                    + "2^31 - 1 elements, got input " + inputSize + ", hidden " + hiddenSize);
        }
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        double a = hiddenSize > 0 ? 1 / Math.sqrt(hiddenSize) : 0.0;
        wIh = param("weightIh", Init.uniform(seed, -a, a, inputSize, gates * hiddenSize));
        wHh = param("weightHh", Init.uniform(seed + 1, -a, a, hiddenSize, gates * hiddenSize));
        bIh = param("biasIh", Init.uniform(seed + 2, -a, a, gates * hiddenSize));
        bHh = param("biasHh", Init.uniform(seed + 3, -a, a, gates * hiddenSize));
    }

    /** Sets all four weights (as PyTorch's weight_ih^T, weight_hh^T, bias_ih, bias_hh), for loading reference values. */
    public final void load(Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh) {
        Tensor[] given = {weightIh, weightHh, biasIh, biasHh};
        Tensor[] mine = {wIh, wHh, bIh, bHh};
        String[] names = {"weightIh", "weightHh", "biasIh", "biasHh"};
        for (int i = 0; i < 4; i++) {
            int k = i;
            Objects.requireNonNull(given[i], () -> describe() + ".load: " + names[k] + " is null");
            if (!Arrays.equals(given[i].shape(), mine[i].shape())) {
                throw new IllegalArgumentException(describe() + ".load: " + names[i] + " must have shape "
                        + Arrays.toString(mine[i].shape()) + ", got " + Arrays.toString(given[i].shape()));
            }
        }
        for (int i = 0; i < 4; i++) {
            mine[i].assign(given[i]);
        }
    }

    /** Zeros for a batch of n in the weights' dtype: the hidden state (cells with more state override this). */
    public State initialState(int n) {
        checkBatch(n);
        return State.of(Tensor.zeros(wIh.dtype(), n, hiddenSize));
    }

    protected final void checkBatch(int n) {
        if (n < 0) {
            throw new IllegalArgumentException(describe() + ".initialState: the batch size must be >= 0, got " + n);
        }
    }

    /** One step: x (N, in) and a state of (N, H) tensors, or x (in) and a state of (H) tensors. */
    public final State step(Tensor x, State state) {
        Objects.requireNonNull(x, () -> describe() + ".step: the input x is null");
        Objects.requireNonNull(state, () -> describe() + ".step: the state is null");
        if (x.rank() == 1 && state.h().rank() == 1 && (state.c() == null || state.c().rank() == 1)) {
            State s = state.c() == null ? State.of(state.h().unsqueeze(0))
                    : new State(state.h().unsqueeze(0), state.c().unsqueeze(0));
            State r = step(x.unsqueeze(0), s);
            return r.c() == null ? State.of(r.h().squeeze(0)) : new State(r.h().squeeze(0), r.c().squeeze(0));
        }
        if (x.rank() != 2 || x.dim(1) != inputSize) {
            throw new IllegalArgumentException(describe() + ".step: need x (N, " + inputSize + ") or (" + inputSize
                    + "), got " + Arrays.toString(x.shape()));
        }
        checkState(describe() + ".step", x.dim(0), state);
        return stepBatched(x, state);
    }

    /** One step on a checked batch: x (N, in), the state's tensors (N, H). */
    protected abstract State stepBatched(Tensor x, State state);

    /** Whether the state carries a cell state c (an LSTM's) beside h. */
    protected boolean hasCellState() {
        return false;
    }

    /** As a Module: one step from the zero state, returning the hidden state; x is (N, in) or (in). */
    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        if (x.rank() == 1) {
            State s = initialState(1);
            State one = s.c() == null ? State.of(s.h().squeeze(0)) : new State(s.h().squeeze(0), s.c().squeeze(0));
            return step(x, one).h();
        }
        if (x.rank() != 2) {
            throw new IllegalArgumentException(describe() + ": need x (N, " + inputSize + ") or (" + inputSize + "), got "
                    + Arrays.toString(x.shape()));
        }
        return step(x, initialState(x.dim(0))).h();
    }

    public final int inputSize() {
        return inputSize;
    }

    public final int hiddenSize() {
        return hiddenSize;
    }

    /** The state for a batch of n: h (and c for a cell that has one) of shape (n, H); errors begin with {@code who}. */
    final void checkState(String who, int n, State s) {
        Tensor h = s.h();
        if (h.rank() != 2 || h.dim(0) != n || h.dim(1) != hiddenSize) {
            throw new IllegalArgumentException(who + ": need h (" + n + ", " + hiddenSize + ") for a batch of " + n
                    + ", got " + Arrays.toString(h.shape()));
        }
        if (hasCellState() && s.c() == null) {
            throw new IllegalArgumentException(who + ": the state needs a cell state c");
        }
        if (hasCellState() && !Arrays.equals(s.c().shape(), h.shape())) {
            throw new IllegalArgumentException(who + ": need c (" + n + ", " + hiddenSize + ") for a batch of " + n
                    + ", got " + Arrays.toString(s.c().shape()));
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
        return gate(pre, g, hiddenSize);
    }

    /** Gate g (0-based) of a (N, k hidden) pre-activation; the cells and the sequence modules share it. */
    static Tensor gate(Tensor pre, int g, int hidden) {
        return pre.slice(1, g * hidden, (g + 1) * hidden);
    }

    @Override
    public String describe() {
        return getClass().getSimpleName() + "(" + inputSize + " -> " + hiddenSize + ")";
    }
}
