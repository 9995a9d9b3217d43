package dev.autodiff.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.Tensor;
import org.junit.jupiter.api.Test;

/** The module and its baseline, two cells unrolled, compute the same loss and the same gradients. */
class StackedLstmBenchmarkTest {
    @Test
    void moduleAndUnrolledCellsAgree() {
        StackedLstmBenchmark b = new StackedLstmBenchmark();
        b.setup();
        double module = b.lstmForwardBackward().item();
        double cells = b.cellsUnrolledForwardBackward().item();
        assertEquals(cells, module, 1e-9 * Math.abs(cells));
        for (int l = 0; l < 2; l++) {
            Tensor g = b.lstm.parameters().get("weight_hh_l" + l).grad().transpose(0, 1);
            Tensor gc = (l == 0 ? b.layer0 : b.layer1).parameters().get("weightHh").grad();
            assertArrayEquals(gc.shape(), g.shape());
            double[] e = gc.toArray();
            double[] a = g.toArray();
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], a[i], 1e-9 * (1 + Math.abs(e[i])), "layer " + l + " weight_hh gradient at " + i);
            }
        }
    }
}
