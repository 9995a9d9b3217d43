package dev.autodiff.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Mlp;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.data.Batch;
import dev.autodiff.nn.data.DataLoader;
import dev.autodiff.nn.data.TensorDataset;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Optimizer;
import dev.autodiff.nn.optim.Sgd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training on local[2] (tasks retried up to 4 times) against the oracle of one machine: the same model,
 * optimiser, loss and DataLoader (batch size, seed) trained in an ordinary loop. Then determinism, failures injected
 * into tasks, checkpoints and resuming, local SGD, and refusals.
 */
class SparkTrainerTest {
    static SparkSession spark;
    static JavaSparkContext sc;

    static final int N = 203; // not a multiple of the batch: the last batch is short
    static final int D = 5;
    static final int CLASSES = 3;
    static final int BATCH = 32;
    static final long SHUFFLE = 11;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,4]").appName("SparkTrainerTest").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** N examples: random features, the class the argmax of a fixed linear map (learnable, so the loss falls). */
    static List<LabeledExample> examples() {
        SplittableRandom r = new SplittableRandom(5);
        double[][] w = new double[CLASSES][D];
        for (double[] row : w) {
            for (int j = 0; j < D; j++) {
                row[j] = r.nextGaussian();
            }
        }
        List<LabeledExample> out = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            double[] x = new double[D];
            for (int j = 0; j < D; j++) {
                x[j] = r.nextGaussian();
            }
            int best = 0;
            double top = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < CLASSES; c++) {
                double s = 0;
                for (int j = 0; j < D; j++) {
                    s += w[c][j] * x[j];
                }
                if (s > top) {
                    top = s;
                    best = c;
                }
            }
            out.add(new LabeledExample(x, best));
        }
        return out;
    }

    static final ModelFactory MODEL = seed -> new Mlp(new int[] {D, 8, CLASSES}, "Tanh", Tensor::tanh, 42);
    static final OptimizerFactory ADAM = ps -> new Adam(ps, 0.05);
    static final Loss CROSS_ENTROPY = (m, b) -> Losses.crossEntropy(m.forward(b.input()), b.labels());

    static SparkTrainer<LabeledExample> trainer() {
        return SparkTrainer.of(MODEL, ADAM, LabeledExample.collate(), CROSS_ENTROPY).batchSize(BATCH).shuffle(SHUFFLE);
    }

    static JavaRDD<LabeledExample> rdd(int partitions) {
        return sc.parallelize(examples(), partitions);
    }

    static double[] params(Module m) {
        return Parameters.values(Parameters.of(m));
    }

    /** The oracle: the same training in an ordinary loop on one machine, batches from a DataLoader. */
    static double[] oneMachine(int epochs, OptimizerFactory optimizer, List<Double> losses) {
        List<LabeledExample> ex = examples();
        double[] x = new double[N * D];
        int[] y = new int[N];
        for (int i = 0; i < N; i++) {
            System.arraycopy(ex.get(i).features(), 0, x, i * D, D);
            y[i] = ex.get(i).label();
        }
        DataLoader<Batch> loader = DataLoader.of(TensorDataset.of(Tensor.fromArray(x, N, D), y)).batchSize(BATCH).shuffle(SHUFFLE);
        Module m = MODEL.create(0);
        Optimizer opt = optimizer.create(Parameters.of(m));
        for (int e = 0; e < epochs; e++) {
            for (Batch b : loader.epoch(e)) {
                opt.zeroGrad();
                Tensor l = CROSS_ENTROPY.apply(m, b);
                l.backward();
                opt.step();
                losses.add(l.item());
            }
        }
        return params(m);
    }

    static void assertClose(double[] want, double[] got, double tol, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 0;
        for (double v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol * scale, what + ": parameter " + i);
        }
    }

    @Test
    void equalsTrainingOnOneMachineForEveryCombine() {
        List<Double> losses = new ArrayList<>();
        double[] want = oneMachine(2, ADAM, losses);
        assertTrue(losses.get(losses.size() - 1) < 0.6 * losses.get(0), "the oracle learns: " + losses);
        for (SparkTrainer.Combine c : SparkTrainer.Combine.values()) {
            int partitions = c == SparkTrainer.Combine.BARRIER ? 2 : 3; // a barrier stage needs a slot per task
            SparkTrainer.Result r = trainer().combine(c).fit(rdd(partitions), 2);
            assertClose(want, params(r.model()), 1e-10, c.toString());
            assertEquals(2 * 7, r.steps().size(), c + ": 7 batches an epoch (203 = 6 x 32 + 11)");
            for (int k = 0; k < losses.size(); k++) {
                assertEquals(losses.get(k), r.steps().get(k).loss(), 1e-12, c + ": the loss of step " + k);
            }
            assertEquals(11, r.steps().get(6).examples(), c + ": the epoch's last batch");
            assertEquals(2 * 7, r.optimizer().stepCount(), c + ": the driver's optimiser holds the steps");
        }
    }

    @Test
    void orderedAndBarrierGiveTheSameBitsOnEveryRun() {
        double[] a = params(trainer().fit(rdd(2), 1).model());
        double[] b = params(trainer().fit(rdd(2), 1).model());
        double[] c = params(trainer().combine(SparkTrainer.Combine.BARRIER).fit(rdd(2), 1).model());
        assertArrayEquals(a, b, "ORDERED twice");
        assertArrayEquals(a, c, "BARRIER adds the same partials in the same order");
    }

    /** Task failures still to inject; local mode runs the executor in this JVM, so the tasks see this counter. */
    static final java.util.concurrent.atomic.AtomicInteger FAILURES = new java.util.concurrent.atomic.AtomicInteger();

    /** Fails a task whose batch holds example 17 (a unique feature value marks it) while FAILURES lasts. */
    static Collate<LabeledExample> failing(double marker) {
        Collate<LabeledExample> plain = LabeledExample.collate();
        return examples -> {
            if (examples.stream().anyMatch(e -> e.features()[0] == marker) && FAILURES.getAndDecrement() > 0) {
                throw new IllegalStateException("injected failure in task " + TaskContext.get().taskAttemptId());
            }
            return plain.apply(examples);
        };
    }

    /**
     * Failed tasks change nothing: per-step tasks are retried by Spark; a failed barrier stage is run again by the
     * trainer, from the newest checkpoint or from its start. Two failures each (one per epoch's batch holding example 17,
     * or twice the same for the barrier stage).
     */
    @Test
    void aFailedTaskIsRetriedWithoutChangingTheResult(@TempDir Path dir) {
        double marker = examples().get(17).features()[0];
        for (SparkTrainer.Combine c : new SparkTrainer.Combine[] {SparkTrainer.Combine.ORDERED, SparkTrainer.Combine.BARRIER}) {
            for (boolean checkpoints : new boolean[] {false, true}) {
                double[] undisturbed = params(trainer().combine(c).fit(rdd(2), 2).model());
                SparkTrainer<LabeledExample> failing = SparkTrainer.of(MODEL, ADAM, failing(marker), CROSS_ENTROPY).batchSize(BATCH)
                        .shuffle(SHUFFLE).combine(c);
                if (checkpoints) {
                    failing.checkpoints(dir.resolve(c.name()).toUri().toString(), 2);
                }
                FAILURES.set(2);
                SparkTrainer.Result r = failing.fit(rdd(2), 2);
                assertTrue(FAILURES.get() < 0, c + ": the failures were injected");
                assertArrayEquals(undisturbed, params(r.model()), c + (checkpoints ? " with checkpoints" : "") + ": same bits");
                // a failed barrier stage reports none of its steps; rerun from a checkpoint, it reports from there
                boolean fromCheckpoint = c == SparkTrainer.Combine.BARRIER && checkpoints;
                assertEquals(14, r.steps().get(r.steps().size() - 1).globalStep());
                assertTrue(fromCheckpoint ? r.steps().get(0).globalStep() > 1 : r.steps().size() == 14, c + ": " + r.steps().size());
            }
        }
        FAILURES.set(100);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SparkTrainer.of(MODEL, ADAM, failing(marker),
                CROSS_ENTROPY).batchSize(BATCH).shuffle(SHUFFLE).combine(SparkTrainer.Combine.BARRIER).barrierAttempts(2).fit(rdd(2), 1));
        assertTrue(e.getMessage().startsWith("SparkTrainer.fit: the barrier stage failed 2 times"), e.getMessage());
        FAILURES.set(0);
    }

    @Test
    void resumesFromTheNewestCheckpointAsIfNeverInterrupted(@TempDir Path dir) throws IOException {
        for (SparkTrainer.Combine c : new SparkTrainer.Combine[] {SparkTrainer.Combine.ORDERED, SparkTrainer.Combine.BARRIER}) {
            Path d = dir.resolve(c.name());
            double[] straight = params(trainer().combine(c).fit(rdd(2), 2).model());
            // the "interrupted" run: one epoch (7 steps), checkpoints every 3 steps and at its end
            SparkTrainer.Result first = trainer().combine(c).checkpoints(d.toUri().toString(), 3).fit(rdd(2), 1);
            assertEquals(7, first.steps().size());
            try (Stream<Path> files = Files.list(d)) {
                List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).sorted().toList();
                assertEquals(List.of("step-6.safetensors", "step-7.safetensors"), names, c + ": the newest two, no litter");
            }
            SparkTrainer.Result resumed = trainer().combine(c).checkpoints(d.toUri().toString(), 3).fit(rdd(2), 2);
            assertEquals(7, resumed.steps().size(), c + ": only the second epoch ran");
            assertEquals(8, resumed.steps().get(0).globalStep());
            assertArrayEquals(straight, params(resumed.model()), c + ": resumed = uninterrupted, bit for bit");
            assertEquals(14, resumed.optimizer().stepCount(), c + ": the optimiser's state came back with its step count");
        }
        // another setup refuses the directory, before anything trains
        String other = dir.resolve("ORDERED").toUri().toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer().batchSize(16).checkpoints(other, 3).fit(rdd(2), 3));
        assertTrue(e.getMessage().contains("was written by another setup"), e.getMessage());
    }

    @Test
    void localSgdWithOneStepAndPlainSgdIsTheSynchronousAlgorithm() {
        OptimizerFactory sgd = ps -> new Sgd(ps, 0.1);
        double[] want = oneMachine(1, sgd, new ArrayList<>());
        SparkTrainer<LabeledExample> local = SparkTrainer.of(MODEL, sgd, LabeledExample.collate(), CROSS_ENTROPY).batchSize(BATCH)
                .shuffle(SHUFFLE);
        assertClose(want, params(local.localSgd(1).fit(rdd(2), 1).model()), 1e-12, "local SGD, k = 1");
        // k = 4 is another algorithm: other parameters, still learning
        SparkTrainer.Result four = SparkTrainer.of(MODEL, sgd, LabeledExample.collate(), CROSS_ENTROPY).batchSize(BATCH)
                .shuffle(SHUFFLE).localSgd(4).fit(rdd(2), 3);
        assertFalse(java.util.Arrays.equals(want, params(four.model())));
        assertEquals(6, four.steps().size(), "3 epochs of 7 steps in rounds of 4: 2 rounds an epoch");
        assertTrue(four.steps().get(5).loss() < four.steps().get(0).loss(), "local SGD learns: " + four.steps());
    }

    @Test
    void aNonFiniteLossStopsBeforeItsStep() {
        Loss exploding = (m, b) -> CROSS_ENTROPY.apply(m, b).mul(Double.POSITIVE_INFINITY);
        for (SparkTrainer.Combine c : SparkTrainer.Combine.values()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> SparkTrainer.of(MODEL, ADAM, LabeledExample.collate(), exploding).combine(c).fit(rdd(2), 1));
            assertTrue(e.getMessage().startsWith("SparkTrainer.fit: the loss is Infinity at epoch 1 step 1"), e.getMessage());
        }
    }

    @Test
    void badSettingsAreRefusedNamingTheCall() {
        assertThrows(IllegalArgumentException.class, () -> trainer().batchSize(0));
        assertThrows(IllegalArgumentException.class, () -> trainer().localSgd(0));
        assertThrows(IllegalArgumentException.class, () -> trainer().checkpoints("x", 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer().fit(sc.parallelize(List.<LabeledExample>of(), 2), 1));
        assertEquals("SparkTrainer.fit: the data has no examples", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> trainer().localSgd(2).combine(SparkTrainer.Combine.BARRIER).fit(rdd(2), 1));
        assertTrue(e.getMessage().contains("local SGD"), e.getMessage());
        assertNotEquals(0, trainer().fit(rdd(2), 0).model().parameters().size(), "0 epochs: the initial model");
    }

    /** Examples keyed by index: any order and partitioning gives the batches of the index order. */
    @Test
    void indexedExamplesInAnyOrderGiveTheSameBatches() {
        List<LabeledExample> ex = examples();
        List<scala.Tuple2<Long, LabeledExample>> pairs = new ArrayList<>();
        for (int i = 0; i < ex.size(); i++) {
            pairs.add(new scala.Tuple2<>((long) i, ex.get(i)));
        }
        java.util.Collections.shuffle(pairs, new java.util.Random(3));
        double[] want = oneMachine(1, ADAM, new ArrayList<>());
        assertClose(want, params(trainer().fit(sc.parallelizePairs(pairs, 3), 1).model()), 1e-10, "shuffled, 3 partitions");

        List<scala.Tuple2<Long, LabeledExample>> twice = new ArrayList<>(pairs);
        twice.set(0, new scala.Tuple2<>(pairs.get(1)._1(), pairs.get(0)._2()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer().fit(sc.parallelizePairs(twice, 3), 1));
        assertTrue(e.getMessage().startsWith("SparkTrainer.fit: the example indices must be 0..202, each once"), e.getMessage());
        List<scala.Tuple2<Long, LabeledExample>> gap = new ArrayList<>(pairs);
        gap.set(0, new scala.Tuple2<>(1000L, pairs.get(0)._2()));
        e = assertThrows(IllegalArgumentException.class, () -> trainer().fit(sc.parallelizePairs(gap, 3), 1));
        assertTrue(e.getMessage().contains("the largest 1000"), e.getMessage());
        List<scala.Tuple2<Long, LabeledExample>> negative = new ArrayList<>(pairs);
        negative.set(5, new scala.Tuple2<>(-4L, pairs.get(5)._2()));
        e = assertThrows(IllegalArgumentException.class, () -> trainer().fit(sc.parallelizePairs(negative, 3), 1));
        assertTrue(e.getMessage().startsWith("SparkTrainer.fit: example index -4 is outside"), e.getMessage());
    }
}
