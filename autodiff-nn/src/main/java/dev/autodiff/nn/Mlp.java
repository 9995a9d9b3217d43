package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** A multilayer perceptron: Linear layers of the given sizes with an activation between them (none after the last). */
public final class Mlp extends Module {
    private final Sequential body;

    /** {@code sizes} = input, hidden..., output; layer i is seeded with {@code seed + 2i}. */
    public Mlp(int[] sizes, String activationName, UnaryOperator<Tensor> activation, long seed) {
        java.util.Objects.requireNonNull(sizes, "Mlp: sizes is null");
        java.util.Objects.requireNonNull(activationName, "Mlp: activationName is null");
        java.util.Objects.requireNonNull(activation, "Mlp: activation is null");
        if (sizes.length < 2 || java.util.Arrays.stream(sizes).anyMatch(n -> n < 0)) {
            throw new IllegalArgumentException("Mlp: need at least input and output sizes, each >= 0, got "
                    + java.util.Arrays.toString(sizes));
        }
        for (int i = 0; i + 1 < sizes.length; i++) {
            if ((long) sizes[i] * sizes[i + 1] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Mlp: layer " + i + " (" + sizes[i] + " x " + sizes[i + 1]
                        + ") has more than 2^31 - 1 weights");
            }
        }
        List<Module> layers = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            layers.add(new Linear(sizes[i], sizes[i + 1], seed + 2L * i));
            if (i + 2 < sizes.length) {
                layers.add(new Lambda(activationName, activation));
            }
        }
        body = child("layers", new Sequential(layers.toArray(new Module[0])));
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, "Mlp: the input x is null");
        return body.forward(x);
    }
}
