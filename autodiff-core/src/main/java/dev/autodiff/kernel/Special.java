package dev.autodiff.kernel;

/** Special functions the JDK lacks, to double precision, on our own exp (the same bits in every JIT tier). */
public final class Special {
    private Special() {}

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;

    /**
     * The error function. For |x| <= 2 the series erf x = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1 3 5 ... (2n+1)),
     * whose terms are all positive (no cancellation); beyond, 1 - erfc x with erfc from its continued fraction.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r;
        if (a <= 2.0) {
            double term = a;
            double sum = a;
            double x2 = 2 * a * a;
            for (int n = 1; n < 200 && term > 1e-17 * sum; n++) {
                term *= x2 / (2 * n + 1);
                sum += term;
            }
            r = TWO_OVER_SQRT_PI * Transcendentals.exp(-a * a) * sum;
        } else {
            r = 1.0 - erfcLarge(a);
        }
        return x < 0 ? -r : r;
    }

    /**
     * erfc(x) for x > 2 from the continued fraction e^(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
     * evaluated by Lentz's method.
     */
    private static double erfcLarge(double x) {
        if (x > 27) {
            return 0.0; // below the smallest double
        }
        double tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0;
        for (int n = 1; n < 500; n++) {
            double an = n / 2.0;
            d = x + an * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = x + an / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return ONE_OVER_SQRT_PI * Transcendentals.exp(-x * x) / f;
    }
}
