package dev.autodiff;

/** Per-thread switches: whether ops record a graph, and whether anomaly detection is on. */
final class GradMode {
    private static final ThreadLocal<GradMode> CURRENT = ThreadLocal.withInitial(GradMode::new);

    boolean enabled = true;
    boolean anomaly = false;

    static GradMode current() {
        return CURRENT.get();
    }
}
