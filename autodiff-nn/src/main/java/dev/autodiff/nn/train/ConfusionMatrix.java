package dev.autodiff.nn.train;

import dev.autodiff.Tensor;
import dev.autodiff.nn.data.Batch;
import java.util.List;
import java.util.Objects;

/**
 * Counts of (true class, predicted class) over logits (N, C) and int labels; the prediction is argmax (the
 * first of tied maxima, NaN counting as the maximum, as {@link Tensor#argmax}). As a {@link Metric} its value is
 * the accuracy; {@link #toString()} prints the table with per-class recall.
 */
public final class ConfusionMatrix implements Metric {
    private final List<String> classes;
    private final long[][] counts;

    /** For {@code classes} classes named by their labels' class names. */
    public ConfusionMatrix(List<String> classes) {
        Objects.requireNonNull(classes, "ConfusionMatrix: classes is null");
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("ConfusionMatrix: need at least one class");
        }
        this.classes = List.copyOf(classes);
        this.counts = new long[classes.size()][classes.size()];
    }

    @Override
    public String name() {
        return "confusion";
    }

    @Override
    public void reset() {
        for (long[] row : counts) {
            java.util.Arrays.fill(row, 0);
        }
    }

    @Override
    public void update(Tensor output, Batch batch) {
        int[] y = Metrics.labels("ConfusionMatrix", output, batch);
        int c = output.shape()[1];
        if (c != classes.size()) {
            throw new IllegalArgumentException("ConfusionMatrix: outputs have " + c + " classes, the matrix " + classes.size());
        }
        double[] predicted = output.argmax(1).toArray();
        for (int i = 0; i < y.length; i++) {
            counts[y[i]][(int) predicted[i]]++;
        }
    }

    /** How many examples of class {@code actual} were predicted as {@code predicted}. */
    public long count(int actual, int predicted) {
        if (actual < 0 || actual >= counts.length || predicted < 0 || predicted >= counts.length) {
            throw new IllegalArgumentException("ConfusionMatrix.count: classes must be in [0, " + counts.length + "), got "
                    + actual + " and " + predicted);
        }
        return counts[actual][predicted];
    }

    @Override
    public double value() {
        long right = 0;
        long all = 0;
        for (int i = 0; i < counts.length; i++) {
            for (int j = 0; j < counts.length; j++) {
                all += counts[i][j];
                right += i == j ? counts[i][j] : 0;
            }
        }
        return all == 0 ? Double.NaN : (double) right / all;
    }

    /** The fraction of class i's examples predicted as i (NaN for a class with none). */
    public double recall(int i) {
        long all = 0;
        for (long n : counts[i]) {
            all += n;
        }
        return all == 0 ? Double.NaN : (double) counts[i][i] / all;
    }

    /** The fraction of the predictions of class j that are right (NaN when none was predicted j). */
    public double precision(int j) {
        long all = 0;
        for (long[] row : counts) {
            all += row[j];
        }
        return all == 0 ? Double.NaN : (double) counts[j][j] / all;
    }

    /** Rows are the true classes, columns the predictions, then each class's recall. */
    @Override
    public String toString() {
        int width = 6;
        for (long[] row : counts) {
            for (long n : row) {
                width = Math.max(width, Long.toString(n).length() + 1);
            }
        }
        int label = 12;
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "%-" + label + "s", "true\\pred"));
        for (int j = 0; j < counts.length; j++) {
            sb.append(String.format(java.util.Locale.ROOT, "%" + width + "d", j));
        }
        sb.append("  recall\n");
        for (int i = 0; i < counts.length; i++) {
            String name = i + " " + classes.get(i);
            sb.append(String.format(java.util.Locale.ROOT, "%-" + label + "s", name.length() > label - 1 ? name.substring(0, label - 1) : name));
            for (int j = 0; j < counts.length; j++) {
                sb.append(String.format(java.util.Locale.ROOT, "%" + width + "d", counts[i][j]));
            }
            sb.append(String.format(java.util.Locale.ROOT, "  %.3f%n", recall(i)));
        }
        return sb.toString();
    }
}
