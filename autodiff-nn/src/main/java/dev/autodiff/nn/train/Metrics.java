package dev.autodiff.nn.train;

import dev.autodiff.Tensor;
import dev.autodiff.nn.data.Batch;
import java.util.Arrays;
import java.util.function.Supplier;

/** Classification metrics over logits (N, C) and int labels (the batch's field 1). */
public final class Metrics {
    private Metrics() {}

    /** The fraction of examples whose largest logit is at the label (top-1; the first of tied maxima, as argmax). */
    public static Supplier<Metric> accuracy() {
        return () -> new TopK("accuracy", 1);
    }

    /**
     * The fraction of examples whose label is among the k largest logits, ties broken by the lower class index
     * first (as a stable sort, and as argmax for k = 1); a NaN logit ranks above every number, as in argmax.
     */
    public static Supplier<Metric> topK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("Metrics.topK: k must be >= 1, got " + k);
        }
        return () -> new TopK("top" + k, k);
    }

    /** Checks a batch's output against its labels: (N, C) logits, N labels in [0, C). */
    static int[] labels(String metric, Tensor output, Batch batch) {
        int[] y = batch.labels();
        int[] s = output.shape();
        if (s.length != 2 || s[0] != y.length) {
            throw new IllegalArgumentException(metric + ": expected outputs of shape (N, classes) for " + y.length
                    + " labels, got " + Arrays.toString(s));
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] >= s[1]) {
                throw new IllegalArgumentException(metric + ": label " + y[i] + " of example " + i + " is not a class of "
                        + s[1]);
            }
        }
        return y;
    }

    private static final class TopK implements Metric {
        private final String name;
        private final int k;
        private long hits;
        private long seen;

        TopK(String name, int k) {
            this.name = name;
            this.k = k;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void reset() {
            hits = 0;
            seen = 0;
        }

        @Override
        public void update(Tensor output, Batch batch) {
            int[] y = labels(name, output, batch);
            int c = output.shape()[1];
            double[] z = output.toArray();
            for (int i = 0; i < y.length; i++) {
                double zy = z[i * c + y[i]];
                int ahead = 0; // classes ranked before the label
                for (int j = 0; j < c && ahead < k; j++) {
                    double zj = z[i * c + j];
                    if (j != y[i] && (above(zj, zy) || (j < y[i] && same(zj, zy)))) {
                        ahead++;
                    }
                }
                if (ahead < k) {
                    hits++;
                }
            }
            seen += y.length;
        }

        /** a ranks above b: larger, or NaN where b is a number. */
        private static boolean above(double a, double b) {
            return Double.isNaN(a) ? !Double.isNaN(b) : a > b;
        }

        private static boolean same(double a, double b) {
            return a == b || (Double.isNaN(a) && Double.isNaN(b));
        }

        @Override
        public double value() {
            return seen == 0 ? Double.NaN : (double) hits / seen;
        }
    }
}
