package dev.autodiff.spark;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.data.Batch;
import java.io.Serializable;

/**
 * The MEAN loss of the model over a batch (a 0-dim tensor), e.g. {@code (m, b) -> Losses.crossEntropy(m.forward(b.input()),
 * b.labels())}. It must be a mean of per-example terms: a partition holding n of a global batch of B examples
 * contributes its mean times n / B, so that the partitions' gradients add up to the global batch's. (A layer that
 * mixes examples, as batch normalisation in training mode, sees only its partition's examples, as in PyTorch's
 * DistributedDataParallel without SyncBatchNorm.)
 */
@FunctionalInterface
public interface Loss extends Serializable {
    Tensor apply(Module model, Batch batch);
}
