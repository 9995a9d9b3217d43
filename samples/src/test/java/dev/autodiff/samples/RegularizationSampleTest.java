package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.data.FashionMnist;
import dev.autodiff.samples.RegularizationSample.Data;
import dev.autodiff.samples.RegularizationSample.Epoch;
import dev.autodiff.samples.RegularizationSample.Result;
import dev.autodiff.samples.RegularizationSample.Settings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The regularization sample on tiny synthetic data (no dataset needed): three Gaussian blobs in 20 dimensions with
 * noise that hides much of the class, 60 training and 200 validation points, and an MLP 20-64-64-3 that can memorise
 * the 60; plus one test on the real Fashion-MNIST files when they are installed.
 */
class RegularizationSampleTest {
    static final Settings S = new Settings(64, 40, 10, 0.003, 0.02, 0.5, 3, 5);
    static Data data;
    static List<Result> results;

    @BeforeAll
    static void train() {
        data = blobs(60, 200, 11);
        results = RegularizationSample.trainAll(data, S);
    }

    /** x = mu_y + 2.5 * noise, mu_c ~ N(0, I) in 20 dimensions, 3 classes, labels uniform; seeded. */
    static Data blobs(int nTrain, int nVal, long seed) {
        int d = 20;
        int classes = 3;
        SplittableRandom r = new SplittableRandom(seed);
        double[][] mu = new double[classes][d];
        for (double[] m : mu) {
            for (int k = 0; k < d; k++) {
                m[k] = r.nextGaussian();
            }
        }
        Tensor[] x = new Tensor[2];
        int[][] y = new int[2][];
        int[] sizes = {nTrain, nVal};
        for (int part = 0; part < 2; part++) {
            double[] v = new double[sizes[part] * d];
            y[part] = new int[sizes[part]];
            for (int i = 0; i < sizes[part]; i++) {
                int c = r.nextInt(classes);
                y[part][i] = c;
                for (int k = 0; k < d; k++) {
                    v[i * d + k] = mu[c][k] + 2.5 * r.nextGaussian();
                }
            }
            x[part] = Tensor.fromArray(v, sizes[part], d);
        }
        return new Data(x[0], y[0], x[1], y[1], classes);
    }

    static Result result(String variant) {
        return results.stream().filter(r -> r.variant().equals(variant)).findFirst().orElseThrow();
    }

    /** The setup over-fits, or the cures have nothing to cure: plain ends far better on training than validation. */
    @Test
    void plainOverfits() {
        Epoch last = result("plain").history().get(S.epochs() - 1);
        assertTrue(last.trainAccuracy() >= 0.95, "train accuracy " + last.trainAccuracy());
        assertTrue(last.trainAccuracy() - last.valAccuracy() >= 0.2, last.toString());
        double minVal = result("plain").history().stream().mapToDouble(Epoch::valLoss).min().orElseThrow();
        assertTrue(last.valLoss() > 1.2 * minVal, "validation loss should turn up: " + last.valLoss() + " vs " + minVal);
    }

    /**
     * The penalty's gradient lambda w pulls every weight toward 0 at every step, from the same start and through the
     * same batches as plain: the weights end smaller.
     */
    @Test
    void l2GivesSmallerWeightsThanPlain() {
        assertTrue(result("l2").weightSquares() < result("plain").weightSquares(), result("l2").weightSquares() + " vs "
                + result("plain").weightSquares());
        double direct = RegularizationSample.weights(result("l2").model()).stream()
                .mapToDouble(w -> Arrays.stream(w.toArray()).map(v -> v * v).sum()).sum();
        assertEquals(direct, result("l2").weightSquares(), 1e-9 * direct);
    }

    /**
     * Evaluation turns dropout off: two passes agree and equal the network computed by hand from its weights (Linear,
     * ReLU, Linear, ReLU, Linear, no mask, no 1/(1-p) scale); in training mode two passes differ. evaluate() gives the
     * same numbers twice and leaves the model in the mode it found it.
     */
    @Test
    void dropoutIsOffInEvaluation() {
        Module m = result("dropout").model();
        Tensor x = data.valX().slice(0, 0, 8);
        m.eval();
        Tensor a = m.forward(x);
        Tensor b = m.forward(x);
        assertArrayEquals(a.toArray(), b.toArray());
        List<Tensor> p = new ArrayList<>(m.parameters().values()); // w0 b0 w1 b1 w2 b2
        Tensor h = x.matmul(p.get(0)).add(p.get(1)).relu();
        h = h.matmul(p.get(2)).add(p.get(3)).relu();
        Tensor byHand = h.matmul(p.get(4)).add(p.get(5));
        assertTrue(a.allClose(byHand, 1e-12, 1e-12), a + " vs " + byHand);
        m.train();
        assertFalse(Arrays.equals(m.forward(x).toArray(), m.forward(x).toArray()), "dropout should act in training");
        double[] e1 = RegularizationSample.evaluate(m, data.valX(), data.valY());
        double[] e2 = RegularizationSample.evaluate(m, data.valX(), data.valY());
        assertArrayEquals(e1, e2);
        assertTrue(m.isTraining(), "evaluate should restore training mode");
        assertEquals(result("dropout").valLoss(), e1[0], 0.0);
    }

    /**
     * Early stopping, recomputed from the recorded validation losses: the best so far improves on a strictly smaller
     * loss; stop at the first epoch that is the patience-th in a row without improvement. The run must have exactly that
     * many epochs, end with the weights of the best epoch (its recorded validation numbers, bit for bit), and until the
     * stop be plain's run (same start, same batches: early stopping only decides when to stop).
     */
    @Test
    void earlyStoppingStopsWhereItsRuleSays() {
        Result es = result("early-stopping");
        List<Epoch> h = es.history();
        double best = Double.POSITIVE_INFINITY;
        int bestEpoch = 0;
        int bad = 0;
        int stop = S.epochs();
        List<Epoch> plain = result("plain").history();
        for (int e = 1; e <= plain.size(); e++) {
            double v = plain.get(e - 1).valLoss();
            if (v < best) {
                best = v;
                bestEpoch = e;
                bad = 0;
            } else if (++bad == S.patience()) {
                stop = e;
                break;
            }
        }
        assertTrue(stop < S.epochs(), "the setup should trigger early stopping; it ran all " + S.epochs() + " epochs");
        assertEquals(stop, h.size(), "epochs run");
        assertEquals(plain.subList(0, stop), h, "until it stops, early stopping is plain training");
        assertEquals(bestEpoch, es.finalEpoch(), "restored epoch");
        assertEquals(h.get(bestEpoch - 1).valLoss(), es.valLoss(), 0.0);
        assertEquals(h.get(bestEpoch - 1).valAccuracy(), es.valAccuracy(), 0.0);
    }

    @Test
    void sameSeedSameRun() {
        for (String v : List.of("l2", "dropout")) {
            Result again = RegularizationSample.train(v, data, S);
            assertEquals(result(v).history(), again.history(), v);
            assertEquals(result(v).weightSquares(), again.weightSquares(), 0.0, v);
        }
        Settings other = new Settings(64, 40, 10, 0.003, 0.02, 0.5, 3, 6);
        assertNotEquals(result("dropout").history(), RegularizationSample.train("dropout", data, other).history());
    }

    @Test
    void badInputIsRefusedWithAMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Data(Tensor.zeros(4, 3), new int[3], Tensor.zeros(2, 3), new int[2], 2));
        assertTrue(e.getMessage().startsWith("regularization: need trainX (N, F) with N labels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RegularizationSample.train("mixup", data, S));
        assertTrue(e.getMessage().contains("unknown variant 'mixup'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RegularizationSample.split(100, 80, 30, 1));
        assertTrue(e.getMessage().contains("train + val <= 100"), e.getMessage());
    }

    @Test
    void missingDataSaysHowToInstallIt(@TempDir Path empty) {
        System.setProperty("fashion.dir", empty.resolve("nothing-here").toString());
        try {
            java.io.IOException e = assertThrows(java.io.IOException.class, RegularizationSample::load);
            assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        } finally {
            System.clearProperty("fashion.dir");
        }
    }

    /** The report as a user sees it, on the synthetic data: tables, the verdict line, charts and CSV. */
    @Test
    void reportPrintsTablesAndWritesCharts(@TempDir Path dir) throws Exception {
        Settings quick = new Settings(16, 4, 20, 0.01, 0.02, 0.5, 2, 5);
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            RegularizationSample.report(blobs(40, 40, 3), quick, dir);
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("MLP 20-16-16-3") && out.contains("best validation accuracy: "), out);
        for (String name : List.of("loss.png", "loss.svg", "accuracy.png", "accuracy.svg")) {
            assertTrue(Files.size(dir.resolve(name)) > 1000, name);
        }
        assertTrue(Files.readAllLines(dir.resolve("history.csv")).size() > 1 + 3 * 4);
    }

    /**
     * On the real files (skipped without them): the split is disjoint and takes the images it names; a 784-256-256-10
     * MLP trained 10 epochs on 500 images reaches a validation accuracy well above chance (0.1), and a lower loss on
     * the images it was trained on than on the others: the gap the sample is about.
     */
    @Test
    void realFashionMnistSplitAndOverfit() throws Exception {
        assumeTrue(Files.isDirectory(Path.of(FashionMnist.DEBIAN_FOLDER)),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        FashionMnist fm = FashionMnist.load();
        int[][] idx = RegularizationSample.split(fm.train().size(), 500, 500, 1);
        Set<Integer> seen = new HashSet<>();
        Arrays.stream(idx[0]).forEach(seen::add);
        Arrays.stream(idx[1]).forEach(i -> assertTrue(seen.add(i), "row " + i + " in both splits"));
        Data d = RegularizationSample.fashion(fm.train(), 500, 500, 1);
        assertArrayEquals(new int[] {500, 784}, d.trainX().shape());
        assertArrayEquals(fm.train().images().slice(0, idx[1][7], idx[1][7] + 1).toArray(),
                d.valX().slice(0, 7, 8).toArray());
        assertEquals(fm.train().labels()[idx[0][3]], d.trainY()[3]);
        Result r = RegularizationSample.train("plain", d, new Settings(256, 10, 50, 1e-3, 0, 0.5, 5, 1));
        Epoch last = r.history().get(9);
        assertTrue(last.valAccuracy() > 0.6, last.toString());
        assertTrue(last.trainLoss() < last.valLoss(), last.toString());
    }
}
