package dev.autodiff.bench;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Activations;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Mlp;
import dev.autodiff.nn.data.Batch;
import dev.autodiff.nn.data.DataLoader;
import dev.autodiff.nn.data.Dataset;
import dev.autodiff.nn.data.TensorDataset;
import dev.autodiff.nn.optim.Adam;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Does {@code DataLoader.prefetch} pay? 40 training steps of the Fashion-MNIST recipe's MLP (784-256-10, Adam,
 * batch 128) fed by a loader with prefetch 0 (collate on demand) or 2 (collate ahead on a background thread), for
 * two kinds of data:
 * <ul>
 *   <li>{@code tensor}: a TensorDataset in memory, batched by one indexSelect per field (about 0.1 MB copied);
 *   <li>{@code perExample}: a Dataset that builds each example on demand (a stand-in for decoding or
 *       augmentation: a 784-vector computed per example) and is stacked into a batch.
 * </ul>
 * Baseline in the same run: {@code collateOnly}, the loader's batches without training.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar DataLoader -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xmn64m", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class DataLoaderBenchmark {
    static final int STEPS = 40;
    static final int BATCH = 128;

    @Param({"tensor", "perExample"})
    public String data;

    @Param({"0", "2"})
    public int prefetch;

    Mlp model;
    Adam adam;
    DataLoader<Batch> loader;
    int epoch;

    @Setup
    public void setup() {
        int n = STEPS * BATCH;
        Tensor x = Tensor.rand(1, n, 784);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10;
        }
        Dataset<Tensor[]> d = data.equals("tensor") ? TensorDataset.of(x, y) : new Dataset<>() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Tensor[] get(int i) {
                // a made-up decoding step: each pixel from a few transcendental calls
                double[] px = new double[784];
                for (int p = 0; p < 784; p++) {
                    px[p] = 0.5 + 0.5 * Math.sin(i * 0.37 + p * 0.011) * Math.exp(-p / 2000.0);
                }
                return new Tensor[] {Tensor.fromArray(px), Tensor.scalar(y[i])};
            }
        };
        loader = DataLoader.of(d).batchSize(BATCH).shuffle(7).prefetch(prefetch);
        model = new Mlp(new int[] {784, 256, 10}, "relu", Activations::relu, 42);
        adam = new Adam(model.parameters().values(), 1e-3);
    }

    @Benchmark
    public double train() {
        double sum = 0;
        for (Batch b : loader.epoch(epoch++)) {
            Tensor loss = Losses.crossEntropy(model.forward(b.input()), b.labels());
            adam.zeroGrad();
            loss.backward();
            adam.step();
            sum += loss.item();
        }
        return sum;
    }

    @Benchmark
    public double collateOnly() {
        double sum = 0;
        for (Batch b : loader.epoch(epoch++)) {
            sum += b.input().toArray()[0];
        }
        return sum;
    }
}
