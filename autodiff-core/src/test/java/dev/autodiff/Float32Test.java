package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * float32 through every primitive: PrimitiveGradTest's cases (which cover every primitive kind, a count the last
 * test enforces) run on their inputs rounded to float32. The oracle for values and gradients is the same function
 * in float64 on the same (rounded) inputs: each float32 op computes the float64 result and rounds it once (exp, expm1,
 * log, tanh and sigmoid: their float kernels, within 1 ulp of it), so the two differ only by the roundings of the
 * intermediate results (a few float32 ulps, times the conditioning).
 * GradCheck then checks the float32 derivatives against float64 finite differences, in both modes, to second order.
 */
class Float32Test {
    private static final double TOL = 2e-5;

    static java.util.stream.Stream<PrimitiveGradTest.Case> cases() {
        return PrimitiveGradTest.cases();
    }

    private static Tensor[] rounded(Tensor[] xs, DType dtype) {
        Tensor[] out = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = xs[i].to(DType.FLOAT32).to(dtype).detach().requiresGrad();
        }
        return out;
    }

    private static void assertNear(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        double scale = 0;
        for (double v : e) {
            scale = Double.isFinite(v) ? Math.max(scale, Math.abs(v)) : scale;
        }
        for (int i = 0; i < e.length; i++) {
            boolean same = e[i] == a[i] || (Double.isNaN(e[i]) && Double.isNaN(a[i]));
            assertTrue(same || Math.abs(e[i] - a[i]) <= tol * (1 + scale),
                    what + " at " + i + ": float32 " + a[i] + " vs float64 " + e[i] + " (scale " + scale + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void valuesAndGradientsAgreeWithFloat64(PrimitiveGradTest.Case c) {
        Tensor[] x32 = rounded(c.inputs(), DType.FLOAT32);
        Tensor[] x64 = rounded(c.inputs(), DType.FLOAT64);
        Tensor y32 = c.fn().apply(x32);
        Tensor y64 = c.fn().apply(x64);
        assertEquals(y64.dtype() == DType.FLOAT64 && !promotes(c) ? DType.FLOAT32 : y64.dtype(), y32.dtype(),
                c + ": the dtype of the result");
        // the float64 result rounded once: so an overflow to infinity in float32 is expected where float64 has a
        // number beyond float32's range
        assertNear(y64.to(y32.dtype()), y32, TOL, c + ": value");
        if (!y32.needsGrad()) {
            return;
        }
        Tensor r = Tensor.randn(7, y64.shape());
        Tensor[] g32 = Autodiff.grad(y32.mul(r.to(y32.dtype())).sum(), x32);
        Tensor[] g64 = Autodiff.grad(y64.mul(r).sum(), x64);
        for (int i = 0; i < g32.length; i++) {
            assertEquals(DType.FLOAT32, g32[i].dtype(), c + ": a gradient has its input's dtype");
            assertNear(g64[i].to(DType.FLOAT32), g32[i], 10 * TOL, c + ": gradient " + i);
        }
    }

    /** Cases whose function makes float64 constants with dimensions, which promote (as they would in PyTorch). */
    private static boolean promotes(PrimitiveGradTest.Case c) {
        return c.name().startsWith("to(float64)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradcheckOnTheFloat32Path(PrimitiveGradTest.Case c) {
        Tensor[] x32 = new Tensor[c.inputs().length];
        for (int i = 0; i < x32.length; i++) {
            x32[i] = c.inputs()[i].to(DType.FLOAT32);
        }
        GradCheck g = GradCheck.of(c.fn()).tolerance(1e-4, 1e-3).seed(11);
        g.check(x32);
        g.checkSecondOrder(x32);
    }

    @Test
    void everyPrimitiveKindRunsInFloat32() {
        Set<Primitive.Kind> covered = EnumSet.noneOf(Primitive.Kind.class);
        cases().forEach(c -> {
            Tensor y = c.fn().apply(rounded(c.inputs(), DType.FLOAT32));
            if (y.op != null) {
                for (Tensor t : Backprop.postOrder("test", y)) {
                    covered.add(t.op.kind);
                }
            }
        });
        Set<Primitive.Kind> missing = EnumSet.allOf(Primitive.Kind.class);
        missing.removeAll(covered);
        assertTrue(missing.isEmpty(), "primitive kinds never run on float32 inputs: " + missing);
    }

    /**
     * The one-pass float32 loops (chunks widened, rounded back; plain float loops for the exact ops) give the bits of
     * the float64 op on the widened array, rounded: across chunk and vector-loop boundaries and above the threading
     * threshold. exp, expm1, log, tanh and sigmoid have float kernels instead (kernel.Transcendentals32, whose accuracy
     * TranscendentalsFloat32Test measures): within 1 ulp of that, and each element the bits of the op on it alone
     * (the scalar form) whatever path the array took.
     */
    @Test
    void elementwiseLoopsRoundTheFloat64Result() {
        for (int n : new int[] {1, 63, 1023, 1025, 70_001}) {
            Tensor x = Tensor.randn(n, DType.FLOAT32, n);
            Tensor y = Tensor.rand(n + 1, DType.FLOAT32, n).add(0.5);
            Tensor x64 = x.to(DType.FLOAT64);
            Tensor y64 = y.to(DType.FLOAT64);
            assertFloatKernel("exp", Tensor::exp, x, n);
            assertFloatKernel("tanh", Tensor::tanh, x.mul(3), n);
            assertFloatKernel("sigmoid", Tensor::sigmoid, x.mul(10), n);
            assertFloatKernel("log", Tensor::log, y, n);
            assertFloatKernel("expm1", Tensor::expm1, x, n);
            assertArrayEquals(x64.erf().toFloatArray(), x.erf().toFloatArray(), "erf, n = " + n);
            assertArrayEquals(x64.relu().toFloatArray(), x.relu().toFloatArray(), "relu, n = " + n);
            assertArrayEquals(y64.sqrt().toFloatArray(), y.sqrt().toFloatArray(), "sqrt, n = " + n);
            assertArrayEquals(y64.reciprocal().toFloatArray(), y.reciprocal().toFloatArray(), "reciprocal, n = " + n);
            assertArrayEquals(x64.mul(3).floor().toFloatArray(), x.mul(3).floor().toFloatArray(), "floor, n = " + n);
            assertArrayEquals(x64.mul(y64).toFloatArray(), x.mul(y).toFloatArray(), "mul, n = " + n);
            assertArrayEquals(x64.div(y64).toFloatArray(), x.div(y).toFloatArray(), "div, n = " + n);
            assertArrayEquals(y64.pow(x64).toFloatArray(), y.pow(x).toFloatArray(), "pow, n = " + n);
            assertArrayEquals(x64.sub(0.1).toFloatArray(), x.sub(0.1).toFloatArray(), "sub a scalar, n = " + n);
            assertArrayEquals(x64.rsub(0.1).toFloatArray(), x.rsub(0.1).toFloatArray(), "a scalar minus, n = " + n);
            // a scalar float32 holds exactly takes the float loops, as do two arrays: the same bits
            assertArrayEquals(x64.mul(0.5).add(y64).toFloatArray(), x.mul(0.5).add(y).toFloatArray(), "float loops, n = " + n);
            Tensor twoMinusY = y64.rsub(2).to(DType.FLOAT32).to(DType.FLOAT64); // each op's result is rounded
            assertArrayEquals(twoMinusY.div(x64).toFloatArray(), y.rsub(2).div(x).toFloatArray(), "float loops, n = " + n);
            assertEquals(DType.FLOAT32, x.mul(y).dtype());
        }
    }

    /** op on float32 x: within 1 ulp of op in float64 rounded, and elementwise the bits of op on each element alone. */
    private static void assertFloatKernel(String name, java.util.function.UnaryOperator<Tensor> op, Tensor x, int n) {
        float[] got = op.apply(x).toFloatArray();
        float[] want = op.apply(x.to(DType.FLOAT64)).toFloatArray();
        float[] xs = x.toFloatArray();
        for (int i = 0; i < n; i++) {
            float alone = op.apply(Tensor.fromArray(new float[] {xs[i]})).toFloatArray()[0];
            if (Float.floatToIntBits(alone) != Float.floatToIntBits(got[i]) || Math.abs(want[i] - got[i]) > Math.ulp(want[i])) {
                assertEquals(want[i], got[i], Math.ulp(want[i]), name + "(" + xs[i] + "), n = " + n);
                assertEquals(alone, got[i], 0f, name + "(" + xs[i] + ") alone, n = " + n);
            }
        }
    }

    /** The one-pass float32 vjps of the unary ops give the bits of their rules composed in float32 (createGraph). */
    @Test
    void fusedFloat32VjpsMatchTheComposedRules() {
        java.util.Map<String, java.util.function.UnaryOperator<Tensor>> ops = new java.util.LinkedHashMap<>();
        ops.put("relu", Tensor::relu);
        ops.put("tanh", Tensor::tanh);
        ops.put("sigmoid", Tensor::sigmoid);
        ops.put("log", t -> t.abs().add(0.25).log());
        ops.put("sqrt", t -> t.abs().add(0.25).sqrt());
        ops.put("reciprocal", t -> t.abs().add(0.25).reciprocal());
        for (var e : ops.entrySet()) {
            Tensor x = Tensor.randn(5, DType.FLOAT32, 3000).requiresGrad();
            Tensor g = Tensor.randn(6, DType.FLOAT32, 3000);
            Tensor fused = Autodiff.grad(e.getValue().apply(x), g, false, false, x)[0];
            Tensor composed = Autodiff.grad(e.getValue().apply(x), g, true, true, x)[0];
            assertEquals(DType.FLOAT32, fused.dtype());
            assertArrayEquals(composed.toFloatArray(), fused.toFloatArray(), e.getKey());
        }
    }

    /** The linear algebra takes float32 too (its float64 kernels on the widened values, rounded once). */
    @Test
    void linearAlgebraInFloat32() {
        Tensor a64 = Tensor.randn(8, 2, 4, 4).add(Tensor.eye(4).mul(4.0));
        Tensor b64 = Tensor.randn(9, 2, 4, 3);
        Tensor a = a64.to(DType.FLOAT32).requiresGrad();
        Tensor b = b64.to(DType.FLOAT32);
        Tensor x = Linalg.solve(a, b);
        assertEquals(DType.FLOAT32, x.dtype());
        assertNear(Linalg.solve(a.to(DType.FLOAT64), b.to(DType.FLOAT64)).to(DType.FLOAT32), x, TOL, "solve");
        Tensor g = Autodiff.grad(x.sum(), a)[0];
        assertEquals(DType.FLOAT32, g.dtype());
        Linalg.SVD svd = Linalg.svd(a.detach(), false);
        assertEquals(DType.FLOAT32, svd.s().dtype());
        assertNear(Linalg.svdvals(a64.to(DType.FLOAT32).to(DType.FLOAT64)).to(DType.FLOAT32), svd.s(), TOL, "svdvals");
        assertEquals(DType.FLOAT32, Linalg.eigh(a.detach().add(a.detach().transpose(-2, -1))).eigenvalues().dtype());
    }

    /** Movement ops pick float32 elements as they are: the same values as from the float64 copy, in float32. */
    @Test
    void movementOpsPickFloat32ElementsAsTheyAre() {
        Tensor x = Tensor.randn(12, DType.FLOAT32, 50, 40);
        Tensor x64 = x.to(DType.FLOAT64);
        Tensor idx = Tensor.fromArray(new double[] {3, 0, 49, 3}, 4);
        assertArrayEquals(x64.indexSelect(0, 3, 0, 49, 3).toFloatArray(), x.indexSelect(0, 3, 0, 49, 3).toFloatArray());
        assertArrayEquals(x64.slice(1, 2, 40, 3).toFloatArray(), x.slice(1, 2, 40, 3).toFloatArray());
        assertArrayEquals(x64.transpose(0, 1).toFloatArray(), x.transpose(0, 1).toFloatArray());
        assertArrayEquals(x64.pad(new int[] {1, 0}, new int[] {0, 2}, 0).toFloatArray(),
                x.pad(new int[] {1, 0}, new int[] {0, 2}, 0).toFloatArray());
        Tensor g = x.gather(0, idx.reshape(4, 1).broadcastTo(4, 40));
        assertEquals(DType.FLOAT32, g.dtype());
        assertArrayEquals(x64.gather(0, idx.reshape(4, 1).broadcastTo(4, 40)).toFloatArray(), g.toFloatArray());
    }

    // ================================================================================ the dtype itself

    @Test
    void promotionAsTorchResultType() {
        Tensor a = Tensor.ones(DType.FLOAT32, 3);
        Tensor b = Tensor.ones(3);
        assertEquals(DType.FLOAT64, a.add(b).dtype(), "float32 with float64 tensors");
        assertEquals(DType.FLOAT32, a.mul(2.0).dtype(), "a Java double does not promote");
        assertEquals(DType.FLOAT32, a.add(Tensor.scalar(2.0)).dtype(), "nor does a 0-d float64 tensor");
        assertEquals(DType.FLOAT64, Tensor.scalar(1.0).add(Tensor.ones(DType.FLOAT32)).dtype(),
                "0-d operands alone promote among themselves");
        assertEquals(DType.FLOAT32, a.gt(0.5).dtype(), "a comparison's mask has the operands' dtype");
        assertEquals(DType.FLOAT32, Tensor.where(b, a, a).dtype(), "where's condition does not take part");
        assertEquals(DType.FLOAT64, a.argmax(0).dtype(), "indices stay float64 (exact above 2^24)");
        assertEquals(DType.FLOAT32, a.reshape(3, 1).dtype());
        assertEquals(DType.FLOAT32, a.sort(0, false).values().dtype());
        assertEquals(DType.FLOAT32, a.matmul(a).dtype());
    }

    @Test
    void conversionRoundsAndItsGradientConvertsBack() {
        Tensor x = Tensor.fromArray(new double[] {0.1, 1.0 / 3, 1e300, -1e-50}, 4).requiresGrad();
        Tensor y = x.to(DType.FLOAT32);
        assertArrayEquals(new float[] {0.1f, 1.0f / 3, Float.POSITIVE_INFINITY, -0.0f}, y.toFloatArray());
        assertEquals((double) 0.1f, y.toArray()[0], 0.0);
        assertSame(y, y.to(DType.FLOAT32), "to() the same dtype is the tensor itself");
        Tensor g = Autodiff.grad(y.mul(Tensor.fromArray(new float[] {1, 2, 3, 4})).sum(), x)[0];
        assertEquals(DType.FLOAT64, g.dtype());
        assertArrayEquals(new double[] {1, 2, 3, 4}, g.toArray(), 0.0);
        // forward mode: the tangent converts as the value does
        Tensor t = Autodiff.jvp(v -> v.to(DType.FLOAT32), x.detach(), Tensor.fromArray(new double[] {0.1, 1, 1, 1}, 4)).tangent();
        assertEquals(DType.FLOAT32, t.dtype());
        assertEquals(0.1f, t.toFloatArray()[0]);
    }

    @Test
    void factoriesAndAccessors() {
        Tensor x = Tensor.fromArray(new float[] {1.5f, -2f, 0.25f, 3f}, 2, 2);
        assertEquals(DType.FLOAT32, x.dtype());
        assertEquals(-2.0, x.get(0, 1), 0.0);
        assertEquals(4, x.size());
        assertEquals(2.75, x.sum().item(), 0.0);
        assertTrue(x.toString().contains("dtype=float32"), x.toString());
        assertEquals(DType.FLOAT32, Tensor.zeros(DType.FLOAT32, 2, 3).dtype());
        assertEquals(DType.FLOAT32, Tensor.randn(3, DType.FLOAT32, 4).dtype());
        assertArrayEquals(Tensor.randn(3, 4).toFloatArray(), Tensor.randn(3, DType.FLOAT32, 4).toFloatArray());
        assertEquals(DType.FLOAT64, Tensor.zeros(2).dtype(), "float64 stays the default");
        assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new float[3], 2, 2));
        NullPointerException e = assertThrows(NullPointerException.class, () -> x.to(null));
        assertTrue(e.getMessage().startsWith("to:"), e.getMessage());
    }

    @Test
    void inPlaceUpdatesKeepFloat32() {
        Tensor p = Tensor.fromArray(new float[] {1, 2, 3}).requiresGrad();
        p.mul(p).sum().backward();
        assertEquals(DType.FLOAT32, p.grad().dtype());
        p.addInPlace(p.grad(), -0.1); // p - 0.1 * 2p
        assertArrayEquals(new float[] {(float) (1 - 0.2), (float) (2 - 0.4), (float) (3 - 0.6)}, p.toFloatArray());
        assertEquals(DType.FLOAT32, p.dtype());
        assertEquals(1, p.version());
        p.zeroGrad();
        p.sum().backward();
        float[] before = p.toFloatArray();
        InPlace.step("test", p, new Tensor[0], (from, to, out, in) -> {
            for (int i = from; i < to; i++) {
                out[0][i] -= 0.5 * in[0][i];
            }
        });
        float[] after = p.toFloatArray();
        for (int i = 0; i < 3; i++) {
            assertEquals((float) (before[i] - 0.5), after[i], "the update in float64, rounded once");
        }
        p.assign(Tensor.fromArray(new double[] {1.0 / 3, 0, 0}));
        assertEquals(1.0f / 3, p.toFloatArray()[0]);
    }

    @Test
    void vmapAndAnomalyAndGraphsReadFloat32() {
        Tensor x = Tensor.randn(1, DType.FLOAT32, 4, 3);
        Tensor y = Autodiff.vmap(a -> a[0].exp().sum()).apply(x);
        assertEquals(DType.FLOAT32, y.dtype());
        assertArrayEquals(x.exp().sum(1).toFloatArray(), y.toFloatArray());
        Tensor w = x.detach().requiresGrad();
        String listing = Graph.of(w.mul(2.0).sum()).toString();
        assertTrue(listing.contains("h1   = p0 * 2"), listing);
        try (GradScope s = Autodiff.detectAnomaly()) {
            Tensor v = Tensor.fromArray(new float[] {0f, 1f}).requiresGrad();
            assertThrows(AnomalyException.class, () -> v.sqrt().sum().backward());
        }
    }
}
