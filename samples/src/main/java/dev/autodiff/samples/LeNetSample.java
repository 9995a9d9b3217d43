package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Lambda;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.Sequential;
import dev.autodiff.nn.conv.Conv2d;
import dev.autodiff.nn.conv.Pool2d;
import dev.autodiff.nn.data.Batch;
import dev.autodiff.nn.data.DataLoader;
import dev.autodiff.nn.data.Dataset;
import dev.autodiff.nn.data.FashionMnist;
import dev.autodiff.nn.data.TensorDataset;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.train.ConfusionMatrix;
import dev.autodiff.nn.train.History;
import dev.autodiff.nn.train.Metrics;
import dev.autodiff.nn.train.Progress;
import dev.autodiff.nn.train.Trainer;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The lectures' CNN, LeNet-5, on Fashion-MNIST with the {@link Trainer}: conv 6@5x5 (padding 2), max pool 2,
 * conv 16@5x5, max pool 2, 120, 84, 10, ReLU (the modern form: LeCun's used scaled tanh and subsampling), Adam 1e-3,
 * batches of 64, 5,000 training images held out for validation. Prints the model as a tree and its summary, a
 * progress line per epoch, the history, the test accuracy and the confusion matrix; writes the loss and accuracy
 * curves, the history as CSV, a picture of the first layer's six filters and one of misclassified test images to
 * {@code target/lenet/}. The same recipe in PyTorch: {@code autodiff-bench/tools/torch_lenet.py}.
 *
 * <p>Settings: {@code lenet.epochs} (3), {@code lenet.seed} (42), {@code lenet.train} (examples used of the 55,000,
 * all by default), {@code fashion.dir}. Checkpoints go to {@code target/lenet/run}; a run starts afresh unless
 * {@code lenet.resume=true}, which continues an interrupted run from its last epoch.
 */
final class LeNetSample {
    private LeNetSample() {}

    static final Path OUT = Path.of("target", "lenet");

    /** What a run gives: the history, the test accuracy and the confusion matrix, and the pictures written. */
    record Result(History history, double testAccuracy, ConfusionMatrix confusion, Sequential model, List<Path> files) {}

    static void run() throws Exception {
        String dir = System.getProperty("fashion.dir");
        FashionMnist data = dir == null ? FashionMnist.load() : FashionMnist.load(Path.of(dir));
        train(data.train(), data.test(), Integer.getInteger("lenet.epochs", 3), Long.getLong("lenet.seed", 42),
                Integer.getInteger("lenet.train", Integer.MAX_VALUE), Boolean.getBoolean("lenet.resume"), OUT, Progress.auto());
    }

    static Sequential lenet(long seed) {
        return new Sequential(
                new Conv2d(1, 6, 5, 1, 2, 1, 1, true, seed), new Lambda("ReLU", Tensor::relu), Pool2d.max(2, 2, 0),
                new Conv2d(6, 16, 5, seed + 1), new Lambda("ReLU", Tensor::relu), Pool2d.max(2, 2, 0),
                new Lambda("flatten", x -> x.reshape(x.dim(0), -1)),
                new Linear(16 * 5 * 5, 120, seed + 2), new Lambda("ReLU", Tensor::relu),
                new Linear(120, 84, seed + 3), new Lambda("ReLU", Tensor::relu),
                new Linear(84, 10, seed + 4));
    }

    static Result train(FashionMnist.Split trainSplit, FashionMnist.Split testSplit, int epochs, long seed, int limit,
            boolean resume, Path out, Progress progress) throws IOException {
        Files.createDirectories(out);
        Path run = out.resolve("run");
        if (!resume) {
            deleteTree(run);
        }
        TensorDataset all = TensorDataset.of(trainSplit.images(), trainSplit.labels());
        int validationSize = Math.min(5000, all.size() / 10);
        List<Dataset<Tensor[]>> parts = Dataset.randomSplit(all, seed, all.size() - validationSize, validationSize);
        Dataset<Tensor[]> train = parts.get(0);
        if (limit < train.size()) {
            int[] first = new int[limit];
            java.util.Arrays.setAll(first, i -> i);
            train = Dataset.subset(train, first);
        }
        TensorDataset test = TensorDataset.of(testSplit.images(), testSplit.labels());

        Sequential model = lenet(seed);
        System.out.println(model);
        System.out.println(model.summary(1, 1, 28, 28));
        System.out.printf("training on %d images, validating on %d, testing on %d%n", train.size(), validationSize, test.size());
        Adam adam = new Adam(model.parameters().values(), 1e-3);
        Trainer trainer = Trainer.classifier(model, adam).progress(progress).checkpoints(run);
        History history = trainer.fit(DataLoader.of(train).batchSize(64).shuffle(seed),
                DataLoader.of(parts.get(1)).batchSize(1000), epochs);
        System.out.println();
        System.out.print(table(history));

        ConfusionMatrix confusion = new ConfusionMatrix(FashionMnist.CLASSES);
        List<Integer> wrong = new ArrayList<>();
        List<Integer> predictedWrong = new ArrayList<>();
        model.eval();
        try (GradScope s = Autodiff.noGrad()) {
            int from = 0;
            for (Batch b : DataLoader.of(test).batchSize(1000).epoch(0)) {
                Tensor logits = model.forward(b.input());
                confusion.update(logits, b);
                double[] predicted = logits.argmax(1).toArray();
                int[] y = b.labels();
                for (int k = 0; k < y.length && wrong.size() < 24; k++) {
                    if ((int) predicted[k] != y[k]) {
                        wrong.add(from + k);
                        predictedWrong.add((int) predicted[k]);
                    }
                }
                from += y.length;
            }
        }
        model.train();
        System.out.printf("%ntest accuracy %.4f%n%n%s", confusion.value(), confusion);

        List<Path> files = new ArrayList<>(history.plot(out, ""));
        history.writeCsv(out.resolve("history.csv"));
        files.add(out.resolve("history.csv"));
        files.add(filters(((Conv2d) model.children().get("0")).weight(), out.resolve("filters.png")));
        files.add(misclassified(testSplit, wrong, predictedWrong, out.resolve("misclassified.png")));
        System.out.println("\nwrote " + files.stream().map(p -> p.getFileName().toString()).toList() + " to " + out);
        return new Result(history, confusion.value(), confusion, model, files);
    }

    private static String table(History h) {
        StringBuilder sb = new StringBuilder(String.format("%5s %11s %11s %9s %9s %8s%n", "epoch", "train loss", "train acc",
                "val loss", "val acc", "seconds"));
        for (var r : h.rows()) {
            sb.append(String.format("%5.0f %11.4f %11.4f %9.4f %9.4f %8.1f%n", r.get("epoch"), r.get("train_loss"),
                    r.get("train_accuracy"), r.get("val_loss"), r.get("val_accuracy"), r.get("seconds")));
        }
        return sb.toString();
    }

    /** Grey level of v in [lo, hi], 0 (black) to 255 (white). */
    static int grey(double v, double lo, double hi) {
        return hi > lo ? (int) Math.round(255 * (v - lo) / (hi - lo)) : 128;
    }

    /** The first layer's filters (6, 1, 5, 5), each scaled to its own range, 5x5 pixels drawn 24 px wide, side by side. */
    static Path filters(Tensor weight, Path file) throws IOException {
        int[] s = weight.shape();
        int n = s[0];
        int k = s[2];
        int cell = 24;
        double[] w = weight.toArray();
        BufferedImage img = new BufferedImage(n * (k * cell + 8) + 8, k * cell + 16, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int f = 0; f < n; f++) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < k * k; i++) {
                lo = Math.min(lo, w[f * k * k + i]);
                hi = Math.max(hi, w[f * k * k + i]);
            }
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    int v = grey(w[f * k * k + i * k + j], lo, hi);
                    g.setColor(new Color(v, v, v));
                    g.fillRect(8 + f * (k * cell + 8) + j * cell, 8 + i * cell, cell, cell);
                }
            }
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    /** Up to 24 misclassified test images, 3x enlarged, each captioned "true -> predicted". */
    private static Path misclassified(FashionMnist.Split test, List<Integer> which, List<Integer> predicted, Path file)
            throws IOException {
        int scale = 3;
        int w = 28 * scale + 70;
        int h = 28 * scale + 30;
        int columns = 6;
        int rows = Math.max(1, (which.size() + columns - 1) / columns);
        BufferedImage img = new BufferedImage(columns * w, rows * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        for (int m = 0; m < which.size(); m++) {
            double[] pixels = test.images().slice(0, which.get(m), which.get(m) + 1).toArray();
            int x0 = (m % columns) * w + 35;
            int y0 = (m / columns) * h + 4;
            for (int i = 0; i < 28; i++) {
                for (int j = 0; j < 28; j++) {
                    int v = 255 - grey(pixels[i * 28 + j], 0, 1);
                    g.setColor(new Color(v, v, v));
                    g.fillRect(x0 + j * scale, y0 + i * scale, scale, scale);
                }
            }
            g.setColor(Color.BLACK);
            g.drawString(short_(FashionMnist.CLASSES.get(test.labels()[which.get(m)])) + " -> "
                    + short_(FashionMnist.CLASSES.get(predicted.get(m))), x0 - 30, y0 + 28 * scale + 14);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    private static String short_(String name) {
        return name.length() > 9 ? name.substring(0, 9) : name;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
