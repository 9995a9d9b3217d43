package dev.autodiff.kernel;

/**
 * exp, expm1, log, log1p, tanh, sigmoid and softplus of our own, from range reduction and polynomials
 * evaluated with fused multiply-adds: plain IEEE arithmetic, {@link Math#fma} and bit operations only, so
 * that every JIT tier (and the interpreter) computes the same bits.
 *
 * <p>These are the scalar forms: the 0-dim fast path, short arrays, the tails of the vector loops and the
 * JVMs without the Vector API. {@code VectorTranscendentals} performs the same IEEE operations in the same
 * order on whole vectors (a form for the common range, and the scalar form lane by lane, or a vector form
 * giving the same bits, for the rest), so an element gets the same bits whichever path computes it.
 * Change one only together with the other; {@code TranscendentalsTest} checks that they agree bit for bit
 * and measures the error against StrictMath.
 */
final class Transcendentals {
    private Transcendentals() {}

    // ---- exp and expm1: x = k ln2 + r, |r| <= ln2/2, e^x = 2^k e^r

    static final double INV_LN2 = 0x1.71547652b82fep0;
    /** ln 2 rounded, and the rest: r = x - k LN2_HI - k LN2_LO by two fused multiply-adds. */
    static final double LN2_HI = 0x1.62e42fefa39efp-1;
    static final double LN2_LO = 0x1.abc9e3b39803fp-56;
    /** 1.5 * 2^52: adding it rounds to an integer and leaves that integer in the low bits. */
    static final double SHIFT = 0x1.8p52;
    static final long SHIFT_BITS = 0x4338000000000000L;
    static final long ONE_BITS = 0x3ff0000000000000L;
    /** Within this |x| 2^k is a normal double and e^x is one scaling away from e^r. */
    static final double EXP_FAST = 708.0;
    /** Beyond these, e^x is +inf (above) or 0 (below) in double; clamping x there keeps k small. */
    static final double EXP_CLAMP_HI = 710.0;
    static final double EXP_CLAMP_LO = -746.0;
    /** expm1 below this is -1 in double (e^-40 is under half an ulp of 1); above EXPM1_FAST 2^k may overflow. */
    static final double EXPM1_LO = -40.0;
    static final double EXPM1_FAST = 709.0;

    /**
     * q(r) = (e^r - 1 - r) / r^2 on |r| <= 0.3471, degree 10, near-minimax (Chebyshev fit in mpmath at 60
     * digits, then rounded): its error adds at most 0.003 ulp to e^r.
     */
    static final double Q0 = 0.5;
    static final double Q1 = 0x1.5555555555557p-3;
    static final double Q2 = 0x1.5555555555556p-5;
    static final double Q3 = 0x1.11111111100acp-7;
    static final double Q4 = 0x1.6c16c16c162b9p-10;
    static final double Q5 = 0x1.a01a01ac01d24p-13;
    static final double Q6 = 0x1.a01a01a6e74b3p-16;
    static final double Q7 = 0x1.71de01dfcc31ap-19;
    static final double Q8 = 0x1.27e4db35b1922p-22;
    static final double Q9 = 0x1.af4e93725a555p-26;
    static final double Q10 = 0x1.1f736461fd0b2p-29;

    // ---- log and log1p: x = 2^k (1 + f), sqrt(2)/2 <= 1 + f < sqrt(2), as fdlibm's e_log.c

    /** The bits of sqrt(2)/2: x's bits minus these give k (above bit 52) and m's mantissa (below). */
    static final long SQRT_HALF_BITS = 0x3fe6a09e667f3bcdL;
    /** k + 1022 lies in [0, 2046], so a logical shift finds it (no 64-bit arithmetic shift on AVX2). */
    static final long K_BIAS_BITS = 1022L << 52;
    /** ln 2 in two parts, the first with 11 zero bits at the end: k LOG_LN2_HI is exact. */
    static final double LOG_LN2_HI = 0x1.62e42fee00000p-1;
    static final double LOG_LN2_LO = 0x1.a39ef35793c76p-33;
    /** fdlibm's coefficients of log(1+f) = 2s + s R(s^2)... with s = f/(2+f) (e_log.c, Lg1 to Lg7). */
    static final double LG1 = 6.666666666666735130e-01;
    static final double LG2 = 3.999999999940941908e-01;
    static final double LG3 = 2.857142874366239149e-01;
    static final double LG4 = 2.222219843214978396e-01;
    static final double LG5 = 1.818357216161805012e-01;
    static final double LG6 = 1.531383769920937332e-01;
    static final double LG7 = 1.479819860511658591e-01;
    static final double TWO_POW_52 = 0x1p52;
    static final long MANTISSA_BITS = 0x000fffffffffffffL;
    /** tanh is +-1 in double beyond |x| = 20 (1 - tanh 20 = 8.5e-18); softplus is x beyond 20, as PyTorch's. */
    static final double TANH_CLAMP = 20.0;
    static final long SIGN_BIT = 0x8000000000000000L;
    static final double SOFTPLUS_THRESHOLD = 20.0;

    // ------------------------------------------------------------------------------------------------

    /** e^x within 1 ulp. */
    static double exp(double x) {
        if (!(Math.abs(x) <= EXP_FAST)) {
            return expWide(x);
        }
        double z = Math.fma(x, INV_LN2, SHIFT);
        double k = z - SHIFT;
        double r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        return Double.longBitsToDouble(Double.doubleToRawLongBits(expOfReduced(r)) + (Double.doubleToRawLongBits(z) << 52));
    }

    /**
     * e^x for any x, NaN and infinities included: x clamped to [-746, 710] (the results there are 0 and +inf
     * already) and 2^k applied in two halves, each a normal double, so that overflow and subnormal results
     * round once. For |x| <= EXP_FAST it gives the bits of {@link #exp}'s single scaling (both are exact).
     */
    static double expWide(double x) {
        double xc = Math.max(Math.min(x, EXP_CLAMP_HI), EXP_CLAMP_LO);
        double z = Math.fma(xc, INV_LN2, SHIFT);
        double k = z - SHIFT;
        double r = Math.fma(k, -LN2_HI, xc);
        r = Math.fma(k, -LN2_LO, r);
        double z1 = Math.fma(k, 0.5, SHIFT); // k1 = round(k / 2)
        double z2 = (k - (z1 - SHIFT)) + SHIFT; // k2 = k - k1
        return expOfReduced(r) * scale(z1) * scale(z2);
    }

    /** e^r = 1 + r + r^2 q(r), with 1 + r split exactly into hi + lo (Fast2Sum): 0.72 ulp at worst, 1.01 without. */
    static double expOfReduced(double r) {
        double r2 = r * r;
        double hi = 1.0 + r;
        double lo = (1.0 - hi) + r;
        return hi + Math.fma(r2, q(r, r2), lo);
    }

    /**
     * 2^k for z = SHIFT + k, |k| <= 1022: k sits in z's low bits. (exp's fast path adds k to e^r's exponent
     * bits instead of multiplying by this: the same bits, as the product is exact there, one operation less.)
     */
    static double scale(double z) {
        return Double.longBitsToDouble((Double.doubleToRawLongBits(z) << 52) + ONE_BITS);
    }

    /** q(r) by Estrin's scheme (depth 5, where Horner's is 10: the loops are bound by latency); r2 = r * r. */
    static double q(double r, double r2) {
        double r4 = r2 * r2;
        double a0 = Math.fma(Q1, r, Q0);
        double a1 = Math.fma(Q3, r, Q2);
        double a2 = Math.fma(Q5, r, Q4);
        double a3 = Math.fma(Q7, r, Q6);
        double a4 = Math.fma(Q9, r, Q8);
        double b0 = Math.fma(a1, r2, a0);
        double b1 = Math.fma(a3, r2, a2);
        double b2 = Math.fma(Q10, r2, a4);
        return Math.fma(Math.fma(b2, r4, b1), r4, b0);
    }

    /** e^x - 1 within 1 ulp, exact near 0 (and -0.0 for -0.0). */
    static double expm1(double x) {
        if (!(x <= EXPM1_FAST)) {
            return x != x ? x : exp(x) - 1.0; // e^x - 1 rounds as e^x up there
        }
        double y = expm1Fast(Math.max(x, EXPM1_LO));
        return x == 0 ? x : y;
    }

    /**
     * e^x - 1 for -40 <= x <= 709 (or NaN): 2^k (1 + p) - 1 with p = e^r - 1 = r + r^2 q(r), summed as
     * t + 2^k r (t = 2^k - 1, Fast2Sum) + the small rest, and t's own rounding (k > 53) carried in the rest.
     */
    static double expm1Fast(double x) {
        double z = Math.fma(x, INV_LN2, SHIFT);
        double k = z - SHIFT;
        double rh = Math.fma(k, -LN2_HI, x); // exact
        double rl = k * -LN2_LO;
        double r = rh + rl;
        double dr = (rh - r) + rl; // what r lost: 2^k e^r dr is up to 0.7 ulp of the result when k = 1
        double s = scale(z);
        double t = s - 1.0;
        double tErr = (s - t) - 1.0;
        double sr = s * r;
        double hi = t + sr;
        double err = (t - hi) + sr;
        double sd = s * dr;
        return hi + Math.fma(sr, r * q(r, r * r), (err + tErr) + Math.fma(sd, r, sd));
    }

    /** log x within 1 ulp: -inf at 0, NaN below, +inf at +inf. */
    static double log(double x) {
        if (!(x >= Double.MIN_NORMAL && x < Double.POSITIVE_INFINITY)) {
            return logSpecial(x);
        }
        long t = Double.doubleToRawLongBits(x) + (K_BIAS_BITS - SQRT_HALF_BITS);
        double m = Double.longBitsToDouble((t & MANTISSA_BITS) + SQRT_HALF_BITS);
        double k = Double.longBitsToDouble((t >>> 52) + SHIFT_BITS) - (SHIFT + 1022.0);
        return logTail(m - 1.0, k);
    }

    private static double logSpecial(double x) {
        if (x > 0 && x < Double.MIN_NORMAL) { // subnormal: scaled by 2^52 to a normal, 52 taken off k
            long t = Double.doubleToRawLongBits(x * TWO_POW_52) + (K_BIAS_BITS - SQRT_HALF_BITS);
            double m = Double.longBitsToDouble((t & MANTISSA_BITS) + SQRT_HALF_BITS);
            double k = Double.longBitsToDouble((t >>> 52) + SHIFT_BITS) - (SHIFT + 1022.0 + 52.0);
            return logTail(m - 1.0, k);
        }
        if (x == 0) {
            return Double.NEGATIVE_INFINITY;
        }
        return x > 0 ? x : Double.NaN; // +inf; NaN or negative
    }

    /**
     * k ln2 + log(1 + f) for sqrt(2)/2 - 1 <= f < sqrt(2) - 1 as fdlibm's e_log.c: s = f / (2 + f),
     * log(1+f) = f - (f^2/2 - s (f^2/2 + R(s^2))), with fused multiply-adds. s enters only the small
     * correction, so fdlibm's rounded quotient is accurate enough. (A division-free s, from a fitted
     * 1/(2 + f), a Newton step and a residual correction, took nine operations on the FMA ports where the
     * division takes one on the divider, and the vector loop ran 20-25% slower, same run, JDK 17 and 25.)
     */
    static double logTail(double f, double k) {
        return logTail(f, k, 0.0);
    }

    private static double logTail(double f, double k, double c) {
        double hfsq = 0.5 * f * f;
        double s = f / (f + 2.0);
        double z = s * s;
        double rr = z * Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(LG7, z, LG6), z, LG5), z, LG4), z, LG3), z, LG2), z, LG1);
        return Math.fma(k, LOG_LN2_HI, f - (hfsq - Math.fma(s, hfsq + rr, Math.fma(k, LOG_LN2_LO, c))));
    }

    /** log(1 + x) within 1 ulp, exact near 0 (and -0.0 for -0.0): -inf at -1, NaN below, +inf at +inf. */
    static double log1p(double x) {
        if (!(x > -1.0 && x < Double.POSITIVE_INFINITY)) {
            return x == -1.0 ? Double.NEGATIVE_INFINITY : x > 0 ? x : Double.NaN;
        }
        double y = log1pFast(x);
        return x == 0 ? x : y;
    }

    /**
     * log(1 + x) for x > -1 (finite, or NaN): fdlibm's s_log1p.c without branches. u = 1 + x rounded,
     * c = (1 + x - u) / u exactly from TwoSum, and log(1 + x) = log u + c, c added where fdlibm adds it.
     */
    static double log1pFast(double x) {
        double u = 1.0 + x;
        double xb = u - 1.0;
        double c = ((1.0 - (u - xb)) + (x - xb)) / u;
        long t = Double.doubleToRawLongBits(u) + (K_BIAS_BITS - SQRT_HALF_BITS);
        double m = Double.longBitsToDouble((t & MANTISSA_BITS) + SQRT_HALF_BITS);
        double k = Double.longBitsToDouble((t >>> 52) + SHIFT_BITS) - (SHIFT + 1022.0);
        return logTail(m - 1.0, k, c);
    }

    /**
     * tanh |x| = e / (e + 2) with e = expm1(2|x|) >= 0 (no cancellation near 0, and e's error damped by
     * 2 / (e + 2); with e = expm1(2x) < 0 it was amplified, up to 2.4 ulp), x's sign put back (-0.0 kept);
     * 1 beyond |x| = 20.
     */
    static double tanh(double x) {
        double a = Math.min(Math.abs(x), TANH_CLAMP);
        double e = expm1Fast(a + a);
        double y = e / (e + 2.0);
        return Double.longBitsToDouble(Double.doubleToRawLongBits(y) | (Double.doubleToRawLongBits(x) & SIGN_BIT));
    }

    /**
     * 1 / (1 + e^-x) as (x < 0 ? e : 1) / (1 + e) with e = e^-|x| in (0, 1]: no overflow, 0 and 1 at the
     * extremes, finite for every x but NaN.
     */
    static double sigmoid(double x) {
        double e = exp(-Math.abs(x));
        return (x < 0 ? e : 1.0) / (1.0 + e);
    }

    /** PyTorch's softplus (beta 1, threshold 20): x above 20, else log1p(e^x), which is e^x for very negative x. */
    static double softplus(double x) {
        return x > SOFTPLUS_THRESHOLD ? x : log1pFast(exp(x));
    }
}
