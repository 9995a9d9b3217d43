package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import org.junit.jupiter.api.Test;

class DropoutTest {
    @Test
    void dropsAboutPAndKeepsTheMean() {
        Tensor x = Tensor.ones(100_000);
        double[] y = new Dropout(0.3, 5).forward(x).toArray();
        int zeros = 0;
        double sum = 0;
        for (double v : y) {
            zeros += v == 0 ? 1 : 0;
            sum += v;
            assertTrue(v == 0 || Math.abs(v - 1 / 0.7) < 1e-12, "kept values are scaled by 1/(1-p): " + v);
        }
        // binomial: sd of the zero fraction is sqrt(0.3 * 0.7 / 1e5) = 0.0014; allow 5 sd
        assertEquals(0.3, zeros / 1e5, 0.0075);
        assertEquals(1.0, sum / 1e5, 0.011);
    }

    @Test
    void seededAndIdentityInEvaluation() {
        Tensor x = Tensor.randn(1, 50);
        assertArrayEquals(new Dropout(0.5, 7).forward(x).toArray(), new Dropout(0.5, 7).forward(x).toArray());
        Dropout d = new Dropout(0.5, 7);
        d.eval();
        assertSame(x, d.forward(x));
    }

    @Test
    void gradientFlowsOnlyThroughKeptUnits() {
        Tensor x = Tensor.ones(20).requiresGrad();
        Tensor y = new Dropout(0.5, 3).forward(x);
        y.sum().backward();
        assertArrayEquals(y.toArray(), x.grad().toArray());
    }
}
