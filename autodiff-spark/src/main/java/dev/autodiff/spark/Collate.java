package dev.autodiff.spark;

import dev.autodiff.nn.data.Batch;
import java.io.Serializable;
import java.util.List;

/** Turns examples into a batch of tensors on the executor, e.g. {@link LabeledExample#collate()}. */
@FunctionalInterface
public interface Collate<T> extends Serializable {
    Batch apply(List<T> examples);
}
