package dev.autodiff.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each parameter counts its own updates, as PyTorch's per-parameter {@code state['step']}: a parameter that first
 * gets a gradient after others have been stepped (it was frozen, or its branch unused) is bias-corrected as at
 * step 1. With a global count Adam's first step of such a parameter was 0.1 / (1 - 0.9^t) of PyTorch's.
 */
class PerParameterStepTest {
    @Test
    void adamBiasCorrectsALateParameterAsAtItsFirstStep() {
        Tensor early = Tensor.fromArray(new double[] {1.0, -2.0}).requiresGrad();
        Tensor late = Tensor.fromArray(new double[] {0.5, 3.0}).requiresGrad();
        double lr = 0.01;
        double eps = 1e-8;
        Adam adam = new Adam(List.of(early, late), lr);
        for (int t = 0; t < 5; t++) {
            adam.zeroGrad();
            early.mul(early).sum().backward();
            adam.step();
        }
        double[] before = late.toArray();
        adam.zeroGrad();
        Tensor g = Tensor.fromArray(new double[] {0.3, -4.0});
        late.mul(g).sum().backward(); // d/dlate = g
        adam.step();
        // step 1: m = (1 - b1) g, v = (1 - b2) g^2, so m / (1 - b1) / (sqrt(v / (1 - b2)) + eps) = g / (|g| + eps)
        double[] expected = new double[2];
        for (int i = 0; i < 2; i++) {
            double gi = g.toArray()[i];
            expected[i] = before[i] - lr * gi / (Math.abs(gi) + eps);
        }
        assertArrayEquals(expected, late.toArray(), 1e-15);
        assertEquals(5, adam.state().get("step.0").item(), "the early parameter had no gradient in the last step");
        assertEquals(1, adam.state().get("step.1").item());
        assertEquals(6, adam.stepCount());
    }
}
