package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A leaf's gradient buffer is reused by the next backward after zeroGrad() only while it is private: never handed
 * out by grad(), made by backward for that leaf alone. Reuse gives the bits of a fresh buffer, and no tensor
 * anyone can reach is ever overwritten. The tests taking a dtype run in float64 and float32 (whose buffers are
 * float arrays, written by the float32 GEMM and summed by float adds).
 */
class GradReuseTest {
    /** SGD through InPlace.step, which reads the gradient without handing it out. */
    private static void sgd(Tensor p) {
        InPlace.step("sgd", p, new Tensor[0], (from, to, out, in) -> {
            for (int i = from; i < to; i++) {
                out[0][i] -= 0.01 * in[0][i];
            }
        });
    }

    /** Losses whose leaves meet every path that may reuse a buffer, and some that may not. */
    private static final List<Function<Tensor[], Tensor>> LOSSES = List.of(
            // x W + b (addmm): the weight's product written into its buffer, the bias summed
            ps -> ps[2].addmm(ps[3], ps[0]).tanh().sum(),
            // W used twice: the first path into the recycled buffer, the second added to it
            ps -> ps[3].matmul(ps[0]).tanh().matmul(ps[0].slice(0, 0, 5).transpose(0, 1)).sum(),
            // a batch of sequences (4, 6, 5) @ W: the weight's products summed over the batch
            ps -> ps[4].matmul(ps[0]).square().sum(),
            // W^T as the left operand, and rows gathered from a table (an embedding)
            ps -> ps[0].matmulTransA(ps[3].transpose(0, 1)).sum().add(ps[1].indexSelect(0, 0, 2, 2, 1).exp().sum()));

    private static Tensor[] params() {
        return params(DType.FLOAT64);
    }

    private static Tensor[] params(DType d) {
        return new Tensor[] {
            Tensor.randn(1, 5, 7).to(d).requiresGrad(),    // W
            Tensor.randn(2, 3, 4).to(d).requiresGrad(),    // an embedding table
            Tensor.randn(3, 7).to(d).requiresGrad(),       // a bias
            Tensor.randn(4, 6, 5).to(d),                   // x
            Tensor.randn(5, 4, 6, 5).to(d)};               // a batch of sequences
    }

    /** The array behind a plain tensor, whichever its dtype. */
    private static Object storage(Tensor t) {
        return t.data != null ? t.data : t.f32;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void reusedBuffersGiveTheBitsOfFreshOnes(DType d) {
        for (int l = 0; l < LOSSES.size(); l++) {
            Tensor[] reused = params(d);
            Tensor[] fresh = params(d);
            for (int step = 0; step < 4; step++) {
                Object before = reused[0].grad == null ? null : storage(reused[0].grad);
                for (Tensor[] ps : List.of(reused, fresh)) {
                    for (int k = 0; k < 3; k++) {
                        ps[k].zeroGrad();
                    }
                    LOSSES.get(l).apply(ps).backward();
                }
                if (step > 0) {
                    assertSame(before, storage(reused[0].grad), "loss " + l + ", step " + step + ": W's buffer was reused");
                }
                for (int k = 0; k < 3; k++) {
                    if (!reused[k].hasGrad()) {
                        continue;
                    }
                    assertArrayEquals(bits(fresh[k].grad()), bits(reused[k].grad), "loss " + l + ", step " + step + ", param " + k);
                    sgd(reused[k]);
                    Tensor g = fresh[k].grad(); // handed out: never reused
                    fresh[k].addInPlace(g, -0.01);
                }
            }
            for (int k = 0; k < 3; k++) {
                assertArrayEquals(bits(fresh[k]), bits(reused[k]), "loss " + l + ", param " + k);
            }
        }
    }

    /** A convolution's weight gradient is written into its buffer too, with the bits of a fresh one, in both dtypes. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void aConvolutionsWeightBufferIsReused(DType d) {
        int[] one = {1, 1};
        Tensor x = Tensor.randn(11, 2, 3, 9, 9).to(d);
        Tensor[] w = {Tensor.randn(12, 4, 3, 3, 3).to(d).requiresGrad(), Tensor.randn(12, 4, 3, 3, 3).to(d).requiresGrad()};
        Tensor[] b = {Tensor.randn(13, 4).to(d).requiresGrad(), Tensor.randn(13, 4).to(d).requiresGrad()};
        Object first = null;
        for (int step = 0; step < 3; step++) {
            for (int k = 0; k < 2; k++) {
                w[k].zeroGrad();
                b[k].zeroGrad();
                Fused.conv(x, w[k], b[k], one, one, one, 1).tanh().sum().backward();
            }
            if (step == 0) {
                first = storage(w[0].grad);
            } else {
                assertSame(first, storage(w[0].grad), "step " + step + ": the weight's buffer was reused");
            }
            assertArrayEquals(bits(w[1].grad()), bits(w[0].grad), "step " + step); // w[1]'s handed out: fresh each time
            sgd(w[0]);
            w[1].addInPlace(w[1].grad(), -0.01);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void theWeightsBufferIsReusedWhileNobodyHasSeenIt(DType d) {
        Tensor[] ps = params(d);
        Tensor w = ps[0];
        LOSSES.get(0).apply(ps).backward();
        Object first = storage(w.grad);
        sgd(w);
        w.zeroGrad();
        assertNull(w.grad);
        LOSSES.get(0).apply(ps).backward();
        assertSame(first, storage(w.grad), "the second backward wrote into the first one's buffer");
        sgd(w);
        w.zeroGrad();
        LOSSES.get(0).apply(ps).backward();
        assertSame(first, storage(w.grad), "and the third");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void aGradientHandedOutIsNeverOverwritten(DType d) {
        Tensor[] ps = params(d);
        Tensor w = ps[0];
        LOSSES.get(0).apply(ps).backward();
        Tensor seen = w.grad();
        double[] values = seen.toArray();
        w.zeroGrad();
        LOSSES.get(2).apply(ps).backward(); // another loss: other values
        assertNotSame(storage(seen), storage(w.grad));
        assertArrayEquals(values, seen.toArray(), 0.0, "the tensor the user holds kept its values");
        // accumulating a second backward without zeroGrad makes a new tensor too
        Tensor second = w.grad();
        double[] secondValues = second.toArray();
        LOSSES.get(0).apply(ps).backward();
        assertArrayEquals(secondValues, second.toArray(), 0.0);
        assertArrayEquals(values, seen.toArray(), 0.0);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void aPrivateGradientAccumulatesInPlaceAndTheSumIsRight(DType d) {
        Tensor[] ps = params(d);
        Tensor[] ref = params(d);
        Tensor w = ps[0];
        LOSSES.get(0).apply(ps).backward();
        Object buffer = storage(w.grad);
        LOSSES.get(2).apply(ps).backward();
        assertSame(buffer, storage(w.grad), "summed into the private buffer");
        Tensor a = Autodiff.grad(LOSSES.get(0).apply(ref), ref[0])[0];
        Tensor b = Autodiff.grad(LOSSES.get(2).apply(ref), ref[0])[0];
        assertArrayEquals(bits(a.add(b)), bits(w.grad()));
    }

    @Test
    void gradientsThatAreNotTheLeafsOwnAreNeverRecycled() {
        // a seed delivered as the gradient of a leaf root
        Tensor p = Tensor.ones(3).requiresGrad();
        Tensor seed = Tensor.fromArray(new double[] {1, 2, 3});
        p.backward(seed);
        p.zeroGrad();
        assertNull(p.spareGrad, "the seed is the caller's tensor");
        // one gradient tensor shared by both inputs of add
        Tensor a = Tensor.randn(1, 4, 3).requiresGrad();
        Tensor b = Tensor.randn(2, 4, 3).requiresGrad();
        a.add(b).backward(Tensor.randn(3, 4, 3));
        assertFalse(a.gradOwned || b.gradOwned);
        // a gradient given by setGrad
        Tensor w = Tensor.randn(4, 5, 7).requiresGrad();
        Tensor mine = Tensor.randn(5, 5, 7);
        double[] values = mine.toArray();
        w.setGrad(mine);
        Tensor x = Tensor.randn(6, 6, 5);
        x.matmul(w).sum().backward(); // accumulates onto mine: a new tensor
        assertArrayEquals(values, mine.toArray(), 0.0);
        w.zeroGrad();
        x.matmul(w).sum().backward();
        assertArrayEquals(values, mine.toArray(), 0.0);
        // a recorded gradient (createGraph) is part of a graph
        Tensor v = Tensor.randn(7, 5, 7).requiresGrad();
        x.matmul(v).square().sum().backward(null, true, true);
        assertFalse(v.gradOwned);
        v.zeroGrad();
        assertNull(v.spareGrad);
    }

    @Test
    void autodiffGradNeverWritesARecycledBuffer() {
        Tensor[] ps = params();
        Tensor w = ps[0];
        LOSSES.get(0).apply(ps).backward();
        sgd(w);
        w.zeroGrad();
        Tensor spare = w.spareGrad;
        assertTrue(spare != null);
        Tensor g = Autodiff.grad(LOSSES.get(0).apply(ps), w)[0];
        assertNotSame(spare.data, g.data, "results handed to the caller are never the leaf's buffer");
        assertSame(spare, w.spareGrad);
    }

    @Test
    void stepWithoutAGradientSaysSo() {
        Tensor p = Tensor.ones(2).requiresGrad();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> sgd(p));
        assertTrue(e.getMessage().startsWith("sgd:") && e.getMessage().contains("no gradient"), e.getMessage());
        assertEquals(0, p.version());
    }

    private static long[] bits(Tensor t) {
        double[] d = t.toArray();
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }

    @Test
    void readingAndScalingAGradientInPlaceKeepsItsBufferPrivate() {
        Tensor[] ps = params();
        Tensor w = ps[0];
        LOSSES.get(0).apply(ps).backward();
        double[] first = w.grad.data;
        double[] before = first.clone();
        double[] sum = {0};
        InPlace.readGrad("test", w, (from, to, out, in) -> {
            for (int i = from; i < to; i++) {
                sum[0] += in[0][i] * in[0][i];
            }
        });
        double expected = 0;
        for (double g : before) {
            expected += g * g;
        }
        assertEquals(expected, sum[0], 0.0, "the same order as a plain loop");
        InPlace.updateGrad("test", w, (from, to, out, in) -> {
            for (int i = from; i < to; i++) {
                out[0][i] *= 0.5;
            }
        });
        assertSame(first, w.grad.data, "scaled in place: the buffer was private");
        for (int i = 0; i < before.length; i++) {
            assertEquals(before[i] * 0.5, first[i], 0.0);
        }
        sgd(w);
        w.zeroGrad();
        LOSSES.get(0).apply(ps).backward();
        assertSame(first, w.grad.data, "and still reused by the next backward");
    }

    @Test
    void scalingAGradientSomeoneHoldsWritesACopy() {
        Tensor[] ps = params();
        Tensor w = ps[0];
        LOSSES.get(0).apply(ps).backward();
        Tensor held = w.grad();
        double[] values = held.toArray();
        InPlace.updateGrad("test", w, (from, to, out, in) -> {
            for (int i = from; i < to; i++) {
                out[0][i] = -out[0][i];
            }
        });
        assertArrayEquals(values, held.toArray(), 0.0, "the held gradient never changes");
        assertNotSame(held, w.grad);
        for (int i = 0; i < values.length; i++) {
            assertEquals(-values[i], w.grad.data[i], 0.0);
        }
        double[] copy = w.grad.data;
        sgd(w);
        w.zeroGrad();
        LOSSES.get(0).apply(ps).backward();
        assertSame(copy, w.grad.data, "the copy is private, so backward reuses it");
    }

    @Test
    void gradientUpdatesRefuseGraphsAndMissingGradients() {
        Tensor x = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> InPlace.readGrad("clip", x, (from, to, out, in) -> {}));
        assertTrue(e.getMessage().startsWith("clip: ") && e.getMessage().contains("no gradient"), e.getMessage());
        x.mul(x).sum().backward(Tensor.scalar(1), true, true); // createGraph: the gradient carries a graph
        assertTrue(x.grad.needsGrad(), "d(x^2)/dx = 2x depends on x");
        e = assertThrows(IllegalStateException.class, () -> InPlace.updateGrad("clip", x, (from, to, out, in) -> {}));
        assertTrue(e.getMessage().contains("carries a graph"), e.getMessage());
    }
}
