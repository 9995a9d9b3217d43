package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import dev.autodiff.nn.data.FashionMnist;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fashion-mnist recipe on a small synthetic task, in float32 and float64 (fashion.dtype), not the real data. */
class FashionMnistSampleTest {
    /** n images, class = which third of the image (left, middle, right) holds a bright 8 x 8 square, plus noise. */
    private static FashionMnist.Split squares(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] labels = new int[n];
        double[] px = new double[n * 784];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            int col = 2 + labels[i] * 9 + r.nextInt(2);
            int row = 4 + r.nextInt(16);
            for (int p = 0; p < 784; p++) {
                px[i * 784 + p] = 0.1 * r.nextDouble();
            }
            for (int a = 0; a < 8; a++) {
                for (int b = 0; b < 8; b++) {
                    px[i * 784 + (row + a) * 28 + col + b] = 1.0;
                }
            }
        }
        return new FashionMnist.Split(Tensor.fromArray(px, n, 1, 28, 28), labels);
    }

    @Test
    void float32LearnsAsFloat64Does() {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        double[] a32;
        double[] a64;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            a32 = FashionMnistSample.train(squares(512, 1), squares(200, 2), 2, 7, DType.FLOAT32, 0);
            a64 = FashionMnistSample.train(squares(512, 1), squares(200, 2), 2, 7, DType.FLOAT64, 0);
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
