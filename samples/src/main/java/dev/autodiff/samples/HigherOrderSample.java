package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;

/**
 * Repeated differentiation with createGraph: each derivative is itself a graph that can be differentiated.
 * With t = tanh x: t' = 1 - t^2, t'' = -2 t t', t''' = -2 t'^2 - 2 t t'' , t'''' = -6 t' t'' - 2 t t'''.
 */
final class HigherOrderSample {
    private HigherOrderSample() {}

    static void run() {
        double xv = 0.7;
        Tensor x = Tensor.scalar(xv).requiresGrad();
        Tensor d = x.tanh();
        double t = Math.tanh(xv);
        double t1 = 1 - t * t;
        double t2 = -2 * t * t1;
        double t3 = -2 * t1 * t1 - 2 * t * t2;
        double t4 = -6 * t1 * t2 - 2 * t * t3;
        double[] closed = {t, t1, t2, t3, t4};
        System.out.printf("%-6s %-22s %-22s%n", "order", "autodiff", "closed form");
        System.out.printf("%-6d %-22.16f %-22.16f%n", 0, d.item(), closed[0]);
        for (int k = 1; k <= 4; k++) {
            d = Autodiff.grad(d, true, x)[0];
            System.out.printf("%-6d %-22.16f %-22.16f%n", k, d.item(), closed[k]);
        }
    }
}
