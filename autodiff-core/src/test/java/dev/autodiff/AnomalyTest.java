package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AnomalyTest {
    @Test
    void reportsTheFirstOpWhoseBackwardIsNotFiniteAndWhereItWasCreated() {
        Tensor x = Tensor.fromArray(new double[] {4, 0}).requiresGrad();
        AnomalyException e;
        try (GradScope s = Autodiff.detectAnomaly()) {
            Tensor y = x.sqrt().mul(3.0).sum(); // d sqrt(x)/dx = inf at x = 0
            e = assertThrows(AnomalyException.class, y::backward);
        }
        assertEquals("sqrt", e.op());
        assertTrue(e.site().startsWith("dev.autodiff.AnomalyTest.reportsTheFirstOp"), e.site());
        assertTrue(e.site().contains("AnomalyTest.java:"), e.site());
        assertTrue(e.getMessage().contains("Infinity") && e.getMessage().contains("flat index 1"), e.getMessage());
    }

    @Test
    void withoutAnomalyModeTheNonFiniteGradientSimplyPropagates() {
        Tensor x = Tensor.fromArray(new double[] {4, 0}).requiresGrad();
        x.sqrt().sum().backward();
        assertEquals(Double.POSITIVE_INFINITY, x.grad().get(1));
    }

    @Test
    void anomalyModeIsPerThreadAndRestored() {
        try (GradScope s = Autodiff.detectAnomaly()) {
            assertTrue(GradMode.current().anomaly);
        }
        assertTrue(!GradMode.current().anomaly);
    }
}
