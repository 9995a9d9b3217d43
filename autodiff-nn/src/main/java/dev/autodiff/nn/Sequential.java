package dev.autodiff.nn;

import dev.autodiff.Tensor;

/** Modules applied in order (none: the identity); their parameters are named "0.weight", "1.bias", ... */
public final class Sequential extends Module {
    private final Module[] layers;

    public Sequential(Module... layers) {
        java.util.Objects.requireNonNull(layers, "Sequential: layers is null");
        this.layers = layers.clone();
        for (int i = 0; i < this.layers.length; i++) {
            if (this.layers[i] == null) {
                throw new NullPointerException("Sequential: layer " + i + " is null");
            }
            child(Integer.toString(i), this.layers[i]);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        java.util.Objects.requireNonNull(x, "Sequential: the input x is null");
        for (Module m : layers) {
            x = m.forward(x);
        }
        return x;
    }
}
