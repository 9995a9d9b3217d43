package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import org.junit.jupiter.api.Test;

/**
 * Autodiff.checkpoint against the function it wraps (the oracle: the same ops without recomputation) and finite
 * differences: the same gradients bit for bit, every order, forward mode, and a graph that keeps only the inputs.
 */
class CheckpointTest {
    /** A deep block: many intermediates from two inputs. */
    static final Fn BLOCK = xs -> {
        Tensor h = xs[0];
        for (int i = 0; i < 6; i++) {
            h = h.matmul(xs[1]).tanh().add(h.mul(0.5));
        }
        return h;
    };

    @Test
    void gradientsAreThoseOfTheFunctionItselfBitForBit() {
        Tensor x = Tensor.randn(1, 4, 3).requiresGrad();
        Tensor w = Tensor.randn(2, 3, 3).mul(0.5).detach().requiresGrad();
        Tensor[] plain = Autodiff.grad(BLOCK.apply(new Tensor[] {x, w}).square().sum(), x, w);
        Fn cp = Autodiff.checkpoint(BLOCK);
        Tensor y = cp.apply(new Tensor[] {x, w});
        assertArrayEquals(BLOCK.apply(new Tensor[] {x, w}).toArray(), y.toArray(), "the value");
        Tensor[] recomputed = Autodiff.grad(y.square().sum(), x, w);
        assertArrayEquals(plain[0].toArray(), recomputed[0].toArray());
        assertArrayEquals(plain[1].toArray(), recomputed[1].toArray());
    }

    @Test
    void theGraphKeepsOnlyTheInputsAndTheOutput() {
        Tensor x = Tensor.randn(3, 4, 3).requiresGrad();
        Tensor w = Tensor.randn(4, 3, 3).requiresGrad();
        int plain = Graph.of(BLOCK.apply(new Tensor[] {x, w})).steps().size();
        int checkpointed = Graph.of(Autodiff.checkpoint(BLOCK).apply(new Tensor[] {x, w})).steps().size();
        assertTrue(plain > 20, "the block records its intermediates: " + plain);
        assertEquals(1, checkpointed, "the checkpoint's one step on x and w");
    }

    @Test
    void everyOrderAndForwardModeByFiniteDifferences() {
        Fn cp = Autodiff.checkpoint(BLOCK);
        GradCheck g = GradCheck.of(xs -> cp.apply(xs).sin().sum());
        g.check(Tensor.randn(5, 2, 3), Tensor.randn(6, 3, 3).mul(0.5));
        g.checkSecondOrder(Tensor.randn(5, 2, 3), Tensor.randn(6, 3, 3).mul(0.5));
        Tensor x = Tensor.randn(7, 2, 3);
        Tensor w = Tensor.randn(8, 3, 3);
        Tensor v = Tensor.randn(9, 2, 3);
        Tensor vw = Tensor.zeros(3, 3);
        assertArrayEquals(Autodiff.jvp(BLOCK, new Tensor[] {x, w}, new Tensor[] {v, vw}).tangent().toArray(),
                Autodiff.jvp(cp, new Tensor[] {x, w}, new Tensor[] {v, vw}).tangent().toArray(), 1e-14);
    }
}
