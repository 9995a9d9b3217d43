package dev.autodiff.nn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.data.Batch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Metrics on logits whose rankings are worked out by hand in the comments. */
class MetricsTest {
    private static Batch labels(int... y) {
        double[] v = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            v[i] = y[i];
        }
        return new Batch(Tensor.zeros(y.length, 1), Tensor.fromArray(v));
    }

    // example 0: label 2 ranks 1st; 1: label 0 ranks 3rd; 2: tie of 1 and 2 at the top, label 2 ranks 2nd
    // (the lower index first); 3: NaN at class 0 ranks above all, label 1 (the max number) ranks 2nd
    private static final Tensor LOGITS = Tensor.fromArray(new double[] {
        0.1, 0.2, 0.9,
        0.1, 0.5, 0.3,
        0.0, 0.7, 0.7,
        Double.NaN, 5, 1}, 4, 3);
    private static final Batch Y = labels(2, 0, 2, 1);

    @Test
    void accuracyAndTopK() {
        Metric top1 = Metrics.accuracy().get();
        top1.update(LOGITS, Y);
        assertEquals(0.25, top1.value());
        Metric top2 = Metrics.topK(2).get();
        top2.update(LOGITS, Y);
        assertEquals(0.75, top2.value());
        Metric top3 = Metrics.topK(3).get();
        top3.update(LOGITS, Y);
        assertEquals(1.0, top3.value());
        // accumulates over batches until reset
        top1.update(LOGITS.slice(0, 0, 1), labels(2));
        assertEquals(2 / 5.0, top1.value());
        top1.reset();
        assertTrue(Double.isNaN(top1.value()));
        assertEquals("top2", top2.name());
    }

    @Test
    void accuracyAgreesWithArgmax() {
        // top-1 is argmax's pick (first maximum, NaN as the maximum), which the confusion matrix uses
        ConfusionMatrix cm = new ConfusionMatrix(List.of("a", "b", "c"));
        cm.update(LOGITS, Y);
        Metric top1 = Metrics.accuracy().get();
        top1.update(LOGITS, Y);
        assertEquals(top1.value(), cm.value());
        // predictions: 2, 1, 1, 0
        assertEquals(1, cm.count(2, 2));
        assertEquals(1, cm.count(0, 1));
        assertEquals(1, cm.count(2, 1));
        assertEquals(1, cm.count(1, 0));
        assertEquals(0.5, cm.recall(2));
        assertEquals(0.0, cm.precision(1));
        assertEquals(0.0, cm.precision(0));
        assertEquals(1.0, cm.precision(2));
        assertTrue(cm.toString().contains("recall") && cm.toString().contains("2 c"), cm.toString());
    }

    @Test
    void badShapesAndLabelsAreNamed() {
        Metric top1 = Metrics.accuracy().get();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> top1.update(Tensor.zeros(3, 2), Y));
        assertTrue(e.getMessage().startsWith("accuracy:") && e.getMessage().contains("[3, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> top1.update(Tensor.zeros(1, 2), labels(2)));
        assertTrue(e.getMessage().contains("label 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metrics.topK(0));
    }
}
