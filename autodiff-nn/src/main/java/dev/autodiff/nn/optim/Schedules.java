package dev.autodiff.nn.optim;

/** Learning-rate schedules as functions of the epoch (0, 1, 2, ...), in PyTorch's closed forms. */
public final class Schedules {
    private Schedules() {}

    /** A learning rate per epoch. */
    @FunctionalInterface
    public interface Schedule {
        double lr(int epoch);
    }

    /** lr0 * gamma^floor(epoch / stepSize) (StepLR). */
    public static Schedule step(double lr0, int stepSize, double gamma) {
        if (stepSize < 1) {
            throw new IllegalArgumentException("Schedules.step: stepSize must be >= 1, got " + stepSize);
        }
        return e -> lr0 * Math.pow(gamma, e / stepSize);
    }

    /** lr0 * gamma^epoch (ExponentialLR). */
    public static Schedule exponential(double lr0, double gamma) {
        return e -> lr0 * Math.pow(gamma, e);
    }

    /** lr0 / (1 + rate * epoch). */
    public static Schedule inverseTime(double lr0, double rate) {
        return e -> lr0 / (1 + rate * e);
    }

    /**
     * etaMin + (lr0 - etaMin) (1 + cos(pi epoch / tMax)) / 2 (CosineAnnealingLR): down to etaMin at tMax and,
     * as PyTorch's, back up along the same cosine after it.
     */
    public static Schedule cosine(double lr0, int tMax, double etaMin) {
        if (tMax < 1) {
            throw new IllegalArgumentException("Schedules.cosine: tMax must be >= 1, got " + tMax);
        }
        return e -> etaMin + (lr0 - etaMin) * (1 + Math.cos(Math.PI * e / tMax)) / 2;
    }
}
