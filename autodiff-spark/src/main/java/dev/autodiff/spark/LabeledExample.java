package dev.autodiff.spark;

import dev.autodiff.Tensor;
import dev.autodiff.nn.data.Batch;
import java.io.Serializable;
import java.util.Objects;

/** A feature vector and an integer class label: the example of a classifier, from a DataFrame by {@link SparkData#labeled}. */
public record LabeledExample(double[] features, int label) implements Serializable {
    public LabeledExample {
        Objects.requireNonNull(features, "LabeledExample: features is null");
    }

    /** A batch of (N, features) inputs and (N) labels, as a TensorDataset's; all examples must have the same length. */
    public static Collate<LabeledExample> collate() {
        return examples -> {
            int n = examples.size();
            int d = n == 0 ? 0 : examples.get(0).features.length;
            double[] x = new double[n * d];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                LabeledExample e = examples.get(i);
                if (e.features.length != d) {
                    throw new IllegalArgumentException("LabeledExample.collate: example " + i + " of the batch has "
                            + e.features.length + " features, the first has " + d);
                }
                System.arraycopy(e.features, 0, x, i * d, d);
                y[i] = e.label;
            }
            return new Batch(Tensor.fromArray(x, n, d), Tensor.fromArray(y, n));
        };
    }
}
