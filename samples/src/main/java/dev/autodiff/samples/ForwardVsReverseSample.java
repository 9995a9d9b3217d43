package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Forward against reverse mode. For f: R^n -> R^m, f(x) = W2 tanh(W1 x) with 64 hidden units, the full
 * Jacobian by reverse mode (m vjps), by forward mode (n jvps) and by batched forward mode (one pass of
 * width n); for g(x) = sum(tanh(W2 tanh(W1 x))) with n x n weights, the gradient by one reverse pass
 * against n jvps; and the memory a long chain keeps alive in each mode. Writes charts (PNG and SVG) of
 * the crossover to target/forward-vs-reverse/. Timings are medians of repeated runs after warm-up, on
 * one thread; JMH figures are in BENCHMARKS.md.
 */
final class ForwardVsReverseSample {
    private static final int[] SIZES = {1, 4, 16, 64, 256, 1024};
    private static final int HIDDEN = 64;

    private ForwardVsReverseSample() {}

    static void run() throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path dir = Path.of("target", "forward-vs-reverse");
        Files.createDirectories(dir);

        System.out.println("Full Jacobian of f(x) = W2 tanh(W1 x), R^n -> R^m, 64 hidden units (milliseconds):");
        System.out.printf("%6s %6s %12s %12s %12s   %s%n", "n", "m", "reverse", "forward", "fwd batched", "fastest");
        double[][][] ms = new double[3][SIZES.length][SIZES.length];
        for (int i = 0; i < SIZES.length; i++) {
            for (int j = 0; j < SIZES.length; j++) {
                int n = SIZES[i];
                int m = SIZES[j];
                Tensor w1 = Tensor.randn(1, HIDDEN, n).div(Math.sqrt(n));
                Tensor w2 = Tensor.randn(2, m, HIDDEN).div(Math.sqrt(HIDDEN));
                Tensor x = Tensor.randn(3, n);
                Function<Tensor, Tensor> f = v -> w2.matmul(w1.matmul(v).tanh());
                ms[0][i][j] = time(() -> Autodiff.jacrev(f, x));
                ms[1][i][j] = time(() -> Autodiff.jacfwd(f, x, false));
                ms[2][i][j] = time(() -> Autodiff.jacfwd(f, x, true));
                String[] names = {"reverse", "forward", "fwd batched"};
                int best = 0;
                for (int k = 1; k < 3; k++) {
                    best = ms[k][i][j] < ms[best][i][j] ? k : best;
                }
                System.out.printf("%6d %6d %12.3f %12.3f %12.3f   %s%n", n, m, ms[0][i][j], ms[1][i][j], ms[2][i][j], names[best]);
            }
        }
        int mFixed = 3; // m = 64
        XYChart jac = chart("Full Jacobian, m = " + SIZES[mFixed] + " outputs: time against inputs n", "inputs n");
        double[] xs = Arrays.stream(SIZES).asDoubleStream().toArray();
        String[] labels = {"reverse (m vjps)", "forward (n jvps)", "forward, batched (1 pass)"};
        for (int k = 0; k < 3; k++) {
            double[] ys = new double[SIZES.length];
            for (int i = 0; i < SIZES.length; i++) {
                ys[i] = ms[k][i][mFixed];
            }
            jac.addSeries(labels[k], xs, ys).setMarker(SeriesMarkers.CIRCLE);
        }
        save(jac, dir.resolve("jacobian"));

        System.out.println();
        System.out.println("Gradient of g(x) = sum(tanh(W2 tanh(W1 x))), n x n weights (milliseconds):");
        System.out.printf("%6s %12s %12s %12s %10s%n", "n", "1 reverse", "n jvps", "fwd batched", "n jvps/rev");
        int[] gradSizes = {4, 16, 64, 256};
        double[][] g = new double[3][gradSizes.length];
        for (int i = 0; i < gradSizes.length; i++) {
            int n = gradSizes[i];
            Tensor w1 = Tensor.randn(1, n, n).div(Math.sqrt(n));
            Tensor w2 = Tensor.randn(2, n, n).div(Math.sqrt(n));
            Tensor x = Tensor.randn(3, n);
            Function<Tensor, Tensor> fn = v -> w2.matmul(w1.matmul(v).tanh()).tanh().sum();
            g[0][i] = time(() -> Autodiff.gradient(fn).apply(x));
            g[1][i] = time(() -> Autodiff.jacfwd(fn, x, false));
            g[2][i] = time(() -> Autodiff.jacfwd(fn, x, true));
            System.out.printf("%6d %12.4f %12.4f %12.4f %10.1f%n", n, g[0][i], g[1][i], g[2][i], g[1][i] / g[0][i]);
        }
        XYChart grad = chart("Gradient of a scalar function of n inputs", "inputs n");
        double[] gx = Arrays.stream(gradSizes).asDoubleStream().toArray();
        String[] gl = {"reverse (1 pass)", "forward (n jvps)", "forward, batched (1 pass)"};
        for (int k = 0; k < 3; k++) {
            grad.addSeries(gl[k], gx, g[k]).setMarker(SeriesMarkers.CIRCLE);
        }
        save(grad, dir.resolve("gradient"));

        System.out.println();
        memory();
        System.out.println("charts written to " + dir.toAbsolutePath() + " (jacobian.png/.svg, gradient.png/.svg)");
    }

    /** Heap kept alive at the end of a 2,000-op chain on a 10,000-vector: reverse keeps the graph, forward nothing. */
    private static void memory() {
        int steps = 1000;
        Function<Tensor, Tensor> chain = t -> {
            for (int i = 0; i < steps; i++) {
                t = t.mul(0.999).tanh();
            }
            return t.sum();
        };
        Tensor x0 = Tensor.randn(9, 10_000);
        long reverse = heldAtEnd(() -> {
            Tensor loss = chain.apply(x0.detach().requiresGrad());
            return usedAfterGc(); // the graph is reachable from loss here
        });
        long forward = heldAtEnd(() -> {
            long[] used = new long[1];
            Autodiff.jvp(t -> {
                Tensor y = chain.apply(t);
                used[0] = usedAfterGc(); // everything a jvp keeps is reachable from y here
                return y;
            }, x0, x0);
            return used[0];
        });
        System.out.printf("Memory held at the end of a %d-op chain on a 10,000-vector: reverse %.1f MB (the graph), "
                + "forward %.1f MB%n", 2 * steps, reverse / 1e6, forward / 1e6);
    }

    /** Heap in use at the measuring point inside {@code run}, less the heap in use just before it. */
    private static long heldAtEnd(java.util.function.LongSupplier run) {
        long before = usedAfterGc();
        return Math.max(0, run.getAsLong() - before);
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Median milliseconds over enough repetitions for about 0.2 s, after warm-up. */
    private static double time(Supplier<Tensor> work) {
        long warmEnd = System.nanoTime() + 100_000_000L;
        int warm = 0;
        while (System.nanoTime() < warmEnd || warm < 2) {
            work.get();
            warm++;
        }
        List<Double> runs = new ArrayList<>();
        long end = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < end || runs.size() < 3) {
            long t0 = System.nanoTime();
            work.get();
            runs.add((System.nanoTime() - t0) / 1e6);
        }
        runs.sort(null);
        return runs.get(runs.size() / 2);
    }

    private static XYChart chart(String title, String xTitle) {
        XYChart c = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle(xTitle)
                .yAxisTitle("milliseconds (median)").build();
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        return c;
    }

    private static void save(XYChart c, Path base) throws Exception {
        BitmapEncoder.saveBitmap(c, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(c, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }
}
