package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one-pass vjps of tanh, sigmoid, log, sqrt, reciprocal and relu (taken when nothing is recorded) give the bits
 * of the rules they replace, which run when the backward pass is recorded (createGraph): at ordinary points, at 0
 * and -0, at infinities, at NaN and where the derivative overflows. Both the path into a new buffer (the op's
 * output used once more elsewhere) and the one written over the incoming gradient are compared.
 */
class FusedGradTest {
    static Stream<Arguments> ops() {
        return Stream.of(Arguments.of("tanh", (UnaryOperator<Tensor>) Tensor::tanh),
                Arguments.of("sigmoid", (UnaryOperator<Tensor>) Tensor::sigmoid),
                Arguments.of("log", (UnaryOperator<Tensor>) Tensor::log),
                Arguments.of("sqrt", (UnaryOperator<Tensor>) Tensor::sqrt),
                Arguments.of("reciprocal", (UnaryOperator<Tensor>) Tensor::reciprocal),
                Arguments.of("relu", (UnaryOperator<Tensor>) Tensor::relu));
    }

    private static Tensor inputs() {
        double[] special = {0.0, -0.0, 1e-300, -1e-300, 1e-160, 5.0, -5.0, 40.0, -40.0, 800.0, -800.0,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, Double.MIN_VALUE, 0.5, -0.5};
        Tensor r = Tensor.randn(99, 3000).mul(3.0); // past the 1024-element split, so threads share the loop
        double[] v = r.toArray();
        System.arraycopy(special, 0, v, 0, special.length);
        return Tensor.fromArray(v, v.length);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void sameBitsAsTheComposedRule(String name, UnaryOperator<Tensor> f) {
        Tensor x = inputs().requiresGrad();
        Tensor w = Tensor.randn(7, x.size());
        // "seed": the incoming gradient is the caller's, so the vjp writes a new buffer; "once": it is a product
        // the pass made, written over; "twice": two paths summed first
        for (String mode : new String[] {"seed", "once", "twice"}) {
            Tensor[] fastAndComposed = new Tensor[2];
            for (int k = 0; k < 2; k++) {
                boolean record = k == 1; // recorded: the rule's own tensor ops
                Tensor y = f.apply(x.mul(1.0));
                fastAndComposed[k] = switch (mode) {
                    case "seed" -> Autodiff.grad(y, w, false, record, x)[0];
                    case "once" -> Autodiff.grad(y.mul(w).sum(), record, x)[0];
                    default -> Autodiff.grad(y.mul(w).sum().add(y.mul(w.square()).sum()), record, x)[0];
                };
            }
            double[] a = fastAndComposed[0].toArray();
            double[] b = fastAndComposed[1].toArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(Double.doubleToRawLongBits(b[i]), Double.doubleToRawLongBits(a[i]),
                        name + " " + mode + " at x = " + x.toArray()[i] + ": " + a[i] + " vs " + b[i]);
            }
        }
    }
}
