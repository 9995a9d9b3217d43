package dev.autodiff.spark;

import dev.autodiff.nn.Module;
import java.io.Serializable;

/**
 * Builds the model on the driver and on each executor; the model never travels, its parameters do (as arrays).
 * Every call must build the same architecture. {@code seed} is for the model's random layers (a Dropout's masks):
 * each replica gets a seed of its own, derived from the trainer's seed, its step and its partition. The initial
 * weights of a replica are replaced by the trainer's, so they may depend on the seed or not.
 */
@FunctionalInterface
public interface ModelFactory extends Serializable {
    Module create(long seed);
}
