package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.kernel.Buffers;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The backward pass recycles the gradient buffers it made, consumed and passed on to nobody, and later ops take
 * them (kernel.Buffers). A training run gives the same bits with recycling as without, and no tensor anyone
 * holds is overwritten: not a gradient handed to a custom op's rule, not a retained gradient, not one returned by
 * Autodiff.grad, not a value of the forward pass. Each runs in float64 and in float32 (float arrays, a pool of
 * their own).
 */
class RecycleTest {
    private static final int N = 16;
    private static final int H = 128; // N x H = 2048 elements: large enough to be recycled

    @AfterEach
    void reset() {
        Buffers.setEnabled(true);
    }

    /** What the user holds after each step, to check it never changes. */
    private static final class Held {
        final List<Tensor> tensors = new ArrayList<>();
        final List<double[]> values = new ArrayList<>();

        void keep(Tensor t) {
            tensors.add(t);
            values.add(t.toArray());
        }

        void check(String when) {
            for (int k = 0; k < tensors.size(); k++) {
                assertArrayEquals(values.get(k), tensors.get(k).toArray(), 0.0, when + ": held tensor " + k + " changed");
            }
        }
    }

    /** An LSTM-like step over T steps (gates sliced from one product, sigmoid, tanh, products, a custom op, ReLU). */
    private static double[] train(DType d, boolean recycle, Held held) {
        Buffers.setEnabled(recycle);
        Tensor w = Tensor.randn(1, H, 4 * H).mul(0.05).to(d).requiresGrad();
        Tensor u = Tensor.randn(2, H, 4 * H).mul(0.05).to(d).requiresGrad();
        Tensor x = Tensor.randn(3, 6, N, H).to(d);
        CustomOp square = CustomOp.of("mySquare", in -> in[0].mul(in[0]), (i, g, in, out) -> {
            if (held != null) {
                held.keep(g); // a rule that keeps what it is given
            }
            return g.mul(in[0]).mul(2.0);
        }, (in, t, out) -> t[0].mul(in[0]).mul(2.0));
        for (int step = 0; step < 4; step++) {
            w.zeroGrad();
            u.zeroGrad();
            Tensor h = Tensor.zeros(d, N, H);
            Tensor c = Tensor.zeros(d, N, H);
            Tensor last = null;
            for (int t = 0; t < 6; t++) {
                Tensor pre = x.slice(0, t, t + 1).reshape(N, H).matmul(w).add(h.matmul(u));
                Tensor i = pre.slice(1, 0, H).sigmoid();
                Tensor f = pre.slice(1, H, 2 * H).sigmoid();
                Tensor g = pre.slice(1, 2 * H, 3 * H).tanh();
                Tensor o = pre.slice(1, 3 * H, 4 * H).sigmoid();
                c = f.mul(c).add(i.mul(g));
                h = o.mul(c.tanh());
                if (t == 2) {
                    h.retainGrad();
                    last = h;
                }
                if (held != null && step == 0 && t == 3) {
                    held.keep(pre); // a forward value the user keeps
                }
            }
            Tensor loss = square.apply(h.relu()).mul(x.slice(0, 0, 1).reshape(N, H)).sum().add(c.mul(c).sum().mul(0.5));
            if (held != null && step == 1) {
                Tensor[] g = Autodiff.grad(loss, null, true, false, w, u, last); // last: a target inside the graph
                held.keep(g[0]);
                held.keep(g[1]);
                held.keep(g[2]);
            }
            loss.backward();
            if (held != null && step == 0) {
                held.keep(last.grad());
            }
            for (Tensor p : new Tensor[] {w, u}) {
                InPlace.step("sgd", p, new Tensor[0], (from, to, out, in) -> {
                    for (int k = from; k < to; k++) {
                        out[0][k] -= 0.1 * in[0][k];
                    }
                });
            }
            if (held != null) {
                held.check("after step " + step);
            }
        }
        double[] a = w.toArray();
        double[] b = u.toArray();
        double[] all = new double[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void trainingGivesTheSameBitsWithRecyclingAsWithout(DType d) {
        double[] without = train(d, false, null);
        double[] with = train(d, true, null);
        for (int k = 0; k < with.length; k++) {
            assertEquals(Double.doubleToRawLongBits(without[k]), Double.doubleToRawLongBits(with[k]), "value " + k);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void nothingAnyoneHoldsIsOverwritten(DType d) {
        // what each held tensor must read: the same program without recycling (a buffer reused within the same
        // backward pass would already be wrong when it is first kept, so checking against itself is not enough)
        Held reference = new Held();
        train(d, false, reference);
        Held held = new Held();
        train(d, true, held);
        assertTrue(held.tensors.size() >= 6, "held " + held.tensors.size());
        assertEquals(reference.tensors.size(), held.tensors.size());
        held.check("at the end");
        for (int k = 0; k < held.tensors.size(); k++) {
            assertArrayEquals(reference.values.get(k), held.tensors.get(k).toArray(), 0.0, "held tensor " + k);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void theBackwardPassDoesRecycle(DType d) {
        Buffers.setEnabled(true);
        Tensor w = Tensor.randn(1, H, H).to(d).requiresGrad();
        Tensor x = Tensor.randn(2, N, H).to(d);
        x.matmul(w).tanh().sigmoid().sum().backward();
        assertTrue(Buffers.pooledBytes() >= (d == DType.FLOAT32 ? 4L : 8L) * N * H, "pooled " + Buffers.pooledBytes());
    }

    /**
     * A custom op whose rule returns the gradient it is given, and keeps it (a gradient logger: the natural
     * stand-in for a tensor hook). Its result is g's own buffer, which a built-in op's could pass on as the pass's
     * own; a custom op's may not (found in review: tanh below it wrote over the kept tensor, and a product below it
     * recycled it into the next op's result).
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void aGradientACustomRuleReturnedAndKeptIsNeverReused(DType d) {
        Buffers.setEnabled(true);
        int n = 4096;
        List<Tensor> kept = new ArrayList<>();
        CustomOp capture = CustomOp.of("capture", xs -> xs[0].mul(1.0), (i, g, xs, y) -> {
            kept.add(g);
            return g;
        }, null);
        Tensor x = Tensor.randn(1, n).to(d).requiresGrad();
        Tensor v = Tensor.randn(3, n).to(d);
        Tensor w = Tensor.randn(2, n).to(d);
        // below the custom op a product (its vjp recycles a gradient it was handed as the pass's own) and a tanh
        // (whose vjp writes over such a gradient)
        capture.apply(x.mul(v)).mul(w).sum().backward();
        capture.apply(x.tanh()).mul(w).sum().backward();
        assertEquals(2, kept.size());
        for (int round = 0; round < 3; round++) {
            Tensor.ones(d, n).mul(7.0); // later ops of the same size take whatever the pool holds
            Tensor.randn(9, n).to(d).exp();
            for (Tensor g : kept) {
                assertArrayEquals(w.toArray(), g.toArray(), 0.0, "the gradient the custom rule kept changed");
            }
        }
    }
}
