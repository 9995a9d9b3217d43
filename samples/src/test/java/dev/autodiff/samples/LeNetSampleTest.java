package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.conv.Conv2d;
import dev.autodiff.nn.data.FashionMnist;
import dev.autodiff.nn.train.Progress;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lenet sample on a small synthetic task (a bright square in one of three places), not the real data. */
class LeNetSampleTest {
    @TempDir
    Path dir;

    /**
     * n images, class = which third of the image (left, middle, right) holds a bright 8 x 8 square, plus noise (the
     * fashion-mnist sample's test uses them too).
     */
    static FashionMnist.Split squares(int n, long seed) {
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
    void trainsPrintsAndDrawsAndResumes() throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        LeNetSample.Result result;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            result = LeNetSample.train(squares(600, 1), squares(200, 2), 2, 7, Integer.MAX_VALUE, false, dir, Progress.none());
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("total parameters: 61,706"), out); // 156 + 2,416 + 48,120 + 10,164 + 850, counted by hand
        assertTrue(out.contains("[1, 16, 5, 5]") && out.contains("recall"), out);
        assertEquals(2, result.history().size());
        assertTrue(result.testAccuracy() > 0.9, "three positions are easy: " + result.testAccuracy());
        // the confusion matrix adds up to the test set, and its diagonal is the accuracy
        long all = 0;
        long right = 0;
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 10; j++) {
                all += result.confusion().count(i, j);
                right += i == j ? result.confusion().count(i, j) : 0;
            }
        }
        assertEquals(200, all);
        assertEquals(right / 200.0, result.testAccuracy(), 0.0);
        for (String f : new String[] {"loss.png", "accuracy.svg", "history.csv", "filters.png", "misclassified.png"}) {
            assertTrue(Files.size(dir.resolve(f)) > 100, f);
        }
        // the filter picture: filter f's pixel (i, j) is its weight scaled by that filter's own min and max
        BufferedImage img = ImageIO.read(dir.resolve("filters.png").toFile());
        double[] w = ((Conv2d) result.model().children().get("0")).weight().toArray();
        for (int f = 0; f < 6; f++) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < 25; k++) {
                lo = Math.min(lo, w[f * 25 + k]);
                hi = Math.max(hi, w[f * 25 + k]);
            }
            for (int k = 0; k < 25; k++) {
                int x = 8 + f * (5 * 24 + 8) + (k % 5) * 24 + 12;
                int y = 8 + (k / 5) * 24 + 12;
                int expected = (int) Math.round(255 * (w[f * 25 + k] - lo) / (hi - lo));
                assertEquals(expected, img.getRGB(x, y) & 0xff, "filter " + f + " pixel " + k);
            }
        }
        // resuming a finished run trains no more and gives back its history
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        LeNetSample.Result again;
        try {
            again = LeNetSample.train(squares(600, 1), squares(200, 2), 2, 7, Integer.MAX_VALUE, true, dir, Progress.none());
        } finally {
            System.setOut(saved);
        }
        assertArrayEquals(result.history().get("val_loss"), again.history().get("val_loss"), 0.0);
        assertEquals(result.testAccuracy(), again.testAccuracy(), 0.0);
        // and a fresh run with the same seed gives the same bits
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        LeNetSample.Result twin;
        try {
            twin = LeNetSample.train(squares(600, 1), squares(200, 2), 2, 7, Integer.MAX_VALUE, false, dir, Progress.none());
        } finally {
            System.setOut(saved);
        }
        assertArrayEquals(result.history().get("train_loss"), twin.history().get("train_loss"), 0.0);
        assertArrayEquals(((Conv2d) result.model().children().get("0")).weight().toArray(),
                ((Conv2d) twin.model().children().get("0")).weight().toArray(), 0.0);
    }
}
