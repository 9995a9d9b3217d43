package dev.autodiff.kernel;

import static dev.autodiff.kernel.Transcendentals.*;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector forms of {@link Transcendentals}: line for line the same IEEE operations in the same order
 * (add, subtract, multiply, divide, fma, min, max, abs, negate and bit operations, all exactly specified),
 * so each lane gets the bits the scalar form gives, in every JIT tier. The Vector API's own EXP, LOG and
 * EXPM1 are not used: their compiled form (Intel SVML) and their interpreted form (Math, lane by lane) differ in the
 * last bit. A vector holding a lane outside the common range (for log: zero, negative, subnormal, infinite
 * or NaN) is computed lane by lane by the scalar form, except for exp, whose wide form is vectorized too
 * (exp(-inf) from a mask is common). Each loop runs over whole vectors from {@code from} and returns where
 * the scalar tail starts. Loaded only with the incubator module.
 *
 * <p>Each loop holds its whole computation, written out (copies of one form each, every copy checked
 * against the scalar form by TranscendentalsTest): C2 stops inlining at depth 15 and at 325 bytecodes, a
 * Vector API call takes about six levels, and a vector handed to a call C2 did not inline is boxed. Helpers
 * two or three deep did exactly that here (190 bytes allocated per vector, 3 - 4x slower).
 */
final class VectorTranscendentals {
    private VectorTranscendentals() {}

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /** The bits of [MIN_NORMAL, +inf) plus log's K_BIAS_BITS - SQRT_HALF_BITS, shifted to start at Long.MIN_VALUE. */
    private static final long LOG_RANGE_SHIFT = Long.MIN_VALUE - (Double.doubleToRawLongBits(Double.MIN_NORMAL)
            + (K_BIAS_BITS - SQRT_HALF_BITS));
    private static final long LOG_RANGE_END = Long.MIN_VALUE
            + (Double.doubleToRawLongBits(Double.POSITIVE_INFINITY) - Double.doubleToRawLongBits(Double.MIN_NORMAL));

    static int exp(double[] x, double[] y, int from, int to) {
        int i = from;
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            if (v.abs().compare(VectorOperators.LE, EXP_FAST).allTrue()) {
                DoubleVector z = v.fma(INV_LN2, SHIFT);
                DoubleVector k = z.sub(SHIFT);
                DoubleVector r = k.fma(DoubleVector.broadcast(S, -LN2_HI), v);
                r = k.fma(DoubleVector.broadcast(S, -LN2_LO), r);
                DoubleVector r2 = r.mul(r);
                DoubleVector r4 = r2.mul(r2);
                DoubleVector a0 = r.fma(Q1, Q0);
                DoubleVector a1 = r.fma(Q3, Q2);
                DoubleVector a2 = r.fma(Q5, Q4);
                DoubleVector a3 = r.fma(Q7, Q6);
                DoubleVector a4 = r.fma(Q9, Q8);
                DoubleVector b0 = a1.fma(r2, a0);
                DoubleVector b1 = a3.fma(r2, a2);
                DoubleVector b2 = r2.fma(DoubleVector.broadcast(S, Q10), a4);
                DoubleVector p = b2.fma(r4, b1).fma(r4, b0);
                DoubleVector hi = r.add(1.0);
                DoubleVector er = hi.add(r2.fma(p, one.sub(hi).add(r)));
                LongVector kBits = ((LongVector) z.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 52);
                DoubleVector e = ((LongVector) er.viewAsIntegralLanes()).add(kBits).viewAsFloatingLanes();
                e.intoArray(y, i);
            } else {
                // expWide
                DoubleVector xc = v.min(EXP_CLAMP_HI).max(EXP_CLAMP_LO);
                DoubleVector z = xc.fma(INV_LN2, SHIFT);
                DoubleVector k = z.sub(SHIFT);
                DoubleVector r = k.fma(DoubleVector.broadcast(S, -LN2_HI), xc);
                r = k.fma(DoubleVector.broadcast(S, -LN2_LO), r);
                DoubleVector z1 = k.fma(0.5, SHIFT);
                DoubleVector z2 = k.sub(z1.sub(SHIFT)).add(SHIFT);
                DoubleVector r2 = r.mul(r);
                DoubleVector r4 = r2.mul(r2);
                DoubleVector a0 = r.fma(Q1, Q0);
                DoubleVector a1 = r.fma(Q3, Q2);
                DoubleVector a2 = r.fma(Q5, Q4);
                DoubleVector a3 = r.fma(Q7, Q6);
                DoubleVector a4 = r.fma(Q9, Q8);
                DoubleVector b0 = a1.fma(r2, a0);
                DoubleVector b1 = a3.fma(r2, a2);
                DoubleVector b2 = r2.fma(DoubleVector.broadcast(S, Q10), a4);
                DoubleVector p = b2.fma(r4, b1).fma(r4, b0);
                DoubleVector hi = r.add(1.0);
                DoubleVector er = hi.add(r2.fma(p, one.sub(hi).add(r)));
                DoubleVector s1 = ((LongVector) z1.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 52).add(ONE_BITS).viewAsFloatingLanes();
                DoubleVector s2 = ((LongVector) z2.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 52).add(ONE_BITS).viewAsFloatingLanes();
                er.mul(s1).mul(s2).intoArray(y, i);
            }
        }
        return i;
    }

    static int expm1(double[] x, double[] y, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            if (v.compare(VectorOperators.LE, EXPM1_FAST).allTrue()) {
                DoubleVector c = v.max(EXPM1_LO);
                DoubleVector z = c.fma(INV_LN2, SHIFT);
                DoubleVector k = z.sub(SHIFT);
                DoubleVector rh = k.fma(DoubleVector.broadcast(S, -LN2_HI), c);
                DoubleVector rl = k.mul(-LN2_LO);
                DoubleVector r = rh.add(rl);
                DoubleVector dr = rh.sub(r).add(rl);
                DoubleVector s = ((LongVector) z.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 52).add(ONE_BITS).viewAsFloatingLanes();
                DoubleVector t = s.sub(1.0);
                DoubleVector tErr = s.sub(t).sub(1.0);
                DoubleVector sr = s.mul(r);
                DoubleVector hi = t.add(sr);
                DoubleVector err = t.sub(hi).add(sr);
                DoubleVector sd = s.mul(dr);
                DoubleVector r2 = r.mul(r);
                DoubleVector r4 = r2.mul(r2);
                DoubleVector a0 = r.fma(Q1, Q0);
                DoubleVector a1 = r.fma(Q3, Q2);
                DoubleVector a2 = r.fma(Q5, Q4);
                DoubleVector a3 = r.fma(Q7, Q6);
                DoubleVector a4 = r.fma(Q9, Q8);
                DoubleVector b0 = a1.fma(r2, a0);
                DoubleVector b1 = a3.fma(r2, a2);
                DoubleVector b2 = r2.fma(DoubleVector.broadcast(S, Q10), a4);
                DoubleVector p = b2.fma(r4, b1).fma(r4, b0);
                DoubleVector e = hi.add(sr.fma(r.mul(p), err.add(tErr).add(sd.fma(r, sd))));
                e.blend(v, v.eq(0.0)).intoArray(y, i);
            } else {
                lanes(Elementwise.Unary.EXPM1, x, y, i);
            }
        }
        return i;
    }

    static int log(double[] x, double[] y, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            LongVector bits = ((LongVector) v.viewAsIntegralLanes()).add(K_BIAS_BITS - SQRT_HALF_BITS);
            // positive, normal and finite: x's bits in [MIN_NORMAL, +inf), an unsigned range, tested as one signed
            // compare after moving the range's start to Long.MIN_VALUE (two double compares and a mask and, as
            // JDK 17 compiles them, took six instructions; VectorOperators.UNSIGNED_LT boxed there)
            if (bits.add(LOG_RANGE_SHIFT).compare(VectorOperators.LT, LOG_RANGE_END).allTrue()) {
                // Transcendentals.log's normal case: its logTail(f, k) adds k LN2_LO + 0.0, which is k LN2_LO rounded
                DoubleVector f = bits.and(MANTISSA_BITS).add(SQRT_HALF_BITS).viewAsFloatingLanes().sub(1.0);
                DoubleVector k = bits.lanewise(VectorOperators.LSHR, 52).add(SHIFT_BITS).viewAsFloatingLanes().sub(SHIFT + 1022.0);
                DoubleVector hfsq = f.mul(0.5).mul(f);
                DoubleVector s = f.div(f.add(2.0));
                DoubleVector z = s.mul(s);
                DoubleVector rr = z.mul(z.fma(LG7, LG6).fma(z, DoubleVector.broadcast(S, LG5)).fma(z, DoubleVector.broadcast(S, LG4))
                        .fma(z, DoubleVector.broadcast(S, LG3)).fma(z, DoubleVector.broadcast(S, LG2)).fma(z, DoubleVector.broadcast(S, LG1)));
                DoubleVector lo = k.mul(LOG_LN2_LO);
                DoubleVector l = k.fma(DoubleVector.broadcast(S, LOG_LN2_HI), f.sub(hfsq.sub(s.fma(hfsq.add(rr), lo))));
                l.intoArray(y, i);
            } else {
                lanes(Elementwise.Unary.LOG, x, y, i);
            }
        }
        return i;
    }

    static int log1p(double[] x, double[] y, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            if (v.compare(VectorOperators.GT, -1.0).and(v.compare(VectorOperators.LT, Double.POSITIVE_INFINITY)).allTrue()) {
                DoubleVector u = v.add(1.0);
                DoubleVector xb = u.sub(1.0);
                DoubleVector c = u.sub(xb).neg().add(1.0).add(v.sub(xb)).div(u);
                LongVector bits = ((LongVector) u.viewAsIntegralLanes()).add(K_BIAS_BITS - SQRT_HALF_BITS);
                DoubleVector f = bits.and(MANTISSA_BITS).add(SQRT_HALF_BITS).viewAsFloatingLanes().sub(1.0);
                DoubleVector k = bits.lanewise(VectorOperators.LSHR, 52).add(SHIFT_BITS).viewAsFloatingLanes().sub(SHIFT + 1022.0);
                DoubleVector hfsq = f.mul(0.5).mul(f);
                DoubleVector s = f.div(f.add(2.0));
                DoubleVector z = s.mul(s);
                DoubleVector rr = z.mul(z.fma(LG7, LG6).fma(z, DoubleVector.broadcast(S, LG5)).fma(z, DoubleVector.broadcast(S, LG4))
                        .fma(z, DoubleVector.broadcast(S, LG3)).fma(z, DoubleVector.broadcast(S, LG2)).fma(z, DoubleVector.broadcast(S, LG1)));
                DoubleVector lo = k.fma(DoubleVector.broadcast(S, LOG_LN2_LO), c);
                DoubleVector l = k.fma(DoubleVector.broadcast(S, LOG_LN2_HI), f.sub(hfsq.sub(s.fma(hfsq.add(rr), lo))));
                l.blend(v, v.eq(0.0)).intoArray(y, i);
            } else {
                lanes(Elementwise.Unary.LOG1P, x, y, i);
            }
        }
        return i;
    }

    static int tanh(double[] x, double[] y, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            DoubleVector a = v.abs().min(TANH_CLAMP);
            DoubleVector twoA = a.add(a);
            DoubleVector z = twoA.fma(INV_LN2, SHIFT);
            DoubleVector k = z.sub(SHIFT);
            DoubleVector rh = k.fma(DoubleVector.broadcast(S, -LN2_HI), twoA);
            DoubleVector rl = k.mul(-LN2_LO);
            DoubleVector r = rh.add(rl);
            DoubleVector dr = rh.sub(r).add(rl);
            DoubleVector s = ((LongVector) z.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 52).add(ONE_BITS).viewAsFloatingLanes();
            DoubleVector t = s.sub(1.0);
            DoubleVector tErr = s.sub(t).sub(1.0);
            DoubleVector sr = s.mul(r);
            DoubleVector hi = t.add(sr);
            DoubleVector err = t.sub(hi).add(sr);
            DoubleVector sd = s.mul(dr);
            DoubleVector r2 = r.mul(r);
            DoubleVector r4 = r2.mul(r2);
            DoubleVector a0 = r.fma(Q1, Q0);
            DoubleVector a1 = r.fma(Q3, Q2);
            DoubleVector a2 = r.fma(Q5, Q4);
            DoubleVector a3 = r.fma(Q7, Q6);
            DoubleVector a4 = r.fma(Q9, Q8);
            DoubleVector b0 = a1.fma(r2, a0);
            DoubleVector b1 = a3.fma(r2, a2);
            DoubleVector b2 = r2.fma(DoubleVector.broadcast(S, Q10), a4);
            DoubleVector p = b2.fma(r4, b1).fma(r4, b0);
            DoubleVector e = hi.add(sr.fma(r.mul(p), err.add(tErr).add(sd.fma(r, sd))));
            LongVector sign = ((LongVector) v.viewAsIntegralLanes()).and(SIGN_BIT);
            ((LongVector) e.div(e.add(2.0)).viewAsIntegralLanes()).or(sign).viewAsFloatingLanes().intoArray(y, i);
        }
        return i;
    }

    static int sigmoid(double[] x, double[] y, int from, int to) {
        int i = from;
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            DoubleVector a = v.abs();
            if (a.compare(VectorOperators.LE, EXP_FAST).allTrue()) {
                DoubleVector na = a.neg();
                DoubleVector z = na.fma(INV_LN2, SHIFT);
                DoubleVector k = z.sub(SHIFT);
                DoubleVector r = k.fma(DoubleVector.broadcast(S, -LN2_HI), na);
                r = k.fma(DoubleVector.broadcast(S, -LN2_LO), r);
                DoubleVector r2 = r.mul(r);
                DoubleVector r4 = r2.mul(r2);
                DoubleVector a0 = r.fma(Q1, Q0);
                DoubleVector a1 = r.fma(Q3, Q2);
                DoubleVector a2 = r.fma(Q5, Q4);
                DoubleVector a3 = r.fma(Q7, Q6);
                DoubleVector a4 = r.fma(Q9, Q8);
                DoubleVector b0 = a1.fma(r2, a0);
                DoubleVector b1 = a3.fma(r2, a2);
                DoubleVector b2 = r2.fma(DoubleVector.broadcast(S, Q10), a4);
                DoubleVector p = b2.fma(r4, b1).fma(r4, b0);
                DoubleVector hi = r.add(1.0);
                DoubleVector er = hi.add(r2.fma(p, one.sub(hi).add(r)));
                LongVector kBits = ((LongVector) z.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 52);
                DoubleVector e = ((LongVector) er.viewAsIntegralLanes()).add(kBits).viewAsFloatingLanes();
                one.blend(e, v.lt(0.0)).div(e.add(1.0)).intoArray(y, i);
            } else {
                lanes(Elementwise.Unary.SIGMOID, x, y, i);
            }
        }
        return i;
    }

    static int softplus(double[] x, double[] y, int from, int to) {
        int i = from;
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            // lanes above the threshold are x; exp of the clamped value keeps the others in the common range
            DoubleVector cv = v.min(SOFTPLUS_THRESHOLD);
            if (cv.compare(VectorOperators.GE, -EXP_FAST).allTrue()) {
                DoubleVector ev;
                { // exp
                    DoubleVector z = cv.fma(INV_LN2, SHIFT);
                    DoubleVector k = z.sub(SHIFT);
                    DoubleVector r = k.fma(DoubleVector.broadcast(S, -LN2_HI), cv);
                    r = k.fma(DoubleVector.broadcast(S, -LN2_LO), r);
                    DoubleVector r2 = r.mul(r);
                    DoubleVector r4 = r2.mul(r2);
                    DoubleVector a0 = r.fma(Q1, Q0);
                    DoubleVector a1 = r.fma(Q3, Q2);
                    DoubleVector a2 = r.fma(Q5, Q4);
                    DoubleVector a3 = r.fma(Q7, Q6);
                    DoubleVector a4 = r.fma(Q9, Q8);
                    DoubleVector b0 = a1.fma(r2, a0);
                    DoubleVector b1 = a3.fma(r2, a2);
                    DoubleVector b2 = r2.fma(DoubleVector.broadcast(S, Q10), a4);
                    DoubleVector p = b2.fma(r4, b1).fma(r4, b0);
                    DoubleVector hi = r.add(1.0);
                    DoubleVector er = hi.add(r2.fma(p, one.sub(hi).add(r)));
                    LongVector kBits = ((LongVector) z.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 52);
                    DoubleVector e = ((LongVector) er.viewAsIntegralLanes()).add(kBits).viewAsFloatingLanes();
                    ev = e;
                }
                { // log1pFast
                    DoubleVector e = ev;
                    DoubleVector u = e.add(1.0);
                    DoubleVector xb = u.sub(1.0);
                    DoubleVector c = u.sub(xb).neg().add(1.0).add(e.sub(xb)).div(u);
                    LongVector bits = ((LongVector) u.viewAsIntegralLanes()).add(K_BIAS_BITS - SQRT_HALF_BITS);
                    DoubleVector f = bits.and(MANTISSA_BITS).add(SQRT_HALF_BITS).viewAsFloatingLanes().sub(1.0);
                    DoubleVector k = bits.lanewise(VectorOperators.LSHR, 52).add(SHIFT_BITS).viewAsFloatingLanes().sub(SHIFT + 1022.0);
                    DoubleVector hfsq = f.mul(0.5).mul(f);
                    DoubleVector s = f.div(f.add(2.0));
                    DoubleVector z = s.mul(s);
                    DoubleVector rr = z.mul(z.fma(LG7, LG6).fma(z, DoubleVector.broadcast(S, LG5)).fma(z, DoubleVector.broadcast(S, LG4))
                            .fma(z, DoubleVector.broadcast(S, LG3)).fma(z, DoubleVector.broadcast(S, LG2)).fma(z, DoubleVector.broadcast(S, LG1)));
                    DoubleVector lo = k.fma(DoubleVector.broadcast(S, LOG_LN2_LO), c);
                    DoubleVector l = k.fma(DoubleVector.broadcast(S, LOG_LN2_HI), f.sub(hfsq.sub(s.fma(hfsq.add(rr), lo))));
                    l.blend(v, v.compare(VectorOperators.GT, SOFTPLUS_THRESHOLD)).intoArray(y, i);
                }
            } else {
                lanes(Elementwise.Unary.SOFTPLUS, x, y, i);
            }
        }
        return i;
    }

    /** One vector's worth of elements by the scalar form (it gives the same bits). */
    private static void lanes(Elementwise.Unary op, double[] x, double[] y, int i) {
        for (int j = i; j < i + V; j++) {
            y[j] = Elementwise.unary(op, x[j]);
        }
    }
}
