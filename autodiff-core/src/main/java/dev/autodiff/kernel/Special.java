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

    // ---- issue 16: the inverse hyperbolic functions (the JDK has none), as fdlibm's s_asinh.c, e_acosh.c and
    // e_atanh.c, on the library's log and log1p

    private static final double LN2 = 0x1.62e42fefa39efp-1;
    private static final double TWO_POW_28 = 0x1p28;
    private static final double TWO_POW_M28 = 0x1p-28;

    /** asinh x = sign(x) log(|x| + sqrt(x^2 + 1)), in forms without cancellation near 0 and overflow far out. */
    public static double asinh(double x) {
        double a = Math.abs(x);
        if (!(a >= TWO_POW_M28) || a == Double.POSITIVE_INFINITY) {
            return x; // tiny (asinh x = x in double), +-0, +-inf and NaN
        }
        double w;
        if (a > TWO_POW_28) {
            w = Transcendentals.log(a) + LN2; // sqrt(x^2 + 1) = |x| in double
        } else if (a > 2.0) {
            w = Transcendentals.log(2.0 * a + 1.0 / (Math.sqrt(x * x + 1.0) + a));
        } else {
            double t = x * x;
            w = Transcendentals.log1p(a + t / (1.0 + Math.sqrt(1.0 + t))); // |x| + sqrt(x^2+1) - 1, rationalised
        }
        return x < 0 ? -w : w;
    }

    /** acosh x = log(x + sqrt(x^2 - 1)) for x >= 1 (0 at 1), NaN below 1. */
    public static double acosh(double x) {
        if (!(x >= 1.0)) {
            return Double.NaN;
        }
        if (x > TWO_POW_28) {
            return x == Double.POSITIVE_INFINITY ? x : Transcendentals.log(x) + LN2;
        }
        if (x > 2.0) {
            return Transcendentals.log(2.0 * x - 1.0 / (x + Math.sqrt(x * x - 1.0)));
        }
        double t = x - 1.0; // exact for x in [1, 2]
        return Transcendentals.log1p(t + Math.sqrt(2.0 * t + t * t));
    }

    /** atanh x = log((1 + x) / (1 - x)) / 2 on [-1, 1] (+-inf at +-1), NaN outside. */
    public static double atanh(double x) {
        double a = Math.abs(x);
        if (!(a <= 1.0)) {
            return Double.NaN;
        }
        if (a < TWO_POW_M28) {
            return x; // +-0 kept
        }
        double w;
        if (a < 0.5) {
            double t = a + a;
            w = 0.5 * Transcendentals.log1p(t + t * a / (1.0 - a));
        } else {
            w = 0.5 * Transcendentals.log1p((a + a) / (1.0 - a)); // +inf at a = 1
        }
        return x < 0 ? -w : w;
    }
}
