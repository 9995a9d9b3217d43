package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The spark-fashion-mnist sample on 300 synthetic 784-pixel images (no dataset needed): ten classes, each a bright
 * block of pixels of its own plus noise, so the MLP learns them. Every Spark run must land on the one-machine
 * reference's parameters to rounding, and batch inference must classify the held-out images better than chance.
 */
class SparkFashionMnistSampleTest {
    static Tensor images(int n, long seed, int[] labels) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n * 784];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(10);
            for (int p = 0; p < 784; p++) {
                v[i * 784 + p] = 0.2 * r.nextDouble() + (p / 78 == labels[i] ? 0.8 : 0);
            }
        }
        return Tensor.fromArray(v, n, 784);
    }

    @Test
    void everyRunEqualsTheReferenceAndInferenceClassifies() {
        int[] labels = new int[300];
        int[] testLabels = new int[100];
        Tensor train = images(300, 1, labels);
        Tensor test = images(100, 2, testLabels);
        SparkFashionMnistSample.Outcome o = SparkFashionMnistSample.train(train, labels, test, testLabels, 1, 32,
                new String[] {"local[1]", "local[2]"});
        assertEquals(5, o.runs().size(), "the reference, then ORDERED and BARRIER on local[1] and local[2]");
        for (SparkFashionMnistSample.Run r : o.runs()) {
            assertTrue(r.maxDiff() < 1e-12, r.name() + ": " + r.maxDiff());
            assertEquals(o.referenceLastLoss(), r.lastLoss(), 1e-12, r.name() + ": the last step's loss");
            assertTrue(r.examplesPerSecond() > 0, r.name());
        }
        assertTrue(o.accuracy() > 0.5, "batch inference classifies the held-out blocks: " + o.accuracy());
    }
}
