package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/** Tensors made from computed values, in a given shape (0-d included), for the forward of nn's custom ops. */
final class Values {
    private Values() {}

    /** f applied to every element of x (a constant: nothing is recorded). */
    static Tensor map(Tensor x, DoubleUnaryOperator f) {
        double[] v = x.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(v[i]);
        }
        return Tensor.fromArray(v, x.shape());
    }

    /** f applied to the elements of a and b, of the same shape, pairwise. */
    static Tensor map(Tensor a, Tensor b, DoubleBinaryOperator f) {
        double[] v = a.toArray();
        double[] w = b.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(v[i], w[i]);
        }
        return Tensor.fromArray(v, a.shape());
    }
}
