package dev.autodiff.kernel;

/**
 * How many threads a kernel may split its work over: the calling thread plus the {@link Workers}. Read
 * once at start-up, never changed afterwards (no global mutable state): {@code -Dautodiff.threads=N} sets
 * it (1 = never split, as {@code torch.set_num_threads(1)}); otherwise it is the number of processors the
 * JVM sees.
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
        return Runtime.getRuntime().availableProcessors();
    }
}
