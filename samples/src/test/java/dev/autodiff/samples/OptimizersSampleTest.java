package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.samples.OptimizersSample.Method;
import dev.autodiff.samples.OptimizersSample.Run;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The optimizers sample against oracles of its own: updates iterated by hand on the closed-form gradient of the
 * Rosenbrock function, f recomputed in closed form at every point of every path, the schedules' closed forms, and
 * level sets of functions whose contours are known exactly.
 */
class OptimizersSampleTest {
    private static Method method(String name) {
        return OptimizersSample.METHODS.stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    /** d/dx = -2 (1 - x) - 400 x (y - x^2), d/dy = 200 (y - x^2). */
    private static double[] grad(double x, double y) {
        return new double[] {-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)};
    }

    private static double f(double x, double y) {
        return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    }

    private static void close(double expected, double actual, String what) {
        assertEquals(expected, actual, 1e-12 * Math.max(1, Math.abs(expected)), what);
    }

    @Test
    void sgdFollowsTheClosedFormGradient() {
        double lr = 1e-3;
        int steps = 30;
        Run r = OptimizersSample.descend(method("SGD"), lr, steps);
        assertEquals(steps + 1, r.points());
        double x = -1.5;
        double y = 2;
        for (int t = 0; t <= steps; t++) {
            close(x, r.x()[t], "SGD x at step " + t);
            close(y, r.y()[t], "SGD y at step " + t);
            double[] g = grad(x, y);
            x -= lr * g[0];
            y -= lr * g[1];
        }
    }

    /** PyTorch's momentum: b = g on the first step, b = 0.9 b + g after; p -= lr b. */
    @Test
    void momentumFollowsTheClosedFormGradient() {
        double lr = 1e-3;
        int steps = 30;
        Run r = OptimizersSample.descend(method("momentum 0.9"), lr, steps);
        double x = -1.5;
        double y = 2;
        double bx = 0;
        double by = 0;
        for (int t = 0; t <= steps; t++) {
            close(x, r.x()[t], "momentum x at step " + t);
            close(y, r.y()[t], "momentum y at step " + t);
            double[] g = grad(x, y);
            bx = t == 0 ? g[0] : 0.9 * bx + g[0];
            by = t == 0 ? g[1] : 0.9 * by + g[1];
            x -= lr * bx;
            y -= lr * by;
        }
        // momentum is not SGD: the paths part after the first step
        Run sgd = OptimizersSample.descend(method("SGD"), lr, steps);
        assertEquals(sgd.x()[1], r.x()[1], 0.0);
        assertTrue(Math.abs(sgd.x()[steps] - r.x()[steps]) > 1e-3, "momentum and SGD differ by step " + steps);
    }

    /**
     * Every optimizer at its tuned rate (a short run of 300 steps): its path stays in the window and finite, f at
     * each point is the closed form's there, f ends below where it started, and the best f of the last quarter of the
     * run is below the best of the first quarter. (Not "f falls every step": momentum and the adaptive methods
     * overshoot, and do in the sample's charts.) The table's "steps to f &lt; 1e-3" is the first point under it.
     */
    @Test
    void everyTunedPathDescends() {
        int steps = 300;
        double f0 = f(-1.5, 2);
        assertEquals(12.5, f0, 0.0);
        for (Method m : OptimizersSample.METHODS) {
            Run r = OptimizersSample.tune(m, steps);
            String who = m.name() + " at lr " + r.lr();
            assertFalse(r.diverged(), who);
            assertEquals(steps + 1, r.points(), who);
            assertTrue(java.util.Arrays.stream(OptimizersSample.lrGrid()).anyMatch(v -> v == r.lr()), who + ": rate from the grid");
            int firstBelow = -1;
            for (int t = 0; t < r.points(); t++) {
                double ft = f(r.x()[t], r.y()[t]);
                assertEquals(ft, r.f()[t], 1e-12 * Math.max(1, ft), who + ": f at step " + t);
                assertTrue(r.x()[t] >= -2 && r.x()[t] <= 2 && r.y()[t] >= -1 && r.y()[t] <= 3, who + ": in the window at " + t);
                if (firstBelow < 0 && ft < 1e-3) {
                    firstBelow = t;
                }
            }
            assertEquals(firstBelow, r.reached(), who);
            assertTrue(r.last() < f0, who + ": final f " + r.last());
            double firstQuarter = Double.POSITIVE_INFINITY;
            double lastQuarter = Double.POSITIVE_INFINITY;
            for (int t = 0; t < r.points(); t++) {
                if (t <= steps / 4) {
                    firstQuarter = Math.min(firstQuarter, r.f()[t]);
                }
                if (t >= 3 * steps / 4) {
                    lastQuarter = Math.min(lastQuarter, r.f()[t]);
                }
            }
            assertTrue(lastQuarter < firstQuarter, who + ": best f " + lastQuarter + " late, " + firstQuarter + " early");
        }
    }

    /** SGD at lr 0.01 (five times 2/curvature across the valley) bounces out of the window: a diverged run, cut there. */
    @Test
    void aRunThatLeavesTheWindowIsCutAndMarkedDiverged() {
        Run r = OptimizersSample.descend(method("SGD"), 0.01, 1000);
        assertTrue(r.diverged());
        assertTrue(r.points() < 1001, "cut at " + r.points());
        int last = r.points() - 1;
        assertTrue(Math.abs(r.x()[last]) > 2 || r.y()[last] < -1 || r.y()[last] > 3 || !Double.isFinite(r.f()[last]));
        for (int t = 0; t < last; t++) {
            assertTrue(Math.abs(r.x()[t]) <= 2 && r.y()[t] >= -1 && r.y()[t] <= 3, "inside before the cut, at " + t);
        }
    }

    @Test
    void scheduleCurvesAreTheirClosedForms() {
        int epochs = 100;
        Map<String, double[]> curves = OptimizersSample.scheduleCurves(epochs);
        assertEquals(4, curves.size());
        for (int e : new int[] {0, 1, 24, 25, 49, 50, 63, 99}) {
            double step = 0.1 * Math.pow(0.5, Math.floor(e / 25.0));
            double inverse = 0.1 / (1 + 0.05 * e);
            double exponential = 0.1 * Math.pow(0.97, e);
            double cosine = 0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * e / epochs)) / 2;
            close(step, curve(curves, "step")[e], "step at " + e);
            close(inverse, curve(curves, "inverse-time")[e], "inverse-time at " + e);
            close(exponential, curve(curves, "exponential")[e], "exponential at " + e);
            close(cosine, curve(curves, "cosine")[e], "cosine at " + e);
        }
        assertEquals(0.05, curve(curves, "step")[25], 0.0);
        assertEquals(0.1, curve(curves, "step")[24], 0.0);
    }

    private static double[] curve(Map<String, double[]> curves, String prefix) {
        return curves.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).findFirst().orElseThrow().getValue();
    }

    /** Linear along every cell edge, so every end of every segment lies exactly on the line. */
    @Test
    void theContourOfALinearFunctionLiesOnItsLine() {
        List<double[]> segs = OptimizersSample.contour((x, y) -> x + 2 * y, 1.3, 57);
        assertFalse(segs.isEmpty());
        double length = 0;
        for (double[] s : segs) {
            assertEquals(1.3, s[0] + 2 * s[1], 1e-12);
            assertEquals(1.3, s[2] + 2 * s[3], 1e-12);
            length += Math.hypot(s[2] - s[0], s[3] - s[1]);
        }
        // x + 2y = 1.3 crosses the window [-2, 2] x [-1, 3] from (-2, 1.65) to (2, -0.35)
        assertEquals(Math.hypot(4, 2), length, 1e-9);
    }

    /** The circle of radius 1 about (0, 1): ends within the interpolation error, total length 2 pi to 1e-3. */
    @Test
    void theContourOfACircleIsTheCircle() {
        List<double[]> segs = OptimizersSample.contour((x, y) -> x * x + (y - 1) * (y - 1), 1, 101);
        double length = 0;
        for (double[] s : segs) {
            assertEquals(1, Math.hypot(s[0], s[1] - 1), 1e-3);
            assertEquals(1, Math.hypot(s[2], s[3] - 1), 1e-3);
            length += Math.hypot(s[2] - s[0], s[3] - s[1]);
        }
        assertEquals(2 * Math.PI, length, 2 * Math.PI * 1e-3);
    }

    /**
     * A saddle cell: f = (x - a)(y - b) at level 1e-5, with (a, b) inside the cell [0, 0.04] x [1, 1.04] of a 101-point
     * grid. f is bilinear, so the cell's saddle value is f's own and no segment may join the two branches of the
     * hyperbola (x &lt; a, y &lt; b and x &gt; a, y &gt; b). The cell's centre is on the branch x &gt; a, on the
     * far side of the saddle from corner (0, 1), so deciding by the centre's value would join them.
     */
    @Test
    void aSaddleCellKeepsTheHyperbolasBranchesApart() {
        double a = 0.013;
        double b = 1.007;
        double level = 1e-5;
        List<double[]> segs = OptimizersSample.contour((x, y) -> (x - a) * (y - b), level, 101);
        int nearSaddle = 0;
        for (double[] s : segs) {
            assertEquals(level, (s[0] - a) * (s[1] - b), 1e-15);
            assertEquals(level, (s[2] - a) * (s[3] - b), 1e-15);
            assertEquals(Math.signum(s[0] - a), Math.signum(s[2] - a), "a segment joins the branches: " + java.util.Arrays.toString(s));
            double mx = (s[0] + s[2]) / 2;
            double my = (s[1] + s[3]) / 2;
            if (mx > 1e-9 && mx < 0.04 - 1e-9 && my > 1 + 1e-9 && my < 1.04 - 1e-9) {
                nearSaddle++;
            }
        }
        assertEquals(2, nearSaddle, "two segments in the saddle cell (the midpoint inside it)");
    }

    /** The whole sample on tiny settings: it prints the table and writes its charts. */
    @Test
    void theSampleRunsAndWritesItsCharts() throws Exception {
        for (String chart : new String[] {"paths", "convergence", "schedules"}) {
            for (String ext : new String[] {".png", ".svg"}) {
                Files.deleteIfExists(Path.of("target", "optimizers", chart + ext));
            }
        }
        System.setProperty("optimizers.steps", "60");
        System.setProperty("optimizers.epochs", "20");
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            OptimizersSample.run();
        } finally {
            System.setOut(saved);
            System.clearProperty("optimizers.steps");
            System.clearProperty("optimizers.epochs");
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        for (Method m : OptimizersSample.METHODS) {
            assertTrue(out.contains(m.name() + " "), m.name() + " in\n" + out);
        }
        assertTrue(out.contains("60 steps each"), out);
        for (String chart : new String[] {"paths", "convergence", "schedules"}) {
            for (String ext : new String[] {".png", ".svg"}) {
                Path p = Path.of("target", "optimizers", chart + ext);
                assertTrue(Files.size(p) > 1000, p.toString());
            }
        }
    }
}
