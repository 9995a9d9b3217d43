package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-thread pool of recycled arrays: zero-filled like new ones, bounded, never shared between threads. */
class BuffersTest {
    @AfterEach
    void reset() {
        Buffers.setEnabled(true);
    }

    @Test
    void aRecycledArrayComesBackZeroFilled() {
        Buffers.clear();
        double[] a = new double[5000];
        Arrays.fill(a, 7.5);
        Buffers.recycle(a);
        assertEquals(40_000, Buffers.pooledBytes());
        double[] b = Buffers.zeros(5000);
        assertSame(a, b);
        assertArrayEquals(new double[5000], b, 0.0);
        assertEquals(0, Buffers.pooledBytes());
        assertNotSame(a, Buffers.zeros(5000), "handed out once only");
    }

    @Test
    void onlyTheSameLengthIsReusedAndSmallArraysAreNotKept() {
        Buffers.clear();
        Buffers.recycle(new double[4096]);
        assertEquals(4097, Buffers.zeros(4097).length); // a new array: none of that length waits
        assertEquals(8 * 4096, Buffers.pooledBytes());
        Buffers.recycle(new double[Buffers.MIN_LENGTH - 1]);
        assertEquals(8 * 4096, Buffers.pooledBytes());
    }

    @Test
    void recyclingAnArrayTwiceIsAnInternalErrorNotASilentAlias() {
        Buffers.clear();
        double[] a = new double[3000];
        Buffers.recycle(a);
        assertThrows(IllegalStateException.class, () -> Buffers.recycle(a));
    }

    @Test
    void thePoolIsBounded() {
        Buffers.clear();
        for (int i = 0; i < 100; i++) {
            Buffers.recycle(new double[Buffers.MIN_LENGTH]);
        }
        assertEquals(Buffers.MAX_PER_LENGTH * 8L * Buffers.MIN_LENGTH, Buffers.pooledBytes());
        int big = (int) (Buffers.MAX_BYTES / 8 / 3);
        for (int i = 0; i < 5; i++) {
            Buffers.recycle(new double[big]);
        }
        assertTrue(Buffers.pooledBytes() <= Buffers.MAX_BYTES);
    }

    @Test
    void anotherThreadNeverGetsThisThreadsArrays() throws InterruptedException {
        Buffers.clear();
        double[] a = new double[3000];
        Buffers.recycle(a);
        AtomicReference<double[]> other = new AtomicReference<>();
        Thread t = new Thread(() -> other.set(Buffers.zeros(3000)));
        t.start();
        t.join();
        assertNotSame(a, other.get());
        assertSame(a, Buffers.zeros(3000));
    }

    @Test
    void disabledRecyclesNothing() {
        Buffers.setEnabled(false);
        Buffers.recycle(new double[3000]);
        assertEquals(0, Buffers.pooledBytes());
    }
}
