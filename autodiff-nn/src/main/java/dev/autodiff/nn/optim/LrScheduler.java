package dev.autodiff.nn.optim;

import java.util.Objects;
import java.util.function.IntToDoubleFunction;

/**
 * A learning-rate schedule driving an optimizer, as {@code torch.optim.lr_scheduler}: call {@link #step()} once
 * per epoch, after that epoch's optimizer steps, and the optimizer's rate becomes the schedule's value for the
 * next epoch. The base rate is the optimizer's rate when the scheduler is made (so make it before loading a
 * checkpoint, or give the schedule its base explicitly); the closed forms are those of {@link Schedules}
 * (PyTorch's StepLR, ExponentialLR, CosineAnnealingLR and an inverse-time decay). Being closed forms, they set the
 * rate outright each epoch: a rate changed by other means (a manual setLr, a plateau cut) is replaced at the next
 * step, where PyTorch's chainable forms would multiply it on.
 *
 * <pre>{@code
 * Adam adam = new Adam(model.parameters().values(), 1e-3);
 * LrScheduler schedule = LrScheduler.cosine(adam, 10, 0);
 * for (int epoch = 0; epoch < 10; epoch++) { train(...); schedule.step(); }
 * }</pre>
 */
public final class LrScheduler {
    private final Optimizer optimizer;
    private final Schedules.Schedule schedule;
    private int epoch;

    /** Drives {@code optimizer} by {@code schedule} (a learning rate per epoch), setting epoch 0's rate now. */
    public LrScheduler(Optimizer optimizer, Schedules.Schedule schedule) {
        this.optimizer = Objects.requireNonNull(optimizer, "LrScheduler: optimizer is null");
        this.schedule = Objects.requireNonNull(schedule, "LrScheduler: schedule is null");
        apply();
    }

    /** base * gamma^floor(epoch / stepSize) (StepLR). */
    public static LrScheduler step(Optimizer optimizer, int stepSize, double gamma) {
        return new LrScheduler(optimizer, Schedules.step(base(optimizer), stepSize, gamma));
    }

    /** base * gamma^epoch (ExponentialLR). */
    public static LrScheduler exponential(Optimizer optimizer, double gamma) {
        return new LrScheduler(optimizer, Schedules.exponential(base(optimizer), gamma));
    }

    /** base / (1 + rate * epoch) (the lectures' inverse-time decay). */
    public static LrScheduler inverseTime(Optimizer optimizer, double rate) {
        return new LrScheduler(optimizer, Schedules.inverseTime(base(optimizer), rate));
    }

    /** etaMin + (base - etaMin) (1 + cos(pi epoch / tMax)) / 2 (CosineAnnealingLR). */
    public static LrScheduler cosine(Optimizer optimizer, int tMax, double etaMin) {
        return new LrScheduler(optimizer, Schedules.cosine(base(optimizer), tMax, etaMin));
    }

    /** base * factor(epoch) (LambdaLR); the factor must be finite and >= 0. */
    public static LrScheduler lambda(Optimizer optimizer, IntToDoubleFunction factor) {
        Objects.requireNonNull(factor, "LrScheduler.lambda: factor is null");
        double base = base(optimizer);
        return new LrScheduler(optimizer, e -> {
            double f = factor.applyAsDouble(e);
            if (!(f >= 0 && f < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("LrScheduler.lambda: the factor at epoch " + e + " is " + f
                        + "; it must be finite and >= 0");
            }
            return base * f;
        });
    }

    private static double base(Optimizer optimizer) {
        return Objects.requireNonNull(optimizer, "LrScheduler: optimizer is null").lr();
    }

    /** Ends an epoch: the optimizer's rate becomes the schedule's value for the next one. */
    public void step() {
        epoch++;
        apply();
    }

    /** The epoch whose rate is set (0 before the first {@link #step()}). */
    public int epoch() {
        return epoch;
    }

    /** Sets the epoch (as when resuming from a checkpoint) and the optimizer's rate with it. */
    public void setEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("LrScheduler.setEpoch: the epoch must be >= 0, got " + epoch);
        }
        this.epoch = epoch;
        apply();
    }

    /** The rate the schedule gives at {@link #epoch()}. */
    public double lr() {
        return schedule.lr(epoch);
    }

    private void apply() {
        double lr = schedule.lr(epoch);
        if (!(lr >= 0 && lr < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("LrScheduler: the schedule gives " + lr + " at epoch " + epoch
                    + "; a learning rate must be finite and >= 0");
        }
        optimizer.setLr(lr);
    }
}
