package dev.autodiff.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** NAdam's and RAdam's first steps from their formulas by hand (their values against PyTorch: TorchOptimReferenceTest). */
class AdamVariantsTest {
    private static final double[] G = {0.5, -2, 1e-3};

    /**
     * Step 1: m = (1 - b1) g, v = (1 - b2) g^2, so sqrt(v / (1 - b2)) = |g|, and with mu_1, mu_2 from the schedule,
     * p1 = p0 - lr [(1 - mu_1) / (1 - mu_1) + mu_2 (1 - b1) / (1 - mu_1 mu_2)] g / (|g| + eps); mu_product = mu_1.
     */
    @Test
    void nadamsFirstStep() {
        double lr = 0.01;
        double b1 = 0.9;
        double psi = 4e-3;
        double eps = 1e-8;
        Tensor p = Tensor.fromArray(new double[] {1, 2, 3}).requiresGrad();
        p.setGrad(Tensor.fromArray(G));
        NAdam nadam = new NAdam(List.of(p), lr);
        nadam.step();
        double mu1 = b1 * (1 - 0.5 * Math.pow(0.96, psi));
        double mu2 = b1 * (1 - 0.5 * Math.pow(0.96, 2 * psi));
        double[] expected = new double[3];
        for (int k = 0; k < 3; k++) {
            double d = Math.abs(G[k]) + eps;
            expected[k] = (k + 1) - lr * (1 + mu2 * (1 - b1) / (1 - mu1 * mu2)) * G[k] / d;
        }
        assertArrayEquals(expected, p.toArray(), 1e-15);
        assertEquals(mu1, nadam.state().get("mu_product.0").item(), 1e-16);
        assertEquals(0, nadam.state().get("mu_product.0").rank(), "one number per parameter, as PyTorch's 0-dim tensor");
    }

    /**
     * Before rho_t passes 5 (the first five steps with b2 = 0.999) RAdam takes bias-corrected momentum steps: step 1 is
     * p - lr g (m / (1 - b1) = g), step 2 p - lr (b1 g1 + g2) / (1 + b1) ((1 - b1)(b1 g1 + g2) / (1 - b1^2)).
     */
    @Test
    void radamsFirstStepsAreMomentumSteps() {
        double lr = 0.01;
        double b1 = 0.9;
        Tensor p = Tensor.fromArray(new double[] {1, 2, 3}).requiresGrad();
        RAdam radam = new RAdam(List.of(p), lr);
        p.setGrad(Tensor.fromArray(G));
        radam.step();
        double[] p1 = p.toArray();
        for (int k = 0; k < 3; k++) {
            assertEquals((k + 1) - lr * G[k], p1[k], 1e-15, "step 1, element " + k);
        }
        double[] g2 = {-1, 4, 0};
        p.setGrad(Tensor.fromArray(g2));
        radam.step();
        for (int k = 0; k < 3; k++) {
            assertEquals(p1[k] - lr * (b1 * G[k] + g2[k]) / (1 + b1), p.get(k), 1e-15, "step 2, element " + k);
        }
    }
}
