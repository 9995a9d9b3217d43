package dev.autodiff.nn.optim;

import java.util.Objects;

/**
 * Cuts the learning rate when a validation metric stops improving, as torch.optim.lr_scheduler.ReduceLROnPlateau
 * (relative threshold): call {@link #step(double)} with the metric after each epoch. The metric improves when it
 * beats the best so far by more than {@code threshold} relatively (below best * (1 - threshold) when minimising,
 * above best * (1 + threshold) when maximising); after more than {@code patience} epochs without improvement the
 * rate becomes max(lr * factor, minLr), unless that changes it by less than 1e-8, and {@code cooldown} epochs
 * follow in which bad epochs are not counted. A NaN metric is never an improvement.
 *
 * <p>One deliberate difference: PyTorch compares with best * (1 - threshold) whatever the sign of best, so for
 * a negative best (a log-likelihood, say) a slightly worse value counts as an improvement there; here the
 * margin always points away from the best (best * (1 + threshold) for a negative best when minimising).
 */
public final class ReduceLrOnPlateau {
    private static final double EPS = 1e-8;
    private final Optimizer optimizer;
    private final boolean maximize;
    private final double factor;
    private final int patience;
    private final double threshold;
    private final int cooldown;
    private final double minLr;
    private double best;
    private int bad;
    private int cooldownLeft;

    /** PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4, no cooldown, minLr 0. */
    public ReduceLrOnPlateau(Optimizer optimizer, boolean maximize) {
        this(optimizer, maximize, 0.1, 10, 1e-4, 0, 0);
    }

    public ReduceLrOnPlateau(Optimizer optimizer, boolean maximize, double factor, int patience, double threshold,
            int cooldown, double minLr) {
        this.optimizer = Objects.requireNonNull(optimizer, "ReduceLrOnPlateau: optimizer is null");
        if (!(factor >= 0 && factor < 1)) {
            throw new IllegalArgumentException("ReduceLrOnPlateau: factor must be in [0, 1), got " + factor);
        }
        if (patience < 0 || cooldown < 0) {
            throw new IllegalArgumentException("ReduceLrOnPlateau: patience and cooldown must be >= 0, got " + patience
                    + " and " + cooldown);
        }
        if (!(threshold >= 0 && threshold < 1) || !(minLr >= 0 && minLr < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("ReduceLrOnPlateau: need 0 <= threshold < 1 and a finite minLr >= 0, got "
                    + threshold + " and " + minLr);
        }
        this.maximize = maximize;
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.cooldown = cooldown;
        this.minLr = minLr;
        this.best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** Records an epoch's metric and cuts the rate if it has stalled; returns true when it cut. */
    public boolean step(double metric) {
        if (maximize ? metric > best * (best >= 0 ? 1 + threshold : 1 - threshold)
                : metric < best * (best >= 0 ? 1 - threshold : 1 + threshold)) {
            best = metric;
            bad = 0;
        } else {
            bad++;
        }
        if (cooldownLeft > 0) {
            cooldownLeft--;
            bad = 0;
        }
        if (bad > patience) {
            double old = optimizer.lr();
            double cut = Math.max(old * factor, minLr);
            bad = 0;
            cooldownLeft = cooldown;
            if (old - cut > EPS) {
                optimizer.setLr(cut);
                return true;
            }
        }
        return false;
    }

    /**
     * The state to checkpoint: the best metric, the bad epochs counted, the cooldown epochs left, and the mode
     * (1 when maximising, 0 when minimising), which {@link #loadState} checks against this one's.
     */
    public double[] state() {
        return new double[] {best, bad, cooldownLeft, maximize ? 1 : 0};
    }

    /** Restores what {@link #state()} gave. */
    public void loadState(double[] state) {
        Objects.requireNonNull(state, "ReduceLrOnPlateau.loadState: state is null");
        if (state.length != 4 || Double.isNaN(state[0]) || state[3] != (maximize ? 1 : 0) || !(state[1] >= 0 && state[1] == Math.rint(state[1]) && state[1] <= Integer.MAX_VALUE)
                || !(state[2] >= 0 && state[2] == Math.rint(state[2]) && state[2] <= Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("ReduceLrOnPlateau.loadState: expected {best (not NaN), bad epochs, cooldown "
                    + "left, mode " + (maximize ? 1 : 0) + " (" + (maximize ? "maximising" : "minimising") + ")} with whole "
                    + "counts >= 0, got " + java.util.Arrays.toString(state));
        }
        best = state[0];
        bad = (int) state[1];
        cooldownLeft = (int) state[2];
    }

    /** The best metric so far. */
    public double best() {
        return best;
    }
}
