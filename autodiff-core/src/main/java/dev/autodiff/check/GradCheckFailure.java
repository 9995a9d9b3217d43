package dev.autodiff.check;

/** A gradient that disagrees with finite differences; the message names the worst element and both values. */
public final class GradCheckFailure extends AssertionError {
    GradCheckFailure(String message) {
        super(message);
    }
}
