package dev.autodiff;

/**
 * A try-with-resources scope that changes this thread's grad mode or anomaly mode and restores the
 * previous setting on {@link #close()}. Obtain one from {@link Autodiff#noGrad()},
 * {@link Autodiff#enableGrad()} or {@link Autodiff#detectAnomaly()}.
 */
public final class GradScope implements AutoCloseable {
    private final Thread owner = Thread.currentThread();
    private final boolean previousEnabled;
    private final boolean previousAnomaly;
    private boolean closed;

    GradScope(boolean enabled, boolean anomaly) {
        GradMode mode = GradMode.current();
        previousEnabled = mode.enabled;
        previousAnomaly = mode.anomaly;
        mode.enabled = enabled;
        mode.anomaly = anomaly;
    }

    @Override
    public void close() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("GradScope: closed on thread '" + Thread.currentThread().getName()
                    + "' but opened on '" + owner.getName() + "'; grad mode is per thread");
        }
        if (!closed) {
            closed = true;
            GradMode mode = GradMode.current();
            mode.enabled = previousEnabled;
            mode.anomaly = previousAnomaly;
        }
    }
}
