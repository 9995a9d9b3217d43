package dev.autodiff.nn;

import dev.autodiff.Tensor;

/** Modules applied in order; their parameters are named "0.weight", "1.bias", ... */
public final class Sequential extends Module {
    private final Module[] layers;

    public Sequential(Module... layers) {
        this.layers = layers.clone();
        for (int i = 0; i < layers.length; i++) {
            child(Integer.toString(i), layers[i]);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Module m : layers) {
            x = m.forward(x);
        }
        return x;
    }
}
