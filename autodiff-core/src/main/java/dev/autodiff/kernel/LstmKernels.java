package dev.autodiff.kernel;

/**
 * The LSTM cell's pointwise part in one pass over rows of a pre-activation {@code P (rows, 4 h)} (gates input,
 * forget, candidate, output, as torch.nn.LSTMCell) and a cell state {@code c (rows, h)}:
 * {@code c' = sigmoid(P_f) c + sigmoid(P_i) tanh(P_g)} and {@code h' = sigmoid(P_o) tanh(c')}.
 *
 * <p>Each value is the same IEEE operations in the same order as the tensor ops compose them (the activations
 * by the same functions as {@link Elementwise#unary}, whose vector and plain loops agree bit for bit; then
 * {@code f * c + i * g}, {@code o * tanh(c')}; the vjps as the multiplication rules and {@link Elementwise#unaryGrad}
 * form them), so the fused cell gives the composite's bits. Nothing is saved: the backward recomputes the
 * activations from P, c and c', gate by gate along each row (a contiguous run, so the vector loops apply).
 */
public final class LstmKernels {
    private LstmKernels() {}

    /** A loop body over the rows [from, to). */
    @FunctionalInterface
    private interface Rows {
        void run(int from, int to);
    }

    /** Runs body over the rows of P, split over threads when P is large; each row is computed alone, whatever the split. */
    private static void overRows(double[] pre, int h, Rows body) {
        int rows = h == 0 ? 0 : pre.length / (4 * h);
        Gemm.splitRows(rows, 1, pre.length >= Elementwise.PARALLEL_ELEMENTS ? Threads.COUNT : 1,
                (task, from, to) -> body.run(from, to));
    }

    /**
     * The activations of gates [from, to) of each row of P into the same positions of act: sigmoid, tanh for the
     * candidate gate (2). By {@link Elementwise}'s loops, vector ones on long rows.
     */
    private static void gates(double[] pre, double[] act, int h, int row, int from, int to) {
        int base = row * 4 * h;
        for (int k = from; k < to; k++) {
            Elementwise.unary(k == 2 ? Elementwise.Unary.TANH : Elementwise.Unary.SIGMOID, pre, act,
                    base + k * h, base + (k + 1) * h);
        }
    }

    /** tanh of row r of c' into the same positions of t. */
    private static void tanhRow(double[] c2, double[] t, int h, int row) {
        Elementwise.unary(Elementwise.Unary.TANH, c2, t, row * h, (row + 1) * h);
    }

    // The activations live in scratch arrays made by each call and given back to Buffers at its end: nothing else
    // ever sees them.

    /** {@code out = sigmoid(P_f) c + sigmoid(P_i) tanh(P_g)}. */
    public static void cell(double[] pre, double[] c, double[] out, int h) {
        double[] act = Buffers.zeros(pre.length);
        overRows(pre, h, (from, to) -> {
            for (int r = from; r < to; r++) {
                gates(pre, act, h, r, 0, 3);
                for (int j = 0, e = r * h, p = r * 4 * h; j < h; j++, e++, p++) {
                    out[e] = act[p + h] * c[e] + act[p] * act[p + 2 * h];
                }
            }
        });
        Buffers.recycle(act);
    }

    /** {@code out = sigmoid(P_o) tanh(c')}. */
    public static void hidden(double[] pre, double[] c2, double[] out, int h) {
        double[] act = Buffers.zeros(pre.length);
        double[] t = Buffers.zeros(c2.length);
        overRows(pre, h, (from, to) -> {
            for (int r = from; r < to; r++) {
                gates(pre, act, h, r, 3, 4);
                tanhRow(c2, t, h, r);
                for (int j = 0, e = r * h, p = r * 4 * h + 3 * h; j < h; j++, e++, p++) {
                    out[e] = act[p] * t[e];
                }
            }
        });
        Buffers.recycle(act);
        Buffers.recycle(t);
    }

    /**
     * The cell's vjp for P added into {@code acc (rows, 4 h)}, g being dL/dc': the input, forget and candidate
     * gates get {@code (g tanh(P_g)) i (1 - i)}, {@code (g c) f (1 - f)}, {@code (g i) (1 - tanh(P_g)^2)}; the
     * output gate nothing.
     */
    public static void cellGradPre(double[] g, double[] pre, double[] c, double[] acc, int h) {
        double[] act = Buffers.zeros(pre.length);
        overRows(pre, h, (from, to) -> {
            for (int r = from; r < to; r++) {
                gates(pre, act, h, r, 0, 3);
                for (int j = 0, e = r * h, p = r * 4 * h; j < h; j++, e++, p++) {
                    double i = act[p];
                    double f = act[p + h];
                    double cand = act[p + 2 * h];
                    acc[p] += (g[e] * cand) * (i * (1.0 - i));
                    acc[p + h] += (g[e] * c[e]) * (f * (1.0 - f));
                    acc[p + 2 * h] += (g[e] * i) * (1.0 - cand * cand);
                }
            }
        });
        Buffers.recycle(act);
    }

    /** The cell's vjp for c, {@code g sigmoid(P_f)}: added into acc, or stored when {@code add} is false. */
    public static void cellGradC(double[] g, double[] pre, double[] acc, int h, boolean add) {
        double[] act = Buffers.zeros(pre.length);
        overRows(pre, h, (from, to) -> {
            for (int r = from; r < to; r++) {
                gates(pre, act, h, r, 1, 2);
                for (int j = 0, e = r * h, p = r * 4 * h + h; j < h; j++, e++, p++) {
                    double v = g[e] * act[p];
                    acc[e] = add ? acc[e] + v : v;
                }
            }
        });
        Buffers.recycle(act);
    }

    /** The hidden state's vjp for P added into {@code acc (rows, 4 h)}: the output gate gets {@code (g tanh(c')) o (1 - o)}. */
    public static void hiddenGradPre(double[] g, double[] pre, double[] c2, double[] acc, int h) {
        double[] act = Buffers.zeros(pre.length);
        double[] t = Buffers.zeros(c2.length);
        overRows(pre, h, (from, to) -> {
            for (int r = from; r < to; r++) {
                gates(pre, act, h, r, 3, 4);
                tanhRow(c2, t, h, r);
                for (int j = 0, e = r * h, p = r * 4 * h + 3 * h; j < h; j++, e++, p++) {
                    double o = act[p];
                    acc[p] += (g[e] * t[e]) * (o * (1.0 - o));
                }
            }
        });
        Buffers.recycle(act);
        Buffers.recycle(t);
    }

    /** The hidden state's vjp for c', {@code (g o) (1 - tanh(c')^2)}: added into acc, or stored when {@code add} is false. */
    public static void hiddenGradC(double[] g, double[] pre, double[] c2, double[] acc, int h, boolean add) {
        double[] act = Buffers.zeros(pre.length);
        double[] t = Buffers.zeros(c2.length);
        overRows(pre, h, (from, to) -> {
            for (int r = from; r < to; r++) {
                gates(pre, act, h, r, 3, 4);
                tanhRow(c2, t, h, r);
                for (int j = 0, e = r * h, p = r * 4 * h + 3 * h; j < h; j++, e++, p++) {
                    double v = (g[e] * act[p]) * (1.0 - t[e] * t[e]);
                    acc[e] = add ? acc[e] + v : v;
                }
            }
        });
        Buffers.recycle(act);
        Buffers.recycle(t);
    }
}
