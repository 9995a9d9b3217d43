package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Activations;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Mlp;
import dev.autodiff.nn.data.FashionMnist;
import dev.autodiff.nn.optim.Adam;
import java.nio.file.Path;
import java.util.Random;

/**
 * The recipe a new user tries first: an MLP 784-256-10 (ReLU) on Fashion-MNIST, Adam with learning rate 1e-3,
 * batches of 128, three epochs, the test accuracy after each. A plain loop, as a PyTorch user writes it. The same
 * recipe in PyTorch is {@code autodiff-bench/tools/torch_fashion_mnist.py}, which prints the same lines.
 *
 * <p>Needs the data: {@code apt-get install dataset-fashion-mnist}, or {@code -Dfashion.dir=FOLDER} with the four
 * IDX files. {@code -Dfashion.epochs=N} sets the epoch count; {@code -Dfashion.steps=N} prints the time of each of
 * the first N steps (to watch the JIT warm up).
 */
final class FashionMnistSample {
    private FashionMnistSample() {}

    static final int BATCH = 128;

    static void run() throws Exception {
        long start = System.nanoTime();
        int epochs = Integer.getInteger("fashion.epochs", 3);
        int stepsToPrint = Integer.getInteger("fashion.steps", 0);
        String dir = System.getProperty("fashion.dir");
        FashionMnist data = dir == null ? FashionMnist.load() : FashionMnist.load(Path.of(dir));
        Tensor trainX = data.train().images().reshape(data.train().size(), 784);
        int[] trainY = data.train().labels();
        Tensor testX = data.test().images().reshape(data.test().size(), 784);
        int[] testY = data.test().labels();
        System.out.printf("loaded %d training and %d test images in %.2f s%n", trainY.length, testY.length,
                (System.nanoTime() - start) / 1e9);

        Mlp model = new Mlp(new int[] {784, 256, 10}, "relu", Activations::relu, 42);
        Adam adam = new Adam(model.parameters().values(), 1e-3);
        int n = trainY.length;
        int[] order = new int[n];
        int[] batchY = new int[BATCH];
        int step = 0;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            long t0 = System.nanoTime();
            shuffle(order, 1000L + epoch);
            double lossSum = 0;
            int batches = 0;
            for (int from = 0; from + BATCH <= n; from += BATCH) { // drop-last, as DataLoader(drop_last=True)
                long s0 = System.nanoTime();
                int[] rows = java.util.Arrays.copyOfRange(order, from, from + BATCH);
                for (int k = 0; k < BATCH; k++) {
                    batchY[k] = trainY[rows[k]];
                }
                Tensor loss = Losses.crossEntropy(model.forward(trainX.indexSelect(0, rows)), batchY);
                model.zeroGrad();
                loss.backward();
                adam.step();
                lossSum += loss.item();
                batches++;
                if (++step <= stepsToPrint) {
                    System.out.printf("step %d %.3f ms%n", step, (System.nanoTime() - s0) / 1e6);
                }
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            double accuracy = accuracy(model, testX, testY);
            System.out.printf("epoch %d  train %.2f s  loss %.4f  test accuracy %.4f%n", epoch, trainSeconds,
                    lossSum / batches, accuracy);
        }
        System.out.printf("total %.2f s%n", (System.nanoTime() - start) / 1e9);
    }

    /** A seeded permutation of 0..n-1 (Fisher-Yates). */
    private static void shuffle(int[] order, long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** The fraction of test images whose largest logit is at the label, in batches of 1000, without a graph. */
    private static double accuracy(Mlp model, Tensor x, int[] y) {
        int correct = 0;
        try (GradScope s = Autodiff.noGrad()) {
            for (int from = 0; from < y.length; from += 1000) {
                int to = Math.min(y.length, from + 1000);
                double[] predicted = model.forward(x.slice(0, from, to)).argmax(1).toArray();
                for (int k = 0; k < predicted.length; k++) {
                    if ((int) predicted[k] == y[from + k]) {
                        correct++;
                    }
                }
            }
        }
        return (double) correct / y.length;
    }
}
