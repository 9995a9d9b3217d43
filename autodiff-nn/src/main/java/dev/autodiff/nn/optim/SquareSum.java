package dev.autodiff.nn.optim;

/**
 * A sum of squares kept as an unevaluated pair hi + lo (double-double): each square is split exactly,
 * x^2 = h + l with l = fma(x, x, -h), and each addition's rounding error is carried in lo (Knuth's two-sum), so the
 * pair stays within about (n 2^-53)^2 of the exact sum, relative, and {@link #value()} rounds it once. So the value
 * is the correctly rounded sum, whatever order the terms and partial sums came in (as over the ranges a parameter is
 * split into for the threads), unless the exact sum lies that close to the midpoint between two doubles (a chance of
 * order n 2^-53): LAMB's norms do not depend on the thread count. Not thread-safe: one per range, merged with
 * {@link #add(SquareSum)} under a lock.
 */
final class SquareSum {
    private double hi;
    private double lo;

    /** Adds x^2. */
    void addSquare(double x) {
        double h = x * x;
        double l = Math.fma(x, x, -h);
        add(h, l);
    }

    /** Adds another partial sum. */
    void add(SquareSum other) {
        add(other.hi, other.lo);
    }

    private void add(double h, double l) {
        double s = hi + h;
        double b = s - hi;
        double err = (hi - (s - b)) + (h - b); // two-sum: hi + h == s + err exactly
        lo += err + l;
        hi = s;
    }

    /** The sum, rounded once; infinity or NaN as soon as a term was (the error terms are then meaningless). */
    double value() {
        return Double.isFinite(hi) ? hi + lo : hi;
    }
}
