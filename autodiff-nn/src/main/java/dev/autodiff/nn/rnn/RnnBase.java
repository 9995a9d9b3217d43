package dev.autodiff.nn.rnn;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Dropout;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * A recurrent layer over whole sequences, as PyTorch's RNNBase (nn.RNN, nn.LSTM, nn.GRU): numLayers layers
 * stacked, each running forwards or, when bidirectional, forwards and backwards with the two outputs
 * concatenated (forward first) as the next layer's input; dropout on every layer's output but the last, in
 * training only.
 *
 * <p>Shapes as PyTorch's, with T steps, a batch of N, D = 2 directions if bidirectional (else 1), L layers:
 * input (T, N, inputSize), or (N, T, inputSize) when batchFirst, or (T, inputSize) unbatched; output
 * (T, N, D hiddenSize) (batch first likewise); initial and final states h and, for an LSTM, c of shape
 * (L D, N, hiddenSize) in the order layer 0 forward, layer 0 reverse, layer 1 forward, ..., whatever
 * batchFirst says ((L D, hiddenSize) unbatched). Zeros when no initial state is given.
 *
 * <p>Parameters have PyTorch's names, order and layout, so a state_dict copies in by name:
 * {@code weight_ih_l0} (G hiddenSize, inputSize), {@code weight_hh_l0} (G hiddenSize, hiddenSize),
 * {@code bias_ih_l0}, {@code bias_hh_l0} (G hiddenSize), then the same with {@code _reverse} for the backward
 * direction, then layer 1 (whose input is D hiddenSize wide); G is the number of gates, stacked in PyTorch's
 * order. (The cells store the transposes; the step equations are the cells'.) All start uniform on
 * +-1/sqrt(hiddenSize), as PyTorch's.
 *
 * <p>Sequences of different lengths, right-padded, as {@code pack_padded_sequence} then
 * {@code pad_packed_sequence(total_length=T)}: with {@code lengths} (or a 0/1 mask whose ones come first), the
 * output past a sequence's length is zero, its final state is the one at its own last step, and the reverse
 * direction starts at that step. A length of 0 (which PyTorch refuses) leaves the initial state as the final
 * one.
 */
public abstract class RnnBase extends Module {
    private final String kind;
    private final int gates;
    final int inputSize;
    final int hiddenSize;
    private final int numLayers;
    private final boolean bias;
    private final boolean batchFirst;
    private final double dropout;
    private final boolean bidirectional;
    /** Indexed by layer * directions + direction, as the state's first axis. */
    final Tensor[] wIh;
    final Tensor[] wHh;
    final Tensor[] bIh;
    final Tensor[] bHh;
    private final Dropout drop;

    /** The output and the final state (h_n, and c_n for an LSTM), as PyTorch's {@code output, h_n}. */
    public record Result(Tensor output, State state) {
        public Result {
            Objects.requireNonNull(output, "RnnBase.Result: output is null");
            Objects.requireNonNull(state, "RnnBase.Result: state is null");
        }
    }

    RnnBase(String kind, int gates, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
            double dropout, boolean bidirectional, long seed) {
        this.kind = kind;
        int d = bidirectional ? 2 : 1;
        long width = (long) gates * hiddenSize;
        if (inputSize < 0 || hiddenSize < 1 || numLayers < 1) {
            throw new IllegalArgumentException(kind + ": need inputSize >= 0, hiddenSize >= 1 and numLayers >= 1, got "
                    + inputSize + ", " + hiddenSize + ", " + numLayers);
        }
        if (width * Math.max(inputSize, (long) d * hiddenSize) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(kind + ": weights of more than 2^31 - 1 elements for input " + inputSize
                    + ", hidden " + hiddenSize);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException(kind + ": need 0 <= dropout <= 1, got " + dropout);
        }
        this.gates = gates;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.numLayers = numLayers;
        this.bias = bias;
        this.batchFirst = batchFirst;
        this.dropout = dropout;
        this.bidirectional = bidirectional;
        int n = numLayers * d;
        wIh = new Tensor[n];
        wHh = new Tensor[n];
        bIh = new Tensor[n];
        bHh = new Tensor[n];
        double a = 1 / Math.sqrt(hiddenSize);
        int g = gates * hiddenSize;
        for (int k = 0; k < n; k++) {
            int in = k < d ? inputSize : d * hiddenSize;
            String suffix = "_l" + k / d + (k % d == 1 ? "_reverse" : "");
            long s = seed + 4L * k;
            wIh[k] = param("weight_ih" + suffix, Init.uniform(s, -a, a, g, in));
            wHh[k] = param("weight_hh" + suffix, Init.uniform(s + 1, -a, a, g, hiddenSize));
            if (bias) {
                bIh[k] = param("bias_ih" + suffix, Init.uniform(s + 2, -a, a, g));
                bHh[k] = param("bias_hh" + suffix, Init.uniform(s + 3, -a, a, g));
            }
        }
        this.drop = new Dropout(dropout, seed + 4L * n); // not a child: PyTorch's module has none; on only in training
    }

    /** The output for x from zero states. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, null).output();
    }

    /** Output and final state for x from {@code initial} (null for zeros). */
    public Result forward(Tensor x, State initial) {
        return run(describe(), x, initial, null);
    }

    /**
     * Padded sequences of the given lengths (one per batch element, each in 0..T), as a packed sequence:
     * outputs past each length are zero and each final state is at the sequence's own last step.
     */
    public Result forward(Tensor x, State initial, int[] lengths) {
        Objects.requireNonNull(lengths, () -> describe() + ": lengths is null");
        return run(describe(), x, initial, lengths);
    }

    /**
     * Padded sequences marked by a mask of shape (T, N), or (N, T) when batchFirst: 1 at a sequence's steps,
     * 0 at the padding after them (ones first, as right-padded sequences are); the same as the lengths it
     * counts.
     */
    public Result forward(Tensor x, State initial, Tensor mask) {
        String who = describe();
        Objects.requireNonNull(mask, () -> who + ": the mask is null");
        Objects.requireNonNull(x, () -> who + ": the input x is null");
        if (x.rank() != 3 || mask.rank() != 2 || mask.dim(0) != x.dim(0) || mask.dim(1) != x.dim(1)) {
            throw new IllegalArgumentException(who + ": need a batched input and a mask " + (batchFirst ? "(N, T)" : "(T, N)")
                    + " of its first two dimensions, got input " + Arrays.toString(x.shape()) + " and mask "
                    + Arrays.toString(mask.shape()));
        }
        Tensor m = batchFirst ? mask : mask.transpose(0, 1); // (N, T)
        int n = m.dim(0);
        int t = m.dim(1);
        double[] v = m.toArray();
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            int len = 0;
            while (len < t && v[i * t + len] == 1) {
                len++;
            }
            for (int j = len; j < t; j++) {
                if (v[i * t + j] != 0) {
                    throw new IllegalArgumentException(who + ": the mask must be 1 on a sequence's steps and 0 on the padding "
                            + "after them, got " + v[i * t + j] + " at step " + j + " of sequence " + i + " after " + len
                            + " steps of 1");
                }
            }
            lengths[i] = len;
        }
        return run(who, x, initial, lengths);
    }

    private Result run(String who, Tensor x, State initial, int[] lengths) {
        Objects.requireNonNull(x, () -> who + ": the input x is null");
        int d = directions();
        int states = numLayers * d;
        if (x.rank() == 2) { // unbatched (T, C) and states (L D, H): a batch of one
            if (x.dim(1) != inputSize) {
                throw badInput(who, x);
            }
            if (lengths != null) {
                throw new IllegalArgumentException(who + ": lengths and masks need a batched input, got "
                        + Arrays.toString(x.shape()));
            }
            State s = null;
            if (initial != null) {
                checkState(who, initial, states, -1);
                s = new State(initial.h().unsqueeze(1), initial.c() == null ? null : initial.c().unsqueeze(1));
            }
            Result r = run(who, batchFirst ? x.unsqueeze(0) : x.unsqueeze(1), s, null);
            State f = r.state();
            return new Result(r.output().squeeze(batchFirst ? 0 : 1),
                    new State(f.h().squeeze(1), f.c() == null ? null : f.c().squeeze(1)));
        }
        if (x.rank() != 3 || x.dim(2) != inputSize) {
            throw badInput(who, x);
        }
        Tensor xs = batchFirst ? x.transpose(0, 1) : x; // (T, N, C) from here on
        int steps = xs.dim(0);
        int n = xs.dim(1);
        Tensor h0;
        Tensor c0 = null;
        if (initial == null) {
            h0 = Tensor.zeros(xs.dtype(), states, n, hiddenSize); // in the input's dtype, as PyTorch's
            c0 = hasCellState() ? Tensor.zeros(xs.dtype(), states, n, hiddenSize) : null;
        } else {
            checkState(who, initial, states, n);
            h0 = initial.h();
            c0 = initial.c();
        }
        Active active = lengths == null ? null : Active.of(who, lengths, steps, n);
        // The padding is never read, as a packed sequence's: zeroed once here, or a NaN or inf in it would reach the
        // gradients through 0 * NaN (x^T dgates for weight_ih_l0, act'(NaN) in every cell); x's gradient there is 0.
        Tensor input = active == null || active.padding == null ? xs : Tensor.where(active.padding, xs, Tensor.scalar(0));
        Tensor[] hn = new Tensor[states];
        Tensor[] cn = new Tensor[states];
        for (int layer = 0; layer < numLayers; layer++) {
            Tensor[] perDirection = new Tensor[d];
            for (int dir = 0; dir < d; dir++) {
                int k = layer * d + dir;
                State s = new State(h0.slice(0, k, k + 1).squeeze(0), c0 == null ? null : c0.slice(0, k, k + 1).squeeze(0));
                Tensor[] outs = new Tensor[steps];
                if (steps > 0 && n > 0) {
                    Tensor wHhT = wHh[k].transpose(0, 1);
                    Tensor gi = inputGates(k, input.reshape(steps * n, input.dim(2)), wIh[k].transpose(0, 1));
                    for (int i = 0; i < steps; i++) {
                        int t = dir == 0 ? i : steps - 1 - i;
                        if (active != null && active.running[t] == 0) { // every sequence has ended: nothing moves
                            outs[t] = Tensor.zeros(xs.dtype(), n, hiddenSize);
                            continue;
                        }
                        State next = step(k, gi.slice(0, t * n, (t + 1) * n), s, wHhT);
                        if (active != null && active.running[t] < n) {
                            // past its length a sequence keeps its state (the reverse direction: its initial one
                            // until its last step) and outputs zero
                            Tensor m = active.masks[t];
                            outs[t] = Tensor.where(m, next.h(), Tensor.scalar(0)); // +0 past the end, as PyTorch pads
                            next = new State(Tensor.where(m, next.h(), s.h()),
                                    next.c() == null ? null : Tensor.where(m, next.c(), s.c()));
                        } else {
                            outs[t] = next.h();
                        }
                        s = next;
                    }
                }
                perDirection[dir] = steps == 0 || n == 0 ? Tensor.zeros(xs.dtype(), steps, n, hiddenSize) : Tensor.stack(0, outs);
                hn[k] = s.h();
                cn[k] = s.c();
            }
            Tensor out = d == 1 ? perDirection[0] : Tensor.concat(2, perDirection);
            if (layer < numLayers - 1 && dropout > 0 && isTraining()) {
                out = drop.forward(out);
            }
            input = out;
        }
        Tensor output = batchFirst ? input.transpose(0, 1) : input;
        return new Result(output, new State(Tensor.stack(0, hn), hasCellState() ? Tensor.stack(0, cn) : null));
    }

    /**
     * Per step, how many sequences are still running, and which: a (N, 1) 0/1 mask where only some are; and the (T, N,
     * 1) mask of all steps inside their sequence, null when no sequence is padded.
     */
    private record Active(int[] running, Tensor[] masks, Tensor padding) {
        static Active of(String who, int[] lengths, int steps, int n) {
            if (lengths.length != n) {
                throw new IllegalArgumentException(who + ": need one length per sequence (" + n + "), got " + lengths.length);
            }
            for (int i = 0; i < n; i++) {
                if (lengths[i] < 0 || lengths[i] > steps) {
                    throw new IllegalArgumentException(who + ": lengths must be in 0.." + steps + " (the input's steps), got "
                            + lengths[i] + " for sequence " + i);
                }
            }
            int[] running = new int[steps];
            Tensor[] masks = new Tensor[steps];
            double[] all = new double[steps * n];
            boolean padded = false;
            for (int t = 0; t < steps; t++) {
                double[] m = new double[n];
                for (int i = 0; i < n; i++) {
                    if (t < lengths[i]) {
                        m[i] = 1;
                        running[t]++;
                    }
                }
                System.arraycopy(m, 0, all, t * n, n);
                padded |= running[t] < n;
                masks[t] = running[t] == n || running[t] == 0 ? null : Tensor.fromArray(m, n, 1);
            }
            return new Active(running, masks, padded ? Tensor.fromArray(all, steps, n, 1) : null);
        }
    }

    private IllegalArgumentException badInput(String who, Tensor x) {
        return new IllegalArgumentException(who + ": need input " + (batchFirst ? "(N, T, " : "(T, N, ") + inputSize + ") or (T, "
                + inputSize + ") unbatched, got " + Arrays.toString(x.shape()));
    }

    /** h0 (and c0 for an LSTM) of shape (states, n, H), or (states, H) for n = -1 (unbatched). */
    private void checkState(String who, State s, int states, int n) {
        int[] want = n < 0 ? new int[] {states, hiddenSize} : new int[] {states, n, hiddenSize};
        if (!Arrays.equals(s.h().shape(), want)) {
            throw new IllegalArgumentException(who + ": need h0 " + shape(want) + " (layers * directions"
                    + (n < 0 ? ", hidden" : ", batch, hidden") + "), got " + shape(s.h().shape()));
        }
        if (hasCellState() && s.c() == null) {
            throw new IllegalArgumentException(who + ": the initial state needs c0 as well as h0");
        }
        if (!hasCellState() && s.c() != null) {
            throw new IllegalArgumentException(who + ": has no cell state, but the initial state has a c0 "
                    + shape(s.c().shape()));
        }
        if (s.c() != null && !Arrays.equals(s.c().shape(), want)) {
            throw new IllegalArgumentException(who + ": need c0 " + shape(want) + ", got " + shape(s.c().shape()));
        }
    }

    private static String shape(int[] s) {
        return Arrays.toString(s).replace('[', '(').replace(']', ')');
    }

    /**
     * The input's part of every step's pre-activation at once, (T N, G H) from x (T N, in) and W_ih^T: one matrix
     * product per layer and direction instead of one per step. Folds b_hh in as well when the cell adds it
     * straight to the sum (not the GRU, whose b_hn sits inside r (h W_hn + b_hn)).
     */
    private Tensor inputGates(int k, Tensor x, Tensor wIhT) {
        if (!bias) {
            return x.matmul(wIhT);
        }
        return (foldsHiddenBias() ? bIh[k].add(bHh[k]) : bIh[k]).addmm(x, wIhT);
    }

    /** Whether b_hh may be added to the input part (it is added straight to the pre-activation). */
    boolean foldsHiddenBias() {
        return true;
    }

    /** x W_hh^T + b_hh (without b_hh when there is no bias, or when it was folded into the input part). */
    final Tensor hiddenPart(int k, Tensor h, Tensor wHhT, boolean withBias) {
        return withBias && bias ? bHh[k].addmm(h, wHhT) : h.matmul(wHhT);
    }

    /** One step of direction k: gi is the input's part of the pre-activation (N, G H), s the state (N, H). */
    abstract State step(int k, Tensor gi, State s, Tensor wHhT);

    boolean hasCellState() {
        return false;
    }

    final int directions() {
        return bidirectional ? 2 : 1;
    }

    public final int inputSize() {
        return inputSize;
    }

    public final int hiddenSize() {
        return hiddenSize;
    }

    public final int numLayers() {
        return numLayers;
    }

    public final boolean bidirectional() {
        return bidirectional;
    }

    public final boolean batchFirst() {
        return batchFirst;
    }

    /** As PyTorch prints it: sizes, then the options that differ from the defaults. */
    @Override
    public String describe() {
        StringBuilder sb = new StringBuilder(kind).append('(').append(inputSize).append(", ").append(hiddenSize);
        if (numLayers != 1) {
            sb.append(", numLayers=").append(numLayers);
        }
        describeOptions(sb);
        if (!bias) {
            sb.append(", bias=false");
        }
        if (batchFirst) {
            sb.append(", batchFirst=true");
        }
        if (dropout != 0) {
            sb.append(", dropout=").append(dropout);
        }
        if (bidirectional) {
            sb.append(", bidirectional=true");
        }
        return sb.append(')').toString();
    }

    /** Options of a subclass (the RNN's nonlinearity), after the layer count. */
    void describeOptions(StringBuilder sb) {}
}
