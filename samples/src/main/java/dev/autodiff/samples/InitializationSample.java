package dev.autodiff.samples;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Linear;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The Tsinghua lecture's table of initialisations (seed 003, section 5.4), measured. A stack of {@code depth} square
 * layers z_l = a_{l-1} W_l, a_l = g(z_l) (no bias, width n, g = tanh or ReLU) runs on one seeded batch of standard
 * normal inputs, with W_l from {@link Init}: zero, normal with std 1 and 0.01, Xavier (Glorot) normal and He
 * (Kaiming) normal. Every random init of layer l draws the same standard normals (seed + 100 + l) and scales them, so
 * the inits differ only in Var(w): 1, 1e-4, 2/(n+n) = 1/n, 2/n.
 *
 * <p>The lecture's argument, in one line: Var(z_{l+1}) = fan_in Var(w) E[a_l^2]. Xavier's Var(w) = 2/(fan_in +
 * fan_out) makes the factor 1 where tanh is linear (tanh'(0) = 1); He's 2/fan_in makes it 1 for ReLU, which zeroes
 * half of a symmetric input (E[relu(z)^2] = Var(z)/2); zero weights make every unit compute the same thing.
 *
 * <p>For each layer: the mean and std of a_l over the batch and the units, the fraction of saturated values (|tanh|
 * &gt; 0.99, where tanh' &lt; 0.02), the fraction of dead units (0 on every input of the batch), and, after one
 * backward pass of the probe loss L = sum(a_depth * r) / batch (r a seeded standard normal, so dL/da_depth = r /
 * batch whatever the output's size), the std of dL/dW_l. Charts (PNG, SVG) go to target/initialization/, every layer's
 * numbers to target/initialization/layers.csv. Sizes: {@code -Dinitialization.depth=20}, {@code .width=256},
 * {@code .batch=512}, {@code .seed=7}.
 */
final class InitializationSample {
    static final List<String> INITS = List.of("zero", "normal(1)", "normal(0.01)", "xavier", "he");
    static final List<String> ACTIVATIONS = List.of("tanh", "relu");
    /** |tanh| above this counts as saturated: the derivative 1 - a^2 is below 0.02 there. */
    static final double SATURATED = 0.99;

    private InitializationSample() {}

    record Settings(int depth, int width, int batch, long seed) {
        Settings {
            if (depth < 1 || width < 1 || batch < 1) {
                throw new IllegalArgumentException("initialization: need depth, width and batch >= 1, got depth " + depth
                        + ", width " + width + ", batch " + batch);
            }
        }

        static Settings fromProperties() {
            return new Settings(Integer.getInteger("initialization.depth", 20), Integer.getInteger("initialization.width", 256),
                    Integer.getInteger("initialization.batch", 512), Long.getLong("initialization.seed", 7L));
        }
    }

    /**
     * One layer's numbers. mean, std: of a_l over batch x units; zSquare: mean of z_l^2 (the pre-activation's second
     * moment, the lecture's Var(z)); aSquare: mean of a_l^2; saturated: fraction of |a_l| &gt; 0.99; dead: fraction of
     * units that are 0 for every input; unitSpread: max |a_l[i, j] - a_l[i, 0]|, 0 when every unit computes the same;
     * gradStd: std of dL/dW_l; gradSpread: max |dL/dW_l[k, j] - dL/dW_l[k, 0]|; deltaRms: sqrt(mean (dL/dz_l)^2).
     */
    record Layer(double mean, double std, double zSquare, double aSquare, double saturated, double dead,
            double unitSpread, double gradStd, double gradSpread, double deltaRms) {}

    record Run(String init, String activation, List<Layer> layers) {}

    /** W_l (n, n) for an init by name, from the layer's seed. */
    static Tensor weight(String init, int n, long seed) {
        return switch (init) {
            case "zero" -> Init.zeros(n, n);
            case "normal(1)" -> Init.normal(seed, 0, 1, n, n);
            case "normal(0.01)" -> Init.normal(seed, 0, 0.01, n, n);
            case "xavier" -> Init.xavierNormal(seed, n, n, n, n);
            case "he" -> Init.heNormal(seed, n, n, n);
            default -> throw new IllegalArgumentException("initialization: unknown init '" + init + "', expected one of " + INITS);
        };
    }

    /** The batch every run sees: standard normal, so E[x^2] = 1. */
    static Tensor inputs(Settings s) {
        return Tensor.randn(s.seed(), s.batch(), s.width());
    }

    /** Forward through the stack, one backward pass of the probe loss, and every layer's statistics. */
    static Run measure(String init, String activation, Settings s) {
        if (!ACTIVATIONS.contains(activation)) {
            throw new IllegalArgumentException("initialization: unknown activation '" + activation + "', expected one of "
                    + ACTIVATIONS);
        }
        int n = s.width();
        List<Linear> layers = new ArrayList<>();
        for (int l = 0; l < s.depth(); l++) {
            layers.add(new Linear(weight(init, n, s.seed() + 100 + l), null));
        }
        Tensor a = inputs(s);
        List<Tensor> zs = new ArrayList<>();
        List<Tensor> as = new ArrayList<>();
        for (Linear layer : layers) {
            Tensor z = layer.forward(a).retainGrad();
            a = activation.equals("tanh") ? z.tanh() : z.relu();
            zs.add(z);
            as.add(a);
        }
        Tensor probe = Tensor.randn(s.seed() + 1, s.batch(), n);
        a.mul(probe).sum().div(s.batch()).backward();
        List<Layer> stats = new ArrayList<>();
        for (int l = 0; l < s.depth(); l++) {
            stats.add(stats(zs.get(l), as.get(l), layers.get(l).weight().grad(), s.batch(), n));
        }
        return new Run(init, activation, List.copyOf(stats));
    }

    private static Layer stats(Tensor zt, Tensor at, Tensor gwt, int rows, int n) {
        double[] z = zt.toArray();
        double[] a = at.toArray();
        double[] dz = zt.grad().toArray();
        double[] gw = gwt.toArray();
        double sum = 0;
        double aSquare = 0;
        double zSquare = 0;
        double deltaSquare = 0;
        int saturated = 0;
        for (int k = 0; k < a.length; k++) {
            sum += a[k];
            aSquare += a[k] * a[k];
            zSquare += z[k] * z[k];
            deltaSquare += dz[k] * dz[k];
            saturated += Math.abs(a[k]) > SATURATED ? 1 : 0;
        }
        double mean = sum / a.length;
        double var = 0;
        for (double v : a) {
            var += (v - mean) * (v - mean);
        }
        int dead = 0;
        for (int j = 0; j < n; j++) {
            boolean allZero = true;
            for (int i = 0; i < rows && allZero; i++) {
                allZero = a[i * n + j] == 0;
            }
            dead += allZero ? 1 : 0;
        }
        return new Layer(mean, Math.sqrt(var / a.length), zSquare / a.length, aSquare / a.length,
                (double) saturated / a.length, (double) dead / n, spread(a, rows, n), std(gw), spread(gw, n, n),
                Math.sqrt(deltaSquare / a.length));
    }

    /** max over (i, j) of |m[i, j] - m[i, 0]| for an (rows, n) row-major matrix: 0 when all columns are equal. */
    private static double spread(double[] m, int rows, int n) {
        double max = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 1; j < n; j++) {
                max = Math.max(max, Math.abs(m[i * n + j] - m[i * n]));
            }
        }
        return max;
    }

    private static double std(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean);
        }
        return Math.sqrt(var / v.length);
    }

    /** Every (activation, init) pair, activations outer. */
    static List<Run> measureAll(Settings s) {
        List<Run> runs = new ArrayList<>();
        for (String activation : ACTIVATIONS) {
            for (String init : INITS) {
                runs.add(measure(init, activation, s));
            }
        }
        return runs;
    }

    static Run find(List<Run> runs, String init, String activation) {
        return runs.stream().filter(r -> r.init().equals(init) && r.activation().equals(activation)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("initialization: no run " + init + " / " + activation));
    }

    static void run() throws Exception {
        System.setProperty("java.awt.headless", "true");
        Settings s = Settings.fromProperties();
        Path dir = Path.of("target", "initialization");
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        List<Run> runs = measureAll(s);
        System.out.printf(Locale.ROOT, "%d layers of width %d without bias, a batch of %d standard normal inputs (seed %d); "
                + "std of w: normal(1) 1, normal(0.01) 0.01, xavier sqrt(2/(%d+%d)) = %.4f, he sqrt(2/%d) = %.4f%n",
                s.depth(), s.width(), s.batch(), s.seed(), s.width(), s.width(), Math.sqrt(1.0 / s.width()), s.width(),
                Math.sqrt(2.0 / s.width()));
        System.out.println("Look at how std(a) moves from layer 1 to the last: constant is what a good init buys.");
        int[] shown = shownLayers(s.depth());
        for (String activation : ACTIVATIONS) {
            System.out.println();
            System.out.printf("%s: per layer l, mean and std of a_l, %s, and after one backward pass the rms of dL/dz_l "
                    + "and the std of dL/dW_l%n",
                    activation, activation.equals("tanh") ? "fraction saturated (|a| > 0.99)" : "fraction of dead units");
            System.out.printf("%-13s %5s %11s %11s %9s %11s %11s%n", "init", "layer", "mean", "std",
                    activation.equals("tanh") ? "saturated" : "dead", "rms dL/dz", "std dL/dW");
            for (String init : INITS) {
                Run r = find(runs, init, activation);
                for (int l : shown) {
                    Layer x = r.layers().get(l - 1);
                    System.out.printf(Locale.ROOT, "%-13s %5d %11.3e %11.3e %9.3f %11.3e %11.3e%n", l == shown[0] ? init : "",
                            l, x.mean(), x.std(), activation.equals("tanh") ? x.saturated() : x.dead(), x.deltaRms(),
                            x.gradStd());
                }
            }
        }
        writeCsv(runs, dir.resolve("layers.csv"));
        for (String activation : ACTIVATIONS) {
            save(chart(runs, activation, false, s), dir.resolve("activation-std-" + activation));
            save(chart(runs, activation, true, s), dir.resolve("gradient-std-" + activation));
        }
        System.out.println();
        for (String line : verdicts(runs, s)) {
            System.out.println(line);
        }
        System.out.printf(Locale.ROOT, "%ncharts written to %s (activation-std-tanh, activation-std-relu, gradient-std-tanh, "
                + "gradient-std-relu; .png/.svg), every layer in layers.csv; %.1f s%n", dir.toAbsolutePath(),
                (System.nanoTime() - t0) / 1e9);
    }

    private static int[] shownLayers(int depth) {
        return java.util.stream.IntStream.of(1, 2, 3, 5, 10, 15, 20, depth).filter(l -> l <= depth).distinct().sorted()
                .toArray();
    }

    /** What the lecture predicts and whether the measurement agrees, each with the numbers it rests on. */
    static List<String> verdicts(List<Run> runs, Settings s) {
        int last = s.depth() - 1;
        List<String> out = new ArrayList<>();
        out.add("What the lecture predicts, and what was measured (layer 1 against layer " + s.depth() + "):");

        Layer x1 = find(runs, "xavier", "tanh").layers().get(0);
        Layer xL = find(runs, "xavier", "tanh").layers().get(last);
        double xRatio = x1.std() / xL.std();
        Layer small1 = find(runs, "normal(0.01)", "tanh").layers().get(0);
        Layer smallL = find(runs, "normal(0.01)", "tanh").layers().get(last);
        out.add(String.format(Locale.ROOT, "- Xavier keeps tanh's variance about constant: std(a) %.3f -> %.3f, down by a factor "
                + "%.2f (normal(0.01): %.1e -> %.1e). %s", x1.std(), xL.std(), xRatio, small1.std(), smallL.std(),
                xRatio <= 2 ? "Agrees." : xRatio <= 10 ? "Agrees in kind, not literally: the derivation takes tanh as linear "
                        + "(tanh'(0) = 1); its curvature, E[tanh(z)^2] ~ q - 2q^2 for Var(z) = q, makes the variance fall "
                        + "slowly, about as 1/(2l) at depth l (" + String.format(Locale.ROOT, "E[a^2] %.4f at layer %d, "
                        + "1/(2l) = %.4f", xL.aSquare(), s.depth(), 0.5 / s.depth()) + "), instead of geometrically."
                        : "Disagrees."));

        Layer h1 = find(runs, "he", "relu").layers().get(0);
        Layer hL = find(runs, "he", "relu").layers().get(last);
        double hRatio = Math.max(hL.aSquare() / h1.aSquare(), h1.aSquare() / hL.aSquare());
        Layer xr1 = find(runs, "xavier", "relu").layers().get(0);
        Layer xrL = find(runs, "xavier", "relu").layers().get(last);
        // For one input, a He layer multiplies |a|^2 by (2/n) sum_j u_j^2 [u_j > 0] with u_j iid N(0, 1): mean 1,
        // variance (4 E[u^4] / 2 - 1) / n = 5/n; so log E[a^2] wanders with sd about sqrt(5 (L - 1) / n) over L layers.
        // The batch averages that only while its inputs are unaligned, and depth aligns them.
        double wander = Math.sqrt(5.0 * last / s.width());
        double hLog = Math.abs(Math.log(hRatio));
        out.add(String.format(Locale.ROOT, "- He keeps ReLU's second moment: E[a^2] %.3f -> %.3f (a factor %.2f); Xavier with "
                + "ReLU halves it at each layer: %.3f -> %.1e (%.3f * 2^-%d = %.1e). %s Only in expectation: at width %d "
                + "each layer multiplies one input's |a|^2 by a random factor of mean 1 and variance 5/n, so over %d layers "
                + "its log wanders with sd about sqrt(5 * %d / %d) = %.2f: one sd is a factor of %.2f.",
                h1.aSquare(), hL.aSquare(), hRatio, xr1.aSquare(), xrL.aSquare(), xr1.aSquare(), last,
                xr1.aSquare() * Math.pow(2, -last), hRatio <= 2 ? "Agrees." : hLog <= 3 * wander
                        ? "Agrees within the finite-width wander." : "Disagrees.",
                s.width(), s.depth(), last, s.width(), wander, Math.exp(wander)));

        boolean alike = true;
        boolean allZero = true;
        for (String activation : ACTIVATIONS) {
            for (Layer l : find(runs, "zero", activation).layers()) {
                alike &= l.unitSpread() == 0 && l.gradSpread() == 0;
                allZero &= l.gradStd() == 0;
            }
        }
        out.add("- Zero init makes every unit alike: " + (alike ? "every unit of every layer has the same activation on "
                + "every input and the same weight gradient" : "some units differ") + (allZero ? "; without biases those "
                + "gradients are exactly 0, so gradient descent never moves a weight" : "") + ". " + (alike ? "Agrees." : "Disagrees."));

        Layer n1t = find(runs, "normal(1)", "tanh").layers().get(0);
        Layer n1tL = find(runs, "normal(1)", "tanh").layers().get(last);
        Layer n1rL = find(runs, "normal(1)", "relu").layers().get(last);
        Layer smallRL = find(runs, "normal(0.01)", "relu").layers().get(last);
        out.add(String.format(Locale.ROOT, "- An unsuited random init puts optimisation in trouble: normal(1) saturates tanh "
                + "(%.0f%% of values at |a| > 0.99 in layer 1, %.0f%% in layer %d) and blows ReLU up (std %.1e at layer %d); "
                + "normal(0.01) shrinks both to nothing (std %.1e and %.1e at layer %d). Agrees.", 100 * n1t.saturated(),
                100 * n1tL.saturated(), s.depth(), n1rL.std(), s.depth(), smallL.std(), smallRL.std(), s.depth()));

        Run nt = find(runs, "normal(1)", "tanh");
        Run st = find(runs, "normal(0.01)", "tanh");
        out.add(String.format(Locale.ROOT, "- Gradients, std of dL/dW at layer 1 and layer %d: he/relu %.1e and %.1e, "
                + "xavier/tanh %.1e and %.1e; normal(1)/tanh %.1e and %.1e, exploding toward the input (saturated units "
                + "still pass a gradient, and |W| is %d times Xavier's); normal(0.01)/tanh %.1e and %.1e, vanishing at every "
                + "layer at once: in a stack this close to linear dL/dW_l = a_{l-1}^T dL/dz_l, and a shrinks going up as "
                + "fast as dL/dz shrinks going down (rms dL/dz: %.1e at layer %d, %.1e at layer 1).", s.depth(),
                h1.gradStd(), hL.gradStd(), x1.gradStd(), xL.gradStd(), nt.layers().get(0).gradStd(),
                nt.layers().get(last).gradStd(), Math.round(Math.sqrt(s.width())), st.layers().get(0).gradStd(),
                st.layers().get(last).gradStd(), st.layers().get(last).deltaRms(), s.depth(), st.layers().get(0).deltaRms()));

        out.add(String.format(Locale.ROOT, "- Not in the lecture: dead ReLU units grow with depth under every random init "
                + "(%.0f%% at layer %d with He), the same fraction for all four, because relu(cz) = c relu(z) makes the "
                + "four stacks (the same normals, scaled) one function up to a factor per layer; depth aligns the inputs' "
                + "representations, so a unit that is off for one input is off for all.", 100 * hL.dead(), s.depth()));
        return out;
    }

    private static void writeCsv(List<Run> runs, Path file) throws Exception {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
            w.println("activation,init,layer,mean,std,z_square,a_square,saturated,dead,grad_std,delta_rms");
            for (Run r : runs) {
                for (int l = 0; l < r.layers().size(); l++) {
                    Layer x = r.layers().get(l);
                    w.printf(Locale.ROOT, "%s,%s,%d,%.6e,%.6e,%.6e,%.6e,%.6f,%.6f,%.6e,%.6e%n", r.activation(), r.init(), l + 1,
                            x.mean(), x.std(), x.zSquare(), x.aSquare(), x.saturated(), x.dead(), x.gradStd(), x.deltaRms());
                }
            }
        }
    }

    /** std of a_l (or of dL/dW_l) against l, log y; a series with a value <= 0 (zero init) cannot be drawn on it. */
    private static XYChart chart(List<Run> runs, String activation, boolean gradient, Settings s) {
        XYChart c = new XYChartBuilder().width(800).height(520)
                .title((gradient ? "std of dL/dW per layer, " : "std of the activations per layer, ") + activation
                        + " (zero init: 0 everywhere, not drawn)")
                .xAxisTitle("layer").yAxisTitle(gradient ? "std of dL/dW (log)" : "std of a (log)").build();
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        double[] xs = java.util.stream.IntStream.rangeClosed(1, s.depth()).asDoubleStream().toArray();
        for (String init : INITS) {
            double[] ys = find(runs, init, activation).layers().stream()
                    .mapToDouble(l -> gradient ? l.gradStd() : l.std()).toArray();
            if (java.util.Arrays.stream(ys).allMatch(y -> y > 0 && Double.isFinite(y))) {
                c.addSeries(init, xs, ys).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        return c;
    }

    private static void save(XYChart c, Path base) throws Exception {
        BitmapEncoder.saveBitmap(c, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(c, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }
}
