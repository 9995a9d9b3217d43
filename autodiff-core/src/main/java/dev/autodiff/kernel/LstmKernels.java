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
 * activations from P, c and c'.
 */
public final class LstmKernels {
    private LstmKernels() {}

    // The activations are computed into scratch arrays (rows, h) made by each call and given back to Buffers at its
    // end, nothing else ever seeing them: gate k of every row copied out, then the activation over the whole array
    // by Elementwise's loops, as the composite's ops run them (vector loops over long runs).

    /** Gate k of every row of P (sigmoid, or tanh for the candidate gate 2) as an (rows, h) scratch array. */
    private static double[] gate(double[] pre, int h, int k) {
        int rows = h == 0 ? 0 : pre.length / (4 * h);
        double[] a = Buffers.zeros(rows * h);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(pre, r * 4 * h + k * h, a, r * h, h);
        }
        activate(k == 2 ? Elementwise.Unary.TANH : Elementwise.Unary.SIGMOID, a, a);
        return a;
    }

    private static void activate(Elementwise.Unary op, double[] x, double[] y) {
        Elementwise.forRanges(x.length, (from, to) -> Elementwise.unary(op, x, y, from, to));
    }

    /** tanh(c') as a scratch array. */
    private static double[] tanh(double[] c2) {
        double[] t = Buffers.zeros(c2.length);
        activate(Elementwise.Unary.TANH, c2, t);
        return t;
    }

    private static void recycle(double[]... scratch) {
        for (double[] a : scratch) {
            Buffers.recycle(a);
        }
    }

    /** {@code out = sigmoid(P_f) c + sigmoid(P_i) tanh(P_g)}. */
    public static void cell(double[] pre, double[] c, double[] out, int h) {
        double[] i = gate(pre, h, 0);
        double[] f = gate(pre, h, 1);
        double[] g = gate(pre, h, 2);
        Elementwise.forRanges(out.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                out[e] = f[e] * c[e] + i[e] * g[e];
            }
        });
        recycle(i, f, g);
    }

    /** {@code out = sigmoid(P_o) tanh(c')}. */
    public static void hidden(double[] pre, double[] c2, double[] out, int h) {
        double[] o = gate(pre, h, 3);
        double[] t = tanh(c2);
        Elementwise.forRanges(out.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                out[e] = o[e] * t[e];
            }
        });
        recycle(o, t);
    }

    /**
     * The cell's vjp for P added into {@code acc (rows, 4 h)}, g being dL/dc': the input, forget and candidate
     * gates get {@code (g tanh(P_g)) i (1 - i)}, {@code (g c) f (1 - f)}, {@code (g i) (1 - tanh(P_g)^2)}; the
     * output gate nothing.
     */
    public static void cellGradPre(double[] g, double[] pre, double[] c, double[] acc, int h) {
        double[] i = gate(pre, h, 0);
        double[] f = gate(pre, h, 1);
        double[] cand = gate(pre, h, 2);
        Elementwise.forRanges(g.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                int p = e / h * 4 * h + e % h;
                acc[p] += (g[e] * cand[e]) * (i[e] * (1.0 - i[e]));
                acc[p + h] += (g[e] * c[e]) * (f[e] * (1.0 - f[e]));
                acc[p + 2 * h] += (g[e] * i[e]) * (1.0 - cand[e] * cand[e]);
            }
        });
        recycle(i, f, cand);
    }

    /** The cell's vjp for c, {@code g sigmoid(P_f)}: added into acc, or stored when {@code add} is false. */
    public static void cellGradC(double[] g, double[] pre, double[] acc, int h, boolean add) {
        double[] f = gate(pre, h, 1);
        Elementwise.forRanges(g.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                double v = g[e] * f[e];
                acc[e] = add ? acc[e] + v : v;
            }
        });
        recycle(f);
    }

    /** The hidden state's vjp for P added into {@code acc (rows, 4 h)}: the output gate gets {@code (g tanh(c')) o (1 - o)}. */
    public static void hiddenGradPre(double[] g, double[] pre, double[] c2, double[] acc, int h) {
        double[] o = gate(pre, h, 3);
        double[] t = tanh(c2);
        Elementwise.forRanges(g.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                acc[e / h * 4 * h + e % h + 3 * h] += (g[e] * t[e]) * (o[e] * (1.0 - o[e]));
            }
        });
        recycle(o, t);
    }

    /** The hidden state's vjp for c', {@code (g o) (1 - tanh(c')^2)}: added into acc, or stored when {@code add} is false. */
    public static void hiddenGradC(double[] g, double[] pre, double[] c2, double[] acc, int h, boolean add) {
        double[] o = gate(pre, h, 3);
        double[] t = tanh(c2);
        Elementwise.forRanges(g.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                double v = (g[e] * o[e]) * (1.0 - t[e] * t[e]);
                acc[e] = add ? acc[e] + v : v;
            }
        });
        recycle(o, t);
    }
}
