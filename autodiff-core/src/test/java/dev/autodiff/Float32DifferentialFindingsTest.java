package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * What the float32 programs of autodiff-nn's DifferentialTest found, each reduced to its smallest case: results,
 * tangents and Jacobians that came back float64 for float32 inputs. A float32 op's results, gradients and tangents
 * are float32 (DType's rule, as PyTorch's); the values here are worked out by hand (all exact in float32 but the
 * roots, checked to a float32 tolerance).
 */
class Float32DifferentialFindingsTest {
    private static Tensor f32(float... v) {
        return Tensor.fromArray(v);
    }

    private static Tensor f32Scalar(double v) {
        return Tensor.scalar(v).to(DType.FLOAT32);
    }

    private static void assertFloat32(float[] expected, Tensor actual, double tol, String what) {
        assertEquals(DType.FLOAT32, actual.dtype(), what + ": dtype");
        float[] a = actual.toFloatArray();
        assertEquals(expected.length, a.length, what + ": size");
        for (int i = 0; i < a.length; i++) {
            assertEquals(expected[i], a[i], tol * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }

    /** A general-p norm read its 0-d constants as float64: float64 once x or the reduced sum was 0-d. */
    @Test
    void generalPNormOfAFloat32ScalarOrOverAllAxesIsFloat32() {
        // (3^3 + 4^3)^(1/3) = 91^(1/3)
        assertFloat32(new float[] {(float) Math.cbrt(91)}, f32(3, 4).norm(3.0, false), 1e-6, "norm over all axes");
        assertFloat32(new float[] {2}, f32Scalar(-2).norm(3.0, false), 1e-6, "norm of a 0-d tensor");
        assertFloat32(new float[] {(float) Math.cbrt(91)}, Linalg.vectorNorm(f32(3, -4), 3.0, null, false), 1e-6,
                "vectorNorm");
        // and its gradient, x |x|^(p-2) / norm^(p-1): 9 / 91^(2/3), -16 / 91^(2/3)
        Tensor x = f32(3, -4).requiresGrad();
        double d = Math.pow(91, 2.0 / 3);
        assertFloat32(new float[] {(float) (9 / d), (float) (-16 / d)}, Autodiff.grad(x.norm(3.0, false), x)[0], 1e-6,
                "norm's gradient");
    }

    /** inv solved against a float64 identity: float64. */
    @Test
    void invOfFloat32IsFloat32() {
        Tensor a = Tensor.fromArray(new float[] {2, 0, 0, 4}, 2, 2);
        assertFloat32(new float[] {0.5f, 0, 0, 0.25f}, Linalg.inv(a), 0, "inv");
        Tensor x = a.requiresGrad();
        // d/dA sum(A^-1) = -A^-T 1 1^T A^-T: -[[1/4, 1/8], [1/8, 1/16]]
        assertFloat32(new float[] {-0.25f, -0.125f, -0.125f, -0.0625f}, Autodiff.grad(Linalg.inv(x).sum(), x)[0], 1e-6,
                "inv's gradient");
    }

    /** eigvalsh without anything to differentiate took a float64-only path. */
    @Test
    void eigvalshWithoutGradIsFloat32() {
        Tensor a = Tensor.fromArray(new float[] {2, 1, 1, 2}, 2, 2);
        assertFloat32(new float[] {1, 3}, Linalg.eigvalsh(a), 1e-6, "eigvalsh");
        assertFloat32(new float[] {1, 3}, Linalg.eigvalsh(a.requiresGrad()), 1e-6, "eigvalsh with grad");
    }

    /** median() combined the 0-d sum with a 0-d float64 shift and count. */
    @Test
    void medianOfFloat32IsFloat32() {
        assertFloat32(new float[] {2}, f32(3, 1, 2, 2, 5).median(), 0, "median");
        Tensor x = f32(3, 1, 2, 2, 5).requiresGrad();
        // two elements tie at the median: the gradient shared, 1/2 each
        assertFloat32(new float[] {0, 0, 0.5f, 0.5f, 0}, Autodiff.grad(x.median(), x)[0], 0, "median's gradient");
    }

    /** jvp of a function whose result does not depend on the tangents returned a float64 zero tangent. */
    @Test
    void aZeroTangentHasItsPrimalsDtype() {
        Tensor x = f32(-1, 2);
        Autodiff.Jvp j = Autodiff.jvp(v -> v.gt(0.0), x, f32(1, 1));
        assertFloat32(new float[] {0, 1}, j.value(), 0, "value");
        assertFloat32(new float[] {0, 0}, j.tangent(), 0, "tangent");
        Tensor batched = Autodiff.jvp(v -> v.floor(), x, Tensor.fromArray(new float[] {1, 1, 2, 2, 3, 3}, 3, 2)).tangent();
        assertArrayEquals(new int[] {3, 2}, batched.shape());
        assertFloat32(new float[6], batched, 0, "batched tangent");
    }

    /**
     * jacrev and jacfwd of float32 functions (their seeds and basis tangents, made float64, are converted: a
     * cotangent or tangent takes its primal's dtype), and over no elements, where they made float64 zeros.
     */
    @Test
    void jacobiansAndHessiansOfFloat32AreFloat32() {
        Tensor x = f32(1, 2);
        java.util.function.Function<Tensor, Tensor> square = v -> v.mul(v);
        float[] jac = {2, 0, 0, 4};
        assertFloat32(jac, Autodiff.jacrev(square, x), 0, "jacrev");
        assertFloat32(jac, Autodiff.jacfwd(square, x), 0, "jacfwd");
        assertFloat32(jac, Autodiff.jacfwd(square, x, false), 0, "jacfwd unbatched");
        // sum(x^3): Hessian diag(6 x)
        assertFloat32(new float[] {6, 0, 0, 12}, Autodiff.hessian(v -> v.pow(3.0).sum(), x), 0, "hessian");
        Fn product = xs -> xs[0].mul(xs[1]);
        Tensor y = f32(3, 5);
        assertFloat32(new float[] {3, 0, 0, 5}, Autodiff.jacrev(product, new int[] {0}, x, y)[0], 0, "jacrev argnums");
        assertFloat32(new float[] {3, 0, 0, 5}, Autodiff.jacfwd(product, new int[] {0}, x, y)[0], 0, "jacfwd argnums");
        // d^2 sum(x y) / dx dy = I
        assertFloat32(new float[] {1, 0, 0, 1}, Autodiff.hessian(xs -> xs[0].mul(xs[1]).sum(), new int[] {0, 1}, x, y)[0][1],
                0, "hessian argnums");
        // empty: an output without elements (jacrev), an input without elements (jacfwd)
        Tensor none = Autodiff.jacrev(v -> v.slice(0, 0, 0), x);
        assertArrayEquals(new int[] {0, 2}, none.shape());
        assertEquals(DType.FLOAT32, none.dtype(), "jacrev of an empty output");
        assertEquals(DType.FLOAT32, Autodiff.jacrev(product, new int[] {1}, x.slice(0, 0, 0), y.slice(0, 0, 0))[0].dtype(),
                "jacrev argnums of an empty output");
        Tensor empty = Autodiff.jacfwd(v -> v.sum().add(1.0), Tensor.zeros(DType.FLOAT32, 0));
        assertArrayEquals(new int[] {0}, empty.shape());
        assertEquals(DType.FLOAT32, empty.dtype(), "jacfwd of an empty input");
    }

    /** vmap over an empty batch, for an op without a batching rule, made a float64 result. */
    @Test
    void vmapOverAnEmptyBatchKeepsFloat32() {
        CustomOp twice = CustomOp.of("twice", xs -> xs[0].mul(2.0), (i, g, xs, out) -> g.mul(2.0), null);
        Tensor y = Autodiff.vmap(xs -> twice.apply(xs[0])).apply(Tensor.zeros(DType.FLOAT32, 0, 3));
        assertArrayEquals(new int[] {0, 3}, y.shape());
        assertEquals(DType.FLOAT32, y.dtype());
    }

    /** A custom op's jvp rule was handed float64 zeros for a float32 input without a tangent. */
    @Test
    void aCustomOpsMissingTangentIsAFloat32Zero() {
        DType[] seen = new DType[1];
        CustomOp product = CustomOp.of("product", xs -> xs[0].mul(xs[1]),
                (i, g, xs, out) -> g.mul(xs[1 - i]),
                (xs, ts, out) -> {
                    seen[0] = ts[1].dtype();
                    return ts[0].mul(xs[1]).add(xs[0].mul(ts[1]));
                });
        Tensor t = Autodiff.jvp(xs -> product.apply(xs), new Tensor[] {f32(1, 2), f32(3, 5)}, new Tensor[] {f32(1, 1), null})
                .tangent();
        assertFloat32(new float[] {3, 5}, t, 0, "custom op tangent");
        assertEquals(DType.FLOAT32, seen[0], "the zero tangent the rule saw for the input without one");
    }

    /** qr in mode "r" returned a float64 empty Q. */
    @Test
    void qrModeRsEmptyQIsFloat32() {
        Linalg.QR qr = Linalg.qr(Tensor.fromArray(new float[] {3, 0, 4, 5}, 2, 2), "r");
        assertEquals(DType.FLOAT32, qr.q().dtype(), "Q");
        // A = [[3, 0], [4, 5]]: R's diagonal +-5 (the first column's norm) and +-3 (|det A| = 15)
        assertEquals(DType.FLOAT32, qr.r().dtype(), "R");
        assertEquals(5.0, Math.abs(qr.r().get(0, 0)), 1e-6);
        assertEquals(3.0, Math.abs(qr.r().get(1, 1)), 1e-6);
    }
}
