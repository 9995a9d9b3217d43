package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import dev.autodiff.kernel.Buffers;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fused convolution and LSTM cell (issue 14) against the composites they replace, which are themselves checked
 * against PyTorch (nn's ConvPoolReferenceTest, the LSTM fixtures) and finite differences (PrimitiveGradTest): the same
 * bits where the arithmetic is the same, values and gradients; and the buffers they recycle are private, so no
 * tensor a user holds changes.
 */
class FusedLayersTest {
    @AfterEach
    void reset() {
        Buffers.setEnabled(true);
    }

    /** The composite: unfold, a matmul broadcast over the groups, the bias over the positions. */
    private static Tensor composite(Tensor x, Tensor w, Tensor b, int[] stride, int[] padding, int[] dilation, int groups) {
        int d = w.rank() - 2;
        int[] kernel = java.util.Arrays.copyOfRange(w.shape(), 2, d + 2);
        int n = x.dim(0);
        int out = w.dim(0);
        Tensor cols = x.unfold(kernel, stride, padding, dilation);
        int l = cols.dim(2);
        int k = cols.dim(1) / groups;
        Tensor y = w.reshape(groups, out / groups, k).matmul(cols.reshape(n, groups, k, l)).reshape(n, out, l);
        if (b != null) {
            y = y.add(b.reshape(out, 1));
        }
        Tensor ref = Fused.conv(x.detach(), w.detach(), b == null ? null : b.detach(), stride, padding, dilation, groups);
        return y.reshape(ref.shape());
    }

    private record ConvCase(int[] x, int[] w, boolean bias, int[] stride, int[] padding, int[] dilation, int groups) {}

    private static List<ConvCase> convCases() {
        List<ConvCase> c = new ArrayList<>();
        // LeNet's two layers at a small batch: 1 -> 6 channels 5 x 5 padding 2, 6 -> 16 unpadded
        c.add(new ConvCase(new int[] {3, 1, 12, 12}, new int[] {6, 1, 5, 5}, true, new int[] {1, 1}, new int[] {2, 2}, new int[] {1, 1}, 1));
        c.add(new ConvCase(new int[] {2, 6, 9, 9}, new int[] {16, 6, 5, 5}, true, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
        // stride, padding and dilation that differ per axis, no bias
        c.add(new ConvCase(new int[] {2, 3, 11, 8}, new int[] {4, 3, 3, 2}, false, new int[] {2, 1}, new int[] {1, 0}, new int[] {2, 1}, 1));
        // 1-d and 3-d
        c.add(new ConvCase(new int[] {3, 2, 17}, new int[] {5, 2, 4}, true, new int[] {3}, new int[] {2}, new int[] {1}, 1));
        c.add(new ConvCase(new int[] {1, 2, 5, 4, 6}, new int[] {3, 2, 2, 2, 3}, true, new int[] {1, 2, 1}, new int[] {1, 0, 1}, new int[] {1, 1, 2}, 1));
        // empty: no images, no input channels
        c.add(new ConvCase(new int[] {0, 2, 5, 5}, new int[] {3, 2, 3, 3}, true, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
        c.add(new ConvCase(new int[] {2, 0, 5, 5}, new int[] {3, 0, 3, 3}, true, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1));
        // groups
        c.add(new ConvCase(new int[] {2, 4, 7, 7}, new int[] {6, 2, 3, 3}, true, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 2));
        return c;
    }

    @Test
    void convGivesTheCompositesBitsForwardAndBackward() {
        long salt = 0;
        for (ConvCase cc : convCases()) {
            Tensor x = Tensor.randn(++salt, cc.x());
            Tensor w = Tensor.randn(++salt, cc.w());
            Tensor b = cc.bias() ? Tensor.randn(++salt, cc.w()[0]) : null;
            Tensor[] fused = leaves(x, w, b);
            Tensor[] comp = leaves(x, w, b);
            Tensor yf = Fused.conv(fused[0], fused[1], fused[2], cc.stride(), cc.padding(), cc.dilation(), cc.groups());
            Tensor yc = composite(comp[0], comp[1], comp[2], cc.stride(), cc.padding(), cc.dilation(), cc.groups());
            assertArrayEquals(yc.shape(), yf.shape(), cc + ": shape");
            assertArrayEquals(yc.toArray(), yf.toArray(), 0.0, cc + ": forward");
            Tensor seed = Tensor.randn(++salt, yf.shape());
            yf.backward(seed);
            yc.backward(seed);
            for (int i = 0; i < 3; i++) {
                if (fused[i] == null) {
                    continue;
                }
                // with groups the composite's weight gradient is G products summed by a reduction, the fused one
                // accumulated by the product kernel: the same terms in another grouping
                double tol = cc.groups() > 1 && i == 1 ? 1e-13 : 0.0;
                assertArrayEquals(comp[i].grad().toArray(), fused[i].grad().toArray(), tol, cc + ": gradient " + i);
            }
        }
    }

    private static Tensor[] leaves(Tensor x, Tensor w, Tensor b) {
        return new Tensor[] {x.detach().requiresGrad(), w.detach().requiresGrad(), b == null ? null : b.detach().requiresGrad()};
    }

    /**
     * float32 (issue 19): the convolution's own float32 kernels (the unfold on floats, Gemm32 accumulating in float32;
     * the bias's gradient summed in float64 and rounded) against the float64 convolution of the same float32 values,
     * the output and the three gradients. Each output sums k products and each weight gradient n L, so the two
     * differ by float32 roundings of those sums: a few ulps of their terms' magnitudes.
     */
    @Test
    void convInFloat32AgreesWithFloat64() {
        long salt = 100;
        for (ConvCase cc : convCases()) {
            Tensor x = Tensor.randn(++salt, DType.FLOAT32, cc.x());
            Tensor w = Tensor.randn(++salt, DType.FLOAT32, cc.w());
            Tensor b = cc.bias() ? Tensor.randn(++salt, DType.FLOAT32, cc.w()[0]) : null;
            Tensor[] l32 = leaves(x, w, b);
            Tensor[] l64 = leaves(x.to(DType.FLOAT64), w.to(DType.FLOAT64), b == null ? null : b.to(DType.FLOAT64));
            Tensor y32 = Fused.conv(l32[0], l32[1], l32[2], cc.stride(), cc.padding(), cc.dilation(), cc.groups());
            Tensor y64 = Fused.conv(l64[0], l64[1], l64[2], cc.stride(), cc.padding(), cc.dilation(), cc.groups());
            assertEquals(DType.FLOAT32, y32.dtype(), cc + ": the result's dtype");
            assertNear(y64, y32, cc + ": forward");
            Tensor seed = Tensor.randn(++salt, DType.FLOAT32, y32.shape());
            y32.backward(seed);
            y64.backward(seed.to(DType.FLOAT64));
            for (int i = 0; i < 3; i++) {
                if (l32[i] != null) {
                    assertEquals(DType.FLOAT32, l32[i].grad().dtype(), cc + ": gradient " + i + "'s dtype");
                    assertNear(l64[i].grad(), l32[i].grad(), cc + ": gradient " + i);
                }
            }
        }
    }

    /** {@code |float64 - float32| <= 1e-5 (1 + max |float64|)} elementwise, shapes equal. */
    private static void assertNear(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        double scale = 0;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-5 * (1 + scale), what + " at " + i);
        }
    }

    /**
     * A float32 input with a float64 weight promotes to float64 (the cold path: the float32 values widened, exactly),
     * so the float64 convolution's bits.
     */
    @Test
    void convOfMixedDtypesIsTheFloat64Convolution() {
        ConvCase cc = convCases().get(0);
        Tensor x = Tensor.randn(61, DType.FLOAT32, cc.x());
        Tensor w = Tensor.randn(62, cc.w());
        Tensor b = Tensor.randn(63, cc.w()[0]);
        Tensor y = Fused.conv(x, w, b, cc.stride(), cc.padding(), cc.dilation(), 1);
        assertEquals(DType.FLOAT64, y.dtype());
        assertArrayEquals(Fused.conv(x.to(DType.FLOAT64), w, b, cc.stride(), cc.padding(), cc.dilation(), 1).toArray(),
                y.toArray(), 0.0);
    }

    /**
     * The float32 path's derivatives against float64 finite differences (GradCheck evaluates those in float64): LeNet's
     * first layer, per-axis stride, padding and dilation, groups; to first order (the one-pass float32 vjp) and, for
     * one of them, second (the vjp as float32 ops).
     */
    @Test
    void gradcheckOnTheFloat32Conv() {
        long salt = 200;
        List<ConvCase> cases = convCases();
        for (ConvCase cc : List.of(cases.get(0), cases.get(2), cases.get(7))) {
            Tensor x = Tensor.randn(++salt, DType.FLOAT32, cc.x());
            Tensor w = Tensor.randn(++salt, DType.FLOAT32, cc.w());
            Tensor[] in = cc.bias() ? new Tensor[] {x, w, Tensor.randn(++salt, DType.FLOAT32, cc.w()[0])} : new Tensor[] {x, w};
            Fn f = a -> Fused.conv(a[0], a[1], a.length == 3 ? a[2] : null, cc.stride(), cc.padding(), cc.dilation(),
                    cc.groups());
            GradCheck g = GradCheck.of(f).tolerance(1e-4, 1e-3).seed(11);
            g.check(in);
            if (cc == cases.get(2)) {
                g.checkSecondOrder(in); // the smallest: second order checks every element against two gradients
            }
        }
    }

    /** Second-order gradients (createGraph, the vjps as differentiable ops) equal the composite's. */
    @Test
    void convSecondOrderEqualsTheComposites() {
        ConvCase cc = convCases().get(2);
        Tensor x = Tensor.randn(41, cc.x());
        Tensor w = Tensor.randn(42, cc.w());
        Fn fused = a -> Fused.conv(a[0], a[1], null, cc.stride(), cc.padding(), cc.dilation(), 1).tanh().sum();
        Fn comp = a -> composite(a[0], a[1], null, cc.stride(), cc.padding(), cc.dilation(), 1).tanh().sum();
        Tensor[] v = {Tensor.randn(43, cc.x()), Tensor.randn(44, cc.w())};
        Tensor[] hf = hvp(fused, new Tensor[] {x, w}, v);
        Tensor[] hc = hvp(comp, new Tensor[] {x, w}, v);
        for (int i = 0; i < 2; i++) {
            assertTrue(hc[i].allClose(hf[i], 1e-12, 1e-12), "hvp " + i);
        }
        Tensor jf = Autodiff.jvp(fused, new Tensor[] {x, w}, v).tangent();
        Tensor jc = Autodiff.jvp(comp, new Tensor[] {x, w}, v).tangent();
        assertEquals(jc.item(), jf.item(), 1e-12, "jvp");
    }

    /** H v by reverse over reverse: the gradient with createGraph, then the gradient of its product with v. */
    private static Tensor[] hvp(Fn f, Tensor[] xs, Tensor[] v) {
        Tensor[] leaves = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            leaves[i] = xs[i].detach().requiresGrad();
        }
        Tensor[] g = Autodiff.grad(f.apply(leaves), null, true, true, leaves);
        Tensor dot = Tensor.scalar(0.0);
        for (int i = 0; i < g.length; i++) {
            dot = dot.add(g[i].mul(v[i]).sum());
        }
        return Autodiff.grad(dot, null, false, false, leaves);
    }

    @Test
    void convRefusesBadShapesNamingConv() {
        Tensor x = Tensor.randn(1, 2, 3, 8, 8);
        int[] one = {1, 1};
        int[] zero = {0, 0};
        assertMessage("conv: the input must be (N, C, 2 spatial dimensions)",
                () -> Fused.conv(Tensor.randn(1, 3, 8), Tensor.randn(2, 4, 3, 3, 3), null, one, zero, one, 1));
        assertMessage("conv: need groups >= 1", () -> Fused.conv(x, Tensor.randn(2, 4, 2, 3, 3), null, one, zero, one, 1));
        assertMessage("conv: need groups >= 1", () -> Fused.conv(x, Tensor.randn(2, 4, 3, 3, 3), null, one, zero, one, 3));
        assertMessage("conv: the bias must have shape [4]",
                () -> Fused.conv(x, Tensor.randn(2, 4, 3, 3, 3), Tensor.randn(3, 5), one, zero, one, 1));
        assertMessage("conv: kernel [9, 9]", () -> Fused.conv(x, Tensor.randn(2, 4, 3, 9, 9), null, one, zero, one, 1));
        assertMessage("conv: the weight must be", () -> Fused.conv(x, Tensor.randn(2, 4, 3), null, one, zero, one, 1));
        assertMessage("conv: need one kernel, stride", () -> Fused.conv(x, Tensor.randn(2, 4, 3, 3, 3), null, new int[] {1}, zero, one, 1));
    }

    @Test
    void lstmCellRefusesMismatchedShapes() {
        assertMessage("lstmCell: the pre-activation must be (..., 4 H)", () -> Fused.lstmCell(Tensor.randn(1, 3, 7), Tensor.randn(2, 3, 2)));
        assertMessage("lstmHidden: the pre-activation must be (..., 4 H)", () -> Fused.lstmHidden(Tensor.randn(1, 3, 8), Tensor.randn(2, 4, 2)));
    }

    private static void assertMessage(String start, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().startsWith(start), ex.getMessage());
    }

    /** The composite cell, as LstmCell wrote it before the fused op. */
    private static Tensor[] compositeCell(Tensor pre, Tensor c, int h) {
        Tensor i = pre.slice(1, 0, h).sigmoid();
        Tensor f = pre.slice(1, h, 2 * h).sigmoid();
        Tensor g = pre.slice(1, 2 * h, 3 * h).tanh();
        Tensor o = pre.slice(1, 3 * h, 4 * h).sigmoid();
        Tensor c2 = f.mul(c).add(i.mul(g));
        return new Tensor[] {o.mul(c2.tanh()), c2};
    }

    /**
     * Three steps of a cell sharing a weight, loss on every hidden and cell state: the composite's loss bit for bit, and
     * its gradients but for the order in which a tensor's gradient paths are summed. The backward pass sums them in
     * order of the consumers' depths in the graph, and the fused cell is fewer ops deep than the composite, so a cell
     * state's three paths (the next step, the hidden state, the loss) may be added in another order: a few ulps.
     */
    @Test
    void lstmCellGivesTheCompositesValuesOverARecurrence() {
        int n = 5;
        int h = 20; // 100 elements per gate: the composite's activations take the vector loops (64 and up)
        for (boolean recycle : new boolean[] {true, false}) {
            Buffers.setEnabled(recycle);
            Tensor w = Tensor.randn(51, h, 4 * h).mul(0.3);
            Tensor x = Tensor.randn(52, 3, n, 4 * h);
            Tensor c0 = Tensor.randn(53, n, h);
            Tensor[] fused = {w.detach().requiresGrad(), c0.detach().requiresGrad()};
            Tensor[] comp = {w.detach().requiresGrad(), c0.detach().requiresGrad()};
            Tensor lf = run(fused, x, h, true);
            Tensor lc = run(comp, x, h, false);
            assertEquals(lc.item(), lf.item(), 0.0, "loss");
            lf.backward();
            lc.backward();
            assertUlps(comp[0].grad().toArray(), fused[0].grad().toArray(), "weight gradient");
            assertUlps(comp[1].grad().toArray(), fused[1].grad().toArray(), "initial cell state gradient");
        }
    }

    /** Within 8 ulps of the larger magnitude of the row: sums of the same terms in another order. */
    private static void assertUlps(double[] expected, double[] actual, String what) {
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertArrayEquals(expected, actual, 8 * Math.ulp(scale), what);
    }

    private static Tensor run(Tensor[] p, Tensor x, int h, boolean fused) {
        Tensor hs = Tensor.zeros(x.dim(1), h);
        Tensor c = p[1];
        Tensor loss = Tensor.scalar(0.0);
        for (int t = 0; t < x.dim(0); t++) {
            Tensor pre = x.slice(0, t, t + 1).squeeze(0).add(hs.matmul(p[0]));
            Tensor[] s = fused ? new Tensor[] {null, Fused.lstmCell(pre, c)} : compositeCell(pre, c, h);
            if (fused) {
                s[0] = Fused.lstmHidden(pre, s[1]);
            }
            hs = s[0];
            c = s[1];
            loss = loss.add(hs.mul(hs).sum()).add(c.sum());
        }
        return loss;
    }

    /** Forward mode and second order (the rules as differentiable ops) equal the composite's. */
    @Test
    void lstmCellJvpAndHvpEqualTheComposites() {
        int h = 3;
        Tensor pre = Tensor.randn(61, 2, 4 * h);
        Tensor c = Tensor.randn(62, 2, h);
        Fn fused = a -> {
            Tensor c2 = Fused.lstmCell(a[0], a[1]);
            return Fused.lstmHidden(a[0], c2).mul(c2).sum();
        };
        Fn comp = a -> {
            Tensor[] s = compositeCell(a[0], a[1], h);
            return s[0].mul(s[1]).sum();
        };
        Tensor[] v = {Tensor.randn(63, 2, 4 * h), Tensor.randn(64, 2, h)};
        Tensor jf = Autodiff.jvp(fused, new Tensor[] {pre, c}, v).tangent();
        Tensor jc = Autodiff.jvp(comp, new Tensor[] {pre, c}, v).tangent();
        assertEquals(jc.item(), jf.item(), 1e-13, "jvp");
        Tensor[] hf = hvp(fused, new Tensor[] {pre, c}, v);
        Tensor[] hc = hvp(comp, new Tensor[] {pre, c}, v);
        for (int i = 0; i < 2; i++) {
            assertTrue(hc[i].allClose(hf[i], 1e-13, 1e-13), "hvp " + i);
        }
    }

    /**
     * The convolution gives its one-image unfold buffer back after each forward and backward; later ops take it. No
     * tensor a user holds is ever that buffer: the input, the output, its unfold made by the user, the gradients of
     * earlier steps keep their values through later steps, and the run gives the same bits with recycling as without.
     */
    @Test
    void recycledBuffersAreNeverOnesAUserHolds() {
        double[] with = trainConv(true);
        double[] without = trainConv(false);
        assertArrayEquals(without, with, 0.0, "recycling changed the results");
    }

    private static double[] trainConv(boolean recycle) {
        Buffers.setEnabled(recycle);
        // 1 x 4 x 4 kernel positions x 32 x 32 positions = 16384 elements per image: large enough to be pooled
        Tensor w = Tensor.randn(71, 3, 2, 4, 4).mul(0.2).requiresGrad();
        Tensor b = Tensor.randn(72, 3).requiresGrad();
        List<Tensor> held = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        int[] one = {1, 1};
        int[] pad = {2, 2};
        double[] last = null;
        for (int step = 0; step < 4; step++) {
            w.zeroGrad();
            b.zeroGrad();
            Tensor x = Tensor.randn(73 + step, 2, 2, 31, 31).requiresGrad();
            Tensor cols = x.unfold(new int[] {4, 4}, one, pad, one);
            Tensor y = Fused.conv(x, w, b, one, pad, one, 1);
            long pooled = Buffers.pooledBytes();
            if (recycle) {
                assertTrue(pooled >= 8L * 2 * 16 * 32 * 32, "the forward gave its unfold buffer back: " + pooled);
            }
            Tensor loss = y.tanh().mul(cols.sum()).sum();
            loss.backward();
            for (Tensor t : new Tensor[] {x, cols, y, x.grad(), w.grad(), b.grad()}) {
                held.add(t);
                values.add(t.toArray());
            }
            for (int k = 0; k < held.size(); k++) {
                assertArrayEquals(values.get(k), held.get(k).toArray(), 0.0, "step " + step + ": held tensor " + k + " changed");
            }
            last = concat(w.grad().toArray(), b.grad().toArray(), x.grad().toArray(), y.toArray());
        }
        return last;
    }

    /**
     * An addmm whose bias is an earlier addmm's output (an RNN cell's pre-activation, b + x W + h U) hands its own
     * gradient buffer on to that bias, which the pass then owns and recycles: the same bits as the composite and as
     * without recycling, and nothing a user holds changes. When the bias is also an operand, g is not handed on.
     */
    @Test
    void addmmHandsItsGradientOnToAnIntermediateBias() {
        double[] with = trainChain(true);
        double[] without = trainChain(false);
        assertArrayEquals(without, with, 0.0, "recycling changed the results");
        Tensor b = Tensor.randn(91, 40, 40).requiresGrad();
        Tensor w = Tensor.randn(92, 40, 40);
        Tensor seed = Tensor.randn(93, 40, 40);
        b.addmm(b, w).tanh().backward(seed);
        Tensor bc = b.detach().requiresGrad();
        bc.add(bc.matmul(w)).tanh().backward(seed);
        assertArrayEquals(bc.grad().toArray(), b.grad().toArray(), 1e-14, "bias that is also the operand");
    }

    private static double[] trainChain(boolean recycle) {
        Buffers.setEnabled(recycle);
        int n = 16;
        Tensor w = Tensor.randn(94, 32, 256).mul(0.1).requiresGrad();
        Tensor u = Tensor.randn(95, 64, 256).mul(0.1).requiresGrad();
        Tensor bias = Tensor.randn(96, 256).requiresGrad();
        List<Tensor> held = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        double[] last = null;
        for (int step = 0; step < 3; step++) {
            w.zeroGrad();
            u.zeroGrad();
            bias.zeroGrad();
            Tensor[] cw = {w.detach().requiresGrad(), u.detach().requiresGrad(), bias.detach().requiresGrad()};
            Tensor x = Tensor.randn(97 + step, n, 32);
            Tensor h = Tensor.randn(98 + step, n, 64);
            Tensor pre = bias.addmm(x, w).addmm(h, u); // (16, 256): 4096 elements, recycled
            Tensor loss = pre.tanh().square().sum();
            loss.backward();
            Tensor preC = cw[2].add(x.matmul(cw[0])).add(h.matmul(cw[1]));
            preC.tanh().square().sum().backward();
            for (int i = 0; i < 3; i++) {
                Tensor p = new Tensor[] {w, u, bias}[i];
                assertArrayEquals(cw[i].grad().toArray(), p.grad().toArray(), 0.0, "step " + step + ": gradient " + i);
            }
            for (Tensor t : new Tensor[] {pre, w.grad(), u.grad(), bias.grad()}) {
                held.add(t);
                values.add(t.toArray());
            }
            for (int k = 0; k < held.size(); k++) {
                assertArrayEquals(values.get(k), held.get(k).toArray(), 0.0, "step " + step + ": held tensor " + k + " changed");
            }
            last = concat(w.grad().toArray(), u.grad().toArray(), bias.grad().toArray());
        }
        return last;
    }

    private static double[] concat(double[]... parts) {
        int n = 0;
        for (double[] p : parts) {
            n += p.length;
        }
        double[] r = new double[n];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, r, at, p.length);
            at += p.length;
        }
        return r;
    }
}
