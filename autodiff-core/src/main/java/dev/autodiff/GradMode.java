package dev.autodiff;

/**
 * Per-thread switches: whether ops record a graph, whether anomaly detection is on, and the counter
 * that gives each forward-mode level its id. Ids only grow, so a nested jvp always has a higher level
 * than the one around it, and two jvps never share one.
 */
final class GradMode {
    private static final ThreadLocal<GradMode> CURRENT = ThreadLocal.withInitial(GradMode::new);

    /**
     * The last thread to ask and its switches: every recorded op asks, and on JDK 17 a ThreadLocal lookup was a fifth of
     * a scalar graph's time. An immutable pair, so a thread reads either its own switches or another thread's pair,
     * which it then replaces by its own; never another thread's switches. It holds on to at most one thread's.
     */
    private static final class Last {
        final Thread thread;
        final GradMode mode;

        Last(Thread thread, GradMode mode) {
            this.thread = thread;
            this.mode = mode;
        }
    }

    private static volatile Last last = new Last(null, null);

    boolean enabled = true;
    boolean anomaly = false;
    private int lastLevel = 0;

    static GradMode current() {
        Last l = last;
        Thread t = Thread.currentThread();
        if (l.thread == t) {
            return l.mode;
        }
        GradMode mode = CURRENT.get();
        last = new Last(t, mode);
        return mode;
    }

    int newLevel() {
        if (lastLevel == Integer.MAX_VALUE) {
            throw new IllegalStateException("jvp: forward-mode levels exhausted on this thread");
        }
        return ++lastLevel;
    }
}
