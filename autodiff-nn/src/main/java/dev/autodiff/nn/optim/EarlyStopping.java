package dev.autodiff.nn.optim;

/**
 * Stops when a validation metric has not improved by more than minDelta for {@code patience} checks. A NaN
 * metric never counts as an improvement.
 */
public final class EarlyStopping {
    private final int patience;
    private final double minDelta;
    private final boolean maximize;
    private double best;
    private int bad;

    /** For a loss (lower is better) pass maximize = false; for an accuracy, true. */
    public EarlyStopping(int patience, double minDelta, boolean maximize) {
        if (patience < 1 || !(minDelta >= 0 && minDelta < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("EarlyStopping: need patience >= 1 and a finite minDelta >= 0, got " + patience + ", " + minDelta);
        }
        this.patience = patience;
        this.minDelta = minDelta;
        this.maximize = maximize;
        this.best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** Records a metric; returns true when training should stop. */
    public boolean update(double metric) {
        boolean improved = maximize ? metric > best + minDelta : metric < best - minDelta;
        if (improved) {
            best = metric;
            bad = 0;
        } else {
            bad++;
        }
        return bad >= patience;
    }

    public double best() {
        return best;
    }
}
