package dev.autodiff.kernel;

import java.util.ArrayDeque;

/**
 * Where result arrays come from: {@link #zeros} is {@code new double[n]}, except that it may hand back an array that
 * was {@link #recycle recycled} on this thread, zero-filled. An array is recycled only by code that can prove that
 * nothing references it any more (the backward pass, for gradient buffers it made, consumed and did not pass on),
 * so a recycled array is as private as a new one and the values computed into it are the same bits. The pool is per
 * thread (no locking, no state shared between threads) and bounded.
 */
public final class Buffers {
    private Buffers() {}

    /** Arrays shorter than this are allocated directly: recycling them saves less than the lookup costs. */
    static final int MIN_LENGTH = 2048;
    /** At most this many bytes of recycled arrays wait on one thread. */
    static final long MAX_BYTES = 64L << 20;
    /** At most this many arrays of one length wait on one thread. */
    static final int MAX_PER_LENGTH = 16;

    private static final ThreadLocal<Pool> POOL = ThreadLocal.withInitial(Pool::new);

    /** This thread's recycled arrays, by length (a handful of distinct lengths: a linear scan, no boxing). */
    private static final class Pool {
        int[] lengths = new int[8];
        @SuppressWarnings("unchecked")
        ArrayDeque<double[]>[] queues = new ArrayDeque[8];
        int count;
        long bytes;
        boolean enabled = true;

        ArrayDeque<double[]> queue(int n, boolean create) {
            for (int i = 0; i < count; i++) {
                if (lengths[i] == n) {
                    return queues[i];
                }
            }
            if (!create) {
                return null;
            }
            if (count == lengths.length) {
                lengths = java.util.Arrays.copyOf(lengths, count * 2);
                queues = java.util.Arrays.copyOf(queues, count * 2);
            }
            lengths[count] = n;
            queues[count] = new ArrayDeque<>();
            return queues[count++];
        }
    }

    /** A zero-filled array of length n: a recycled one when this thread has one of that length, else a new one. */
    public static double[] zeros(int n) {
        if (n < MIN_LENGTH) {
            return new double[n];
        }
        Pool pool = POOL.get();
        ArrayDeque<double[]> q = pool.enabled ? pool.queue(n, false) : null;
        double[] a = q == null ? null : q.pollLast();
        if (a == null) {
            return new double[n];
        }
        pool.bytes -= 8L * n;
        java.util.Arrays.fill(a, 0.0);
        return a;
    }

    /**
     * Gives an array back for reuse by a later {@link #zeros} on this thread. The caller guarantees that nothing
     * references it any more and that it will not touch it again; a full pool drops it for the garbage collector.
     */
    public static void recycle(double[] a) {
        if (a.length < MIN_LENGTH) {
            return;
        }
        Pool pool = POOL.get();
        if (!pool.enabled || pool.bytes + 8L * a.length > MAX_BYTES) {
            return;
        }
        ArrayDeque<double[]> q = pool.queue(a.length, true);
        if (q.size() >= MAX_PER_LENGTH) {
            return;
        }
        for (double[] waiting : q) {
            if (waiting == a) {
                throw new IllegalStateException("internal error: an array was recycled twice");
            }
        }
        q.addLast(a);
        pool.bytes += 8L * a.length;
    }

    /** Drops this thread's recycled arrays (for tests and for a thread that is done training). */
    public static void clear() {
        POOL.remove();
    }

    /**
     * Turns recycling on or off for this thread (on by default), dropping what waits: to compare results with and
     * without it, or to measure allocation without it.
     */
    public static void setEnabled(boolean enabled) {
        POOL.remove();
        POOL.get().enabled = enabled;
    }

    /** The bytes of recycled arrays waiting on this thread. */
    public static long pooledBytes() {
        return POOL.get().bytes;
    }
}
