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

    private static final ThreadLocal<Pool<double[]>> POOL = ThreadLocal.withInitial(Pool::new);
    private static final ThreadLocal<Pool<float[]>> POOL32 = ThreadLocal.withInitial(Pool::new);

    /**
     * This thread's recycled arrays of one element type, by length (a handful of distinct lengths: a linear scan, no
     * boxing). Its byte budget is shared with the pool of the other element type through {@link #bytes()}.
     */
    private static final class Pool<A> {
        int[] lengths = new int[8];
        @SuppressWarnings("unchecked")
        ArrayDeque<A>[] queues = new ArrayDeque[8];
        int count;
        long bytes;
        boolean enabled = true;

        ArrayDeque<A> queue(int n, boolean create) {
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

        /** A waiting array of length n, or null. */
        A take(int n, int elementBytes) {
            ArrayDeque<A> q = enabled ? queue(n, false) : null;
            A a = q == null ? null : q.pollLast();
            if (a != null) {
                bytes -= (long) elementBytes * n;
            }
            return a;
        }

        /** Keeps a for a later {@link #take}, unless this thread's pools are full. */
        void give(A a, int n, int elementBytes, long otherBytes) {
            if (!enabled || otherBytes + bytes + (long) elementBytes * n > MAX_BYTES) {
                return;
            }
            ArrayDeque<A> q = queue(n, true);
            if (q.size() >= MAX_PER_LENGTH) {
                return;
            }
            for (A waiting : q) {
                if (waiting == a) {
                    throw new IllegalStateException("internal error: an array was recycled twice");
                }
            }
            q.addLast(a);
            bytes += (long) elementBytes * n;
        }
    }

    /** A zero-filled array of length n: a recycled one when this thread has one of that length, else a new one. */
    public static double[] zeros(int n) {
        double[] a = n < MIN_LENGTH ? null : POOL.get().take(n, 8);
        if (a == null) {
            return new double[n];
        }
        java.util.Arrays.fill(a, 0.0);
        return a;
    }

    /** {@link #zeros} for float32 arrays (a pool of its own, recycled by {@link #recycle(float[])}). */
    public static float[] zeros32(int n) {
        float[] a = n < MIN_LENGTH ? null : POOL32.get().take(n, 4);
        if (a == null) {
            return new float[n];
        }
        java.util.Arrays.fill(a, 0.0f);
        return a;
    }

    /**
     * Gives an array back for reuse by a later {@link #zeros} on this thread. The caller guarantees that nothing
     * references it any more and that it will not touch it again; a full pool drops it for the garbage collector.
     */
    public static void recycle(double[] a) {
        if (a.length >= MIN_LENGTH) {
            POOL.get().give(a, a.length, 8, POOL32.get().bytes);
        }
    }

    /** {@link #recycle(double[])} for float32 arrays, reused by {@link #zeros32}. */
    public static void recycle(float[] a) {
        if (a.length >= MIN_LENGTH) {
            POOL32.get().give(a, a.length, 4, POOL.get().bytes);
        }
    }

    /** Drops this thread's recycled arrays (for tests and for a thread that is done training). */
    public static void clear() {
        POOL.remove();
        POOL32.remove();
    }

    /**
     * Turns recycling on or off for this thread (on by default), dropping what waits: to compare results with and
     * without it, or to measure allocation without it.
     */
    public static void setEnabled(boolean enabled) {
        clear();
        POOL.get().enabled = enabled;
        POOL32.get().enabled = enabled;
    }

    /** The bytes of recycled arrays waiting on this thread. */
    public static long pooledBytes() {
        return POOL.get().bytes + POOL32.get().bytes;
    }
}
