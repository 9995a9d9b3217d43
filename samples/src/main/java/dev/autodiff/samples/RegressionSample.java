package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;

/**
 * Fits y = a x + c to 200 noisy points from y = 3x - 2 by gradient descent on the mean squared error, and
 * compares with the closed-form least-squares solution.
 */
final class RegressionSample {
    private RegressionSample() {}

    static void run() {
        int n = 200;
        Tensor x = Tensor.rand(1, n).mul(4).sub(2);
        Tensor y = x.mul(3).sub(2).add(Tensor.randn(2, n).mul(0.3));
        Tensor a = Tensor.scalar(0).requiresGrad();
        Tensor c = Tensor.scalar(0).requiresGrad();
        for (int step = 0; step <= 300; step++) {
            Tensor loss = x.mul(a).add(c).sub(y).square().mean();
            Tensor[] g = Autodiff.grad(loss, a, c);
            if (step % 100 == 0) {
                System.out.printf("step %3d  loss %.6f  a %.6f  c %.6f%n", step, loss.item(), a.item(), c.item());
            }
            try (GradScope s = Autodiff.noGrad()) {
                a = a.sub(g[0].mul(0.1)).requiresGrad();
                c = c.sub(g[1].mul(0.1)).requiresGrad();
            }
        }
        // closed form: a = cov(x, y) / var(x), c = mean(y) - a mean(x)
        double mx = x.mean().item();
        double my = y.mean().item();
        double cov = x.sub(mx).mul(y.sub(my)).mean().item();
        double var = x.sub(mx).square().mean().item();
        System.out.printf("least squares:     a %.6f  c %.6f%n", cov / var, my - cov / var * mx);
    }
}
