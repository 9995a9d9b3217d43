package dev.autodiff.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Clipping by value and by the norms other than L2, on hand-computed cases (PyTorch's values: TorchOptimReferenceTest). */
class ClippingTest {
    /** Gradients (3, -4) and (12), and a parameter without one. */
    private static List<Tensor> params() {
        Tensor a = Tensor.zeros(2).requiresGrad();
        Tensor b = Tensor.zeros(1).requiresGrad();
        a.setGrad(Tensor.fromArray(new double[] {3, -4}));
        b.setGrad(Tensor.fromArray(new double[] {12}));
        return List.of(a, b, Tensor.zeros(3).requiresGrad());
    }

    @Test
    void theMaxNormIsTheLargestMagnitudeAndTheOneNormTheirSum() {
        List<Tensor> ps = params();
        assertEquals(12, Clipping.clipGradNorm(ps, 6, Double.POSITIVE_INFINITY), 0.0);
        double s = 6 / (12 + 1e-6);
        assertArrayEquals(new double[] {3 * s, -4 * s}, ps.get(0).grad().toArray(), 1e-15);
        assertArrayEquals(new double[] {12 * s}, ps.get(1).grad().toArray(), 1e-15);
        assertNull(ps.get(2).grad());

        List<Tensor> qs = params();
        assertEquals(19, Clipping.clipGradNorm(qs, 100, 1), 0.0);
        assertArrayEquals(new double[] {3, -4}, qs.get(0).grad().toArray(), 0.0, "under maxNorm: not clipped");
        // (3^3 + 4^3 + 12^3)^(1/3) = 1819^(1/3)
        assertEquals(Math.cbrt(1819), Clipping.clipGradNorm(params(), 100, 3), 1e-13);
        assertEquals(13, Clipping.clipGradNorm(params(), 100), 1e-15);
    }

    @Test
    void withNoGradientTheNormIsZero() {
        assertEquals(0, Clipping.clipGradNorm(List.of(Tensor.zeros(2).requiresGrad()), 1, 3), 0.0);
        assertEquals(0, Clipping.clipGradNorm(List.of(), 1, Double.POSITIVE_INFINITY), 0.0);
    }

    /** An infinite max norm scales every gradient by 0, as PyTorch (the infinite element becomes NaN); NaN leaves them. */
    @Test
    void nonFiniteNorms() {
        Tensor a = Tensor.zeros(2).requiresGrad();
        a.setGrad(Tensor.fromArray(new double[] {Double.NEGATIVE_INFINITY, 2}));
        assertEquals(Double.POSITIVE_INFINITY, Clipping.clipGradNorm(List.of(a), 1, Double.POSITIVE_INFINITY));
        assertTrue(Double.isNaN(a.grad().get(0)));
        assertEquals(0, a.grad().get(1), 0.0);
        Tensor b = Tensor.zeros(2).requiresGrad();
        Tensor nan = Tensor.fromArray(new double[] {Double.NaN, 2});
        b.setGrad(nan);
        assertTrue(Double.isNaN(Clipping.clipGradNorm(List.of(b), 1, Double.POSITIVE_INFINITY)));
        assertSame(nan, b.grad());
    }

    @Test
    void clipGradValueLimitsEachElementAndKeepsNaN() {
        List<Tensor> ps = params();
        ps.get(0).setGrad(Tensor.fromArray(new double[] {Double.NaN, -4}));
        Clipping.clipGradValue(ps, 3.5);
        assertArrayEquals(new double[] {Double.NaN, -3.5}, ps.get(0).grad().toArray(), 0.0);
        assertArrayEquals(new double[] {3.5}, ps.get(1).grad().toArray(), 0.0);
        assertNull(ps.get(2).grad());
        List<Tensor> zero = params();
        Clipping.clipGradValue(zero, 0);
        assertArrayEquals(new double[] {0, 0}, zero.get(0).grad().toArray(), 0.0);
        List<Tensor> inf = params();
        Tensor before = inf.get(1).grad();
        Clipping.clipGradValue(inf, Double.POSITIVE_INFINITY);
        assertSame(before, inf.get(1).grad(), "an infinite clip value leaves the gradients as they are");
    }

    /** add hands both inputs the same gradient tensor: clipping replaces each, so neither is clipped twice. */
    @Test
    void clipGradValueOfSharedGradientsLeavesTheSharedTensor() {
        Tensor a = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        Tensor b = Tensor.fromArray(new double[] {3, 4}).requiresGrad();
        Tensor seed = Tensor.fromArray(new double[] {0.5, -0.25});
        a.add(b).backward(seed);
        Tensor shared = a.grad();
        Clipping.clipGradValue(List.of(a, b), 0.3);
        assertArrayEquals(new double[] {0.3, -0.25}, a.grad().toArray(), 0.0);
        assertArrayEquals(new double[] {0.3, -0.25}, b.grad().toArray(), 0.0);
        assertArrayEquals(new double[] {0.5, -0.25}, shared.toArray(), 0.0);
        assertArrayEquals(new double[] {0.5, -0.25}, seed.toArray(), 0.0);
    }

    /**
     * Clipping allocates nothing in proportion to the gradients: with them read and scaled in place, a training step
     * on a 250,000-element parameter (2 MB of gradient) with clipping by norm and by value allocates what the same
     * step allocates without clipping, give or take 250 KB; handing the gradient out and replacing it (the old way)
     * cost a new 2 MB gradient per clip, and a new buffer for the next backward.
     */
    @org.junit.jupiter.api.Test
    void clippingAllocatesNothingInProportionToTheGradients() {
        long plain = bytesPerStep(false);
        long clipped = bytesPerStep(true);
        org.junit.jupiter.api.Assertions.assertTrue(clipped - plain < 250_000,
                "a step allocates " + clipped + " bytes with clipping, " + plain + " without");
    }

    private static long bytesPerStep(boolean clip) {
        Tensor w = Tensor.randn(1, 250_000).requiresGrad();
        Tensor c = Tensor.randn(2, 250_000);
        Sgd sgd = new Sgd(java.util.List.of(w), 1e-3);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long perStep = 0;
        for (int round = 0; round < 2; round++) { // the first round warms up
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int step = 0; step < 5; step++) {
                sgd.zeroGrad();
                w.mul(c).sum().backward();
                if (clip) {
                    double norm = Clipping.clipGradNorm(java.util.List.of(w), 1.0);
                    org.junit.jupiter.api.Assertions.assertTrue(norm > 1.0, "the clip scales: " + norm);
                    Clipping.clipGradValue(java.util.List.of(w), 1e-3);
                }
                sgd.step();
            }
            perStep = (threads.getCurrentThreadAllocatedBytes() - before) / 5;
        }
        return perStep;
    }

    /**
     * A weight tied in two places is listed twice by Module.parameters() (once per path): it enters the norm once and
     * is scaled once, as PyTorch's clip_grad_norm_(model.parameters()), which yields it once. By hand: the gradient
     * (3, -4) has norm 5 (not 5 sqrt 2), and clipping to 1 scales it by 1 / (5 + 1e-6) (not its square).
     */
    @Test
    void aTiedWeightListedTwiceCountsAndIsScaledOnce() {
        Tensor w = Tensor.zeros(2).requiresGrad();
        w.setGrad(Tensor.fromArray(new double[] {3, -4}));
        assertEquals(5, Clipping.clipGradNorm(List.of(w, w), 1), 1e-15);
        double s = 1 / (5 + 1e-6);
        assertArrayEquals(new double[] {3 * s, -4 * s}, w.grad().toArray(), 1e-15);

        dev.autodiff.nn.Linear lin = new dev.autodiff.nn.Linear(2, 2, 3);
        dev.autodiff.nn.Sequential tied = new dev.autodiff.nn.Sequential(lin, lin);
        assertEquals(4, tied.parameters().size(), "the tied Linear is listed under both paths");
        tied.forward(Tensor.fromArray(new double[] {1, 2}, 1, 2)).sum().backward();
        double want = Math.sqrt(lin.parameters().values().stream().mapToDouble(p -> p.grad().square().sum().item()).sum());
        assertEquals(want, Clipping.clipGradNorm(tied.parameters().values(), 1e9), 1e-12);
    }
}
