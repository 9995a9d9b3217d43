package dev.autodiff.samples;

import dev.autodiff.Autodiff;
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
 * the shuffle; {@code -Dfashion.steps=N} prints the time of each of the first N steps (to watch the JIT warm up).
 */
final class FashionMnistSample {
    private FashionMnistSample() {}

    static final int BATCH = 128;

    static void run() throws Exception {
        long start = System.nanoTime();
        int epochs = Integer.getInteger("fashion.epochs", 3);
        int stepsToPrint = Integer.getInteger("fashion.steps", 0);
        long seed = Long.getLong("fashion.seed", 42);
        String dir = System.getProperty("fashion.dir");
        FashionMnist data = dir == null ? FashionMnist.load() : FashionMnist.load(Path.of(dir));
        TensorDataset train = TensorDataset.of(data.train().images().reshape(data.train().size(), 784), data.train().labels());
        TensorDataset test = TensorDataset.of(data.test().images().reshape(data.test().size(), 784), data.test().labels());
        System.out.printf("loaded %d training and %d test images in %.2f s%n", train.size(), test.size(),
                (System.nanoTime() - start) / 1e9);

        Mlp model = new Mlp(new int[] {784, 256, 10}, "relu", Activations::relu, seed);
        Adam adam = new Adam(model.parameters().values(), 1e-3);
        DataLoader<Batch> batches = DataLoader.of(train).batchSize(BATCH).shuffle(seed).dropLast(true);
        Progress progress = Progress.auto();
        int step = 0;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            long t0 = System.nanoTime();
            Progress.Task task = progress.start("epoch " + epoch + "/" + epochs, batches.batches());
            double lossSum = 0;
            int done = 0;
            for (Batch b : batches.epoch(epoch - 1)) {
                long s0 = System.nanoTime();
                Tensor loss = Losses.crossEntropy(model.forward(b.input()), b.labels());
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
            System.out.printf("epoch %d  train %.2f s  loss %.4f  test accuracy %.4f%n", epoch, trainSeconds,
                    lossSum / done, accuracy(model, test));
        }
        System.out.printf("total %.2f s%n", (System.nanoTime() - start) / 1e9);
    }

    /** The fraction of test images whose largest logit is at the label, in batches of 1000, without a graph. */
    private static double accuracy(Mlp model, TensorDataset test) {
        int correct = 0;
        try (GradScope s = Autodiff.noGrad()) {
            for (Batch b : DataLoader.of(test).batchSize(1000).epoch(0)) {
                double[] predicted = model.forward(b.input()).argmax(1).toArray();
                int[] y = b.labels();
                for (int k = 0; k < predicted.length; k++) {
                    correct += (int) predicted[k] == y[k] ? 1 : 0;
                }
            }
        }
        return (double) correct / test.size();
    }
}
