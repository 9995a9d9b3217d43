package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The fashion-mnist recipe on a small synthetic task, in float32 and float64 (fashion.dtype), not the real data. */
class FashionMnistSampleTest {
    @Test
    void float32LearnsAsFloat64Does() {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        double[] a32;
        double[] a64;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            a32 = FashionMnistSample.train(LeNetSampleTest.squares(512, 1), LeNetSampleTest.squares(200, 2), 2, 7, DType.FLOAT32, 0);
            a64 = FashionMnistSample.train(LeNetSampleTest.squares(512, 1), LeNetSampleTest.squares(200, 2), 2, 7, DType.FLOAT64, 0);
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("training in float32"), out);
        assertTrue(out.contains("epoch 2  train"), out);
        assertTrue(a64[1] > 0.9, "float64 learns the squares: " + a64[1]);
        // the same seeds, so the same weights (rounded) and batches: float32 ends at float64's accuracy
        assertEquals(a64[1], a32[1], 0.02, "float32 against float64 test accuracy");
    }

    @Test
    void dtypeOption() {
        assertEquals(DType.FLOAT32, FashionMnistSample.dtype("float32"));
        assertEquals(DType.FLOAT64, FashionMnistSample.dtype("float64"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FashionMnistSample.dtype("half"));
        assertTrue(e.getMessage().startsWith("fashion.dtype: expected float32 or float64, got 'half'"), e.getMessage());
    }
}
