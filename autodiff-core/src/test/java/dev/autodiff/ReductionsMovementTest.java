package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Issue 16's reductions, scans and movement ops: values derived by hand, the derivatives at their singular
 * points (the README's kink table) in every mode, and the errors bad arguments get. PyTorch's numbers are in
 * {@link ReductionsMovementTorchTest}, finite differences in PrimitiveGradTest.
 */
class ReductionsMovementTest {
    private static Tensor t(double... v) {
        return Tensor.fromArray(v);
    }

    private static void same(double[] expected, Tensor actual) {
        assertArrayEquals(expected, actual.toArray(), 1e-15);
    }

    /** f's gradient at x by reverse and forward mode (J e_i per element), and its Hessian by two nestings. */
    private static void assertDerivatives(String what, Function<Tensor, Tensor> f, Tensor x, double[] grad, double[] hess) {
        Tensor xr = x.detach().requiresGrad();
        same(grad, Autodiff.grad(f.apply(xr), xr)[0]);
        same(grad, Autodiff.jacfwd(f, x).reshape(x.size()));
        same(hess, Autodiff.hessian(f, x).reshape(x.size() * x.size()));
        Tensor x2 = x.detach().requiresGrad();
        Tensor g = Autodiff.grad(f.apply(x2), true, x2)[0];
        for (int i = 0; i < x.size(); i++) {
            Tensor xi = x.detach().requiresGrad();
            Tensor gi = Autodiff.grad(f.apply(xi), true, xi)[0].flatten().slice(0, i, i + 1).sum();
            double[] row = gi.needsGrad() ? Autodiff.grad(gi, xi)[0].toArray() : new double[x.size()];
            for (int j = 0; j < x.size(); j++) {
                assertEquals(hess[i * x.size() + j], row[j], 1e-15, what + ": reverse over reverse H[" + i + "][" + j + "]");
            }
        }
        assertTrue(g.toArray().length == x.size(), what);
    }

    @Test
    void varianceAndStandardDeviationByHand() {
        Tensor x = t(1, 2, 3, 4);
        assertEquals(5.0 / 3, x.var().item(), 1e-15);
        assertEquals(1.25, x.var(0, false).item(), 1e-15);
        assertEquals(2.5, x.var(2, false).item(), 1e-15);
        assertEquals(Math.sqrt(5.0 / 3), x.std().item(), 1e-15);
        // d var / dx_i = 2 (x_i - mean) / (N - 1)
        assertDerivatives("var", Tensor::var, x, new double[] {-1, -1.0 / 3, 1.0 / 3, 1},
                new double[] {0.5, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 0.5, -1.0 / 6, -1.0 / 6,
                    -1.0 / 6, -1.0 / 6, 0.5, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 0.5});
        same(new double[] {0.5, 0.5}, Tensor.fromArray(new double[] {1, 2, 3, 4}, 2, 2).var(1, true, 1).reshape(2));
        assertTrue(Double.isNaN(t(5).var().item()), "N - correction = 0: NaN, as PyTorch");
        assertTrue(Double.isNaN(t().var(0, false).item()), "empty: NaN, as PyTorch");
    }

    /** At zero variance std is a cone's tip: gradient 0 and second derivative 0, as PyTorch's std_backward. */
    @Test
    void stdAtZeroVarianceHasGradientZero() {
        double[] zero3 = new double[3];
        assertDerivatives("std of equal values", Tensor::std, t(1.5, 1.5, 1.5), zero3, new double[9]);
        assertDerivatives("2-norm at 0", Tensor::norm, t(0, 0, 0), zero3, new double[9]);
        assertDerivatives("1-norm at 0", x -> x.norm(1, false), t(0, 0, 0), zero3, new double[9]);
        assertDerivatives("inf-norm at 0", x -> x.norm(Double.POSITIVE_INFINITY, false), t(0, 0, 0), zero3, new double[9]);
        assertEquals(0.0, t(1.5, 1.5, 1.5).std().item());
    }

    @Test
    void normsByHand() {
        Tensor x = t(3, -4, 0);
        assertEquals(5.0, x.norm().item(), 0.0);
        assertEquals(7.0, x.norm(1, false).item(), 0.0);
        assertEquals(4.0, x.norm(Double.POSITIVE_INFINITY, false).item(), 0.0);
        assertEquals(0.0, x.norm(Double.NEGATIVE_INFINITY, false).item(), 0.0);
        assertDerivatives("2-norm", Tensor::norm, t(3, -4), new double[] {0.6, -0.8},
                new double[] {16.0 / 125, 12.0 / 125, 12.0 / 125, 9.0 / 125});
        // ties of |x| share the gradient: sign(x_i) / k, as PyTorch's vector_norm
        assertDerivatives("inf-norm tie", x2 -> x2.norm(Double.POSITIVE_INFINITY, false), t(3, -3, 1),
                new double[] {0.5, -0.5, 0}, new double[9]);
        assertEquals(Math.sqrt(30), Tensor.arange(5).reshape(1, 5).norm(2, false, 0, 1).item(), 1e-14, "Frobenius");
    }

    @Test
    void prodHandlesZerosExactly() {
        assertEquals(24.0, t(2, 3, 4).prod().item(), 0.0);
        assertDerivatives("prod without zeros", Tensor::prod, t(2, 3, 4), new double[] {12, 8, 6},
                new double[] {0, 4, 3, 4, 0, 2, 3, 2, 0});
        assertDerivatives("prod with one zero", Tensor::prod, t(2, 0, 4), new double[] {0, 8, 0},
                new double[] {0, 4, 0, 4, 0, 2, 0, 2, 0});
        assertDerivatives("prod with two zeros", Tensor::prod, t(0, 3, 0), new double[] {0, 0, 0},
                new double[] {0, 0, 3, 0, 0, 0, 3, 0, 0});
        same(new double[] {1, 1, 1}, Tensor.zeros(0, 3).prod(false, 0));
        same(new double[] {6, 20}, Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 1}, 2, 3).prod(false, -1));
    }

    @Test
    void scansByHand() {
        same(new double[] {1, 3, 6, 10}, t(1, 2, 3, 4).cumsum(0));
        same(new double[] {1, 3, 3, 7}, Tensor.fromArray(new double[] {1, 2, 3, 4}, 2, 2).cumsum(-1));
        same(new double[] {1, 2, 4, 6}, Tensor.fromArray(new double[] {1, 2, 3, 4}, 2, 2).cumsum(0));
        same(new double[] {2, 0, 0}, t(2, 0, 3).cumprod(0));
        // sum of y = x0 + x0 x1 + x0 x1 x2: gradient (1 + x1 + x1 x2, x0 + x0 x2, x0 x1) exactly at the zero
        assertDerivatives("cumprod with a zero", x -> x.cumprod(0).sum(), t(2, 0, 3), new double[] {1, 8, 0},
                new double[] {0, 4, 0, 4, 0, 2, 0, 2, 0});
        same(new double[] {0, Math.log(2), Math.log(3)}, t(0, 0, 0).logcumsumexp(0));
        same(new double[] {1000, 1000 + Math.log(2)}, t(1000, 1000).logcumsumexp(0));
        same(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 0},
                t(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 0).logcumsumexp(0));
        same(new double[] {-1000, -1000 + Math.log1p(Math.exp(-1))}, t(-1000, -1001).logcumsumexp(0));
        assertArrayEquals(new int[] {2, 0}, Tensor.zeros(2, 0).cumsum(1).shape());
    }

    /**
     * d/dx_j of y_i = log(sum_(k <= i) exp(x_k)) is the prefix softmax p_ij = exp(x_j - y_i), so for tied x it is
     * 1 / (i + 1): sum(y) of n ties has gradient sum_(i >= j) 1 / (i + 1) and Hessian
     * sum_(i >= max(j, k)) (delta_jk / (i + 1) - 1 / (i + 1)^2), at any magnitude (found by the differential test:
     * a scan of pairwise logaddexps rounded m + log 2 to m at 1e300 and gave the last row [1/2, 1/4, 1/4]).
     */
    @Test
    void logcumsumexpDerivativesAtAnyMagnitude() {
        int n = 4;
        double[] grad = new double[n];
        double[] hess = new double[n * n];
        for (int j = 0; j < n; j++) {
            for (int i = j; i < n; i++) {
                grad[j] += 1.0 / (i + 1);
            }
            for (int k = 0; k < n; k++) {
                for (int i = Math.max(j, k); i < n; i++) {
                    hess[j * n + k] += (j == k ? 1.0 / (i + 1) : 0) - 1.0 / ((i + 1) * (i + 1));
                }
            }
        }
        for (double m : new double[] {0, 1e15, 1e300, -1e300}) {
            Tensor x = t(m, m, m, m);
            assertDerivatives("logcumsumexp of ties at " + m, z -> z.logcumsumexp(0).sum(), x, grad, hess);
        }
        same(new double[] {1e300, 1e300, 1e300, 1e300}, t(1e300, 1e300, 1e300, 1e300).logcumsumexp(0));
        // [a, a + 2, -a, a] at a = 1e15: x_2 has weight exp(-2e15) = 0, the others e^0 / e^2 over the prefix
        double e2 = Math.exp(2);
        Tensor x = t(1e15, 1e15 + 2, -1e15, 1e15).requiresGrad();
        same(new double[] {1 + 2 / (1 + e2) + 1 / (2 + e2), 2 * e2 / (1 + e2) + e2 / (2 + e2), 0, 1 / (2 + e2)},
                Autodiff.grad(x.logcumsumexp(0).sum(), x)[0]);
        // vmap over the rows: each row's own running maximum
        Tensor rows = Tensor.fromArray(new double[] {1e300, 1e300, 1e300, 0, 1, Double.NEGATIVE_INFINITY}, 2, 3);
        assertArrayEquals(Tensor.stack(0, rows.slice(0, 0, 1).reshape(3).logcumsumexp(0),
                        rows.slice(0, 1, 2).reshape(3).logcumsumexp(0)).toArray(),
                Autodiff.vmap(v -> v[0].logcumsumexp(0)).apply(rows).toArray(), 0.0);
    }

    @Test
    void allAndAnyByHand() {
        Tensor x = Tensor.fromArray(new double[] {1, 0, Double.NaN, 2}, 2, 2);
        same(new double[] {0, 1}, x.all(false, 1));
        same(new double[] {1, 1}, x.any(false, 1));
        same(new double[] {1, 1, 1}, Tensor.zeros(0, 3).all(false, 0));
        same(new double[] {0, 0, 0}, Tensor.zeros(0, 3).any(false, 0));
        assertArrayEquals(new int[] {2, 1}, x.all(true, -1).shape());
    }

    @Test
    void movementByHand() {
        Tensor m = Tensor.arange(6).reshape(2, 3);
        same(new double[] {5, 4, 3, 2, 1, 0}, m.flip(0, 1));
        same(new double[] {2, 1, 0, 5, 4, 3}, m.flip(-1));
        same(new double[] {5, 0, 1, 2, 3, 4}, m.roll(1));
        same(new double[] {1, 2, 0, 4, 5, 3}, m.roll(-1, 1));
        same(new double[] {0, 1, 0, 1, 0, 1, 0, 1}, t(0, 1).repeat(2, 2));
        assertArrayEquals(new int[] {2, 2, 6}, m.repeat(2, 1, 2).shape());
        same(new double[] {0, 1, 2, 0, 1, 2}, t(0, 1, 2).tile(2));
        same(new double[] {0, 0, 1, 1, 2, 2}, t(0, 1, 2).repeatInterleave(2));
        same(new double[] {0, 0, 2}, t(0, 1, 2).repeatInterleave(new int[] {2, 0, 1}, 0));
        same(new double[] {0, 0, 0, 3, 0, 0}, m.tril(-1));
        same(new double[] {0, 1, 2, 0, 4, 5}, m.triu());
        same(new double[] {0, 1, 0, 0, 0, 2, 0, 0, 0}, t(1, 2).diag(1));
        same(new double[] {0, 0, 0, 1, 0, 0, 0, 2, 0}, t(1, 2).diag(-1));
        same(new double[] {0, 4}, m.diag());
        same(new double[] {1, 5}, m.diag(1));
        same(new double[] {3}, m.diagonal(-1, 0, 1));
        assertEquals(4.0, m.trace().item(), 0.0);
        Tensor[] c = Tensor.arange(5).chunk(3, 0);
        assertEquals(3, c.length);
        same(new double[] {4}, c[2]);
        assertEquals(3, Tensor.arange(6).chunk(4, 0).length, "chunk: fewer pieces when they run out, as torch.chunk");
        assertEquals(3, Tensor.zeros(0).chunk(3, 0).length, "chunk of an empty axis: chunks empty pieces");
        same(new double[] {3, 4}, Tensor.arange(5).split(new int[] {3, 2}, 0)[1]);
        same(new double[] {-1, 1, 2, -1, 4, 5}, m.maskedFill(Tensor.fromArray(new double[] {1, 0, 0}, 3), -1));
        Tensor inf = Tensor.fromArray(new double[] {1, Double.POSITIVE_INFINITY, Double.NaN, 2}, 2, 2);
        same(new double[] {1, 0, Double.NaN, 2}, inf.tril());
    }

    private static void rejects(String start, Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().startsWith(start), "message should start with '" + start + "': " + ex.getMessage());
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor m = Tensor.zeros(2, 3);
        rejects("var: axis 2", () -> m.var(1, false, 2));
        rejects("var: correction", () -> m.var(Double.NaN, false));
        rejects("std: axis -3", () -> m.std(1, false, -3));
        rejects("prod: axis -1 appears twice", () -> m.prod(false, 1, -1));
        rejects("cumsum: axis 5", () -> m.cumsum(5));
        rejects("cumprod: axis -3", () -> m.cumprod(-3));
        rejects("logcumsumexp: axis 2", () -> m.logcumsumexp(2));
        rejects("norm: p must be a real number", () -> m.norm(Double.NaN, false)); // every other real p is accepted
        rejects("norm: the Infinity-norm of an empty", () -> Tensor.zeros(0).norm(Double.POSITIVE_INFINITY, false));
        // p < 0 over no elements: torch.linalg.vector_norm raises "cannot compute the -1 norm on an empty tensor
        // because the operation does not have an identity" (1.13); it used to give infinity here, 0^(1/p)
        rejects("norm: the -1.0-norm of an empty tensor (shape [2, 0], axes [1])", () -> Tensor.zeros(2, 0).norm(-1, false, 1));
        rejects("vectorNorm: the -0.5-norm of an empty", () -> Linalg.vectorNorm(Tensor.zeros(0), -0.5, null, false));
        assertArrayEquals(new int[] {0}, Tensor.zeros(0, 2).norm(-1, false, 1).shape()); // no lanes, each of 2: PyTorch's []
        assertEquals(0.0, Tensor.zeros(0).norm(0.5, false).item(), 0.0); // p > 0: the empty sum, 0, as PyTorch
        rejects("all: axis 4", () -> m.all(false, 4));
        rejects("any: axis 4", () -> m.any(false, 4));
        rejects("flip: axis 0 appears twice", () -> m.flip(0, 0));
        rejects("roll: need one shift per axis", () -> m.roll(new int[] {1}, new int[] {0, 1}));
        rejects("roll: axis 3", () -> m.roll(1, 3));
        rejects("repeat: need at least one", () -> m.repeat(2));
        rejects("repeat: repetition counts must be >= 0", () -> m.repeat(1, -1));
        rejects("tile: repetition counts must be >= 0, got [-1]", () -> m.tile(-1)); // the method called, the counts given
        rejects("repeatInterleave: repeats must be >= 0", () -> m.repeatInterleave(-1, 0));
        rejects("repeatInterleave: need one count per position", () -> m.repeatInterleave(new int[] {1, 2}, 1));
        rejects("tril: needs a matrix", () -> Tensor.zeros(3).tril());
        rejects("triu: needs a matrix", () -> Tensor.scalar(1).triu(1));
        rejects("diag: needs a vector or a matrix", () -> Tensor.zeros(2, 2, 2).diag());
        rejects("diagonal: axis1 and axis2 must differ", () -> m.diagonal(0, 1, -1));
        rejects("trace: needs a matrix", () -> Tensor.zeros(2, 2, 2).trace());
        rejects("chunk: chunks must be > 0", () -> m.chunk(0, 1));
        rejects("split: size must be > 0", () -> m.split(0, 1));
        rejects("split: sizes [1, 1] add up to 2", () -> m.split(new int[] {1, 1}, 1));
        rejects("maskedFill: mask of shape [3, 3]", () -> m.maskedFill(Tensor.zeros(3, 3), 1));
    }
}
