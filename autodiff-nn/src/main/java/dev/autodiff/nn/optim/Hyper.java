package dev.autodiff.nn.optim;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Checks of the optimisers' hyper-parameters and parameter lists, each error naming the optimiser. */
final class Hyper {
    private Hyper() {}

    /**
     * The parameters, checked before Optimizer's constructor sees them: not null, none null, not empty (as
     * PyTorch: "optimizer got an empty parameter list"), and each tensor once, in order of first appearance:
     * a weight shared by two layers is listed by Module.parameters() under both paths, and must be stepped
     * once per step, not twice (PyTorch's parameters() lists it once).
     */
    static List<Tensor> params(String who, Collection<Tensor> params) {
        Objects.requireNonNull(params, () -> who + ": params is null");
        if (params.isEmpty()) {
            throw new IllegalArgumentException(who + ": got an empty parameter list");
        }
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> unique = new ArrayList<>();
        int i = 0;
        for (Tensor p : params) {
            if (p == null) {
                throw new NullPointerException(who + ": parameter " + i + " is null");
            }
            if (seen.add(p)) {
                unique.add(p);
            }
            i++;
        }
        return unique;
    }

    /** A finite value >= 0 (NaN and infinity refused: they can only make every update NaN or nothing). */
    static double nonNegative(String who, String what, double v) {
        if (!(v >= 0 && v < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(who + ": " + what + " must be finite and >= 0, got " + v);
        }
        return v;
    }

    /** A value in [0, 1), as PyTorch's betas. */
    static double fraction(String who, String what, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(who + ": " + what + " must be in [0, 1), got " + v);
        }
        return v;
    }
}
