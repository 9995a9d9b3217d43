package dev.autodiff.kernel;

/**
 * Float32 exp, expm1, log, tanh and sigmoid computed in float (issue 19): {@link Transcendentals}' reductions in float
 * arithmetic, with the low-order parts carried where a float32 intermediate would cost an ulp, so that every result
 * is within 1 ulp of the correctly rounded value (TranscendentalsFloat32Test measures it). Plain IEEE float
 * arithmetic, {@link Math#fma(float, float, float)} and bit operations only, so that every JIT tier computes the
 * same bits.
 *
 * <p>These are the scalar forms: short arrays, the tails of the vector loops, lanes outside the common range and the
 * JVMs without the Vector API. {@code VectorTranscendentals32} performs the same float operations in the same order
 * on 16 (AVX-512) or 8 (AVX2) lanes, so an element gets the same bits whichever path computes it; change one only
 * together with the other. (The float64 kernels on widened values, rounded, are correctly rounded almost always but
 * run at half the lanes; these trade that last half ulp for twice the lanes.)
 */
final class Transcendentals32 {
    private Transcendentals32() {}

    /** The ops with a float kernel here. */
    static boolean has(Elementwise.Unary op) {
        switch (op) {
            case EXP: case EXPM1: case LOG: case TANH: case SIGMOID: return true;
            default: return false;
        }
    }

    // ---- exp: x = k ln2 + r, |r| <= ln2/2, e^x = 2^k e^r

    static final float INV_LN2 = 0x1.715476p0f;
    /** ln 2 rounded to float, and the rest: k LN2_HI is exact in a fused multiply-add, so x - k LN2_HI is too. */
    static final float LN2_HI = 0x1.62e43p-1f;
    static final float LN2_LO = -0x1.05c61p-29f;
    /** 1.5 * 2^23: adding it rounds to an integer and leaves that integer in the low bits. */
    static final float SHIFT = 0x1.8p23f;
    static final int SHIFT_BITS = 0x4b400000;
    static final int ONE_BITS = 0x3f800000;
    /** Beyond these e^x is +inf (above 88.72) or 0 (below -103.97) in float: clamping x there keeps k in [-150, 128]. */
    static final float EXP_CLAMP_HI = 89f;
    static final float EXP_CLAMP_LO = -104f;
    /** Within this |x|, k is in [-125, 125] and e^x = 2^k e^r a normal float: one scaling, exact (no clamp). */
    static final float EXP_FAST = 86f;
    /** expm1 below this is -1 in float (e^-18 is under half an ulp of 1); above EXPM1_FAST 2^k may overflow. */
    static final float EXPM1_LO = -18f;
    static final float EXPM1_FAST = 88f;

    /**
     * q(r) = (e^r - 1 - r) / r^2 on |r| <= 0.3466, degree 5, least squares on Chebyshev nodes (mpmath, 40 digits),
     * the coefficients rounded to float: 1 + r + r^2 q(r) is e^r within 2^-30.4, relative.
     */
    static final float Q0 = 0.5f;
    static final float Q1 = 0x1.555556p-3f;
    static final float Q2 = 0x1.5554eap-5f;
    static final float Q3 = 0x1.1110c6p-7f;
    static final float Q4 = 0x1.6d4326p-10f;
    static final float Q5 = 0x1.a1517ap-13f;

    // ---- log: x = 2^k m, sqrt(2)/2 <= m < sqrt(2), f = m - 1, as fdlibm's e_logf.c (musl's coefficients)

    /** The bits of sqrt(2)/2 rounded: x's bits minus these give k (above bit 23) and m's mantissa (below). */
    static final int SQRT_HALF_BITS = 0x3f3504f3;
    static final int K_BIAS_BITS = 126 << 23;
    static final int MANTISSA_BITS = 0x007fffff;
    /** musl's logf: |(log(1+s) - log(1-s))/s - 2 - R(s^2)/s| < 2^-34.24 with R = Lg1 z + ... + Lg4 z^4. */
    static final float LG1 = 0x1.555554p-1f;
    static final float LG2 = 0x1.999c26p-2f;
    static final float LG3 = 0x1.23d3dcp-2f;
    static final float LG4 = 0x1.f13c4cp-3f;
    static final float TWO_POW_23 = 0x1p23f;
    static final int SIGN_BIT = 0x80000000;
    /** tanh is +-1 in float beyond |x| = 9.01 (1 - tanh 9.01 is under half an ulp below 1). */
    static final float TANH_CLAMP = 10f;
    /** Below this sigmoid is e^x in float (e^x / (1 + e^x) differs from it by a factor 1 - 1.4e-11). */
    static final float SIGMOID_LO = -25f;

    /** y[i] = op(x[i]) for i in [from, to), op one of {@link #has}. */
    static void unary(Elementwise.Unary op, float[] x, float[] y, int from, int to) {
        switch (op) {
            case EXP: for (int i = from; i < to; i++) y[i] = exp(x[i]); break;
            case EXPM1: for (int i = from; i < to; i++) y[i] = expm1(x[i]); break;
            case LOG: for (int i = from; i < to; i++) y[i] = log(x[i]); break;
            case TANH: for (int i = from; i < to; i++) y[i] = tanh(x[i]); break;
            case SIGMOID: for (int i = from; i < to; i++) y[i] = sigmoid(x[i]); break;
            default: throw new AssertionError(op);
        }
    }

    static float unary(Elementwise.Unary op, float x) {
        switch (op) {
            case EXP: return exp(x);
            case EXPM1: return expm1(x);
            case LOG: return log(x);
            case TANH: return tanh(x);
            case SIGMOID: return sigmoid(x);
            default: throw new AssertionError(op);
        }
    }

    /**
     * e^x within 1 ulp for every float, NaN and infinities included. r = rh + rl rounded and dr what it lost (rh is
     * exact: x - k LN2_HI is a multiple of x's ulp or 2^-25 below 0.35); e^r = hi + lo + r^2 q(r) + dr (1 + r) with
     * 1 + r = hi + lo exactly (Fast2Sum), rounded once, then scaled by 2^k in two normal halves, so that a subnormal
     * or infinite result rounds once more only there ({@link #expWide}; within EXP_FAST the scaling is exact and
     * one integer addition to the exponent bits).
     */
    static float exp(float x) {
        if (!(Math.abs(x) <= EXP_FAST)) {
            return expWide(x);
        }
        float z = Math.fma(x, INV_LN2, SHIFT);
        float k = z - SHIFT;
        float rh = Math.fma(k, -LN2_HI, x);
        float rl = k * -LN2_LO;
        float r = rh + rl;
        float dr = (rh - r) + rl;
        float r2 = r * r;
        float hi = 1f + r;
        float lo = (1f - hi) + r;
        float er = hi + Math.fma(r2, q(r, r2), lo + Math.fma(dr, r, dr));
        return Float.intBitsToFloat(Float.floatToRawIntBits(er) + (Float.floatToRawIntBits(z) << 23));
    }

    /**
     * e^x for any x: x clamped to [-104, 89] (the results there are 0 and +inf already) and 2^k applied in two
     * halves; for |x| <= EXP_FAST it gives the bits of {@link #exp}'s single scaling (both are exact there).
     */
    static float expWide(float x) {
        float xc = Math.max(Math.min(x, EXP_CLAMP_HI), EXP_CLAMP_LO);
        float z = Math.fma(xc, INV_LN2, SHIFT);
        float k = z - SHIFT;
        float rh = Math.fma(k, -LN2_HI, xc);
        float rl = k * -LN2_LO;
        float r = rh + rl;
        float dr = (rh - r) + rl;
        float r2 = r * r;
        float hi = 1f + r;
        float lo = (1f - hi) + r;
        float er = hi + Math.fma(r2, q(r, r2), lo + Math.fma(dr, r, dr));
        float z1 = Math.fma(k, 0.5f, SHIFT); // k1 = round(k / 2), k2 = k - k1, both in [-75, 64]
        float z2 = (k - (z1 - SHIFT)) + SHIFT;
        return er * scale(z1) * scale(z2);
    }

    /** 2^k for z = SHIFT + k, |k| <= 126: k sits in z's low bits. */
    static float scale(float z) {
        return Float.intBitsToFloat((Float.floatToRawIntBits(z) << 23) + ONE_BITS);
    }

    /** q(r) by Estrin's scheme; r2 = r * r. */
    static float q(float r, float r2) {
        float a0 = Math.fma(Q1, r, Q0);
        float a1 = Math.fma(Q3, r, Q2);
        float a2 = Math.fma(Q5, r, Q4);
        return Math.fma(Math.fma(a2, r2, a1), r2, a0);
    }

    /** e^x - 1 within 1 ulp, exact near 0 (and -0.0 for -0.0); {@link Transcendentals#expm1} in float. */
    static float expm1(float x) {
        if (!(x <= EXPM1_FAST)) {
            return x != x ? x : exp(x) - 1f; // e^x - 1 rounds as e^x up there
        }
        float c = Math.max(x, EXPM1_LO);
        float z = Math.fma(c, INV_LN2, SHIFT);
        float k = z - SHIFT;
        float rh = Math.fma(k, -LN2_HI, c);
        float rl = k * -LN2_LO;
        float r = rh + rl;
        float dr = (rh - r) + rl;
        float s = scale(z);
        float t = s - 1f;
        float tErr = (s - t) - 1f;
        float sr = s * r;
        float hi = t + sr;
        float err = (t - hi) + sr;
        float sd = s * dr;
        float y = hi + Math.fma(sr, r * q(r, r * r), (err + tErr) + Math.fma(sd, r, sd));
        return x == 0 ? x : y;
    }

    /** log x within 1 ulp: -inf at +-0, NaN below 0 and at NaN, +inf at +inf. */
    static float log(float x) {
        if (!(x >= Float.MIN_NORMAL && x < Float.POSITIVE_INFINITY)) {
            return logSpecial(x);
        }
        int t = Float.floatToRawIntBits(x) + (K_BIAS_BITS - SQRT_HALF_BITS);
        float m = Float.intBitsToFloat((t & MANTISSA_BITS) + SQRT_HALF_BITS);
        float k = Float.intBitsToFloat((t >>> 23) + SHIFT_BITS) - (SHIFT + 126f);
        return logTail(m - 1f, k);
    }

    private static float logSpecial(float x) {
        if (x > 0 && x < Float.MIN_NORMAL) { // subnormal: scaled by 2^23 to a normal, 23 taken off k
            int t = Float.floatToRawIntBits(x * TWO_POW_23) + (K_BIAS_BITS - SQRT_HALF_BITS);
            float m = Float.intBitsToFloat((t & MANTISSA_BITS) + SQRT_HALF_BITS);
            float k = Float.intBitsToFloat((t >>> 23) + SHIFT_BITS) - (SHIFT + 126f + 23f);
            return logTail(m - 1f, k);
        }
        if (x == 0) {
            return Float.NEGATIVE_INFINITY;
        }
        return x > 0 ? x : Float.NaN; // +inf; NaN or negative
    }

    /**
     * k ln2 + log(1 + f) = k LN2_HI + (f - (f^2/2 - s (f^2/2 + R(s^2)) - k LN2_LO)) with s = f / (2 + f), as
     * {@link Transcendentals#logTail} (f = m - 1 is exact).
     */
    static float logTail(float f, float k) {
        float hfsq = 0.5f * f * f;
        float s = f / (f + 2f);
        float z = s * s;
        float rr = z * Math.fma(Math.fma(Math.fma(LG4, z, LG3), z, LG2), z, LG1);
        return Math.fma(k, LN2_HI, f - (hfsq - Math.fma(s, hfsq + rr, k * LN2_LO)));
    }

    /**
     * tanh |x| = E / (E + 2) with E = e^(2|x|) - 1 >= 0, x's sign put back (-0.0 kept); 1 beyond |x| = 10. E is
     * {@link Transcendentals#expm1Fast}'s sum in float kept as eh + el (Fast2Sum), E + 2 as d + dl (TwoSum), and
     * the quotient q0 = eh / d corrected by its residual, (eh + el - q0 (d + dl)) / d, so that neither E's nor
     * E + 2's rounding reaches the result (each would cost up to half an ulp).
     */
    static float tanh(float x) {
        float a = Math.min(Math.abs(x), TANH_CLAMP);
        float a2 = a + a;
        float z = Math.fma(a2, INV_LN2, SHIFT);
        float k = z - SHIFT;
        float rh = Math.fma(k, -LN2_HI, a2);
        float rl = k * -LN2_LO;
        float r = rh + rl;
        float dr = (rh - r) + rl;
        float s = scale(z);
        float t = s - 1f;
        float tErr = (s - t) - 1f;
        float sr = s * r;
        float hi = t + sr;
        float err = (t - hi) + sr;
        float sd = s * dr;
        float tail = Math.fma(sr, r * q(r, r * r), (err + tErr) + Math.fma(sd, r, sd));
        float eh = hi + tail;
        float el = (hi - eh) + tail;
        float d = eh + 2f;
        float bb = d - eh;
        float dl = ((eh - (d - bb)) + (2f - bb)) + el;
        float inv = 1f / d;
        float q0 = eh * inv;
        float res = Math.fma(-q0, d, eh) + Math.fma(-q0, dl, el);
        float y = Math.fma(res, inv, q0);
        return Float.intBitsToFloat(Float.floatToRawIntBits(y) | (Float.floatToRawIntBits(x) & SIGN_BIT));
    }

    /**
     * 1 / (1 + e^-x) as (x < 0 ? e : 1) / (1 + e) with e = e^-|x| in (0, 1], carried as eh + el = 2^k (hi + p) (exp's
     * sum, Fast2Sum), 1 + e as d + dl exactly (Fast2Sum), the quotient corrected by its residual as in {@link #tanh};
     * e^x itself below -25, where it is the float result and 2^k would be subnormal. Finite for every x but NaN.
     * Unlike {@link #exp}, r's own rounding is not carried: it moves e by at most 2^-26 relative, so the result by
     * at most a quarter ulp (x < 0: y = e / (1 + e) takes e's relative error times 1 / (1 + e); x >= 0 damps it
     * further), which keeps the whole within 1 ulp at four operations less (1.58x -> 1.69x float64's throughput).
     */
    static float sigmoid(float x) {
        if (x < SIGMOID_LO) {
            return exp(x);
        }
        float na = -Math.min(Math.abs(x), -SIGMOID_LO);
        float z = Math.fma(na, INV_LN2, SHIFT);
        float k = z - SHIFT;
        float rh = Math.fma(k, -LN2_HI, na);
        float rl = k * -LN2_LO;
        float r = rh + rl; // its rounding, at most 2^-26 relative in e, is left out (k <= 37: rl is small)
        float r2 = r * r;
        float hi = 1f + r;
        float lo = (1f - hi) + r;
        float p = Math.fma(r2, q(r, r2), lo);
        float s = scale(z);
        float e = hi + p;
        float eh = e * s;
        float el = ((hi - e) + p) * s;
        float d = 1f + eh;
        float dl = ((1f - d) + eh) + el;
        float num = x < 0 ? eh : 1f;
        float numLo = x < 0 ? el : 0f;
        float inv = 1f / d;
        float q0 = num * inv;
        float res = Math.fma(-q0, d, num) + Math.fma(-q0, dl, numLo);
        return Math.fma(res, inv, q0);
    }
}
