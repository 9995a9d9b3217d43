package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/** Tensors made from computed values, in a given shape (0-d included), for the forward of nn's custom ops. */
final class Values {
    private Values() {}

    /**
     * A tensor of the given shape holding {@code v}: 0-d for an empty shape ({@code Tensor.fromArray} reads an
     * empty shape as "1-D").
     */
    static Tensor of(double[] v, int[] shape) {
        return shape.length == 0 ? Tensor.scalar(v[0]) : Tensor.fromArray(v, shape);
    }

    /** f applied to every element of x (a constant: nothing is recorded). */
    static Tensor map(Tensor x, DoubleUnaryOperator f) {
        double[] v = x.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(v[i]);
        }
        return of(v, x.shape());
    }

    /** f applied to the elements of a and b, of the same shape, pairwise. */
    static Tensor map(Tensor a, Tensor b, DoubleBinaryOperator f) {
        double[] v = a.toArray();
        double[] w = b.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(v[i], w[i]);
        }
        return of(v, a.shape());
    }
}
