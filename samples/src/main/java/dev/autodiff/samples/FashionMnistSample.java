package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.DType;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Activations;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Mlp;
import dev.autodiff.nn.data.Batch;
import dev.autodiff.nn.data.DataLoader;
import dev.autodiff.nn.data.FashionMnist;
import dev.autodiff.nn.data.TensorDataset;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.train.Progress;
import java.nio.file.Path;

/**
 * The recipe a new user tries first: an MLP 784-256-10 (ReLU) on Fashion-MNIST, Adam with learning rate 1e-3,
 * batches of 128 (shuffled, drop-last), three epochs, the test accuracy after each. A plain loop over a
 * {@link DataLoader}, as a PyTorch user writes it; the lenet sample shows the same with a Trainer. The same recipe
 * in PyTorch is {@code autodiff-bench/tools/torch_fashion_mnist.py}, which prints the same lines.
 *
 * <p>Needs the data: {@code apt-get install dataset-fashion-mnist}, or {@code -Dfashion.dir=FOLDER} with the four
 * IDX files. {@code -Dfashion.epochs=N} sets the epoch count, {@code -Dfashion.seed=S} the seed of the weights and
 * the shuffle; {@code -Dfashion.steps=N} prints the time of each of the first N steps (to watch the JIT warm up);
 * {@code -Dfashion.dtype=float32} trains in float32 (the images, the model and Adam's state; float64 by default).
 */
final class FashionMnistSample {
    private FashionMnistSample() {}

    static final int BATCH = 128;

    static void run() throws Exception {
        long start = System.nanoTime();
        int epochs = Integer.getInteger("fashion.epochs", 3);
        int stepsToPrint = Integer.getInteger("fashion.steps", 0);
        long seed = Long.getLong("fashion.seed", 42);
        DType dtype = dtype(System.getProperty("fashion.dtype", "float64"));
        String dir = System.getProperty("fashion.dir");
        FashionMnist data = dir == null ? FashionMnist.load(dtype) : FashionMnist.load(Path.of(dir), dtype);
        System.out.printf("loaded %d training and %d test images in %.2f s%n", data.train().size(), data.test().size(),
                (System.nanoTime() - start) / 1e9);
        train(data.train(), data.test(), epochs, seed, dtype, stepsToPrint);
        System.out.printf("total %.2f s%n", (System.nanoTime() - start) / 1e9);
    }

    /** "float32" or "float64" (the value of fashion.dtype), as PyTorch names them. */
    static DType dtype(String name) {
        for (DType d : DType.values()) {
            if (d.toString().equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("fashion.dtype: expected float32 or float64, got '" + name + "'");
    }

    /**
     * The recipe on these splits, in {@code dtype} (the model converted with Module.to, so Adam's state follows); prints
     * a line per epoch and returns the test accuracy after each. {@link #run} loads the images in that dtype, so a
     * float32 run holds its data set in half the memory; images of another dtype are converted batch by batch.
     */
    static double[] train(FashionMnist.Split trainSplit, FashionMnist.Split testSplit, int epochs, long seed, DType dtype,
            int stepsToPrint) {
        TensorDataset train = TensorDataset.of(trainSplit.images().reshape(trainSplit.size(), 784), trainSplit.labels());
        TensorDataset test = TensorDataset.of(testSplit.images().reshape(testSplit.size(), 784), testSplit.labels());
        Mlp model = new Mlp(new int[] {784, 256, 10}, "relu", Activations::relu, seed);
        model.to(dtype);
        Adam adam = new Adam(model.parameters().values(), 1e-3);
        DataLoader<Batch> batches = DataLoader.of(train).batchSize(BATCH).shuffle(seed).dropLast(true);
        if (dtype != DType.FLOAT64) {
            System.out.println("training in " + dtype); // the float64 lines stay those of torch_fashion_mnist.py
        }
        Progress progress = Progress.auto();
        double[] accuracies = new double[epochs];
        int step = 0;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            long t0 = System.nanoTime();
            Progress.Task task = progress.start("epoch " + epoch + "/" + epochs, batches.batches());
            double lossSum = 0;
            int done = 0;
            for (Batch b : batches.epoch(epoch - 1)) {
                long s0 = System.nanoTime();
                Tensor loss = Losses.crossEntropy(model.forward(b.input().to(dtype)), b.labels());
                model.zeroGrad();
                loss.backward();
                adam.step();
                lossSum += loss.item();
                done++;
                task.update(done, String.format("loss %.4f", lossSum / done));
                if (++step <= stepsToPrint) {
                    System.out.printf("step %d %.3f ms%n", step, (System.nanoTime() - s0) / 1e6);
                }
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            task.done("");
            accuracies[epoch - 1] = accuracy(model, test, dtype);
            System.out.printf("epoch %d  train %.2f s  loss %.4f  test accuracy %.4f%n", epoch, trainSeconds,
                    lossSum / done, accuracies[epoch - 1]);
        }
        return accuracies;
    }

    /** The fraction of test images whose largest logit is at the label, in batches of 1000, without a graph. */
    private static double accuracy(Mlp model, TensorDataset test, DType dtype) {
        int correct = 0;
        try (GradScope s = Autodiff.noGrad()) {
            for (Batch b : DataLoader.of(test).batchSize(1000).epoch(0)) {
                double[] predicted = model.forward(b.input().to(dtype)).argmax(1).toArray();
                int[] y = b.labels();
                for (int k = 0; k < predicted.length; k++) {
                    correct += (int) predicted[k] == y[k] ? 1 : 0;
                }
            }
        }
        return (double) correct / test.size();
    }
}
