package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.Autodiff;
import dev.autodiff.DType;
import dev.autodiff.Tensor;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * What the float32 programs of DifferentialTest found in this module, reduced to its smallest case: the activations
 * built on {@code where} with a 0-d float64 constant (0, or silu's slope 1) returned float64 for a 0-d float32 input
 * (0-d operands alone promote among themselves, as torch.result_type), though their results are float32 for any
 * float32 input with dimensions. Values by hand.
 */
class Float32DifferentialFindingsTest {
    private static final double E1 = Math.exp(-1) - 1; // e^-1 - 1

    private static void check(String what, Function<Tensor, Tensor> f, double x, double expected) {
        Tensor x0 = Tensor.scalar(x).to(DType.FLOAT32).requiresGrad();
        Tensor y = f.apply(x0);
        assertEquals(DType.FLOAT32, y.dtype(), what + " of a 0-d float32");
        assertEquals(expected, y.item(), 1e-6 * Math.max(1, Math.abs(expected)), what);
        assertEquals(DType.FLOAT32, Autodiff.grad(y, x0)[0].dtype(), what + "'s gradient");
        assertEquals(DType.FLOAT32, f.apply(Tensor.fromArray(new float[] {(float) x})).dtype(), what + " of a 1-d float32");
    }

    @Test
    void activationsOfA0dFloat32AreFloat32() {
        check("elu", x -> Activations.elu(x, 1.0), -1, E1);
        check("selu", Activations::selu, -1, Activations.SELU_SCALE * Activations.SELU_ALPHA * E1);
        check("leakyRelu", x -> Activations.leakyRelu(x, 0.125), -2, -0.25);
        check("prelu", x -> Activations.prelu(x, Tensor.scalar(0.25).to(DType.FLOAT32)), -2, -0.5);
        check("celu", x -> Activations.celu(x, 1.0), -1, E1);
        check("hardSwish", Activations::hardSwish, 1, 4.0 / 6); // x (x + 3) / 6
        check("logSigmoid", Activations::logSigmoid, -1, -1 - Math.log1p(Math.exp(-1))); // -softplus(1)
        check("silu", Activations::silu, 1, 1 / (1 + Math.exp(-1))); // sigmoid(1)
    }
}
