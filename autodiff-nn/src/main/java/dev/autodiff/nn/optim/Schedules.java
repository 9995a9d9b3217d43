package dev.autodiff.nn.optim;

/**
 * Learning-rate schedules as functions of the epoch (0, 1, 2, ...), in PyTorch's closed forms. Every rate and
 * factor is finite and >= 0, so every learning rate is; a negative epoch is an error.
 */
public final class Schedules {
    private Schedules() {}

    /** A learning rate per epoch. */
    @FunctionalInterface
    public interface Schedule {
        double lr(int epoch);
    }

    /** lr0 * gamma^floor(epoch / stepSize) (StepLR). */
    public static Schedule step(double lr0, int stepSize, double gamma) {
        String who = "Schedules.step";
        check(who, "lr0", lr0);
        check(who, "gamma", gamma);
        if (stepSize < 1) {
            throw new IllegalArgumentException(who + ": stepSize must be >= 1, got " + stepSize);
        }
        return e -> lr0 * Math.pow(gamma, epoch(who, e) / stepSize);
    }

    /** lr0 * gamma^epoch (ExponentialLR). */
    public static Schedule exponential(double lr0, double gamma) {
        String who = "Schedules.exponential";
        check(who, "lr0", lr0);
        check(who, "gamma", gamma);
        return e -> lr0 * Math.pow(gamma, epoch(who, e));
    }

    /** lr0 / (1 + rate * epoch). */
    public static Schedule inverseTime(double lr0, double rate) {
        String who = "Schedules.inverseTime";
        check(who, "lr0", lr0);
        check(who, "rate", rate);
        return e -> lr0 / (1 + rate * epoch(who, e));
    }

    /**
     * etaMin + (lr0 - etaMin) (1 + cos(pi epoch / tMax)) / 2 (CosineAnnealingLR): down to etaMin at tMax and,
     * as PyTorch's, back up along the same cosine after it.
     */
    public static Schedule cosine(double lr0, int tMax, double etaMin) {
        String who = "Schedules.cosine";
        check(who, "lr0", lr0);
        check(who, "etaMin", etaMin);
        if (tMax < 1) {
            throw new IllegalArgumentException(who + ": tMax must be >= 1, got " + tMax);
        }
        return e -> etaMin + (lr0 - etaMin) * (1 + Math.cos(Math.PI * epoch(who, e) / tMax)) / 2;
    }

    private static void check(String who, String what, double v) {
        if (!(v >= 0 && v < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(who + ": " + what + " must be finite and >= 0, got " + v);
        }
    }

    private static int epoch(String who, int e) {
        if (e < 0) {
            throw new IllegalArgumentException(who + ": the epoch must be >= 0, got " + e);
        }
        return e;
    }
}
