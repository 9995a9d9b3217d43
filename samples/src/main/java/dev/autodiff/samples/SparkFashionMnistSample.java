package dev.autodiff.samples;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Activations;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Mlp;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.data.Batch;
import dev.autodiff.nn.data.DataLoader;
import dev.autodiff.nn.data.FashionMnist;
import dev.autodiff.nn.data.TensorDataset;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Optimizer;
import dev.autodiff.spark.LabeledExample;
import dev.autodiff.spark.Loss;
import dev.autodiff.spark.ModelFactory;
import dev.autodiff.spark.OptimizerFactory;
import dev.autodiff.spark.SparkData;
import dev.autodiff.spark.SparkTrainer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The fashion-mnist recipe (MLP 784-256-10, Adam 1e-3, batches of 128) trained data-parallel on Spark: on one machine
 * in a plain loop (the reference), then with SparkTrainer on local[1] and local[2] with a Spark job per step (ORDERED)
 * and with one barrier stage all-reducing each step (BARRIER). It prints each run's throughput, the largest difference
 * of its parameters from the reference (rounding only: the same batches, the same steps), the scaling from one to two
 * executor cores at the same global batch, and the test accuracy from batch inference over a DataFrame.
 *
 * <p>Settings: {@code -Dspark.examples=N} training images (default 12,800, 100 steps of 128), {@code -Dspark.epochs=E} (1),
 * {@code -Dspark.batch=B} (128), {@code -Dfashion.dir=FOLDER} for the IDX files (default: Debian's
 * {@code apt-get install dataset-fashion-mnist}).
 */
final class SparkFashionMnistSample {
    private SparkFashionMnistSample() {}

    record Run(String name, double seconds, double examplesPerSecond, double maxDiff, double lastLoss) {}

    record Outcome(List<Run> runs, double accuracy, double referenceLastLoss) {}

    static final long SEED = 42;
    static final ModelFactory MODEL = seed -> new Mlp(new int[] {784, 256, 10}, "relu", Activations::relu, SEED);
    static final OptimizerFactory ADAM = ps -> new Adam(ps, 1e-3);
    static final Loss LOSS = (m, b) -> Losses.crossEntropy(m.forward(b.input()), b.labels());

    static void run() throws Exception {
        int n = Integer.getInteger("spark.examples", 12_800); // 100 steps: BARRIER costs about 0.8 s a step here
        int epochs = Integer.getInteger("spark.epochs", 1);
        int batch = Integer.getInteger("spark.batch", 128);
        String dir = System.getProperty("fashion.dir");
        FashionMnist data = dir == null ? FashionMnist.load() : FashionMnist.load(java.nio.file.Path.of(dir));
        Outcome o = train(data.train().images().reshape(data.train().size(), 784).slice(0, 0, n),
                java.util.Arrays.copyOf(data.train().labels(), n), data.test().images().reshape(data.test().size(), 784),
                data.test().labels(), epochs, batch, new String[] {"local[1]", "local[2]"});
        System.out.printf("%nMLP 784-256-10, Adam 1e-3, %d images, batch %d, %d epoch%s; the reference is one machine's loop%n", n,
                batch, epochs, epochs == 1 ? "" : "s");
        System.out.printf("%-22s %10s %14s %22s %12s%n", "run", "seconds", "examples/s", "max |param - reference|", "last loss");
        for (Run r : o.runs()) {
            System.out.printf("%-22s %10.2f %14.0f %22.3g %12.6f%n", r.name(), r.seconds(), r.examplesPerSecond(), r.maxDiff(), r.lastLoss());
        }
        System.out.printf("reference's last loss %.6f%n", o.referenceLastLoss());
        for (String mode : new String[] {"ORDERED", "BARRIER"}) {
            Run one = find(o.runs(), mode + " local[1]");
            Run two = find(o.runs(), mode + " local[2]");
            double speedup = one.seconds() / two.seconds();
            System.out.printf("%s: local[2] is %.2fx local[1] at the same global batch: efficiency %.0f%%%n", mode, speedup,
                    50 * speedup);
        }
        System.out.printf("test accuracy by SparkData.predict over a DataFrame of the %,d test images: %.4f%n",
                data.test().size(), o.accuracy());
        System.out.println("Look at: every run's parameters equal the reference's to rounding (same batches, same steps); "
                + "BARRIER saves a Spark job per step, which is most of a small model's step time here.");
    }

    private static Run find(List<Run> runs, String name) {
        return runs.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    static List<LabeledExample> examples(Tensor images, int[] labels) {
        int n = labels.length;
        int d = images.dim(1);
        double[] v = images.toArray();
        List<LabeledExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new LabeledExample(java.util.Arrays.copyOfRange(v, i * d, (i + 1) * d), labels[i]));
        }
        return out;
    }

    /** The reference, every Spark run, then inference on the test set with the last run's model. */
    static Outcome train(Tensor images, int[] labels, Tensor testImages, int[] testLabels, int epochs, int batch, String[] masters) {
        long t0 = System.nanoTime();
        Module reference = MODEL.create(SEED);
        Optimizer opt = ADAM.create(new ArrayList<>(reference.parameters().values()));
        DataLoader<Batch> loader = DataLoader.of(TensorDataset.of(images, labels)).batchSize(batch).shuffle(SEED);
        double last = Double.NaN;
        for (int e = 0; e < epochs; e++) {
            for (Batch b : loader.epoch(e)) {
                opt.zeroGrad();
                Tensor l = LOSS.apply(reference, b);
                l.backward();
                opt.step();
                last = l.item();
            }
        }
        double refSeconds = (System.nanoTime() - t0) / 1e9;
        double[] ref = values(reference);
        List<Run> runs = new ArrayList<>();
        runs.add(new Run("one machine, no Spark", refSeconds, labels.length * (double) epochs / refSeconds, 0, last));
        double accuracy = Double.NaN;
        java.nio.file.Path dir = java.nio.file.Path.of("target", "spark-fashion-mnist");
        for (String master : masters) {
            SparkSession spark = SparkSession.builder().master(master).appName("spark-fashion-mnist").config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
            try {
                // the data in storage, as a Spark user's is (an RDD made by parallelize would carry it in every task)
                String train = parquet(spark, images, labels, dir.resolve("train-" + fingerprint(images, labels) + ".parquet"));
                String test = parquet(spark, testImages, testLabels, dir.resolve("test-" + fingerprint(testImages, testLabels) + ".parquet"));
                int slots = spark.sparkContext().defaultParallelism();
                // keyed by the id column: the batches do not depend on how repartition orders the rows
                var rdd = SparkData.labeled(spark.read().parquet(train).repartition(slots), "pixels", "label", "id");
                Module trained = null;
                for (SparkTrainer.Combine c : new SparkTrainer.Combine[] {SparkTrainer.Combine.ORDERED, SparkTrainer.Combine.BARRIER}) {
                    long s0 = System.nanoTime();
                    SparkTrainer.Result r = SparkTrainer.of(MODEL, ADAM, LabeledExample.collate(), LOSS).batchSize(batch)
                            .shuffle(SEED).seed(SEED).combine(c).fit(rdd, epochs);
                    double s = (System.nanoTime() - s0) / 1e9;
                    runs.add(new Run(c + " " + master, s, labels.length * (double) epochs / s, maxDiff(ref, values(r.model())),
                            r.steps().get(r.steps().size() - 1).loss()));
                    trained = r.model();
                }
                accuracy = accuracy(spark.read().parquet(test), trained);
            } finally {
                spark.stop();
            }
        }
        return new Outcome(runs, accuracy, last);
    }

    /** A name for the data's file: its size and a hash of its values, so that other data never reuses it. */
    static String fingerprint(Tensor images, int[] labels) {
        return labels.length + "-" + Integer.toHexString(31 * java.util.Arrays.hashCode(images.toArray()) + java.util.Arrays.hashCode(labels));
    }

    /** Writes (id, label, pixels) rows to a Parquet file once; returns its path. */
    static String parquet(SparkSession spark, Tensor images, int[] labels, java.nio.file.Path path) {
        if (!java.nio.file.Files.isDirectory(path)) {
            StructType schema = new StructType().add("id", DataTypes.IntegerType).add("label", DataTypes.IntegerType)
                    .add("pixels", DataTypes.createArrayType(DataTypes.DoubleType, false));
            List<Row> rows = new ArrayList<>();
            List<LabeledExample> examples = examples(images, labels);
            for (int i = 0; i < examples.size(); i++) {
                LabeledExample e = examples.get(i);
                List<Double> px = new ArrayList<>(e.features().length);
                for (double v : e.features()) {
                    px.add(v);
                }
                rows.add(RowFactory.create(i, e.label(), px));
            }
            spark.createDataFrame(rows, schema).write().parquet(path.toString());
        }
        return path.toString();
    }

    /** The share of rows whose largest logit, from batch inference over the frame, is at their label. */
    static double accuracy(Dataset<Row> df, Module model) {
        List<Row> out = SparkData.predict(df, "pixels", "logits", MODEL, model, 256).select("label", "logits").collectAsList();
        int right = 0;
        for (Row r : out) {
            List<Double> logits = r.getList(1);
            int best = 0;
            for (int k = 1; k < logits.size(); k++) {
                if (logits.get(k) > logits.get(best)) {
                    best = k;
                }
            }
            right += best == r.getInt(0) ? 1 : 0;
        }
        return right / (double) out.size();
    }

    static double[] values(Module m) {
        List<Double> all = new ArrayList<>();
        for (Tensor p : m.parameters().values()) {
            for (double v : p.toArray()) {
                all.add(v);
            }
        }
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
