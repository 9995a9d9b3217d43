package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Fused in-place updates ({@link InPlace#update}): the values, the version counters, and what is refused. */
class InPlaceTest {
    /** m = 0.9 m + 0.1 g; p -= 0.5 m, one pass, on tensors large enough to be split over threads. */
    private static final InPlace.Kernel MOMENTUM = (from, to, out, in) -> {
        double[] p = out[0];
        double[] m = out[1];
        double[] g = in[0];
        for (int i = from; i < to; i++) {
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            p[i] -= 0.5 * m[i];
        }
    };

    @Test
    void updatesEveryElementAsTheFormulaSaysWhateverTheSplit() {
        for (int n : new int[] {0, 1, 1023, 1025, 300_001}) {
            Tensor p = Tensor.randn(1, n).requiresGrad();
            Tensor m = Tensor.randn(2, n);
            Tensor g = Tensor.randn(3, n);
            double[] p0 = p.toArray();
            double[] m0 = m.toArray();
            double[] g0 = g.toArray();
            InPlace.update("momentum", new Tensor[] {p, m}, new Tensor[] {g}, MOMENTUM);
            for (int i = 0; i < n; i++) {
                double mi = 0.9 * m0[i] + 0.1 * g0[i];
                assertEquals(mi, m.get(i), 0.0, "m, element " + i + " of " + n);
                assertEquals(p0[i] - 0.5 * mi, p.get(i), 0.0, "p, element " + i + " of " + n);
            }
            assertArrayEquals(g0, g.toArray(), 0.0, "the input is unchanged");
            assertEquals(1, p.version());
            assertEquals(1, m.version());
            assertEquals(0, g.version(), "a tensor only read keeps its version");
        }
    }

    @Test
    void aBackwardThroughAValueSavedBeforeTheUpdateThrowsAndViewsSeeTheNewValues() {
        Tensor p = Tensor.fromArray(new double[] {1, 2, 3, 4}).requiresGrad();
        Tensor view = p.reshape(2, 2);
        Tensor loss = p.mul(p).sum(); // mul saved p at version 0
        InPlace.update("halve", new Tensor[] {p}, new Tensor[0], (from, to, out, in) -> {
            for (int i = from; i < to; i++) {
                out[0][i] *= 0.5;
            }
        });
        assertArrayEquals(new double[] {0.5, 1, 1.5, 2}, view.toArray(), "a view shares the storage");
        assertEquals(1, view.version(), "and the version counter");
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("version 1") && e.getMessage().contains("recorded version 0"), e.getMessage());
    }

    @Test
    void anInputMayShareStorageWithAnOutput() {
        Tensor p = Tensor.fromArray(new double[] {1, 2, 3}).requiresGrad();
        Tensor m = Tensor.zeros(3);
        InPlace.update("momentum", new Tensor[] {p, m}, new Tensor[] {p.detach()}, MOMENTUM);
        assertArrayEquals(new double[] {0.1, 0.2, 0.3}, m.toArray(), 1e-16);
        assertArrayEquals(new double[] {0.95, 1.9, 2.85}, p.toArray(), 1e-15);
    }

    @Test
    void refusesBeforeChangingAnythingNamingTheOperation() {
        Tensor p = Tensor.ones(3).requiresGrad();
        Tensor m = Tensor.zeros(3);
        Tensor g = Tensor.ones(3);
        AtomicInteger runs = new AtomicInteger();
        InPlace.Kernel counting = (from, to, out, in) -> runs.incrementAndGet();
        refused(IllegalArgumentException.class, "[2]",
                () -> InPlace.update("opt", new Tensor[] {p, Tensor.zeros(2)}, new Tensor[] {g}, counting));
        refused(IllegalArgumentException.class, "tensor to read 0 has shape [3, 1]",
                () -> InPlace.update("opt", new Tensor[] {p, m}, new Tensor[] {Tensor.ones(3, 1)}, counting));
        refused(IllegalStateException.class, "computed by 'exp'",
                () -> InPlace.update("opt", new Tensor[] {m, p.exp()}, new Tensor[] {g}, counting));
        refused(IllegalStateException.class, "computed tensor",
                () -> InPlace.update("opt", new Tensor[] {p.exp().detach()}, new Tensor[] {g}, counting));
        refused(IllegalArgumentException.class, "share their storage",
                () -> InPlace.update("opt", new Tensor[] {p, p.reshape(3)}, new Tensor[] {g}, counting));
        refused(IllegalArgumentException.class, "no tensors to update",
                () -> InPlace.update("opt", new Tensor[0], new Tensor[] {g}, counting));
        refused(NullPointerException.class, "tensor to update 1 is null",
                () -> InPlace.update("opt", new Tensor[] {p, null}, new Tensor[] {g}, counting));
        refused(NullPointerException.class, "tensor to read 0 is null",
                () -> InPlace.update("opt", new Tensor[] {p}, new Tensor[] {null}, counting));
        refused(NullPointerException.class, "kernel is null",
                () -> InPlace.update("opt", new Tensor[] {p}, new Tensor[] {g}, null));
        refused(IllegalStateException.class, "dual",
                () -> Autodiff.jvp(t -> {
                    InPlace.update("opt", new Tensor[] {m}, new Tensor[] {t}, counting);
                    return t;
                }, g, g));
        assertEquals(0, runs.get(), "no kernel ran");
        assertArrayEquals(new double[] {1, 1, 1}, p.toArray());
        assertArrayEquals(new double[] {0, 0, 0}, m.toArray());
        assertEquals(0, p.version());
    }

    @Test
    void aKernelThatThrowsStillBumpsTheVersionsOfWhatItMayHaveChanged() {
        Tensor p = Tensor.ones(3).requiresGrad();
        Tensor loss = p.mul(p).sum();
        assertThrows(ArithmeticException.class, () -> InPlace.update("opt", new Tensor[] {p}, new Tensor[0], (from, to, out, in) -> {
            out[0][0] = 5;
            throw new ArithmeticException("kernel failed");
        }));
        assertEquals(1, p.version());
        assertThrows(IllegalStateException.class, loss::backward);
    }

    private static void refused(Class<? extends RuntimeException> type, String message, Executable call) {
        RuntimeException e = assertThrows(type, call);
        assertTrue(e.getMessage().contains("opt") && e.getMessage().contains(message), e.getMessage());
    }
}
