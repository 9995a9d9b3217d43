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
        if (sizes.length < 2) {
            throw new IllegalArgumentException("Mlp: need at least input and output sizes, got " + java.util.Arrays.toString(sizes));
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
        return body.forward(x);
    }
}
