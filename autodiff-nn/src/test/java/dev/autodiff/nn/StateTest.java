package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** State that must not change, or change only as PyTorch's does: Module.summary, batch norm's running statistics. */
class StateTest {
    private static void same(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertArrayEquals(expected.toArray(), actual.toArray(), 1e-12, what);
    }

    @Test
    void batchNormOnAnEmptyBatchLeavesItsRunningStatistics() {
        BatchNorm1d bn = new BatchNorm1d(3);
        Tensor x = Tensor.randn(5, 4, 3);
        bn.forward(x); // one real update
        double[] mean = bn.runningMean().toArray();
        double[] var = bn.runningVar().toArray();
        Tensor y = bn.forward(Tensor.zeros(0, 3));
        assertArrayEquals(new int[] {0, 3}, y.shape());
        assertArrayEquals(mean, bn.runningMean().toArray(), 0.0, "running mean after an empty batch (was NaN for ever)");
        assertArrayEquals(var, bn.runningVar().toArray(), 0.0, "running variance after an empty batch");
        assertArrayEquals(new int[] {2, 3, 0}, bn.forward(Tensor.zeros(2, 3, 0)).shape());
        assertArrayEquals(mean, bn.runningMean().toArray(), 0.0, "running mean after (2, 3, 0)");
        bn.eval();
        assertArrayEquals(new int[] {0, 3}, bn.forward(Tensor.zeros(0, 3)).shape());
    }

    // ---- summary changes nothing -----------------------------------------------------------------------------

    @Test
    void summaryChangesNoState() {
        BatchNorm1d bn = new BatchNorm1d(3);
        Dropout drop = new Dropout(0.5, 42);
        Sequential net = new Sequential(new Linear(3, 3, 1), bn, drop, new Linear(3, 2, 2));
        net.forward(Tensor.randn(5, 8, 3)); // give the running statistics values of their own
        net.children().get("3").eval(); // a mixed state of modes, to be kept as it is
        Map<String, double[]> before = snapshot(net);
        Map<String, Integer> versions = new LinkedHashMap<>();
        net.parameters().forEach((k, t) -> versions.put(k, t.version()));
        net.buffers().forEach((k, t) -> versions.put(k, t.version()));
        assertEquals(List.of("1.runningMean", "1.runningVar"), List.copyOf(net.buffers().keySet()));

        String s = net.summary(4, 3);
        assertTrue(s.contains("BatchNorm1d(3)") && s.contains("[4, 2]"), s);

        Map<String, double[]> after = snapshot(net);
        for (String k : before.keySet()) {
            assertArrayEquals(before.get(k), after.get(k), 0.0, k + " changed in summary");
        }
        net.parameters().forEach((k, t) -> assertEquals(versions.get(k), t.version(), k + " was written"));
        net.buffers().forEach((k, t) -> assertEquals(versions.get(k), t.version(), k + " was written"));
        assertTrue(net.isTraining() && bn.isTraining() && drop.isTraining(), "modes restored");
        assertFalse(net.children().get("3").isTraining(), "a submodule's own mode restored");
        // the dropout mask stream was not drawn from: the next mask is a twin's second, after one (8, 3) mask
        Dropout twin = new Dropout(0.5, 42);
        twin.forward(Tensor.ones(8, 3));
        Tensor ones = Tensor.ones(4, 3);
        same(twin.forward(ones), drop.forward(ones), "dropout's generator untouched");
        net.parameters().values().forEach(p -> assertTrue(p.grad() == null, "summary left a gradient"));
    }

    private static Map<String, double[]> snapshot(dev.autodiff.nn.Module m) {
        Map<String, double[]> out = new LinkedHashMap<>();
        m.parameters().forEach((k, t) -> out.put("param " + k, t.toArray()));
        m.buffers().forEach((k, t) -> out.put("buffer " + k, t.toArray()));
        return out;
    }

    @Test
    void summaryRestoresStateEvenWhenAForwardWritesIt() {
        // a user module whose forward (in any mode) changes its parameter: summary puts the value back
        dev.autodiff.nn.Module odd = new dev.autodiff.nn.Module() {
            private final Tensor w = param("w", Tensor.ones(2));

            @Override
            public Tensor forward(Tensor x) {
                try (dev.autodiff.GradScope g = Autodiff.noGrad()) {
                    w.assign(w.mul(3.0));
                }
                return x.mul(w);
            }
        };
        odd.summary(2);
        assertArrayEquals(new double[] {1, 1}, odd.parameters().get("w").toArray(), 0.0);
    }
}
