package dev.autodiff.nn.train;

import dev.autodiff.Tensor;
import dev.autodiff.nn.data.Batch;

/**
 * A quantity accumulated over the batches of an epoch, such as accuracy: {@link #reset()}, then {@link #update}
 * per batch with the model's output for it, then {@link #value()}. Made fresh by a factory per use (see
 * {@link Metrics}), so one metric object never serves two loops at once.
 */
public interface Metric {
    /** The name in a history: "accuracy", "top5" ... (the trainer prefixes "train_" or "val_"). */
    String name();

    void reset();

    /** Adds one batch: {@code output} is the model's output (no graph), {@code batch} holds the targets. */
    void update(Tensor output, Batch batch);

    /** The value over the batches since {@link #reset()}; NaN before any. */
    double value();
}
