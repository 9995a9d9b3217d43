package dev.autodiff.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Schedules against their closed forms worked out here, and ReduceLROnPlateau against PyTorch's rules by hand. */
class LrSchedulerTest {
    private static Sgd sgd(double lr) {
        return new Sgd(List.of(Tensor.zeros(2).requiresGrad()), lr);
    }

    @Test
    void eachStepSetsTheNextEpochsRate() {
        Sgd opt = sgd(0.1);
        LrScheduler s = LrScheduler.step(opt, 2, 0.5);
        double[] expected = {0.1, 0.1, 0.05, 0.05, 0.025};
        for (int e = 0; e < expected.length; e++) {
            assertEquals(e, s.epoch());
            assertEquals(expected[e], opt.lr(), 1e-15, "epoch " + e);
            s.step();
        }
        Sgd o2 = sgd(2);
        LrScheduler exp = LrScheduler.exponential(o2, 0.9);
        exp.step();
        exp.step();
        assertEquals(2 * 0.81, o2.lr(), 1e-15);
        Sgd o3 = sgd(1);
        LrScheduler inv = LrScheduler.inverseTime(o3, 0.5);
        inv.setEpoch(4);
        assertEquals(1 / 3.0, o3.lr(), 1e-15);
        Sgd o4 = sgd(1);
        LrScheduler cos = LrScheduler.cosine(o4, 4, 0.2);
        cos.setEpoch(2); // halfway: etaMin + (1 - etaMin) / 2
        assertEquals(0.6, o4.lr(), 1e-15);
        cos.setEpoch(4);
        assertEquals(0.2, o4.lr(), 1e-15);
        Sgd o5 = sgd(3);
        LrScheduler lambda = LrScheduler.lambda(o5, e -> 1.0 / (e + 1));
        lambda.step();
        lambda.step();
        assertEquals(1.0, o5.lr(), 1e-15);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> LrScheduler.lambda(sgd(1), e -> -1.0));
        assertTrue(bad.getMessage().contains("LrScheduler.lambda") && bad.getMessage().contains("-1.0"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LrScheduler.step(sgd(1), 0, 0.5));
    }

    @Test
    void plateauCutsAfterPatienceAndWaitsOutTheCooldown() {
        Sgd opt = sgd(1);
        ReduceLrOnPlateau p = new ReduceLrOnPlateau(opt, false, 0.5, 1, 0.0, 1, 0.2);
        // 1.0 improves; 1.0 bad (1); 1.0 bad (2 > patience 1): cut to 0.5, cooldown 1
        assertFalse(p.step(1.0));
        assertFalse(p.step(1.0));
        assertTrue(p.step(1.0));
        assertEquals(0.5, opt.lr());
        // cooldown: the bad epoch is not counted; then bad 1, bad 2: cut to 0.25
        assertFalse(p.step(1.0));
        assertFalse(p.step(1.0));
        assertTrue(p.step(1.0));
        assertEquals(0.25, opt.lr());
        // at minLr 0.2 the next cut stops there, the one after changes nothing and says so
        p.step(1.0);
        p.step(1.0);
        assertTrue(p.step(1.0));
        assertEquals(0.2, opt.lr());
        p.step(1.0);
        p.step(1.0);
        assertFalse(p.step(1.0));
        assertEquals(0.2, opt.lr());
        // the relative threshold: 1% below the best is needed to count
        Sgd o2 = sgd(1);
        ReduceLrOnPlateau t = new ReduceLrOnPlateau(o2, false, 0.1, 0, 0.01, 0, 0);
        t.step(100);
        assertTrue(t.step(99.5), "99.5 is within 1% of 100: a bad epoch, and patience 0 cuts at once");
        assertEquals(0.1, o2.lr(), 1e-15);
        assertFalse(t.step(98.9), "below 100 * 0.99: an improvement");
        // a negative best: the margin points away from it (PyTorch's best * 0.99 would count -0.995 as better than -1)
        ReduceLrOnPlateau n = new ReduceLrOnPlateau(sgd(1), false, 0.1, 0, 0.01, 0, 0);
        n.step(-1);
        assertTrue(n.step(-0.995));
        assertEquals(-1.0, n.best());
    }

    @Test
    void plateauStateRoundTripsAndNaNNeverImproves() {
        Sgd opt = sgd(1);
        ReduceLrOnPlateau p = new ReduceLrOnPlateau(opt, true, 0.5, 2, 0, 0, 0);
        p.step(0.3);
        p.step(Double.NaN);
        assertEquals(0.3, p.best());
        ReduceLrOnPlateau q = new ReduceLrOnPlateau(sgd(1), true, 0.5, 2, 0, 0, 0);
        q.loadState(p.state());
        assertEquals(p.best(), q.best());
        assertEquals(java.util.Arrays.toString(p.state()), java.util.Arrays.toString(q.state()));
        assertThrows(IllegalArgumentException.class, () -> q.loadState(new double[] {0, -1, 0}));
    }
}
