package dev.autodiff.kernel;

import java.util.concurrent.ForkJoinPool;

/**
 * How many threads a kernel may split its work over: the calling thread plus the workers of
 * {@link ForkJoinPool#commonPool()}. Read once at start-up, never changed afterwards (no global mutable
 * state): {@code -Dautodiff.threads=N} sets it (1 = never split, as {@code torch.set_num_threads(1)});
 * otherwise a common pool started with {@code -Djava.util.concurrent.ForkJoinPool.common.parallelism=0}
 * has no workers at all (although it reports a parallelism of 1), so the count is 1; else the pool's
 * parallelism plus the caller.
 */
public final class Threads {
    private Threads() {}

    /** The number of parts a large kernel splits into; at least 1. */
    public static final int COUNT = count();

    private static int count() {
        Integer configured = Integer.getInteger("autodiff.threads");
        if (configured != null) {
            if (configured < 1) {
                throw new IllegalArgumentException("autodiff.threads must be at least 1, got " + configured);
            }
            return configured;
        }
        if ("0".equals(System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism", "").trim())) {
            return 1;
        }
        return ForkJoinPool.getCommonPoolParallelism() + 1;
    }
}
