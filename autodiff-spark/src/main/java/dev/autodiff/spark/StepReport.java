package dev.autodiff.spark;

/**
 * One optimiser step on the driver: its epoch and step within it (both from 1), the global step (from 1), the
 * global batch's mean loss, its examples, and the examples per second since the previous report.
 */
public record StepReport(int epoch, int step, int globalStep, double loss, int examples, double examplesPerSecond) {
    @Override
    public String toString() {
        return String.format("epoch %d step %d (global %d): loss %.6f, %d examples, %.0f examples/s", epoch, step, globalStep,
                loss, examples, examplesPerSecond);
    }
}
