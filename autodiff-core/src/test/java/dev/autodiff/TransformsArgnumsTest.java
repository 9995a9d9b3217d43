package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Autodiff's transforms of several arguments (argnums), as jax.grad/jacrev/jacfwd/hessian(f, argnums): against
 * closed forms derived by hand, central finite differences, each other (jacrev = jacfwd, H[i][j] = H[j][i]^T) and
 * the one-tensor forms; nested under reverse and forward passes.
 */
class TransformsArgnumsTest {
    private static final double[] XV = {0.5, -1.0, 2.0};
    private static final double[] YV = {1.5, 0.25, -2.0};

    /** f(x, y) = sum(x y) + sum(x^2 y): df/dx = y + 2 x y, df/dy = x + x^2; H_xx = diag(2y), H_xy = H_yx = diag(1 + 2x), H_yy = 0. */
    private static Tensor f(Tensor... xs) {
        Tensor x = xs[0];
        Tensor y = xs[1];
        return x.mul(y).sum().add(x.square().mul(y).sum());
    }

    private static double[] handGradX() {
        double[] g = new double[3];
        for (int i = 0; i < 3; i++) {
            g[i] = YV[i] + 2 * XV[i] * YV[i];
        }
        return g;
    }

    private static double[] handGradY() {
        double[] g = new double[3];
        for (int i = 0; i < 3; i++) {
            g[i] = XV[i] + XV[i] * XV[i];
        }
        return g;
    }

    private static double[] diag(double[] d) {
        double[] m = new double[d.length * d.length];
        for (int i = 0; i < d.length; i++) {
            m[i * d.length + i] = d[i];
        }
        return m;
    }

    private static double handValue() {
        double v = 0;
        for (int i = 0; i < 3; i++) {
            v += XV[i] * YV[i] + XV[i] * XV[i] * YV[i];
        }
        return v;
    }

    private static Tensor x() {
        return Tensor.fromArray(XV);
    }

    private static Tensor y() {
        return Tensor.fromArray(YV);
    }

    @Test
    void gradientsWithRespectToChosenArgumentsMatchTheHandDerivatives() {
        Tensor x = x();
        Tensor y = y();
        Autodiff.ValueAndGrad both = Autodiff.valueAndGrad(TransformsArgnumsTest::f, new int[] {0, 1}, x, y);
        assertEquals(handValue(), both.value().item(), 1e-15);
        assertEquals(2, both.grads().length);
        assertArrayEquals(handGradX(), both.grads()[0].toArray(), 1e-15);
        assertArrayEquals(handGradY(), both.grads()[1].toArray(), 1e-15);
        // argnums' order is the order of the results
        Autodiff.ValueAndGrad swapped = Autodiff.valueAndGrad(TransformsArgnumsTest::f, new int[] {1, 0}, x, y);
        assertArrayEquals(handGradY(), swapped.grads()[0].toArray(), 1e-15);
        assertArrayEquals(handGradX(), swapped.grads()[1].toArray(), 1e-15);
        Tensor[] onlyY = Autodiff.grad(TransformsArgnumsTest::f, 1).apply(x, y);
        assertEquals(1, onlyY.length);
        assertArrayEquals(handGradY(), onlyY[0].toArray(), 1e-15);
        assertArrayEquals(handGradX(), Autodiff.grad(TransformsArgnumsTest::f, 0).output(0).apply(x, y).toArray(), 1e-15);
        assertFalse(x.needsGrad() || y.needsGrad(), "the caller's tensors are not marked");
        // the same numbers as the all-inputs form
        Tensor[] all = Autodiff.valueAndGrad(TransformsArgnumsTest::f, x, y).grads();
        assertArrayEquals(all[0].toArray(), both.grads()[0].toArray(), 0.0);
        assertArrayEquals(all[1].toArray(), both.grads()[1].toArray(), 0.0);
    }

    @Test
    void anArgumentNotChosenIsPassedThroughAsAConstant() {
        Tensor x = x();
        Tensor y = y();
        boolean[] seen = new boolean[2];
        Autodiff.valueAndGrad(xs -> {
            seen[0] = xs[1] == y && !xs[1].needsGrad(); // no leaf made, so nothing recorded for it
            seen[1] = xs[0].needsGrad();
            return f(xs);
        }, new int[] {0}, x, y);
        assertTrue(seen[0], "the constant input reaches f unchanged, needing no grad");
        assertTrue(seen[1], "the chosen input is a reverse-mode target");
        // a function independent of the chosen input: a zero gradient of its shape
        Tensor[] g = Autodiff.grad(xs -> xs[1].exp().sum(), 0).apply(Tensor.ones(2, 2), y);
        assertArrayEquals(new int[] {2, 2}, g[0].shape());
        assertArrayEquals(new double[4], g[0].toArray(), 0.0);
    }

    @Test
    void vjpWithArgnumsPullsBackToTheChosenInputsOnly() {
        Tensor x = x();
        Tensor y = y();
        // F(x, y) = x^2 y elementwise: u^T dF/dx = 2 x y u, u^T dF/dy = x^2 u
        Autodiff.Vjp v = Autodiff.vjp(xs -> xs[0].square().mul(xs[1]), new int[] {1}, x, y);
        Tensor u = Tensor.fromArray(new double[] {1, -2, 0.5});
        for (int k = 0; k < 2; k++) { // reusable
            Tensor[] p = v.pullback(u);
            assertEquals(1, p.length);
            assertArrayEquals(new double[] {0.25, -2, 2}, p[0].toArray(), 1e-15);
        }
        Tensor[] p = Autodiff.vjp(xs -> xs[0].square().mul(xs[1]), new int[] {0, 1}, x, y).pullback(u);
        assertArrayEquals(new double[] {1.5, 1, -4}, p[0].toArray(), 1e-15);
        assertArrayEquals(new double[] {0.25, -2, 2}, p[1].toArray(), 1e-15);
    }

    @Test
    void hessianBlocksMatchTheHandHessian() {
        Tensor[][] h = Autodiff.hessian(TransformsArgnumsTest::f, new int[] {0, 1}, x(), y());
        double[] twoY = new double[3];
        double[] onePlus2x = new double[3];
        for (int i = 0; i < 3; i++) {
            twoY[i] = 2 * YV[i];
            onePlus2x[i] = 1 + 2 * XV[i];
        }
        for (Tensor[] row : h) {
            for (Tensor b : row) {
                assertArrayEquals(new int[] {3, 3}, b.shape());
            }
        }
        assertArrayEquals(diag(twoY), h[0][0].toArray(), 1e-15);
        assertArrayEquals(diag(onePlus2x), h[0][1].toArray(), 1e-15);
        assertArrayEquals(diag(onePlus2x), h[1][0].toArray(), 1e-15);
        assertArrayEquals(new double[9], h[1][1].toArray(), 0.0);
        Tensor[][] yOnly = Autodiff.hessian(TransformsArgnumsTest::f, new int[] {1}, x(), y());
        assertEquals(1, yOnly.length);
        assertArrayEquals(new double[9], yOnly[0][0].toArray(), 0.0);
    }

    // ------------------------------------------------ arguments of different shapes, and a constant one

    private static final Tensor A = Tensor.fromArray(new double[] {0.3, -0.7, 1.1, 0.4, 0.9, -0.2}).reshape(2, 3);
    private static final Tensor V = Tensor.fromArray(new double[] {0.8, -0.5, 0.6});
    private static final Tensor C = Tensor.fromArray(new double[] {0.1, -0.3});

    /** F(A, v, c) = tanh(A v + c), shape (2). */
    private static Tensor layer(Tensor... xs) {
        return xs[0].matmul(xs[1]).add(xs[2]).tanh();
    }

    private static Tensor g(Tensor... xs) {
        return layer(xs).sum();
    }

    /** s = tanh(A v + c), d = 1 - s^2 (= ds/dz), d2 = -2 s d (= d^2 s / dz^2). */
    private static double[][] sd() {
        double[] s = new double[2];
        double[] d = new double[2];
        double[] d2 = new double[2];
        for (int k = 0; k < 2; k++) {
            double z = C.get(k);
            for (int l = 0; l < 3; l++) {
                z += A.get(k, l) * V.get(l);
            }
            s[k] = Math.tanh(z);
            d[k] = 1 - s[k] * s[k];
            d2[k] = -2 * s[k] * d[k];
        }
        return new double[][] {s, d, d2};
    }

    @Test
    void jacobianBlocksOfDifferentShapesMatchTheHandJacobianInBothModes() {
        double[] d = sd()[1];
        // dF_k/dc_k' = d_k delta_kk'; dF_k/dA_k'l = d_k delta_kk' v_l; dF_k/dv_m = d_k A_km
        double[] jc = diag(d);
        double[] ja = new double[2 * 2 * 3];
        double[] jv = new double[2 * 3];
        for (int k = 0; k < 2; k++) {
            for (int l = 0; l < 3; l++) {
                ja[(k * 2 + k) * 3 + l] = d[k] * V.get(l);
                jv[k * 3 + l] = d[k] * A.get(k, l);
            }
        }
        int[] argnums = {2, 0, 1};
        Tensor[] rev = Autodiff.jacrev(TransformsArgnumsTest::layer, argnums, A, V, C);
        Tensor[] fwd = Autodiff.jacfwd(TransformsArgnumsTest::layer, argnums, A, V, C);
        int[][] shapes = {{2, 2}, {2, 2, 3}, {2, 3}};
        double[][] hand = {jc, ja, jv};
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(shapes[i], rev[i].shape(), "jacrev block " + i);
            assertArrayEquals(shapes[i], fwd[i].shape(), "jacfwd block " + i);
            assertArrayEquals(hand[i], rev[i].toArray(), 1e-15, "jacrev block " + i);
            assertArrayEquals(hand[i], fwd[i].toArray(), 1e-15, "jacfwd block " + i);
        }
    }

    @Test
    void hessianBlocksOfDifferentShapesMatchTheHandHessianAndAreSymmetric() {
        double[][] sdd = sd();
        double[] d = sdd[1];
        double[] d2 = sdd[2];
        // with z = A v + c: H_AA[k,l,k',l'] = delta_kk' d2_k v_l v_l'; H_Av[k,l,m] = d2_k v_l A_km + d_k delta_lm;
        // H_vv[l,m] = sum_k d2_k A_kl A_km
        double[] haa = new double[36];
        double[] hav = new double[18];
        double[] hvv = new double[9];
        for (int k = 0; k < 2; k++) {
            for (int l = 0; l < 3; l++) {
                for (int m = 0; m < 3; m++) {
                    haa[(k * 3 + l) * 6 + k * 3 + m] = d2[k] * V.get(l) * V.get(m);
                    hav[(k * 3 + l) * 3 + m] = d2[k] * V.get(l) * A.get(k, m) + (l == m ? d[k] : 0);
                    hvv[l * 3 + m] += d2[k] * A.get(k, l) * A.get(k, m);
                }
            }
        }
        Tensor[][] h = Autodiff.hessian(TransformsArgnumsTest::g, new int[] {0, 1}, A, V, C);
        assertArrayEquals(new int[] {2, 3, 2, 3}, h[0][0].shape());
        assertArrayEquals(new int[] {2, 3, 3}, h[0][1].shape());
        assertArrayEquals(new int[] {3, 2, 3}, h[1][0].shape());
        assertArrayEquals(new int[] {3, 3}, h[1][1].shape());
        assertArrayEquals(haa, h[0][0].toArray(), 1e-15);
        assertArrayEquals(hav, h[0][1].toArray(), 1e-15);
        assertArrayEquals(hvv, h[1][1].toArray(), 1e-15);
        // H[i][j] = H[j][i]^T as matrices of (x_i.size(), x_j.size())
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                int ni = i == 0 ? 6 : 3;
                int nj = j == 0 ? 6 : 3;
                Tensor hij = h[i][j].reshape(ni, nj);
                Tensor hjiT = h[j][i].reshape(nj, ni).transpose(0, 1);
                assertTrue(hij.allClose(hjiT, 0, 1e-15), "H[" + i + "][" + j + "] vs H[" + j + "][" + i + "]^T");
            }
        }
        // forward over reverse, reverse over reverse and forward over forward give the same blocks
        FnN grads = Autodiff.grad(TransformsArgnumsTest::g, 0, 1);
        for (int i = 0; i < 2; i++) {
            Tensor[] byRev = Autodiff.jacrev(grads.output(i), new int[] {0, 1}, A, V, C);
            Tensor[] byFwd = Autodiff.jacfwd(grads.output(i), new int[] {0, 1}, A, V, C);
            for (int j = 0; j < 2; j++) {
                assertTrue(h[i][j].allClose(byRev[j], 0, 1e-15), "jacrev(grad) block " + i + j);
                assertTrue(h[i][j].allClose(byFwd[j], 0, 1e-15), "jacfwd(grad) block " + i + j);
            }
        }
    }

    /** Central differences of g (one element) along input k, shape g.shape + xs[k].shape. */
    private static double[] centralDifferences(Fn fn, Tensor[] xs, int k) {
        double eps = 1e-6;
        int n = xs[k].size();
        Tensor y0 = fn.apply(xs);
        int m = y0.size();
        double[] out = new double[m * n];
        for (int e = 0; e < n; e++) {
            double[] plus = xs[k].toArray();
            double[] minus = xs[k].toArray();
            plus[e] += eps;
            minus[e] -= eps;
            Tensor[] xp = xs.clone();
            Tensor[] xm = xs.clone();
            xp[k] = Tensor.fromArray(plus).reshape(xs[k].shape());
            xm[k] = Tensor.fromArray(minus).reshape(xs[k].shape());
            double[] fp = fn.apply(xp).toArray();
            double[] fm = fn.apply(xm).toArray();
            for (int r = 0; r < m; r++) {
                out[r * n + e] = (fp[r] - fm[r]) / (2 * eps);
            }
        }
        return out;
    }

    @Test
    void gradientsAndHessianBlocksAgreeWithFiniteDifferences() {
        Tensor[] xs = {A, V, C};
        int[] argnums = {1, 2, 0};
        Tensor[] grads = Autodiff.valueAndGrad(TransformsArgnumsTest::g, argnums, xs).grads();
        Tensor[][] h = Autodiff.hessian(TransformsArgnumsTest::g, argnums, xs);
        FnN gradFn = Autodiff.grad(TransformsArgnumsTest::g, argnums);
        for (int i = 0; i < argnums.length; i++) {
            assertArrayEquals(centralDifferences(TransformsArgnumsTest::g, xs, argnums[i]), grads[i].toArray(), 1e-9,
                    "gradient " + i);
            for (int j = 0; j < argnums.length; j++) {
                // H[i][j][c, e] = d grad_i[c] / d x_j[e]
                assertArrayEquals(centralDifferences(gradFn.output(i), xs, argnums[j]), h[i][j].toArray(), 1e-8,
                        "H[" + i + "][" + j + "]");
            }
            // and GradCheck differentiates each gradient function in both modes (forward over reverse, reverse over reverse)
            GradCheck.of(gradFn.output(i)).check(xs);
        }
        GradCheck.of(xs2 -> Autodiff.valueAndGrad(TransformsArgnumsTest::g, new int[] {0}, xs2).value()).checkSecondOrder(xs);
    }

    @Test
    void theSeveralArgumentFormsAgreeWithTheOneTensorForms() {
        Tensor x = Tensor.fromArray(new double[] {0.5, -1.0, 2.0, 0.25});
        java.util.function.Function<Tensor, Tensor> one = t -> t.slice(0, 0, 3).square().mul(t.slice(0, 1, 4)).tanh().sum();
        Fn many = xs -> one.apply(xs[0]);
        Tensor h1 = Autodiff.hessian(one, x);
        assertArrayEquals(h1.toArray(), Autodiff.hessian(many, new int[] {0}, x)[0][0].toArray(), 0.0);
        java.util.function.Function<Tensor, Tensor> vec = t -> t.exp().mul(t.sum());
        Fn vecMany = xs -> vec.apply(xs[0]);
        assertArrayEquals(Autodiff.jacrev(vec, x).toArray(), Autodiff.jacrev(vecMany, new int[] {0}, x)[0].toArray(), 0.0);
        assertArrayEquals(Autodiff.jacfwd(vec, x).toArray(), Autodiff.jacfwd(vecMany, new int[] {0}, x)[0].toArray(), 0.0);
        assertArrayEquals(Autodiff.gradient(one).apply(x).toArray(), Autodiff.grad(many, 0).apply(x)[0].toArray(), 0.0);
    }

    // ------------------------------------------------ nesting

    @Test
    void gradWithArgnumsUnderAnOuterReversePass() {
        Tensor x = x().requiresGrad();
        Tensor y = y().requiresGrad();
        // grad_x f = y + 2 x y; d/dx sum(grad_x f) = 2 y, d/dy sum(grad_x f) = 1 + 2 x (through the constant y)
        Tensor gx = Autodiff.valueAndGrad(TransformsArgnumsTest::f, new int[] {0}, x, y).grads()[0];
        assertTrue(gx.needsGrad(), "the gradient is recorded for the outer pass");
        Tensor[] outer = Autodiff.grad(gx.sum(), x, y);
        for (int i = 0; i < 3; i++) {
            assertEquals(2 * YV[i], outer[0].get(i), 1e-15);
            assertEquals(1 + 2 * XV[i], outer[1].get(i), 1e-15);
        }
        // the same with y alone needing grad outside: the chosen x is a fresh leaf, y is the outer pass's
        Tensor y2 = y().requiresGrad();
        Tensor gx2 = Autodiff.grad(TransformsArgnumsTest::f, 0).apply(x(), y2)[0];
        assertArrayEquals(new double[] {2, -1, 5}, Autodiff.grad(gx2.sum(), y2)[0].toArray(), 1e-15);
        // vjp with argnums under an outer pass: u^T d(x^2 y)/dy = x^2 u, whose gradient in x is 2 x u
        Tensor x3 = x().requiresGrad();
        Tensor u = Tensor.fromArray(new double[] {1, -2, 0.5});
        Tensor p = Autodiff.vjp(xs -> xs[0].square().mul(xs[1]), new int[] {1}, x3, y()).pullback(u)[0];
        assertArrayEquals(new double[] {1, 4, 2}, Autodiff.grad(p.sum(), x3)[0].toArray(), 1e-15);
    }

    @Test
    void gradWithArgnumsNestedInsideJvp() {
        Tensor v = Tensor.fromArray(new double[] {1, 2, -1});
        Fn gradX = Autodiff.grad(TransformsArgnumsTest::f, 0).output(0);
        // tangent on y only: H_xy v = (1 + 2x) v; on x only: H_xx v = 2 y v
        Tensor alongY = Autodiff.jvp(gradX, new Tensor[] {x(), y()}, new Tensor[] {null, v}).tangent();
        Tensor alongX = Autodiff.jvp(gradX, new Tensor[] {x(), y()}, new Tensor[] {v, null}).tangent();
        for (int i = 0; i < 3; i++) {
            assertEquals((1 + 2 * XV[i]) * v.get(i), alongY.get(i), 1e-15);
            assertEquals(2 * YV[i] * v.get(i), alongX.get(i), 1e-15);
        }
        // vjp with argnums inside jvp: d/dx [u^T d(x^2 y)/dy] along v = 2 x u v
        Tensor u = Tensor.fromArray(new double[] {1, -2, 0.5});
        Tensor t = Autodiff.jvp(xs -> Autodiff.vjp(ys -> ys[0].square().mul(ys[1]), new int[] {1}, xs).pullback(u)[0],
                new Tensor[] {x(), y()}, new Tensor[] {v, null}).tangent();
        assertArrayEquals(new double[] {1, 8, -2}, t.toArray(), 1e-15);
        // and a batched tangent (the Hessian's way): rows of H_xy
        Tensor rows = Autodiff.jvp(gradX, new Tensor[] {x(), y()}, new Tensor[] {null, Tensor.eye(3)}).tangent();
        assertArrayEquals(diag(new double[] {2, -1, 5}), rows.toArray(), 1e-15);
    }

    @Test
    void jvpWithEveryTangentMissingHasAZeroTangent() {
        Autodiff.Jvp r = Autodiff.jvp(TransformsArgnumsTest::layer, new Tensor[] {A, V, C}, new Tensor[3]);
        assertArrayEquals(layer(A, V, C).toArray(), r.value().toArray(), 0.0);
        assertArrayEquals(new int[] {2}, r.tangent().shape());
        assertArrayEquals(new double[2], r.tangent().toArray(), 0.0);
        // one batched tangent beside missing ones: the batch prefix is kept
        Autodiff.Jvp b = Autodiff.jvp(TransformsArgnumsTest::layer, new Tensor[] {A, V, C},
                new Tensor[] {null, Tensor.eye(3), null});
        assertArrayEquals(new int[] {3, 2}, b.tangent().shape());
    }

    @Test
    void emptyArgumentsGiveEmptyBlocks() {
        // f(e, y) = sum(e) sum(y^2) with e empty: every block has a zero-sized dimension, H_yy = 2 sum(e) I = 0
        Fn h = xs -> xs[0].sum().mul(xs[1].square().sum());
        Tensor[][] blocks = Autodiff.hessian(h, new int[] {0, 1}, Tensor.zeros(0), y());
        assertArrayEquals(new int[] {0, 0}, blocks[0][0].shape());
        assertArrayEquals(new int[] {0, 3}, blocks[0][1].shape());
        assertArrayEquals(new int[] {3, 0}, blocks[1][0].shape());
        assertArrayEquals(new double[9], blocks[1][1].toArray(), 0.0);
        assertArrayEquals(new int[] {3, 0}, Autodiff.jacrev(xs -> xs[1].mul(xs[0].sum()), new int[] {0}, Tensor.zeros(0), y())[0].shape());
    }

    // ------------------------------------------------ errors

    private static void assertFails(Class<? extends Throwable> type, Executable call, String... fragments) {
        Throwable e = assertThrows(type, call);
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), "expected \"" + s + "\" in: " + e.getMessage());
        }
    }

    @Test
    void badArgnumsAreReportedByTheTransform() {
        Fn fn = TransformsArgnumsTest::f;
        Tensor x = x();
        Tensor y = y();
        assertFails(IllegalArgumentException.class, () -> Autodiff.grad(fn), "grad:", "argnums is empty");
        assertFails(IllegalArgumentException.class, () -> Autodiff.grad(fn, -1), "grad:", "argnums[0] = -1");
        assertFails(IllegalArgumentException.class, () -> Autodiff.grad(fn, 0, 1, 0), "grad:", "input 0 twice");
        assertFails(IllegalArgumentException.class, () -> Autodiff.grad(fn, 0, 2).apply(x, y), "grad:", "argnums[1] = 2",
                "2 inputs");
        assertFails(IllegalArgumentException.class, () -> Autodiff.valueAndGrad(fn, new int[0], x, y), "valueAndGrad:", "empty");
        assertFails(NullPointerException.class, () -> Autodiff.valueAndGrad(fn, (int[]) null, x, y), "valueAndGrad:", "argnums");
        assertFails(IllegalArgumentException.class, () -> Autodiff.vjp(fn, new int[] {3}, x, y), "vjp:", "argnums[0] = 3");
        assertFails(IllegalArgumentException.class, () -> Autodiff.jacrev(fn, new int[] {1, 1}, x, y), "jacrev:", "twice");
        assertFails(IllegalArgumentException.class, () -> Autodiff.jacfwd(fn, new int[] {0, 5}, x, y), "jacfwd:", "argnums[1] = 5");
        assertFails(IllegalArgumentException.class, () -> Autodiff.hessian(fn, new int[] {}, x, y), "hessian:", "empty");
        assertFails(IllegalArgumentException.class, () -> Autodiff.hessian(fn, new int[] {2}, x, y), "hessian:", "out of range");
        assertFails(NullPointerException.class, () -> Autodiff.jacfwd(fn, new int[] {0}, x, null), "jacfwd:", "input 1");
    }

    @Test
    void aFunctionReturningNullOrANonScalarIsReportedByTheTransform() {
        Tensor x = x();
        Tensor y = y();
        assertFails(NullPointerException.class, () -> Autodiff.grad(xs -> null, 0).apply(x, y), "grad:", "returned null");
        assertFails(NullPointerException.class, () -> Autodiff.vjp(xs -> null, new int[] {0}, x, y), "vjp:", "returned null");
        assertFails(IllegalArgumentException.class, () -> Autodiff.grad(xs -> xs[0].mul(xs[1]), 0).apply(x, y), "grad:",
                "[3]", "one element");
        assertFails(IllegalArgumentException.class, () -> Autodiff.valueAndGrad(xs -> xs[1].exp(), new int[] {0}, x, y),
                "valueAndGrad:", "[3]");
        assertFails(IllegalArgumentException.class, () -> Autodiff.hessian(TransformsArgnumsTest::layer, new int[] {1}, A, V, C),
                "hessian:", "[2]");
        assertFails(IllegalArgumentException.class, () -> Autodiff.grad(TransformsArgnumsTest::f, 0).output(1).apply(x, y),
                "output:", "1 results");
    }
}
