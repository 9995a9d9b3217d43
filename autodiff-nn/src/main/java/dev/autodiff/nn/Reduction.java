package dev.autodiff.nn;

import java.util.Locale;
import java.util.Objects;

/**
 * How a loss in {@link Losses} turns its per-example values into its result, as PyTorch's {@code reduction}
 * argument ("none", "mean", "sum", and kl_div's "batchmean"). Every loss defaults to {@link #MEAN}.
 */
public enum Reduction {
    /** The per-example losses, in the shape of the batch ("none"). */
    NONE,
    /**
     * Their mean ("mean"), NaN for an empty batch as in PyTorch. A classification loss with class weights
     * divides by the sum of the weights of the (not ignored) targets instead of their count, as PyTorch.
     */
    MEAN,
    /** Their sum ("sum"): 0 for an empty batch. */
    SUM,
    /**
     * The sum divided by the size of the first dimension ("batchmean"), which makes {@link Losses#klDiv} the
     * KL divergence per example; the other losses refuse it, as PyTorch does.
     */
    BATCHMEAN;

    /** PyTorch's spelling: "none", "mean", "sum", "batchmean". */
    public String torchName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The reduction PyTorch spells {@code name} ("none", "mean", "sum" or "batchmean"). */
    public static Reduction of(String name) {
        Objects.requireNonNull(name, "Reduction.of: name is null");
        for (Reduction r : values()) {
            if (r.torchName().equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("Reduction.of: '" + name + "' is not a reduction; expected none, mean, sum or batchmean");
    }
}
