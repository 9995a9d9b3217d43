package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The foundation issue's acceptance snippet, unchanged. */
class IssueSnippetTest {
    @Test
    void textbookAndMatmulSnippet() {
        Tensor x = Tensor.scalar(1.0);
        Tensor w = Tensor.scalar(0.0).requiresGrad();
        Tensor b = Tensor.scalar(0.0).requiresGrad();
        Tensor f = w.mul(x).add(b).neg().exp().add(1.0).reciprocal();   // 1/(exp(-(wx+b))+1)
        assertEquals(0.5, f.item(), 0.0);
        f.backward();
        assertEquals(0.25, w.grad().item(), 1e-15);
        assertEquals(0.25, b.grad().item(), 1e-15);
        Tensor a = Tensor.fromArray(new double[]{1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad();
        Tensor m = Tensor.fromArray(new double[]{1, 0, -1, 2, 0.5, 3}, 3, 2);
        Tensor loss = a.matmul(m).tanh().sum();
        loss.backward();
        assertArrayEquals(new int[]{2, 3}, a.grad().shape());
    }

    /** The same gradient derived by hand: d/dA sum(tanh(A M)) = (1 - tanh^2(A M)) M^T. */
    @Test
    void matmulTanhGradientMatchesHandDerivation() {
        double[] av = {1, 2, 3, 4, 5, 6};
        double[] mv = {1, 0, -1, 2, 0.5, 3};
        Tensor a = Tensor.fromArray(av, 2, 3).requiresGrad();
        a.matmul(Tensor.fromArray(mv, 3, 2)).tanh().sum().backward();
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 3; k++) {
                double expected = 0;
                for (int j = 0; j < 2; j++) {
                    double z = 0;
                    for (int p = 0; p < 3; p++) {
                        z += av[i * 3 + p] * mv[p * 2 + j];
                    }
                    double t = Math.tanh(z);
                    expected += (1 - t * t) * mv[k * 2 + j];
                }
                assertEquals(expected, a.grad().get(i, k), 1e-15);
            }
        }
    }
}
