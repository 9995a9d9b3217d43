package dev.autodiff.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.data.Batch;
import dev.autodiff.nn.data.DataLoader;
import dev.autodiff.nn.data.TensorDataset;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.LrScheduler;
import dev.autodiff.nn.optim.Sgd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir
    Path dir;

    /** 60 points in 3 blobs around (0,0), (3,0), (0,3), labelled by blob. */
    private static TensorDataset blobs(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 60;
        double[] x = new double[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            x[2 * i] = (y[i] == 1 ? 3 : 0) + r.nextGaussian() * 0.5;
            x[2 * i + 1] = (y[i] == 2 ? 3 : 0) + r.nextGaussian() * 0.5;
        }
        return TensorDataset.of(Tensor.fromArray(x, n, 2), y);
    }

    private static DataLoader<Batch> loader(TensorDataset d) {
        return DataLoader.of(d).batchSize(8).shuffle(11);
    }

    private static double[] flat(Module m) {
        List<Double> all = new ArrayList<>();
        m.parameters().values().forEach(p -> {
            for (double v : p.toArray()) {
                all.add(v);
            }
        });
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void fitIsThePlainLoopStepForStep() throws IOException {
        TensorDataset data = blobs(1);
        Linear a = new Linear(2, 3, 5);
        Adam optA = new Adam(a.parameters().values(), 0.05);
        History h = Trainer.classifier(a, optA).progress(Progress.none()).fit(loader(data), loader(data), 3);

        // the loop a user writes by hand, with the same loader
        Linear b = new Linear(2, 3, 5);
        Adam optB = new Adam(b.parameters().values(), 0.05);
        List<Double> losses = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            double sum = 0;
            int n = 0;
            for (Batch batch : loader(data).epoch(e)) {
                Tensor loss = Losses.crossEntropy(b.forward(batch.input()), batch.labels());
                optB.zeroGrad();
                loss.backward();
                optB.step();
                sum += loss.item() * batch.size();
                n += batch.size();
            }
            losses.add(sum / n);
        }
        assertArrayEquals(flat(b), flat(a), 0.0, "the same bits");
        assertArrayEquals(losses.stream().mapToDouble(Double::doubleValue).toArray(), h.get("train_loss"), 0.0);
        assertEquals(List.of("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"), h.columns());
        assertArrayEquals(new double[] {1, 2, 3}, h.get("epoch"));
        // val_* is the evaluation of the trained model after each epoch: the last one is evaluate() now, and its
        // loss is the mean over all examples, computed here in one batch (up to rounding of the batch means)
        Map<String, Double> now = Trainer.classifier(a, optA).evaluate(loader(data));
        assertEquals(now.get("loss"), h.last().get("val_loss"), 0.0);
        double[] yAll = data.tensor(1).toArray();
        int[] yInt = new int[yAll.length];
        for (int i = 0; i < yInt.length; i++) {
            yInt[i] = (int) yAll[i];
        }
        assertEquals(Losses.crossEntropy(a.forward(data.tensor(0)), yInt).item(), h.last().get("val_loss"), 1e-12);
        assertEquals(now.get("accuracy"), h.last().get("val_accuracy"), 0.0);
        assertTrue(h.last().get("val_accuracy") > 0.9, "three separable blobs are learnt: " + h.last());
        // accuracy by hand
        int right = 0;
        double[] predicted = a.forward(data.tensor(0)).argmax(1).toArray();
        double[] labels = data.tensor(1).toArray();
        for (int i = 0; i < labels.length; i++) {
            right += predicted[i] == labels[i] ? 1 : 0;
        }
        assertEquals(right / 60.0, now.get("accuracy"), 0.0);
    }

    @Test
    void aResumedRunEndsWithTheBitsOfAnUninterruptedOne() throws IOException {
        TensorDataset data = blobs(2);
        Linear straight = new Linear(2, 3, 9);
        Sgd sgdS = new Sgd(straight.parameters().values(), 0.1, 0.9, false, 1e-3);
        History full = Trainer.classifier(straight, sgdS).scheduler(LrScheduler.step(sgdS, 2, 0.5)).progress(Progress.none())
                .fit(loader(data), loader(data), 5);

        Path run = dir.resolve("run");
        Linear first = new Linear(2, 3, 9);
        Sgd sgd1 = new Sgd(first.parameters().values(), 0.1, 0.9, false, 1e-3);
        Trainer.classifier(first, sgd1).scheduler(LrScheduler.step(sgd1, 2, 0.5)).progress(Progress.none())
                .checkpoints(run).fit(loader(data), loader(data), 3); // "killed" after epoch 3
        assertTrue(Files.exists(run.resolve("last.safetensors")) && Files.exists(run.resolve("history.csv")));

        Linear resumed = new Linear(2, 3, 1234); // a fresh process: other initial weights, overwritten by the load
        Sgd sgd2 = new Sgd(resumed.parameters().values(), 0.1, 0.9, false, 1e-3);
        History h = Trainer.classifier(resumed, sgd2).scheduler(LrScheduler.step(sgd2, 2, 0.5)).progress(Progress.none())
                .checkpoints(run).fit(loader(data), loader(data), 5);
        assertArrayEquals(flat(straight), flat(resumed), 0.0);
        assertEquals(5, h.size());
        for (String c : List.of("train_loss", "val_loss", "val_accuracy", "lr")) {
            assertArrayEquals(full.get(c), h.get(c), 0.0, c);
        }
        assertArrayEquals(new double[] {0.1, 0.1, 0.05, 0.05, 0.025}, h.get("lr"), 1e-15);
        assertEquals(full.get("train_loss")[4], History.fromCsv(Files.readString(run.resolve("history.csv"))).get("train_loss")[4]);
        // a finished run resumed again does nothing more
        History again = Trainer.classifier(resumed, sgd2).progress(Progress.none()).scheduler(LrScheduler.step(sgd2, 2, 0.5))
                .checkpoints(run).fit(loader(data), loader(data), 5);
        assertEquals(5, again.size());
        assertArrayEquals(flat(straight), flat(resumed), 0.0);
    }

    @Test
    void earlyStoppingStopsWhereItsRuleSaysAndSurvivesAResume() throws IOException {
        TensorDataset data = blobs(3);
        // lr 0: the model never changes, so val_loss is the same every epoch: epoch 1 improves on +inf, epochs 2..
        // are bad, and with patience 2 the rule says stop after epoch 3
        Linear m = new Linear(2, 3, 4);
        Sgd sgd = new Sgd(m.parameters().values(), 0.0);
        History h = Trainer.classifier(m, sgd).earlyStopping("val_loss", 2, 0).progress(Progress.none())
                .fit(loader(data), loader(data), 10);
        assertEquals(3, h.size());

        Path run = dir.resolve("stop");
        Trainer.classifier(m, sgd).earlyStopping("val_loss", 4, 0).progress(Progress.none()).checkpoints(run)
                .fit(loader(data), loader(data), 2);
        // resumed: the two epochs in the history count toward the patience of 4, so it stops after epoch 5
        History r = Trainer.classifier(m, sgd).earlyStopping("val_loss", 4, 0).progress(Progress.none()).checkpoints(run)
                .fit(loader(data), loader(data), 10);
        assertEquals(5, r.size());
        // and a run that stopped stays stopped
        assertEquals(5, Trainer.classifier(m, sgd).earlyStopping("val_loss", 4, 0).progress(Progress.none())
                .checkpoints(run).fit(loader(data), loader(data), 10).size());
    }

    @Test
    void callbacksSeeEachRowAndCanStop() throws IOException {
        TensorDataset data = blobs(4);
        Linear m = new Linear(2, 3, 4);
        List<Integer> seen = new ArrayList<>();
        History h = Trainer.classifier(m, new Sgd(m.parameters().values(), 0.1)).progress(Progress.none())
                .callback((epoch, row) -> {
                    seen.add(epoch);
                    assertEquals((double) epoch, row.get("epoch"));
                    return epoch < 2;
                })
                .fit(loader(data), null, 10);
        assertEquals(List.of(1, 2), seen);
        assertEquals(2, h.size());
        assertTrue(!h.columns().contains("val_loss"));
    }

    @Test
    void progressGoesWhereItIsToldInPlainLines() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TensorDataset data = blobs(5);
        Linear m = new Linear(2, 3, 4);
        Trainer.classifier(m, new Sgd(m.parameters().values(), 0.1))
                .progress(Progress.lines(new PrintStream(buf, true, StandardCharsets.UTF_8), 0))
                .fit(loader(data), null, 2);
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("epoch 1/2 1/8  loss") && out.contains("epoch 2/2  8/8") && out.contains("examples/s"), out);
        assertTrue(!out.contains("\r"), "plain lines, no carriage returns");
    }

    @Test
    void badSetupsAreNamed() {
        TensorDataset data = blobs(6);
        Linear m = new Linear(2, 3, 4);
        Sgd sgd = new Sgd(m.parameters().values(), 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(m, sgd)
                .earlyStopping("val_loss", 2, 0).progress(Progress.none()).fit(loader(data), null, 3));
        assertTrue(e.getMessage().contains("no metric 'val_loss'") && e.getMessage().contains("validation loader"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.of(m, sgd, (out, b) -> out).progress(Progress.none())
                .fit(loader(data), null, 1));
        assertTrue(e.getMessage().contains("single number"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(m, sgd).clipGradNorm(0));
        assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(m, sgd).fit(loader(data), null, -1));
    }

    @Test
    void aCheckpointFromAnotherSetupIsRefusedBeforeAnythingChanges() throws IOException {
        TensorDataset data = blobs(7);
        Path run = dir.resolve("other");
        Linear m = new Linear(2, 3, 4);
        Trainer.classifier(m, new Sgd(m.parameters().values(), 0.1)).progress(Progress.none()).checkpoints(run)
                .fit(loader(data), null, 1);
        Linear fresh = new Linear(2, 3, 5);
        double[] before = flat(fresh);
        Sgd other = new Sgd(fresh.parameters().values(), 0.5); // another rate
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(fresh, other)
                .progress(Progress.none()).checkpoints(run).fit(loader(data), null, 2));
        assertTrue(e.getMessage().contains("another setup") && e.getMessage().contains("lr 0.1")
                && e.getMessage().contains("lr 0.5"), e.getMessage());
        assertArrayEquals(before, flat(fresh), 0.0, "the refused resume changed the model");
        assertEquals(0.5, other.lr());
        // another batch size: refused too
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(fresh, new Sgd(fresh.parameters().values(), 0.1))
                .progress(Progress.none()).checkpoints(run).fit(DataLoader.of(data).batchSize(9).shuffle(11), null, 2));
        assertTrue(e.getMessage().contains("batch size 9"), e.getMessage());
        // a checkpoint a Trainer did not write
        Path plain = dir.resolve("plain");
        Files.createDirectories(plain);
        dev.autodiff.nn.io.Checkpoints.save(plain.resolve("last.safetensors"), m, null);
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(fresh, other).progress(Progress.none())
                .checkpoints(plain).fit(loader(data), null, 2));
        assertTrue(e.getMessage().contains("no training history"), e.getMessage());
        assertArrayEquals(before, flat(fresh), 0.0);
    }

    @Test
    void aNonFiniteLossStopsBeforeItsStepAndKeepsTheCheckpoint() throws IOException {
        TensorDataset data = blobs(8);
        Linear m = new Linear(2, 3, 4);
        Path run = dir.resolve("nan");
        int[] calls = {0};
        Trainer t = Trainer.of(m, new Sgd(m.parameters().values(), 0.1), (out, b) -> {
            calls[0]++;
            Tensor l = Losses.crossEntropy(out, b.labels());
            return calls[0] == 12 ? l.mul(Double.NaN) : l; // step 4 of epoch 2
        }).progress(Progress.none()).checkpoints(run);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.fit(loader(data), null, 3));
        assertTrue(e.getMessage().contains("NaN at epoch 2, step 4"), e.getMessage());
        for (double v : flat(m)) {
            assertTrue(Double.isFinite(v));
        }
        assertEquals(1, History.fromCsv(Files.readString(run.resolve("history.csv"))).size(), "epoch 1's checkpoint kept");
    }

    @Test
    void metricNamesEmptyLoadersAndSchedulesThatFightAreRefused() {
        TensorDataset data = blobs(9);
        Linear m = new Linear(2, 3, 4);
        Sgd sgd = new Sgd(m.parameters().values(), 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(m, sgd)
                .metrics(Metrics.accuracy()).progress(Progress.none()).fit(loader(data), null, 1));
        assertTrue(e.getMessage().contains("two metrics are named 'accuracy'"), e.getMessage());
        Supplier<Metric> comma = () -> new Metric() {
            public String name() {
                return "f1,macro";
            }

            public void reset() {}

            public void update(Tensor output, Batch batch) {}

            public double value() {
                return 0;
            }
        };
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(m, sgd).metrics(comma)
                .progress(Progress.none()).fit(loader(data), null, 1));
        assertTrue(e.getMessage().contains("'f1,macro'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(m, sgd).progress(Progress.none())
                .fit(DataLoader.of(data).batchSize(100).dropLast(true), null, 1));
        assertTrue(e.getMessage().contains("training loader has no batches"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(m, sgd).scheduler(LrScheduler.step(sgd, 1, 0.5))
                .scheduler(new dev.autodiff.nn.optim.ReduceLrOnPlateau(sgd, false), "val_loss").progress(Progress.none())
                .fit(loader(data), loader(data), 1));
        assertTrue(e.getMessage().contains("use one of them"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.classifier(m, sgd).earlyStopping("val_mae", 2, 0));
        assertTrue(e.getMessage().contains("higher or lower"), e.getMessage());
    }

    @Test
    void clippingAndZeroingCoverWhatTheOptimizerOwnsOnly() throws IOException {
        // a frozen first layer (not in the optimizer): its gradient must not pile up over steps
        TensorDataset data = blobs(10);
        Linear frozen = new Linear(2, 2, 1);
        Linear head = new Linear(2, 3, 2);
        dev.autodiff.nn.Sequential net = new dev.autodiff.nn.Sequential(frozen, head);
        double[] frozenBefore = flat(frozen);
        Trainer.classifier(net, new Sgd(head.parameters().values(), 0.1)).clipGradNorm(1.0).progress(Progress.none())
                .fit(loader(data), null, 2);
        assertArrayEquals(frozenBefore, flat(frozen), 0.0);
        // the last step's frozen gradient is one step's, not eight steps' sum: recompute the last batch's
        Batch last = null;
        for (Batch b : loader(data).epoch(1)) {
            last = b;
        }
        Linear f2 = new Linear(2, 2, 1);
        Tensor l = Losses.crossEntropy(head.forward(f2.forward(last.input())), last.labels());
        // (the head has since taken the last step, so compare magnitudes loosely: within 2x, not 8x)
        l.backward();
        double g = frozen.parameters().get("weight").grad().square().sum().item();
        double g1 = f2.parameters().get("weight").grad().square().sum().item();
        assertTrue(g < 4 * g1 + 1e-12, "frozen gradient " + g + " against one step's " + g1);
    }
}
