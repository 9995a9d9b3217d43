package dev.autodiff.samples;

import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Adadelta;
import dev.autodiff.nn.optim.Adagrad;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Optimizer;
import dev.autodiff.nn.optim.RmsProp;
import dev.autodiff.nn.optim.Schedules;
import dev.autodiff.nn.optim.Sgd;
import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The lectures' comparison of gradient methods (001, "各类梯度方法的效果对比") on the classic test of them, the
 * Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (-1.5, 2): a curved valley, steep across (curvature
 * about 1000 at the minimum (1, 1)) and flat along (about 0.4), so that a step small enough not to bounce across the
 * valley crawls along it. SGD, momentum, Nesterov, AdaGrad, RMSProp, AdaDelta and Adam, the library's optimizers on
 * one 2-element parameter, each at its own learning rate, the best of a grid (see {@link #tune}). Prints a table of
 * final point, final value and steps to f &lt; 1e-3; draws the paths on a contour plot (level sets by marching
 * squares), f against the step, and the learning-rate schedules of the lectures' 003 (step, inverse-time,
 * exponential, cosine) over epochs, under target/optimizers/ (PNG and SVG).
 *
 * <p>{@code -Doptimizers.steps=N} (default 5000) sets the steps of each run, {@code -Doptimizers.epochs=N}
 * (default 100) the epochs of the schedule chart.
 */
final class OptimizersSample {
    /** The picture's window; a run that leaves it counts as diverged. */
    static final double X_MIN = -2;
    static final double X_MAX = 2;
    static final double Y_MIN = -1;
    static final double Y_MAX = 3;
    static final double[] START = {-1.5, 2};
    /** A run has converged when f drops below this. */
    static final double TARGET = 1e-3;

    private OptimizersSample() {}

    /** An optimizer of the comparison, made from the parameters and a learning rate, with its other defaults. */
    record Method(String name, BiFunction<List<Tensor>, Double, Optimizer> make) {}

    static final List<Method> METHODS = List.of(
            new Method("SGD", Sgd::new),
            new Method("momentum 0.9", (ps, lr) -> new Sgd(ps, lr, 0.9, false, 0)),
            new Method("Nesterov 0.9", (ps, lr) -> new Sgd(ps, lr, 0.9, true, 0)),
            new Method("AdaGrad", Adagrad::new),
            new Method("RMSProp", RmsProp::new),
            new Method("AdaDelta", Adadelta::new),
            new Method("Adam", Adam::new));

    static double rosenbrock(double x, double y) {
        return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    }

    /** The same function of a 2-element tensor (x, y), through the library's ops, so that backward gives its gradient. */
    static Tensor rosenbrock(Tensor p) {
        Tensor x = p.slice(0, 0, 1);
        Tensor y = p.slice(0, 1, 2);
        return x.rsub(1).square().add(y.sub(x.square()).square().mul(100)).sum();
    }

    /**
     * A run: the points p_0 = START, p_1, ... and f at each. A diverged run (f not finite, or the point outside the
     * window) ends at the first such point, which it keeps.
     */
    record Run(Method method, double lr, double[] x, double[] y, double[] f, boolean diverged) {
        int points() {
            return f.length;
        }

        double last() {
            return f[f.length - 1];
        }

        /** The first step t with f(p_t) &lt; TARGET, or -1. */
        int reached() {
            for (int t = 0; t < f.length; t++) {
                if (f[t] < TARGET) {
                    return t;
                }
            }
            return -1;
        }

        /** Converged: reached TARGET and still below it at the end. */
        boolean converged() {
            return !diverged && reached() >= 0 && last() < TARGET;
        }
    }

    /** {@code steps} steps of {@code method} at {@code lr} from START: each step a forward pass, backward and step(). */
    static Run descend(Method method, double lr, int steps) {
        Tensor p = Tensor.fromArray(START.clone()).requiresGrad();
        Optimizer opt = method.make().apply(List.of(p), lr);
        double[] xs = new double[steps + 1];
        double[] ys = new double[steps + 1];
        double[] fs = new double[steps + 1];
        for (int t = 0; ; t++) {
            xs[t] = p.get(0);
            ys[t] = p.get(1);
            opt.zeroGrad();
            Tensor f = rosenbrock(p);
            fs[t] = f.item();
            boolean out = !(Double.isFinite(fs[t]) && xs[t] >= X_MIN && xs[t] <= X_MAX && ys[t] >= Y_MIN && ys[t] <= Y_MAX);
            if (out || t == steps) {
                int n = t + 1;
                return new Run(method, lr, Arrays.copyOf(xs, n), Arrays.copyOf(ys, n), Arrays.copyOf(fs, n), out);
            }
            f.backward();
            opt.step();
        }
    }

    /** Learning rates 10^(k/4) for k = -16..4: 1e-4 to 10, four to a decade. */
    static double[] lrGrid() {
        double[] g = new double[21];
        for (int k = -16; k <= 4; k++) {
            g[k + 16] = Math.pow(10, k / 4.0);
        }
        return g;
    }

    /**
     * The learning rate a user would pick by trying the grid: among the runs that do not diverge (stay finite and in
     * the picture), a converged run beats one that is not, converged runs rank by the steps to f &lt; TARGET, and the
     * rest by their final f. Ties go to the smaller rate.
     */
    static Run tune(Method method, int steps) {
        Run best = null;
        for (double lr : lrGrid()) {
            Run r = descend(method, lr, steps);
            if (!r.diverged() && (best == null || better(r, best))) {
                best = r;
            }
        }
        if (best == null) {
            throw new IllegalStateException(method.name() + ": every learning rate of the grid diverged");
        }
        return best;
    }

    private static boolean better(Run a, Run b) {
        if (a.converged() != b.converged()) {
            return a.converged();
        }
        if (a.converged() && a.reached() != b.reached()) {
            return a.reached() < b.reached();
        }
        return a.last() < b.last();
    }

    /**
     * The level set f = level over the window by marching squares on an n x n grid: segments {x0, y0, x1, y1} with
     * their ends on the cell edges where f crosses the level, linearly interpolated. A saddle cell (opposite corners
     * on the same side) is resolved by the saddle value of the bilinear interpolant of its corners (the asymptotic
     * decider), which is exact when f is bilinear.
     */
    static List<double[]> contour(DoubleBinaryOperator f, double level, int n) {
        double dx = (X_MAX - X_MIN) / (n - 1);
        double dy = (Y_MAX - Y_MIN) / (n - 1);
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                v[i][j] = f.applyAsDouble(X_MIN + i * dx, Y_MIN + j * dy) - level;
            }
        }
        List<double[]> segments = new ArrayList<>();
        for (int i = 0; i + 1 < n; i++) {
            for (int j = 0; j + 1 < n; j++) {
                double x0 = X_MIN + i * dx;
                double y0 = Y_MIN + j * dy;
                // corners counter-clockwise from the bottom left, and the edge k from corner k to corner k + 1
                double[] c = {v[i][j], v[i + 1][j], v[i + 1][j + 1], v[i][j + 1]};
                double[] cx = {x0, x0 + dx, x0 + dx, x0};
                double[] cy = {y0, y0, y0 + dy, y0 + dy};
                List<double[]> crossings = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    double a = c[k];
                    double b = c[(k + 1) % 4];
                    if ((a < 0) != (b < 0)) {
                        double s = a / (a - b);
                        crossings.add(new double[] {cx[k] + s * (cx[(k + 1) % 4] - cx[k]), cy[k] + s * (cy[(k + 1) % 4] - cy[k]), k});
                    }
                }
                if (crossings.size() == 2) {
                    segments.add(segment(crossings.get(0), crossings.get(1)));
                } else if (crossings.size() == 4) {
                    // saddle: corners 0 and 2 on one side, 1 and 3 on the other. The bilinear interpolant's saddle value
                    // is (c0 c2 - c1 c3) / (c0 + c2 - c1 - c3) (the denominator is not 0: its terms have one sign). On
                    // corner 0's side, 0 and 2 are joined through it and the level cuts off corners 1 and 3: pair
                    // edges (0, 1) and (2, 3); else it cuts off corners 0 and 2: pair (1, 2) and (3, 0)
                    double saddle = (c[0] * c[2] - c[1] * c[3]) / (c[0] + c[2] - c[1] - c[3]);
                    boolean withCorner0 = (saddle < 0) == (c[0] < 0);
                    int first = withCorner0 ? 0 : 1;
                    segments.add(segment(crossings.get(first), crossings.get(first + 1)));
                    segments.add(segment(crossings.get((first + 2) % 4), crossings.get((first + 3) % 4)));
                }
            }
        }
        return segments;
    }

    private static double[] segment(double[] a, double[] b) {
        return new double[] {a[0], a[1], b[0], b[1]};
    }

    /** The schedules of the chart, as lr per epoch 0..epochs-1, from lr0 = 0.1. */
    static Map<String, double[]> scheduleCurves(int epochs) {
        Map<String, Schedules.Schedule> s = new LinkedHashMap<>();
        s.put("step (x0.5 every 25)", Schedules.step(0.1, 25, 0.5));
        s.put("inverse-time (rate 0.05)", Schedules.inverseTime(0.1, 0.05));
        s.put("exponential (x0.97)", Schedules.exponential(0.1, 0.97));
        s.put("cosine (to 0.001 at " + epochs + ")", Schedules.cosine(0.1, epochs, 0.001));
        Map<String, double[]> out = new LinkedHashMap<>();
        s.forEach((name, sched) -> {
            double[] lr = new double[epochs];
            for (int e = 0; e < epochs; e++) {
                lr[e] = sched.lr(e);
            }
            out.put(name, lr);
        });
        return out;
    }

    static void run() throws Exception {
        int steps = Integer.getInteger("optimizers.steps", 5000);
        int epochs = Integer.getInteger("optimizers.epochs", 100);
        System.setProperty("java.awt.headless", "true");
        Path dir = Path.of("target", "optimizers");
        Files.createDirectories(dir);

        System.out.printf("Rosenbrock f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (%.1f, %.1f), f = %.2f; minimum f(1, 1) = 0.%n",
                START[0], START[1], rosenbrock(START[0], START[1]));
        System.out.printf("%d steps each; learning rate the best of %d on 1e-4..10 (four a decade): fewest steps to f < %.0e,%n",
                steps, lrGrid().length, TARGET);
        System.out.printf("or lowest final f if none gets there; a run that leaves the window [%.0f, %.0f] x [%.0f, %.0f] "
                + "counts as diverged.%n%n", X_MIN, X_MAX, Y_MIN, Y_MAX);
        List<Run> runs = new ArrayList<>();
        System.out.printf("%-13s %9s %22s %12s %16s%n", "optimizer", "lr", "final (x, y)", "final f", "steps to f<1e-3");
        for (Method m : METHODS) {
            Run r = tune(m, steps);
            runs.add(r);
            int n = r.points() - 1;
            System.out.printf("%-13s %9.3g %22s %12.3e %16s%n", m.name(), r.lr(),
                    String.format("(%.5f, %.5f)", r.x()[n], r.y()[n]), r.last(),
                    r.reached() >= 0 ? Integer.toString(r.reached()) : "not reached");
        }
        Run adadelta1 = descend(METHODS.get(5), 1.0, steps);
        System.out.printf("%nAdaDelta at PyTorch's default lr 1 (the method is meant to need no rate): final f %.3e, %s.%n",
                adadelta1.last(), adadelta1.reached() >= 0 ? "f < 1e-3 at step " + adadelta1.reached() : "f < 1e-3 not reached");
        System.out.println("Look at: SGD's rate is capped by the valley's steep wall (lr < 2/1000 at the minimum), so it"
                + " crawls along the flat floor; momentum, at the same rate, moves about 1/(1 - 0.9) = 10 times as far a step"
                + " along it. RMSProp and Adam take steps of about lr whatever the size of the gradient: a rate large enough"
                + " to travel makes them hover around the minimum (Adam's f falls far below 1e-3 and jumps back, see"
                + " convergence.png). AdaGrad's steps shrink as 1/sqrt(t), and AdaDelta's start at about"
                + " lr sqrt(eps / (1 - rho)) = 0.003 lr and grow only as its own past steps do: both are the slow ones here.");

        XYChart paths = contourChart(runs);
        save(paths, dir.resolve("paths"));
        XYChart conv = convergenceChart(runs);
        save(conv, dir.resolve("convergence"));

        Map<String, double[]> curves = scheduleCurves(epochs);
        System.out.printf("%nLearning-rate schedules from lr0 = 0.1 (Schedules; the lectures' 003 gives inverse-time and "
                + "exponential):%n%-28s", "epoch");
        int[] shown = {0, epochs / 4, epochs / 2, 3 * epochs / 4, epochs - 1};
        for (int e : shown) {
            System.out.printf(" %10d", e);
        }
        System.out.println();
        curves.forEach((name, lr) -> {
            System.out.printf("%-28s", name);
            for (int e : shown) {
                System.out.printf(" %10.5f", lr[e]);
            }
            System.out.println();
        });
        save(scheduleChart(curves), dir.resolve("schedules"));
        System.out.println("charts written to " + dir.toAbsolutePath() + " (paths, convergence, schedules; .png and .svg)");
    }

    private static final Color[] COLORS = {new Color(0xd62728), new Color(0x1f77b4), new Color(0x17becf),
        new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd), new Color(0x000000)};

    /** Level sets at 10^(k/2), k = -4..6, as grey lines (segments separated by NaN), and the paths over them. */
    private static XYChart contourChart(List<Run> runs) {
        XYChart c = new XYChartBuilder().width(900).height(900).title("Rosenbrock: optimizer paths from (-1.5, 2) to (1, 1)")
                .xAxisTitle("x").yAxisTitle("y").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW);
        c.getStyler().setXAxisMin(X_MIN).setXAxisMax(X_MAX).setYAxisMin(Y_MIN).setYAxisMax(Y_MAX);
        c.getStyler().setPlotGridLinesVisible(false);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        for (int k = -4; k <= 6; k++) {
            double level = Math.pow(10, k / 2.0);
            List<double[]> segs = contour(OptimizersSample::rosenbrock, level, 161);
            double[] xs = new double[segs.size() * 3];
            double[] ys = new double[segs.size() * 3];
            for (int s = 0; s < segs.size(); s++) {
                double[] g = segs.get(s);
                xs[3 * s] = g[0];
                ys[3 * s] = g[1];
                xs[3 * s + 1] = g[2];
                ys[3 * s + 1] = g[3];
                xs[3 * s + 2] = Double.NaN;
                ys[3 * s + 2] = Double.NaN;
            }
            XYSeries ser = c.addSeries(String.format("f = %.3g", level), xs, ys);
            ser.setMarker(SeriesMarkers.NONE).setLineColor(new Color(170, 170, 170)).setLineWidth(0.8f).setShowInLegend(false);
        }
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            double[][] xy = thinPath(r.x(), r.y(), (X_MAX - X_MIN) / 800);
            XYSeries ser = c.addSeries(String.format("%s, lr %.3g", r.method().name(), r.lr()), xy[0], xy[1]);
            ser.setMarker(SeriesMarkers.NONE).setLineColor(COLORS[i]).setLineStyle(SeriesLines.SOLID).setLineWidth(1.4f);
        }
        point(c, "start (-1.5, 2)", START[0], START[1], SeriesMarkers.CIRCLE);
        point(c, "minimum (1, 1)", 1, 1, SeriesMarkers.DIAMOND);
        return c;
    }

    /**
     * For drawing only: the points of a path at least {@code minStep} from the last one kept, and the last point. With
     * about a pixel, the line looks the same, and the SVG (one element a segment) does not hold 5000 where a path hovers.
     */
    static double[][] thinPath(double[] x, double[] y, double minStep) {
        double[] kx = new double[x.length];
        double[] ky = new double[x.length];
        int n = 0;
        for (int t = 0; t < x.length; t++) {
            if (n == 0 || t == x.length - 1 || Math.hypot(x[t] - kx[n - 1], y[t] - ky[n - 1]) >= minStep) {
                kx[n] = x[t];
                ky[n] = y[t];
                n++;
            }
        }
        return new double[][] {Arrays.copyOf(kx, n), Arrays.copyOf(ky, n)};
    }

    /**
     * For drawing only, on a logarithmic step axis: within each of 100 buckets a decade, the lowest and the highest
     * value in the order they came, so spikes survive and a 5000-step curve is some 700 points.
     */
    static double[][] thinCurve(double[] t, double[] v) {
        double[] kt = new double[t.length];
        double[] kv = new double[t.length];
        int n = 0;
        int k = 0;
        while (k < t.length) {
            long bucket = (long) Math.floor(Math.log10(t[k]) * 100);
            int lo = k;
            int hi = k;
            int end = k;
            while (end < t.length && (long) Math.floor(Math.log10(t[end]) * 100) == bucket) {
                lo = v[end] < v[lo] ? end : lo;
                hi = v[end] > v[hi] ? end : hi;
                end++;
            }
            for (int j : lo == hi ? new int[] {lo} : new int[] {Math.min(lo, hi), Math.max(lo, hi)}) {
                kt[n] = t[j];
                kv[n] = v[j];
                n++;
            }
            k = end;
        }
        return new double[][] {Arrays.copyOf(kt, n), Arrays.copyOf(kv, n)};
    }

    private static void point(XYChart c, String name, double x, double y, org.knowm.xchart.style.markers.Marker marker) {
        XYSeries s = c.addSeries(name, new double[] {x}, new double[] {y});
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(marker).setMarkerColor(Color.BLACK);
    }

    /** log10 f against the step (logarithmic); f floored at 1e-30, about where the best runs stop at rounding level. */
    private static XYChart convergenceChart(List<Run> runs) {
        XYChart c = new XYChartBuilder().width(900).height(560).title("Rosenbrock: f(p_t) against the step t")
                .xAxisTitle("step t + 1").yAxisTitle("log10 f").build();
        c.getStyler().setXAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.InsideSW);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            double[] t = new double[r.points()];
            double[] f = new double[r.points()];
            for (int k = 0; k < t.length; k++) {
                t[k] = k + 1;
                f[k] = Math.log10(Math.max(r.f()[k], 1e-30));
            }
            double[][] tf = thinCurve(t, f);
            XYSeries ser = c.addSeries(String.format("%s, lr %.3g", r.method().name(), r.lr()), tf[0], tf[1]);
            ser.setMarker(SeriesMarkers.NONE).setLineColor(COLORS[i]).setLineStyle(SeriesLines.SOLID).setLineWidth(1.2f);
        }
        double logTarget = Math.log10(TARGET);
        XYSeries target = c.addSeries("f = 1e-3", new double[] {1, runs.get(0).points()}, new double[] {logTarget, logTarget});
        target.setMarker(SeriesMarkers.NONE).setLineColor(Color.GRAY)
                .setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        return c;
    }

    private static XYChart scheduleChart(Map<String, double[]> curves) {
        XYChart c = new XYChartBuilder().width(800).height(520).title("Learning-rate schedules (Schedules), lr0 = 0.1")
                .xAxisTitle("epoch").yAxisTitle("learning rate").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE).setChartBackgroundColor(Color.WHITE);
        c.getStyler().setXAxisTickMarkSpacingHint(70);
        curves.forEach((name, lr) -> {
            double[] e = new double[lr.length];
            for (int k = 0; k < e.length; k++) {
                e[k] = k;
            }
            c.addSeries(name, e, lr).setMarker(SeriesMarkers.NONE).setLineStyle(SeriesLines.SOLID);
        });
        return c;
    }

    private static void save(XYChart c, Path base) throws Exception {
        BitmapEncoder.saveBitmap(c, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(c, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }
}
