package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Activations;
import dev.autodiff.nn.Dropout;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.Sequential;
import dev.autodiff.nn.data.FashionMnist;
import dev.autodiff.nn.optim.EarlyStopping;
import dev.autodiff.nn.optim.Adam;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Over-fitting and three cures (the Tsinghua lecture, seed 003, section 6: early stopping, L2; dropout, which it
 * leaves to the next lecture). An MLP far too large for its data (784-512-512-10, about 670,000 weights, for 1,000
 * Fashion-MNIST training images) is trained four ways from the same initial weights and the same batches: plain;
 * with the lecture's L2 penalty J = J0 + (lambda/2) sum w^2 over the weight matrices; with inverted dropout after
 * each hidden layer; and plain with {@link EarlyStopping} on the validation loss, restoring the weights of the best
 * epoch. Adam, in a plain loop per variant (no training framework); the penalty goes into the loss as the lecture
 * writes it, so Adam rescales its gradient too ("coupled" L2, not AdamW's decoupled decay). After each epoch the whole
 * training set and a validation set of 1,000 other training images are evaluated (in eval mode, without the penalty);
 * the table and the charts show loss and accuracy per epoch, and the last lines which variant ends with the best
 * validation accuracy (and, for the record, each final model's accuracy on the 10,000 test images, which took no part
 * in any choice).
 *
 * <p>Needs the data: {@code apt-get install dataset-fashion-mnist} (or {@code -Dfashion.dir=FOLDER}). Sizes:
 * {@code -Dregularization.train=1000}, {@code .val=1000}, {@code .hidden=512}, {@code .epochs=30}, {@code .batch=50},
 * {@code .lr=0.001}, {@code .l2=0.001}, {@code .dropout=0.5}, {@code .patience=5}, {@code .seed=1}. Charts (PNG,
 * SVG) and history.csv go to target/regularization/.
 */
final class RegularizationSample {
    static final List<String> VARIANTS = List.of("plain", "l2", "dropout", "early-stopping");

    private RegularizationSample() {}

    /** Inputs (N, features) and labels in [0, classes), for training and validation. */
    record Data(Tensor trainX, int[] trainY, Tensor valX, int[] valY, int classes) {
        Data {
            Objects.requireNonNull(trainX, "regularization: trainX is null");
            Objects.requireNonNull(valX, "regularization: valX is null");
            Objects.requireNonNull(trainY, "regularization: trainY is null");
            Objects.requireNonNull(valY, "regularization: valY is null");
            if (trainX.rank() != 2 || valX.rank() != 2 || trainX.dim(1) != valX.dim(1) || trainX.dim(0) != trainY.length
                    || valX.dim(0) != valY.length || trainY.length == 0 || valY.length == 0) {
                throw new IllegalArgumentException("regularization: need trainX (N, F) with N labels and valX (M, F) with M "
                        + "labels, N, M >= 1, got trainX " + Arrays.toString(trainX.shape()) + " with " + trainY.length
                        + " labels, valX " + Arrays.toString(valX.shape()) + " with " + valY.length + " labels");
            }
            for (int[] labels : new int[][] {trainY, valY}) {
                for (int y : labels) {
                    if (y < 0 || y >= classes) {
                        throw new IllegalArgumentException("regularization: label " + y + " outside [0, " + classes + ")");
                    }
                }
            }
        }

        int features() {
            return trainX.dim(1);
        }
    }

    record Settings(int hidden, int epochs, int batch, double lr, double l2, double dropout, int patience, long seed) {
        Settings {
            if (hidden < 1 || epochs < 1 || batch < 1 || patience < 1 || !(lr > 0) || !(l2 >= 0)
                    || !(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("regularization: need hidden, epochs, batch, patience >= 1, lr > 0, "
                        + "l2 >= 0, 0 <= dropout < 1, got hidden " + hidden + ", epochs " + epochs + ", batch " + batch
                        + ", patience " + patience + ", lr " + lr + ", l2 " + l2 + ", dropout " + dropout);
            }
        }

        static Settings fromProperties() {
            return new Settings(Integer.getInteger("regularization.hidden", 512), Integer.getInteger("regularization.epochs", 30),
                    Integer.getInteger("regularization.batch", 50), dbl("lr", 1e-3), dbl("l2", 1e-3), dbl("dropout", 0.5),
                    Integer.getInteger("regularization.patience", 5), Long.getLong("regularization.seed", 1L));
        }

        private static double dbl(String name, double otherwise) {
            String v = System.getProperty("regularization." + name);
            return v == null ? otherwise : Double.parseDouble(v);
        }
    }

    /** Measured after an epoch, in eval mode: mean cross-entropy (no penalty) and accuracy. */
    record Epoch(int epoch, double trainLoss, double trainAccuracy, double valLoss, double valAccuracy) {}

    /**
     * One variant's run: its history (as many epochs as it ran), the epoch whose weights it ends with (the last, or
     * for early stopping the best), that model's validation loss and accuracy, the sum of its squared weights (biases
     * excluded), and the model itself.
     */
    record Result(String variant, List<Epoch> history, int finalEpoch, double valLoss, double valAccuracy,
            double weightSquares, Module model) {}

    /**
     * The network: Linear(F, h), ReLU, [Dropout], Linear(h, h), ReLU, [Dropout], Linear(h, classes). The Linear layers
     * are seeded alike in every variant, so all four start from the same weights; dropout draws its masks from its own
     * seeds.
     */
    static Module model(String variant, int features, int classes, Settings s) {
        boolean dropout = variant.equals("dropout");
        List<Module> layers = new ArrayList<>();
        layers.add(new Linear(features, s.hidden(), s.seed()));
        layers.add(Activations.relu());
        if (dropout) {
            layers.add(new Dropout(s.dropout(), s.seed() + 10));
        }
        layers.add(new Linear(s.hidden(), s.hidden(), s.seed() + 2));
        layers.add(Activations.relu());
        if (dropout) {
            layers.add(new Dropout(s.dropout(), s.seed() + 11));
        }
        layers.add(new Linear(s.hidden(), classes, s.seed() + 4));
        return new Sequential(layers.toArray(new Module[0]));
    }

    /** The weight matrices (not the biases): what the L2 penalty and the reported norm cover. */
    static List<Tensor> weights(Module m) {
        return m.parameters().entrySet().stream().filter(e -> e.getKey().endsWith("weight")).map(e -> e.getValue()).toList();
    }

    static Result train(String variant, Data data, Settings s) {
        if (!VARIANTS.contains(variant)) {
            throw new IllegalArgumentException("regularization: unknown variant '" + variant + "', expected one of " + VARIANTS);
        }
        Module model = model(variant, data.features(), data.classes(), s);
        List<Tensor> weights = weights(model);
        Adam adam = new Adam(model.parameters().values(), s.lr());
        double lambda = variant.equals("l2") ? s.l2() : 0;
        EarlyStopping stopping = variant.equals("early-stopping") ? new EarlyStopping(s.patience(), 0, false) : null;
        List<double[]> bestWeights = null;
        int bestEpoch = 0;
        int n = data.trainY().length;
        int[] order = new int[n];
        List<Epoch> history = new ArrayList<>();
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            shuffle(order, s.seed() * 1000 + epoch); // the same batches for every variant
            model.train();
            for (int from = 0; from < n; from += s.batch()) {
                int[] rows = Arrays.copyOfRange(order, from, Math.min(n, from + s.batch()));
                int[] y = new int[rows.length];
                for (int k = 0; k < rows.length; k++) {
                    y[k] = data.trainY()[rows[k]];
                }
                Tensor loss = Losses.crossEntropy(model.forward(data.trainX().indexSelect(0, rows)), y);
                if (lambda > 0) {
                    loss = loss.add(Losses.l2Penalty(weights).mul(lambda / 2)); // J0 + (lambda/2) sum w^2
                }
                model.zeroGrad();
                loss.backward();
                adam.step();
            }
            double[] tr = evaluate(model, data.trainX(), data.trainY());
            double[] va = evaluate(model, data.valX(), data.valY());
            history.add(new Epoch(epoch, tr[0], tr[1], va[0], va[1]));
            if (stopping != null) {
                double before = stopping.best();
                boolean stop = stopping.update(va[0]);
                if (stopping.best() != before) { // improved: the weights to come back to
                    bestEpoch = epoch;
                    bestWeights = model.parameters().values().stream().map(Tensor::toArray).toList();
                }
                if (stop) {
                    break;
                }
            }
        }
        int finalEpoch = history.size();
        if (stopping != null && bestWeights != null) {
            List<Tensor> params = new ArrayList<>(model.parameters().values());
            for (int i = 0; i < params.size(); i++) {
                params.get(i).assign(Tensor.fromArray(bestWeights.get(i), params.get(i).shape()));
            }
            finalEpoch = bestEpoch;
        }
        double[] va = evaluate(model, data.valX(), data.valY());
        double squares = weights.stream().mapToDouble(w -> Arrays.stream(w.toArray()).map(v -> v * v).sum()).sum();
        return new Result(variant, List.copyOf(history), finalEpoch, va[0], va[1], squares, model);
    }

    static List<Result> trainAll(Data data, Settings s) {
        List<Result> out = new ArrayList<>();
        for (String v : VARIANTS) {
            out.add(train(v, data, s));
        }
        return out;
    }

    /** {mean cross-entropy, accuracy} in eval mode (dropout off), without a graph; the module's mode is restored. */
    static double[] evaluate(Module model, Tensor x, int[] y) {
        boolean training = model.isTraining();
        model.eval();
        double lossSum = 0;
        int correct = 0;
        try (GradScope g = Autodiff.noGrad()) {
            for (int from = 0; from < y.length; from += 1000) {
                int to = Math.min(y.length, from + 1000);
                int[] yb = Arrays.copyOfRange(y, from, to);
                Tensor logits = model.forward(x.slice(0, from, to));
                lossSum += Losses.crossEntropy(logits, yb).item() * (to - from);
                double[] predicted = logits.argmax(1).toArray();
                for (int k = 0; k < predicted.length; k++) {
                    correct += (int) predicted[k] == yb[k] ? 1 : 0;
                }
            }
        } finally {
            if (training) {
                model.train();
            }
        }
        return new double[] {lossSum / y.length, (double) correct / y.length};
    }

    /** A seeded permutation of 0..n-1 (Fisher-Yates). */
    static void shuffle(int[] order, long seed) {
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

    /** Which training images make the training set and which the validation set: disjoint, from one permutation. */
    static int[][] split(int available, int nTrain, int nVal, long seed) {
        if (nTrain < 1 || nVal < 1 || (long) nTrain + nVal > available) {
            throw new IllegalArgumentException("regularization: need 1 <= train, 1 <= val, train + val <= " + available
                    + ", got train " + nTrain + ", val " + nVal);
        }
        int[] order = new int[available];
        shuffle(order, seed);
        return new int[][] {Arrays.copyOfRange(order, 0, nTrain), Arrays.copyOfRange(order, nTrain, nTrain + nVal)};
    }

    /** nTrain training images and nVal other training images for validation, flattened to 784 features. */
    static Data fashion(FashionMnist.Split train, int nTrain, int nVal, long seed) {
        int[][] idx = split(train.size(), nTrain, nVal, seed);
        Tensor all = train.images().reshape(train.size(), 784);
        return new Data(all.indexSelect(0, idx[0]), pick(train.labels(), idx[0]), all.indexSelect(0, idx[1]),
                pick(train.labels(), idx[1]), FashionMnist.CLASSES.size());
    }

    private static int[] pick(int[] labels, int[] rows) {
        return Arrays.stream(rows).map(r -> labels[r]).toArray();
    }

    static FashionMnist load() throws IOException {
        String dir = System.getProperty("fashion.dir");
        try {
            return dir == null ? FashionMnist.load() : FashionMnist.load(Path.of(dir));
        } catch (IOException e) {
            throw new IOException("regularization needs Fashion-MNIST: apt-get install dataset-fashion-mnist, or "
                    + "-Dfashion.dir=FOLDER with its four IDX files (" + e.getMessage() + ")", e);
        }
    }

    static void run() throws Exception {
        System.setProperty("java.awt.headless", "true");
        long t0 = System.nanoTime();
        Settings s = Settings.fromProperties();
        FashionMnist fm = load();
        Data data = fashion(fm.train(), Integer.getInteger("regularization.train", 1000),
                Integer.getInteger("regularization.val", 1000), s.seed());
        List<Result> results = report(data, s, Path.of("target", "regularization"));
        Tensor testX = fm.test().images().reshape(fm.test().size(), 784);
        System.out.println();
        System.out.println("For the record, each final model on the 10,000 test images (not used for any choice):");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "  %-15s test accuracy %.4f%n", r.variant(), evaluate(r.model(), testX, fm.test().labels())[1]);
        }
        System.out.printf(Locale.ROOT, "total %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** Trains the four variants on {@code data}, prints the tables and verdict, writes charts and CSV to {@code dir}. */
    static List<Result> report(Data data, Settings s, Path dir) throws Exception {
        Files.createDirectories(dir);
        long params = model("plain", data.features(), data.classes(), s).parameterCount();
        System.out.printf(Locale.ROOT, "MLP %d-%d-%d-%d (%,d parameters) on %d training examples, %d for validation; Adam lr "
                + "%s, batch %d, up to %d epochs; L2 lambda %s, dropout p %s, early stopping patience %d on the validation "
                + "loss%n", data.features(), s.hidden(), s.hidden(), data.classes(), params, data.trainY().length,
                data.valY().length, s.lr(), s.batch(), s.epochs(), s.l2(), s.dropout(), s.patience());
        System.out.println("Look at plain's validation loss: where it turns up while the training loss keeps falling, the "
                + "model is fitting its training images rather than the task (over-fitting); each cure is judged by how much "
                + "of that gap it closes.");
        List<Result> results = new ArrayList<>();
        for (String v : VARIANTS) {
            long t = System.nanoTime();
            Result r = train(v, data, s);
            results.add(r);
            System.out.printf(Locale.ROOT, "%n%s (%.1f s)%n%6s %11s %10s %11s %10s%n", v, (System.nanoTime() - t) / 1e9, "epoch",
                    "train loss", "train acc", "val loss", "val acc");
            List<Epoch> h = r.history();
            int every = Math.max(1, h.size() / 10);
            for (Epoch e : h) {
                if (e.epoch() % every == 0 || e.epoch() == 1 || e.epoch() == h.size() || e.epoch() == r.finalEpoch()) {
                    System.out.printf(Locale.ROOT, "%6d %11.4f %10.4f %11.4f %10.4f%s%n", e.epoch(), e.trainLoss(),
                            e.trainAccuracy(), e.valLoss(), e.valAccuracy(),
                            v.equals("early-stopping") && e.epoch() == r.finalEpoch() ? "   <- best validation loss, restored" : "");
                }
            }
            if (v.equals("early-stopping")) {
                System.out.printf("stopped after epoch %d: the validation loss had not improved for %d epochs%s%n", h.size(),
                        s.patience(), h.size() == s.epochs() ? " (or the epochs ran out)" : "");
            }
        }
        System.out.println();
        System.out.printf("%-15s %7s %11s %10s %10s %12s %12s%n", "variant", "epochs", "final epoch", "train acc", "val loss",
                "val acc", "sum w^2");
        for (Result r : results) {
            Epoch e = r.history().get(r.finalEpoch() - 1);
            System.out.printf(Locale.ROOT, "%-15s %7d %11d %10.4f %10.4f %12.4f %12.1f%n", r.variant(), r.history().size(),
                    r.finalEpoch(), e.trainAccuracy(), r.valLoss(), r.valAccuracy(), r.weightSquares());
        }
        Result best = results.stream().max(java.util.Comparator.comparingDouble(Result::valAccuracy)).orElseThrow();
        Result bestLoss = results.stream().min(java.util.Comparator.comparingDouble(Result::valLoss)).orElseThrow();
        Result worst = results.stream().min(java.util.Comparator.comparingDouble(Result::valAccuracy)).orElseThrow();
        Result plain = results.get(0);
        double sd = Math.sqrt(best.valAccuracy() * (1 - best.valAccuracy()) / data.valY().length);
        double spread = best.valAccuracy() - worst.valAccuracy();
        System.out.printf(Locale.ROOT, "best validation accuracy: %s, %.4f (plain %.4f, %+.1f points); best validation loss: "
                + "%s, %.4f (plain %.4f).%n", best.variant(), best.valAccuracy(), plain.valAccuracy(),
                100 * (best.valAccuracy() - plain.valAccuracy()), bestLoss.variant(), bestLoss.valLoss(), plain.valLoss());
        System.out.printf(Locale.ROOT, "The four accuracies span %.1f points; with %d validation examples one accuracy has a "
                + "binomial sd of about %.1f points, so %s. The choice is made on the validation set itself, which flatters "
                + "the winner.%n", 100 * spread, data.valY().length, 100 * sd, spread < 2 * sd
                        ? "the ranking by accuracy is within noise; the validation loss separates the variants more clearly"
                        : "the best is ahead by more than the noise of one measurement");
        writeCsv(results, dir.resolve("history.csv"));
        save(chart(results, true), dir.resolve("loss"));
        save(chart(results, false), dir.resolve("accuracy"));
        System.out.println("charts written to " + dir.toAbsolutePath() + " (loss, accuracy; .png/.svg; dashed: training, "
                + "solid: validation), every epoch in history.csv");
        return results;
    }

    private static void writeCsv(List<Result> results, Path file) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
            w.println("variant,epoch,train_loss,train_accuracy,val_loss,val_accuracy");
            for (Result r : results) {
                for (Epoch e : r.history()) {
                    w.printf(Locale.ROOT, "%s,%d,%.6f,%.6f,%.6f,%.6f%n", r.variant(), e.epoch(), e.trainLoss(),
                            e.trainAccuracy(), e.valLoss(), e.valAccuracy());
                }
            }
        }
    }

    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e)};

    private static XYChart chart(List<Result> results, boolean loss) {
        XYChart c = new XYChartBuilder().width(900).height(560)
                .title((loss ? "Cross-entropy" : "Accuracy") + " per epoch (dashed: training, solid: validation)")
                .xAxisTitle("epoch").yAxisTitle(loss ? "mean cross-entropy (log)" : "accuracy").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setYAxisLogarithmic(loss);
        for (int k = 0; k < results.size(); k++) {
            Result r = results.get(k);
            double[] xs = r.history().stream().mapToDouble(Epoch::epoch).toArray();
            double[] train = r.history().stream().mapToDouble(e -> Math.max(1e-6, loss ? e.trainLoss() : e.trainAccuracy()))
                    .toArray();
            double[] val = r.history().stream().mapToDouble(e -> loss ? e.valLoss() : e.valAccuracy()).toArray();
            XYSeries t = c.addSeries(r.variant() + " training", xs, train);
            t.setMarker(SeriesMarkers.NONE);
            t.setLineColor(COLORS[k % COLORS.length]);
            t.setLineStyle(SeriesLines.DASH_DASH);
            XYSeries v = c.addSeries(r.variant() + " validation", xs, val);
            v.setMarker(SeriesMarkers.NONE);
            v.setLineColor(COLORS[k % COLORS.length]);
        }
        return c;
    }

    private static void save(XYChart c, Path base) throws Exception {
        BitmapEncoder.saveBitmap(c, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(c, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }
}
