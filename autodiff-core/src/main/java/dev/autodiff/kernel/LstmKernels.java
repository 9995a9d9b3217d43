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
 *
 * <p>The activations are the plain (scalar) functions, element by element. Elementwise's Vector API loops give the
 * same bits faster, but called from here C2 compiled them, in some runs, into code that boxes its vectors: 49 MB of
 * garbage per LSTM training step of LayersBenchmark (74 MB/op instead of 25, in two runs of three), where the point
 * of this class is to allocate nothing.
 */
public final class LstmKernels {
    private LstmKernels() {}

    private static double sigmoid(double x) {
        return Transcendentals.sigmoid(x);
    }

    private static double tanh(double x) {
        return Transcendentals.tanh(x);
    }

    /** {@code out = sigmoid(P_f) c + sigmoid(P_i) tanh(P_g)}. */
    public static void cell(double[] pre, double[] c, double[] out, int h) {
        Elementwise.forRanges(out.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                int p = e / h * 4 * h + e % h;
                out[e] = sigmoid(pre[p + h]) * c[e] + sigmoid(pre[p]) * tanh(pre[p + 2 * h]);
            }
        });
    }

    /** {@code out = sigmoid(P_o) tanh(c')}. */
    public static void hidden(double[] pre, double[] c2, double[] out, int h) {
        Elementwise.forRanges(out.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                int p = e / h * 4 * h + e % h;
                out[e] = sigmoid(pre[p + 3 * h]) * tanh(c2[e]);
            }
        });
    }

    /**
     * The cell's vjp for P added into {@code acc (rows, 4 h)}, g being dL/dc': the input, forget and candidate
     * gates get {@code (g tanh(P_g)) i (1 - i)}, {@code (g c) f (1 - f)}, {@code (g i) (1 - tanh(P_g)^2)}; the
     * output gate nothing.
     */
    public static void cellGradPre(double[] g, double[] pre, double[] c, double[] acc, int h) {
        Elementwise.forRanges(g.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                int p = e / h * 4 * h + e % h;
                double i = sigmoid(pre[p]);
                double f = sigmoid(pre[p + h]);
                double cand = tanh(pre[p + 2 * h]);
                acc[p] += (g[e] * cand) * (i * (1.0 - i));
                acc[p + h] += (g[e] * c[e]) * (f * (1.0 - f));
                acc[p + 2 * h] += (g[e] * i) * (1.0 - cand * cand);
            }
        });
    }

    /** The cell's vjp for c, {@code g sigmoid(P_f)}: added into acc, or stored when {@code add} is false. */
    public static void cellGradC(double[] g, double[] pre, double[] acc, int h, boolean add) {
        Elementwise.forRanges(g.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                double v = g[e] * sigmoid(pre[e / h * 4 * h + e % h + h]);
                acc[e] = add ? acc[e] + v : v;
            }
        });
    }

    /** The hidden state's vjp for P added into {@code acc (rows, 4 h)}: the output gate gets {@code (g tanh(c')) o (1 - o)}. */
    public static void hiddenGradPre(double[] g, double[] pre, double[] c2, double[] acc, int h) {
        Elementwise.forRanges(g.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                int p = e / h * 4 * h + e % h + 3 * h;
                double o = sigmoid(pre[p]);
                acc[p] += (g[e] * tanh(c2[e])) * (o * (1.0 - o));
            }
        });
    }

    /** The hidden state's vjp for c', {@code (g o) (1 - tanh(c')^2)}: added into acc, or stored when {@code add} is false. */
    public static void hiddenGradC(double[] g, double[] pre, double[] c2, double[] acc, int h, boolean add) {
        Elementwise.forRanges(g.length, (from, to) -> {
            for (int e = from; e < to; e++) {
                double t = tanh(c2[e]);
                double v = (g[e] * sigmoid(pre[e / h * 4 * h + e % h + 3 * h])) * (1.0 - t * t);
                acc[e] = add ? acc[e] + v : v;
            }
        });
    }
}
