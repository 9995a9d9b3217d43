package dev.autodiff.spark;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.data.DataLoader;
import dev.autodiff.nn.data.Dataset;
import dev.autodiff.nn.optim.Optimizer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Synchronous data-parallel training of any {@link Module} on an RDD of examples, on Apache Spark.
 *
 * <p>Each step takes the global batch a {@link DataLoader} with the same batch size, seed and drop-last would take
 * (epoch e's order depends on the seed and e alone). Every partition computes the summed gradient of its examples in
 * that batch (its mean loss times its share n / B), the partitions' gradients are added, and the optimiser steps once
 * on the driver, so there is one set of parameters, as on one machine. The result equals training on one machine with
 * that DataLoader to rounding: the sums are the same terms added in another order (partition by partition instead of
 * inside one matrix product), about 1e-16 relative a step; the tests hold it to 1e-10 after two epochs.
 *
 * <p>How the gradients are combined ({@link Combine}): {@code ORDERED} (the default) collects each partition's sum and
 * adds them on the driver in partition order, so the same data, partitioning and settings give the same bits on every
 * run; {@code TREE_AGGREGATE} uses Spark's treeAggregate, as MLlib does (its additions follow the order tasks finish in,
 * so with more than two partitions the bits may differ between runs); {@code BARRIER} runs all steps in one barrier
 * stage whose tasks all-reduce their gradients among themselves each step (BarrierTaskContext.allGather, then the same
 * sum in partition order on every task, and the same optimiser step on every replica), with no Spark job per step.
 * BENCHMARKS.md says which wins at which step time.
 *
 * <p>Faults: a step's task is a pure function of the cached examples, the broadcast parameters and the batch, so a
 * task that fails or is lost is rerun by Spark (spark.task.maxFailures) with the same result; a barrier stage is rerun
 * whole, from the start of the stage (or, with checkpoints, from the newest one). {@link #checkpoints} saves the model
 * and the optimiser every N steps to any Hadoop file system path, and {@link #fit} resumes from the newest one found there
 * (refusing one written by another setup).
 *
 * <p>{@link #localSgd} trains with local SGD instead: a different algorithm (each partition takes k steps on its own
 * share of the next k global batches with an optimiser of its own, then the parameters are averaged, weighted by the
 * examples each partition saw), for networks too slow for a combine per step. With k = 1 and plain SGD it is the
 * synchronous algorithm again.
 *
 * <p>The model is never serialised: each task builds its replica with the {@link ModelFactory} and loads the parameters,
 * which travel as one double array (a broadcast per step). Random layers in a replica draw from a seed of its own
 * (derived from the seed, the step and the partition); a model with dropout therefore does not reproduce one machine's
 * masks (no data-parallel scheme can with another split of the batch).
 */
public final class SparkTrainer<T> {
    /** How the partitions' gradients are added up each step (see the class comment). */
    public enum Combine { ORDERED, TREE_AGGREGATE, BARRIER }

    /** What {@link #fit} returns: the trained model and optimiser on the driver, and every step's report. */
    public record Result(Module model, Optimizer optimizer, List<StepReport> steps) {}

    private final ModelFactory modelFactory;
    private final OptimizerFactory optimizerFactory;
    private final Collate<T> collate;
    private final Loss loss;
    private int batchSize = 32;
    private Long shuffleSeed;
    private boolean dropLast;
    private long seed;
    private Combine combine = Combine.ORDERED;
    private int localSteps;
    private String checkpointDir;
    private int checkpointEvery;
    private int barrierAttempts = 4;
    private Consumer<StepReport> progress = r -> {};

    private SparkTrainer(ModelFactory modelFactory, OptimizerFactory optimizerFactory, Collate<T> collate, Loss loss) {
        this.modelFactory = Objects.requireNonNull(modelFactory, "SparkTrainer: modelFactory is null");
        this.optimizerFactory = Objects.requireNonNull(optimizerFactory, "SparkTrainer: optimizerFactory is null");
        this.collate = Objects.requireNonNull(collate, "SparkTrainer: collate is null");
        this.loss = Objects.requireNonNull(loss, "SparkTrainer: loss is null");
    }

    public static <T> SparkTrainer<T> of(ModelFactory model, OptimizerFactory optimizer, Collate<T> collate, Loss loss) {
        return new SparkTrainer<>(model, optimizer, collate, loss);
    }

    /** The global batch size (all partitions together), as DataLoader's; 32 by default. */
    public SparkTrainer<T> batchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("SparkTrainer.batchSize: must be >= 1, got " + batchSize);
        }
        this.batchSize = batchSize;
        return this;
    }

    /** Shuffles each epoch as {@code DataLoader.shuffle(seed)} does (without: the examples' order, zipWithIndex's). */
    public SparkTrainer<T> shuffle(long seed) {
        this.shuffleSeed = seed;
        return this;
    }

    public SparkTrainer<T> dropLast(boolean dropLast) {
        this.dropLast = dropLast;
        return this;
    }

    /** The seed of the driver's model (its initial weights) and of the replicas' random layers; 0 by default. */
    public SparkTrainer<T> seed(long seed) {
        this.seed = seed;
        return this;
    }

    public SparkTrainer<T> combine(Combine combine) {
        this.combine = Objects.requireNonNull(combine, "SparkTrainer.combine: combine is null");
        return this;
    }

    /** Local SGD: k local steps per partition between parameter averages (a different algorithm; see the class comment). */
    public SparkTrainer<T> localSgd(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("SparkTrainer.localSgd: k must be >= 1, got " + k);
        }
        this.localSteps = k;
        return this;
    }

    /** Saves a checkpoint every {@code everySteps} steps and at the end into {@code dir} (any Hadoop path), and resumes from it. */
    public SparkTrainer<T> checkpoints(String dir, int everySteps) {
        Objects.requireNonNull(dir, "SparkTrainer.checkpoints: dir is null");
        if (everySteps < 1) {
            throw new IllegalArgumentException("SparkTrainer.checkpoints: everySteps must be >= 1, got " + everySteps);
        }
        this.checkpointDir = dir;
        this.checkpointEvery = everySteps;
        return this;
    }

    /**
     * How often a failed BARRIER stage is run again (4 by default, as spark.task.maxFailures). Spark does not retry a
     * barrier stage whose results go to the driver, so the trainer does: from the newest checkpoint when there is one,
     * else from where the stage began, with the same result either way.
     */
    public SparkTrainer<T> barrierAttempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("SparkTrainer.barrierAttempts: must be >= 1, got " + attempts);
        }
        this.barrierAttempts = attempts;
        return this;
    }

    /** Called on the driver after each step (in BARRIER mode: for all steps when the stage ends). */
    public SparkTrainer<T> progress(Consumer<StepReport> progress) {
        this.progress = Objects.requireNonNull(progress, "SparkTrainer.progress: progress is null");
        return this;
    }

    /** Prints a report line every {@code everySteps} steps to standard output. */
    public SparkTrainer<T> printEvery(int everySteps) {
        if (everySteps < 1) {
            throw new IllegalArgumentException("SparkTrainer.printEvery: everySteps must be >= 1, got " + everySteps);
        }
        return progress(r -> {
            if (r.globalStep() % everySteps == 0) {
                System.out.println(r);
            }
        });
    }

    // ---- the plan every task can recompute: which examples are in which step -------------------------------------

    /** The data-independent schedule: sizes, the epochs' orders (from the seed), the step count. Serializable. */
    record Plan(int examples, int batchSize, Long shuffleSeed, boolean dropLast, int epochs) implements Serializable {
        private DataLoader<Integer> loader() {
            Dataset<Integer> indices = new Dataset<>() {
                @Override
                public int size() {
                    return examples;
                }

                @Override
                public Integer get(int index) {
                    return index;
                }
            };
            DataLoader<Integer> l = DataLoader.of(indices, list -> 0).batchSize(batchSize).dropLast(dropLast);
            return shuffleSeed == null ? l : l.shuffle(shuffleSeed);
        }

        int batchesPerEpoch() {
            return loader().batches();
        }

        int steps() {
            return Math.multiplyExact(batchesPerEpoch(), epochs);
        }

        /** The number of examples in global step g's batch. */
        int batchLength(int g) {
            int s = g % batchesPerEpoch();
            return (int) (Math.min(examples, (s + 1L) * batchSize) - (long) s * batchSize);
        }

        /** The global indices of global step g's batch (0-based), given epoch g / batches' order. */
        int[] batch(int g, int[][] orderCache) {
            int per = batchesPerEpoch();
            int epoch = g / per;
            if (orderCache[0] == null || orderCache[1][0] != epoch) {
                orderCache[0] = loader().order(epoch);
                orderCache[1] = new int[] {epoch};
            }
            int s = g % per;
            return Arrays.copyOfRange(orderCache[0], s * batchSize, (int) Math.min(examples, (s + 1L) * batchSize));
        }
    }

    /** A partition's part of one step: the gradient of its share of the loss (null if it held none of the batch). */
    record Partial(double[] grad, double loss, int count) implements Serializable {
        static final Partial NONE = new Partial(null, 0, 0);
    }

    /** A replica seed from the trainer's seed, the step (-1 for a replica that lives through a stage) and the partition. */
    static long replicaSeed(long seed, int step, int partition) {
        return Dataset.mix(Dataset.mix(Dataset.mix(seed) + step) + partition);
    }

    /** The gradient of this shard's part of the batch, on a fresh replica holding {@code params}. */
    static <T> Partial partial(Shard<T> shard, int[] batch, int globalBatch, double[] params, long replicaSeed,
            ModelFactory factory, Collate<T> collate, Loss loss) {
        List<T> mine = shard.select(batch);
        if (mine.isEmpty()) {
            return Partial.NONE;
        }
        Module m = factory.create(replicaSeed);
        m.train();
        List<Tensor> ps = Parameters.of(m);
        Parameters.load(ps, params);
        return partial(m, ps, mine, globalBatch, collate, loss);
    }

    private static <T> Partial partial(Module m, List<Tensor> ps, List<T> mine, int globalBatch, Collate<T> collate, Loss loss) {
        if (mine.isEmpty()) {
            return Partial.NONE;
        }
        Tensor l = loss.apply(m, collate.apply(mine));
        if (l == null || l.rank() != 0) {
            throw new IllegalArgumentException("SparkTrainer: the loss must be a 0-dim tensor (the batch's mean), got "
                    + (l == null ? "null" : Arrays.toString(l.shape())));
        }
        for (Tensor p : ps) {
            p.setGrad(null);
        }
        Tensor share = l.mul(mine.size() / (double) globalBatch);
        share.backward();
        return new Partial(Parameters.grads(ps), share.item(), mine.size());
    }

    // ---- fit --------------------------------------------------------------------------------------------------------

    /**
     * Trains for {@code epochs} epochs over {@code data} (any partitioning; cached for the run). Resumes from the newest
     * checkpoint when {@link #checkpoints} names a directory holding one of this setup.
     */
    public Result fit(JavaRDD<T> data, int epochs) {
        Objects.requireNonNull(data, "SparkTrainer.fit: data is null");
        return fit(data.zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1())), epochs);
    }

    /**
     * Trains on examples keyed by their index 0..n-1, each once, in any partitioning and order: the index is what
     * DataLoader's order refers to (an id column, say), so repartitioning the data changes no batch. {@link #fit(JavaRDD,
     * int)} takes the RDD's own order (zipWithIndex), which a repartition changes.
     */
    public Result fit(JavaPairRDD<Long, T> indexed, int epochs) {
        Objects.requireNonNull(indexed, "SparkTrainer.fit: data is null");
        if (epochs < 0) {
            throw new IllegalArgumentException("SparkTrainer.fit: epochs must be >= 0, got " + epochs);
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(indexed.context());
        JavaRDD<Shard<T>> shards = indexed.mapPartitions(it -> List.of(Shard.of(it)).iterator(), true);
        shards.persist(StorageLevel.MEMORY_ONLY());
        try {
            long invalid = shards.map(s -> s.invalid).fold(-1L, (a, b) -> a != -1 ? a : b);
            if (invalid != -1) {
                throw new IllegalArgumentException("SparkTrainer.fit: example index " + (invalid == Long.MIN_VALUE ? "null"
                        : Long.toString(invalid)) + " is outside [0, 2^31 - 9); the indices must be 0..n-1, each once");
            }
            long n = shards.map(s -> (long) s.indices.length).fold(0L, Long::sum);
            if (n == 0) {
                throw new IllegalArgumentException("SparkTrainer.fit: the data has no examples");
            }
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("SparkTrainer.fit: " + n + " examples, more than an epoch's int order holds");
            }
            // the indices must be 0..n-1, each once: n of them, the largest n - 1, n distinct
            long max = shards.map(s -> s.indices.length == 0 ? -1L : (long) s.indices[s.indices.length - 1]).fold(-1L, Math::max);
            long distinct = shards.flatMap(s -> Arrays.stream(s.indices).boxed().iterator()).distinct().count();
            if (max != n - 1 || distinct != n) {
                throw new IllegalArgumentException("SparkTrainer.fit: the example indices must be 0.." + (n - 1) + ", each once; got "
                        + n + " examples, " + distinct + " distinct indices, the largest " + max);
            }
            Plan plan = new Plan((int) n, batchSize, shuffleSeed, dropLast, epochs);
            if (plan.batchesPerEpoch() == 0) {
                throw new IllegalArgumentException("SparkTrainer.fit: no batches: " + n + " examples, batch size " + batchSize
                        + " and drop-last");
            }
            Module model = modelFactory.create(seed);
            List<Tensor> params = Parameters.of(model);
            Optimizer optimizer = optimizerFactory.create(params);
            CheckpointStore store = checkpointDir == null ? null : new CheckpointStore(checkpointDir, sc.hadoopConfiguration());
            String setup = setup(model, optimizer, plan, shards.getNumPartitions());
            int start = 0;
            if (store != null) {
                int latest = store.latest();
                if (latest >= 0) {
                    String theirs = store.extra(latest).get("setup");
                    if (!setup.equals(theirs)) {
                        throw new IllegalArgumentException("SparkTrainer.fit: the checkpoint " + store.dir() + "/step-" + latest
                                + ".safetensors was written by another setup; remove it or use another directory.\n  its setup: "
                                + theirs + "\n  this one:  " + setup);
                    }
                    store.load(latest, model, optimizer);
                    start = latest;
                }
            }
            List<StepReport> reports = new ArrayList<>();
            if (start < plan.steps()) {
                if (combine == Combine.BARRIER) {
                    if (localSteps > 0) {
                        throw new IllegalArgumentException("SparkTrainer.fit: local SGD runs a job per round; it has no BARRIER form");
                    }
                    if (shards.getNumPartitions() > sc.defaultParallelism()) {
                        throw new IllegalArgumentException("SparkTrainer.fit: BARRIER runs a task per partition at once: "
                                + shards.getNumPartitions() + " partitions, " + sc.defaultParallelism() + " task slots; repartition "
                                + "the data to at most " + sc.defaultParallelism());
                    }
                    barrierWithRetries(sc, shards, plan, model, optimizer, start, store, setup, reports);
                } else {
                    perStep(sc, shards, plan, params, optimizer, start, store, setup, reports, model);
                }
            }
            return new Result(model, optimizer, Collections.unmodifiableList(reports));
        } finally {
            shards.unpersist(false);
        }
    }

    private String setup(Module model, Optimizer optimizer, Plan plan, int partitions) {
        return "model " + model.toString().replace('\n', '|') + "; optimizer " + optimizer.getClass().getSimpleName() + " lr "
                + optimizer.lr() + "; " + plan.examples() + " examples, batch " + plan.batchSize() + ", shuffle " + plan.shuffleSeed()
                + ", dropLast " + plan.dropLast() + "; seed " + seed + "; " + (localSteps > 0 ? "local SGD k " + localSteps
                : "combine " + combine) + "; " + partitions + " partitions";
    }

    /** Reports step g with the examples per second since the clock's last reading, which it sets to now. */
    private void report(List<StepReport> reports, Plan plan, int g, double loss, int examples, long[] clock) {
        long now = System.nanoTime();
        double eps = examples / Math.max(1e-9, (now - clock[0]) / 1e9);
        clock[0] = now;
        report(reports, plan, g, loss, examples, eps);
    }

    private void report(List<StepReport> reports, Plan plan, int g, double loss, int examples, double eps) {
        int per = plan.batchesPerEpoch();
        StepReport r = new StepReport(g / per + 1, g % per + 1, g + 1, loss, examples, eps);
        reports.add(r);
        progress.accept(r);
    }

    private static void checkFinite(double loss, Plan plan, int g) {
        if (!Double.isFinite(loss)) {
            int per = plan.batchesPerEpoch();
            throw new IllegalStateException("SparkTrainer.fit: the loss is " + loss + " at epoch " + (g / per + 1) + " step "
                    + (g % per + 1) + "; training stopped before that step changed the parameters");
        }
    }

    private Map<String, String> extra(String setup, int step) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("setup", setup);
        m.put("step", Integer.toString(step));
        return m;
    }

    /** One Spark job per step (or per round of local SGD); the optimiser steps on the driver. */
    private void perStep(JavaSparkContext sc, JavaRDD<Shard<T>> shards, Plan plan, List<Tensor> params, Optimizer optimizer,
            int start, CheckpointStore store, String setup, List<StepReport> reports, Module model) {
        int[][] orders = new int[2][];
        long[] clock = {System.nanoTime()};
        int round = Math.max(1, localSteps);
        for (int g = start; g < plan.steps(); g += round) {
            int steps = Math.min(round, plan.steps() - g);
            int[][] batches = new int[steps][];
            for (int k = 0; k < steps; k++) {
                batches[k] = plan.batch(g + k, orders);
            }
            Broadcast<double[]> values = sc.broadcast(Parameters.values(params));
            try {
                if (localSteps > 0) {
                    double[][] out = localRound(shards, values, batches, g);
                    checkFinite(out[1][0], plan, g);
                    Parameters.load(params, out[0]);
                    int ex = 0;
                    for (int[] b : batches) {
                        ex += b.length;
                    }
                    report(reports, plan, g + steps - 1, out[1][0], ex, clock);
                } else {
                    Partial total = combine(shards, values, batches[0], g);
                    checkFinite(total.loss(), plan, g);
                    Parameters.setGrads(params, total.grad());
                    optimizer.step();
                    optimizer.zeroGrad();
                    report(reports, plan, g, total.loss(), batches[0].length, clock);
                }
            } finally {
                values.destroy();
            }
            int done = g + steps;
            if (store != null && (done % checkpointEvery < steps || done == plan.steps())) {
                store.save(done, model, optimizer, extra(setup, done));
            }
        }
    }

    /** The step's summed gradient and loss, combined as {@link #combine} says. */
    private Partial combine(JavaRDD<Shard<T>> shards, Broadcast<double[]> values, int[] batch, int g) {
        ModelFactory factory = modelFactory;
        Collate<T> c = collate;
        Loss l = loss;
        long s = seed;
        int b = batch.length;
        if (combine == Combine.TREE_AGGREGATE) {
            Partial zero = new Partial(null, 0, 0);
            return shards.map(sh -> partial(sh, batch, b, values.value(), replicaSeed(s, g, org.apache.spark.TaskContext.getPartitionId()),
                    factory, c, l)).treeAggregate(zero, SparkTrainer::add, SparkTrainer::add, 2);
        }
        List<Partial> parts = shards.mapPartitionsWithIndex((pid, it) -> {
            List<Partial> out = new ArrayList<>();
            while (it.hasNext()) {
                out.add(partial(it.next(), batch, b, values.value(), replicaSeed(s, g, pid), factory, c, l));
            }
            return out.iterator();
        }, true).collect(); // in partition order
        Partial total = Partial.NONE;
        for (Partial p : parts) {
            total = add(total, p);
        }
        return total;
    }

    /** a + b: the gradients added element by element (a fresh array), the losses and counts summed. */
    static Partial add(Partial a, Partial b) {
        if (b.grad() == null) {
            return a.grad() == null ? new Partial(null, a.loss() + b.loss(), a.count() + b.count()) : a;
        }
        if (a.grad() == null) {
            return new Partial(b.grad().clone(), a.loss() + b.loss(), a.count() + b.count());
        }
        double[] g = a.grad().clone();
        Parameters.addTo(g, b.grad());
        return new Partial(g, a.loss() + b.loss(), a.count() + b.count());
    }

    /**
     * One round of local SGD: each partition, from the broadcast parameters and with a fresh optimiser, takes one step
     * on its members of each batch (their mean loss); returns {averaged parameters, {mean loss of the round's last
     * batch}}, the parameters weighted by each partition's share of the round's examples.
     */
    private double[][] localRound(JavaRDD<Shard<T>> shards, Broadcast<double[]> values, int[][] batches, int g) {
        ModelFactory factory = modelFactory;
        OptimizerFactory of = optimizerFactory;
        Collate<T> c = collate;
        Loss l = loss;
        long s = seed;
        int total = 0;
        for (int[] b : batches) {
            total += b.length;
        }
        int all = total;
        List<double[][]> parts = shards.mapPartitionsWithIndex((pid, it) -> {
            List<double[][]> out = new ArrayList<>();
            while (it.hasNext()) {
                Shard<T> sh = it.next();
                Module m = factory.create(replicaSeed(s, g, pid));
                m.train();
                List<Tensor> ps = Parameters.of(m);
                Parameters.load(ps, values.value());
                Optimizer opt = of.create(ps);
                int seen = 0;
                double lastLoss = 0;
                for (int[] batch : batches) {
                    List<T> mine = sh.select(batch);
                    if (mine.isEmpty()) {
                        continue;
                    }
                    // a local step on the local mean; the loss reported is the global batch's (this part of it)
                    Partial p = partial(m, ps, mine, mine.size(), c, l);
                    opt.step();
                    opt.zeroGrad();
                    seen += mine.size();
                    lastLoss = p.loss() * mine.size() / batch.length;
                }
                if (seen > 0) {
                    double[] v = Parameters.values(ps);
                    double w = seen / (double) all;
                    for (int i = 0; i < v.length; i++) {
                        v[i] *= w;
                    }
                    out.add(new double[][] {v, {lastLoss}});
                }
            }
            return out.iterator();
        }, true).collect();
        double[] avg = new double[values.value().length];
        double lossSum = 0;
        for (double[][] p : parts) {
            Parameters.addTo(avg, p[0]);
            lossSum += p[1][0];
        }
        return new double[][] {avg, {lossSum}};
    }

    // ---- BARRIER: one stage, an all-reduce per step among its tasks ----------------------------------------------

    /** What the barrier stage's task 0 returns: the final parameters, the optimiser's state, each step's loss. */
    record BarrierResult(double[] params, Map<String, double[]> state, Map<String, int[]> shapes, int stepCount,
            double[] losses) implements Serializable {}

    private void barrierWithRetries(JavaSparkContext sc, JavaRDD<Shard<T>> shards, Plan plan, Module model, Optimizer optimizer,
            int start, CheckpointStore store, String setup, List<StepReport> reports) {
        for (int attempt = 1;; attempt++) {
            try {
                barrier(sc, shards, plan, model, optimizer, start, store, setup, reports);
                return;
            } catch (Exception e) { // the job's failure is Spark's checked SparkException
                if (!(e instanceof org.apache.spark.SparkException) || attempt >= barrierAttempts) {
                    if (e instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IllegalStateException("SparkTrainer.fit: the barrier stage failed " + attempt + " time"
                            + (attempt == 1 ? "" : "s") + "; last: " + e.getMessage(), e);
                }
                int latest = store == null ? -1 : store.latest();
                if (latest > start) { // the stage's rank 0 saved these: as good as a step the driver took
                    store.load(latest, model, optimizer);
                    start = latest;
                }
                System.getLogger(SparkTrainer.class.getName()).log(System.Logger.Level.WARNING, "SparkTrainer: the barrier stage "
                        + "failed (" + e.getMessage() + "); attempt " + (attempt + 1) + " of " + barrierAttempts + " from step " + start);
            }
        }
    }

    private void barrier(JavaSparkContext sc, JavaRDD<Shard<T>> shards, Plan plan, Module model, Optimizer optimizer, int start,
            CheckpointStore store, String setup, List<StepReport> reports) {
        List<Tensor> params = Parameters.of(model);
        Broadcast<double[]> values = sc.broadcast(Parameters.values(params));
        Map<String, double[]> state = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        optimizer.state().forEach((k, t) -> {
            state.put(k, t.toArray());
            shapes.put(k, t.shape());
        });
        Broadcast<Map<String, double[]>> stateB = sc.broadcast(state);
        int stepCount = optimizer.stepCount();
        ModelFactory factory = modelFactory;
        OptimizerFactory of = optimizerFactory;
        Collate<T> c = collate;
        Loss l = loss;
        long s = seed;
        int every = checkpointEvery;
        long t0 = System.nanoTime();
        try {
            ClassTag<BarrierResult> tag = ClassTag$.MODULE$.apply(BarrierResult.class);
            BarrierStage<T> stage = new BarrierStage<>(plan, start, values, stateB, shapes, stepCount, factory, of, c, l, s, store,
                    every, setup);
            List<BarrierResult> out = JavaRDD.fromRDD(shards.rdd().barrier().mapPartitions(stage, true, tag), tag).collect();
            BarrierResult r = out.get(0);
            Parameters.load(params, r.params());
            Map<String, Tensor> st = new LinkedHashMap<>();
            r.state().forEach((k, v) -> st.put(k, Tensor.fromArray(v, r.shapes().get(k))));
            optimizer.loadState(st, r.stepCount());
            // the stage reports at its end, each step with the stage's examples per second
            int steps = r.losses().length;
            long examples = 0;
            for (int k = 0; k < steps; k++) {
                examples += plan.batchLength(start + k);
            }
            double eps = examples / Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
            for (int k = 0; k < steps; k++) {
                int g = start + k;
                checkFinite(r.losses()[k], plan, g);
                report(reports, plan, g, r.losses()[k], plan.batchLength(g), eps);
            }
        } finally {
            values.destroy();
            stateB.destroy();
        }
    }

    /** The barrier stage's task: a replica that lives through all steps, all-reducing its gradients each step. */
    static final class BarrierStage<T> extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Shard<T>>,
            scala.collection.Iterator<BarrierResult>> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Plan plan;
        private final int start;
        private final Broadcast<double[]> values;
        private final Broadcast<Map<String, double[]>> state;
        private final Map<String, int[]> shapes;
        private final int stepCount;
        private final ModelFactory factory;
        private final OptimizerFactory optimizerFactory;
        private final Collate<T> collate;
        private final Loss loss;
        private final long seed;
        private final CheckpointStore store;
        private final int every;
        private final String setup;

        BarrierStage(Plan plan, int start, Broadcast<double[]> values, Broadcast<Map<String, double[]>> state,
                Map<String, int[]> shapes, int stepCount, ModelFactory factory, OptimizerFactory optimizerFactory,
                Collate<T> collate, Loss loss, long seed, CheckpointStore store, int every, String setup) {
            this.plan = plan;
            this.start = start;
            this.values = values;
            this.state = state;
            this.shapes = new LinkedHashMap<>(shapes);
            this.stepCount = stepCount;
            this.factory = factory;
            this.optimizerFactory = optimizerFactory;
            this.collate = collate;
            this.loss = loss;
            this.seed = seed;
            this.store = store;
            this.every = every;
            this.setup = setup;
        }

        @Override
        public scala.collection.Iterator<BarrierResult> apply(scala.collection.Iterator<Shard<T>> it) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            int rank = ctx.partitionId();
            Iterator<Shard<T>> shardsHere = scala.jdk.javaapi.CollectionConverters.asJava(it);
            Shard<T> shard = shardsHere.next();
            Module m = factory.create(replicaSeed(seed, -1, rank));
            m.train();
            List<Tensor> ps = Parameters.of(m);
            Parameters.load(ps, values.value());
            Optimizer opt = optimizerFactory.create(ps);
            if (stepCount > 0 || !state.value().isEmpty()) {
                Map<String, Tensor> st = new LinkedHashMap<>();
                state.value().forEach((k, v) -> st.put(k, Tensor.fromArray(v, shapes.get(k))));
                opt.loadState(st, stepCount);
            }
            int[][] orders = new int[2][];
            int steps = plan.steps() - start;
            double[] losses = new double[steps];
            for (int k = 0; k < steps; k++) {
                int g = start + k;
                int[] batch = plan.batch(g, orders);
                Partial p = partial(m, ps, shard.select(batch), batch.length, collate, loss);
                String mine = p.loss() + ";" + (p.grad() == null ? "" : Parameters.encode(p.grad()));
                String[] all = ctx.allGather(mine); // ordered by partition id
                double[] total = null;
                double lossSum = 0;
                for (String msg : all) {
                    int semi = msg.indexOf(';');
                    lossSum += Double.parseDouble(msg.substring(0, semi));
                    if (semi + 1 < msg.length()) {
                        double[] grad = Parameters.decode(msg.substring(semi + 1));
                        if (total == null) {
                            total = grad;
                        } else {
                            Parameters.addTo(total, grad);
                        }
                    }
                }
                losses[k] = lossSum;
                if (!Double.isFinite(lossSum)) { // every task sees the same sum: all stop here, the driver reports it
                    losses = Arrays.copyOf(losses, k + 1);
                    break;
                }
                Parameters.setGrads(ps, total);
                opt.step();
                opt.zeroGrad();
                int done = g + 1;
                if (rank == 0 && store != null && (done % every == 0 || done == plan.steps())) {
                    Map<String, String> extra = new LinkedHashMap<>();
                    extra.put("setup", setup);
                    extra.put("step", Integer.toString(done));
                    store.save(done, m, opt, extra);
                }
            }
            if (rank != 0) {
                return scala.jdk.javaapi.CollectionConverters.asScala(Collections.<BarrierResult>emptyIterator());
            }
            Map<String, double[]> outState = new LinkedHashMap<>();
            Map<String, int[]> outShapes = new LinkedHashMap<>();
            opt.state().forEach((k, t) -> {
                outState.put(k, t.toArray());
                outShapes.put(k, t.shape());
            });
            BarrierResult r = new BarrierResult(Parameters.values(ps), outState, outShapes, opt.stepCount(), losses);
            return scala.jdk.javaapi.CollectionConverters.asScala(List.of(r).iterator());
        }
    }
}
