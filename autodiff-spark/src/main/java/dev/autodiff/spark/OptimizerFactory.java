package dev.autodiff.spark;

import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Optimizer;
import java.io.Serializable;
import java.util.List;

/** Builds the optimizer over a model's parameters (each once, in Module.parameters()' order), e.g. {@code ps -> new Adam(ps, 1e-3)}. */
@FunctionalInterface
public interface OptimizerFactory extends Serializable {
    Optimizer create(List<Tensor> params);
}
