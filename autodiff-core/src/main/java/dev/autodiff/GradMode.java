package dev.autodiff;

/**
 * Per-thread switches: whether ops record a graph, whether anomaly detection is on, and the counter
 * that gives each forward-mode level its id. Ids only grow, so a nested jvp always has a higher level
 * than the one around it, and two jvps never share one.
 */
final class GradMode {
    private static final ThreadLocal<GradMode> CURRENT = ThreadLocal.withInitial(GradMode::new);

    boolean enabled = true;
    boolean anomaly = false;
    private int lastLevel = 0;

    static GradMode current() {
        return CURRENT.get();
    }

    int newLevel() {
        if (lastLevel == Integer.MAX_VALUE) {
            throw new IllegalStateException("jvp: forward-mode levels exhausted on this thread");
        }
        return ++lastLevel;
    }
}
