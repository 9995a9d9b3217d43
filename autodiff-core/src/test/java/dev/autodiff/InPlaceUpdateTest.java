package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one sanctioned way to change values in place, and the version check that keeps backward honest. */
class InPlaceUpdateTest {
    @Test
    void backwardThroughAValueUpdatedSinceItWasSavedThrowsNamingOpAndVersions() {
        Tensor w = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        Tensor x = Tensor.fromArray(new double[] {3, 4});
        Tensor loss = w.mul(x).sum(); // mul saved w at version 0
        w.addInPlace(Tensor.ones(2), -0.1);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("'mul'") && e.getMessage().contains("version 1")
                && e.getMessage().contains("recorded version 0"), e.getMessage());
    }

    /** w += alpha x, checked element by element on a weight large enough to be split over threads. */
    @Test
    void addInPlaceAddsTheScaledTensorEverywhere() {
        int n = 300_001;
        Tensor w = Tensor.randn(40, n);
        Tensor x = Tensor.randn(41, n);
        double[] before = w.toArray();
        double[] xs = x.toArray();
        w.addInPlace(x, -0.25);
        double[] after = w.toArray();
        for (int i = 0; i < n; i++) {
            assertEquals(before[i] - 0.25 * xs[i], after[i], 0.0, "element " + i);
        }
    }

    @Test
    void updatesThroughViewsAreCaughtToo() {
        Tensor w = Tensor.fromArray(new double[] {1, 2, 3, 4}).requiresGrad();
        Tensor loss = w.reshape(2, 2).exp().sum(); // exp saved its output; reshape's input is w's storage
        Tensor view = w.detach();
        view.assign(Tensor.zeros(4));
        assertEquals(0.0, w.get(0), "assign writes the shared storage");
        assertThrows(IllegalStateException.class, loss::backward);
        Tensor w2 = Tensor.fromArray(new double[] {1, 2, 3, 4}).requiresGrad();
        Tensor r = w2.reshape(2, 2);
        Tensor loss2 = r.square().sum();
        w2.assign(Tensor.ones(4));
        IllegalStateException e = assertThrows(IllegalStateException.class, loss2::backward);
        assertTrue(e.getMessage().contains("'mul'"), e.getMessage());
    }

    @Test
    void updatingAfterBackwardIsFineAndTheNextStepSeesTheNewValues() {
        Tensor w = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        w.square().sum().backward();
        assertArrayEquals(new double[] {2, 4}, w.grad().toArray());
        w.addInPlace(w.grad(), -0.25); // w = w - 0.25 * 2w = 0.5 w
        assertArrayEquals(new double[] {0.5, 1}, w.toArray());
        assertEquals(1, w.version());
        w.zeroGrad();
        w.square().sum().backward();
        assertArrayEquals(new double[] {1, 2}, w.grad().toArray());
    }

    @Test
    void sgdByAddInPlaceEqualsTheOutOfPlaceUpdate() {
        Tensor a = Tensor.randn(1, 3, 4).requiresGrad();
        Tensor b = a.detach().mul(1.0).requiresGrad();
        Tensor x = Tensor.randn(2, 4, 2);
        for (int step = 0; step < 5; step++) {
            Tensor ga = Autodiff.grad(a.matmul(x).tanh().sum(), a)[0];
            a.addInPlace(ga, -0.1);
            Tensor gb = Autodiff.grad(b.matmul(x).tanh().sum(), b)[0];
            try (GradScope s = Autodiff.noGrad()) {
                b = b.sub(gb.mul(0.1)).requiresGrad();
            }
        }
        assertArrayEquals(b.toArray(), a.toArray(), 1e-15);
    }

    @Test
    void onlyLeavesOfTheSameShapeOutsideForwardMode() {
        Tensor w = Tensor.ones(2).requiresGrad();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.exp().assign(Tensor.ones(2)));
        assertTrue(e.getMessage().contains("leaf") && e.getMessage().contains("exp"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> w.assign(Tensor.ones(3)));
        assertTrue(e2.getMessage().contains("[3]") && e2.getMessage().contains("[2]"), e2.getMessage());
        assertThrows(IllegalStateException.class,
                () -> Autodiff.jvp(t -> t.assign(Tensor.ones(2)), Tensor.ones(2), Tensor.ones(2)));
    }

    @Test
    void valuesSavedBeforeAnUpdateOfAnotherTensorAreUnaffected() {
        Tensor w = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        Tensor other = Tensor.fromArray(new double[] {5, 5}).requiresGrad();
        Tensor loss = w.mul(2.0).sum();
        other.addInPlace(Tensor.ones(2), 1.0);
        loss.backward();
        assertArrayEquals(new double[] {2, 2}, w.grad().toArray());
    }

    @Test
    void viewsOfComputedTensorsCannotBeUpdated() {
        Tensor x = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        Tensor y = x.exp(); // exp's backward reads y
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.detach().assign(Tensor.zeros(2)));
        assertTrue(e.getMessage().contains("computed tensor"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> y.reshape(2, 1).detach().addInPlace(Tensor.ones(2, 1), 1.0));
        y.sum().backward();
        assertArrayEquals(new double[] {Math.exp(1), Math.exp(2)}, x.grad().toArray());
    }

    @Test
    void setGradReplacesWithoutTouchingSharedGradients() {
        Tensor a = Tensor.scalar(1).requiresGrad();
        Tensor b = Tensor.scalar(2).requiresGrad();
        Tensor seed = Tensor.scalar(3);
        a.add(b).backward(seed); // add passes the same gradient tensor to both inputs
        a.setGrad(a.grad().mul(0.5));
        assertEquals(1.5, a.grad().item());
        assertEquals(3.0, b.grad().item());
        assertEquals(3.0, seed.item());
        assertThrows(IllegalArgumentException.class, () -> a.setGrad(Tensor.ones(2)));
    }

    /**
     * A step given a float32 kernel runs it, on the float arrays, exactly when the parameter, its state and its
     * gradient are all float32; otherwise the float64 kernel runs (on chunks of any float32 array). Either way the
     * versions bump and the gradient's buffer stays private.
     */
    @Test
    void aFloat32KernelRunsWhenEveryTensorIsFloat32() {
        int n = 70_001; // split over threads
        for (DType pd : DType.values()) {
            for (DType sd : DType.values()) {
                Tensor p = Tensor.randn(1, n).to(pd).requiresGrad();
                Tensor state = Tensor.zeros(sd, n);
                p.mul(p).sum().backward(); // g = 2 p
                double[] before = p.toArray();
                boolean[] ran32 = {false};
                InPlace.step("test", p, new Tensor[] {state}, (from, to, out, in) -> {
                    for (int k = from; k < to; k++) {
                        out[1][k] = in[0][k];
                        out[0][k] -= 0.25 * in[0][k];
                    }
                }, (from, to, out, in) -> {
                    ran32[0] = true;
                    for (int k = from; k < to; k++) {
                        out[1][k] = in[0][k];
                        out[0][k] -= 0.25f * in[0][k];
                    }
                });
                boolean all32 = pd == DType.FLOAT32 && sd == DType.FLOAT32;
                assertEquals(all32, ran32[0], pd + " parameter, " + sd + " state");
                assertEquals(1, p.version());
                assertEquals(1, state.version());
                double[] after = p.toArray();
                double[] st = state.toArray();
                for (int k = 0; k < n; k++) {
                    // 2 p and p - 0.25 (2 p) = p / 2 are exact in either dtype; a float32 state rounds a float64 2 p
                    double g = 2 * before[k];
                    assertEquals(sd == DType.FLOAT32 ? (float) g : g, st[k], 0.0, "state " + k);
                    assertEquals(before[k] / 2, after[k], 0.0, "parameter " + k);
                }
            }
        }
    }
}
