package dev.autodiff.kernel;

import static dev.autodiff.kernel.Transcendentals32.*;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector forms of {@link Transcendentals32}, as {@link VectorTranscendentals} are of {@link Transcendentals}:
 * line for line the same float operations in the same order, so each lane gets the scalar form's bits, in every JIT
 * tier; each loop written out whole (no helpers: C2 would box a vector passed to a call it did not inline). A
 * vector holding a lane outside the common range (log: zero, negative, subnormal, infinite or NaN; sigmoid: below
 * -25 or NaN) is computed lane by lane by the scalar form. C2 compiles the Vector API's MIN and MAX (Math.min's
 * NaN and signed-zero rules) and masked blends to long sequences (JDK 17, AVX-512): tanh's clamp took 15% of its
 * time, so a clamp that changes no lane of a vector is skipped (a test and a branch), and selections are bit
 * operations. Each loop runs over whole vectors from {@code from} and
 * returns where the scalar tail starts. Loaded only with the incubator module.
 */
final class VectorTranscendentals32 {
    private VectorTranscendentals32() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /** The bits of [MIN_NORMAL, +inf) plus K_BIAS_BITS - SQRT_HALF_BITS, shifted to start at Integer.MIN_VALUE. */
    private static final int LOG_RANGE_SHIFT = Integer.MIN_VALUE - (Float.floatToRawIntBits(Float.MIN_NORMAL)
            + (K_BIAS_BITS - SQRT_HALF_BITS));
    private static final int LOG_RANGE_END = Integer.MIN_VALUE
            + (Float.floatToRawIntBits(Float.POSITIVE_INFINITY) - Float.floatToRawIntBits(Float.MIN_NORMAL));

    private static final int SIGMOID_HI_BITS = Float.floatToRawIntBits(-SIGMOID_LO);

    static int exp(float[] x, float[] y, int from, int to) {
        int i = from;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            if (v.abs().compare(VectorOperators.LE, EXP_FAST).allTrue()) {
                FloatVector z = v.fma(INV_LN2, SHIFT);
                FloatVector k = z.sub(SHIFT);
                FloatVector rh = k.fma(FloatVector.broadcast(S, -LN2_HI), v);
                FloatVector rl = k.mul(-LN2_LO);
                FloatVector r = rh.add(rl);
                FloatVector dr = rh.sub(r).add(rl);
                FloatVector r2 = r.mul(r);
                FloatVector hi = r.add(1f);
                FloatVector lo = one.sub(hi).add(r);
                FloatVector a0 = r.fma(Q1, Q0);
                FloatVector a1 = r.fma(Q3, Q2);
                FloatVector a2 = r.fma(Q5, Q4);
                FloatVector q = a2.fma(r2, a1).fma(r2, a0);
                FloatVector er = hi.add(r2.fma(q, lo.add(dr.fma(r, dr))));
                IntVector kBits = ((IntVector) z.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 23);
                ((IntVector) er.viewAsIntegralLanes()).add(kBits).viewAsFloatingLanes().intoArray(y, i);
            } else {
                // expWide
                FloatVector xc = v.min(EXP_CLAMP_HI).max(EXP_CLAMP_LO);
                FloatVector z = xc.fma(INV_LN2, SHIFT);
                FloatVector k = z.sub(SHIFT);
                FloatVector rh = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
                FloatVector rl = k.mul(-LN2_LO);
                FloatVector r = rh.add(rl);
                FloatVector dr = rh.sub(r).add(rl);
                FloatVector r2 = r.mul(r);
                FloatVector hi = r.add(1f);
                FloatVector lo = one.sub(hi).add(r);
                FloatVector a0 = r.fma(Q1, Q0);
                FloatVector a1 = r.fma(Q3, Q2);
                FloatVector a2 = r.fma(Q5, Q4);
                FloatVector q = a2.fma(r2, a1).fma(r2, a0);
                FloatVector er = hi.add(r2.fma(q, lo.add(dr.fma(r, dr))));
                FloatVector z1 = k.fma(0.5f, SHIFT);
                FloatVector z2 = k.sub(z1.sub(SHIFT)).add(SHIFT);
                FloatVector s1 = ((IntVector) z1.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 23).add(ONE_BITS).viewAsFloatingLanes();
                FloatVector s2 = ((IntVector) z2.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 23).add(ONE_BITS).viewAsFloatingLanes();
                er.mul(s1).mul(s2).intoArray(y, i);
            }
        }
        return i;
    }

    static int expm1(float[] x, float[] y, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            if (v.compare(VectorOperators.LE, EXPM1_FAST).allTrue()) {
                FloatVector c = v.compare(VectorOperators.GE, EXPM1_LO).allTrue() ? v : v.max(EXPM1_LO);
                FloatVector z = c.fma(INV_LN2, SHIFT);
                FloatVector k = z.sub(SHIFT);
                FloatVector rh = k.fma(FloatVector.broadcast(S, -LN2_HI), c);
                FloatVector rl = k.mul(-LN2_LO);
                FloatVector r = rh.add(rl);
                FloatVector dr = rh.sub(r).add(rl);
                FloatVector s = ((IntVector) z.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 23).add(ONE_BITS).viewAsFloatingLanes();
                FloatVector t = s.sub(1f);
                FloatVector tErr = s.sub(t).sub(1f);
                FloatVector sr = s.mul(r);
                FloatVector hi = t.add(sr);
                FloatVector err = t.sub(hi).add(sr);
                FloatVector sd = s.mul(dr);
                FloatVector r2 = r.mul(r);
                FloatVector a0 = r.fma(Q1, Q0);
                FloatVector a1 = r.fma(Q3, Q2);
                FloatVector a2 = r.fma(Q5, Q4);
                FloatVector q = a2.fma(r2, a1).fma(r2, a0);
                FloatVector e = hi.add(sr.fma(r.mul(q), err.add(tErr).add(sd.fma(r, sd))));
                e.blend(v, v.eq(0f)).intoArray(y, i);
            } else {
                lanes(Elementwise.Unary.EXPM1, x, y, i);
            }
        }
        return i;
    }

    static int log(float[] x, float[] y, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            IntVector bits = ((IntVector) v.viewAsIntegralLanes()).add(K_BIAS_BITS - SQRT_HALF_BITS);
            // positive, normal and finite: x's bits in [MIN_NORMAL, +inf) as one signed compare (see
            // VectorTranscendentals.log)
            if (bits.add(LOG_RANGE_SHIFT).compare(VectorOperators.LT, LOG_RANGE_END).allTrue()) {
                FloatVector f = bits.and(MANTISSA_BITS).add(SQRT_HALF_BITS).viewAsFloatingLanes().sub(1f);
                FloatVector k = bits.lanewise(VectorOperators.LSHR, 23).add(SHIFT_BITS).viewAsFloatingLanes().sub(SHIFT + 126f);
                FloatVector hfsq = f.mul(0.5f).mul(f);
                FloatVector s = f.div(f.add(2f));
                FloatVector z = s.mul(s);
                FloatVector rr = z.mul(z.fma(LG4, LG3).fma(z, FloatVector.broadcast(S, LG2)).fma(z, FloatVector.broadcast(S, LG1)));
                FloatVector l = k.fma(FloatVector.broadcast(S, LN2_HI), f.sub(hfsq.sub(s.fma(hfsq.add(rr), k.mul(LN2_LO)))));
                l.intoArray(y, i);
            } else {
                lanes(Elementwise.Unary.LOG, x, y, i);
            }
        }
        return i;
    }

    static int tanh(float[] x, float[] y, int from, int to) {
        int i = from;
        FloatVector two = FloatVector.broadcast(S, 2f);
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector av = v.abs();
            FloatVector a = av.compare(VectorOperators.LE, TANH_CLAMP).allTrue() ? av : av.min(TANH_CLAMP);
            FloatVector a2 = a.add(a);
            FloatVector z = a2.fma(INV_LN2, SHIFT);
            FloatVector k = z.sub(SHIFT);
            FloatVector rh = k.fma(FloatVector.broadcast(S, -LN2_HI), a2);
            FloatVector rl = k.mul(-LN2_LO);
            FloatVector r = rh.add(rl);
            FloatVector dr = rh.sub(r).add(rl);
            FloatVector s = ((IntVector) z.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 23).add(ONE_BITS).viewAsFloatingLanes();
            FloatVector t = s.sub(1f);
            FloatVector tErr = s.sub(t).sub(1f);
            FloatVector sr = s.mul(r);
            FloatVector hi = t.add(sr);
            FloatVector err = t.sub(hi).add(sr);
            FloatVector sd = s.mul(dr);
            FloatVector r2 = r.mul(r);
            FloatVector a0 = r.fma(Q1, Q0);
            FloatVector a1 = r.fma(Q3, Q2);
            FloatVector a3 = r.fma(Q5, Q4);
            FloatVector q = a3.fma(r2, a1).fma(r2, a0);
            FloatVector tail = sr.fma(r.mul(q), err.add(tErr).add(sd.fma(r, sd)));
            FloatVector eh = hi.add(tail);
            FloatVector el = hi.sub(eh).add(tail);
            FloatVector d = eh.add(2f);
            FloatVector bb = d.sub(eh);
            FloatVector dl = eh.sub(d.sub(bb)).add(two.sub(bb)).add(el);
            FloatVector inv = FloatVector.broadcast(S, 1f).div(d);
            FloatVector q0 = eh.mul(inv);
            FloatVector nq0 = q0.neg();
            FloatVector res = nq0.fma(d, eh).add(nq0.fma(dl, el));
            FloatVector yv = res.fma(inv, q0);
            IntVector sign = ((IntVector) v.viewAsIntegralLanes()).and(SIGN_BIT);
            ((IntVector) yv.viewAsIntegralLanes()).or(sign).viewAsFloatingLanes().intoArray(y, i);
        }
        return i;
    }

    static int sigmoid(float[] x, float[] y, int from, int to) {
        int i = from;
        FloatVector one = FloatVector.broadcast(S, 1f);
        IntVector oneBits = (IntVector) one.viewAsIntegralLanes();
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            if (v.compare(VectorOperators.GE, SIGMOID_LO).allTrue()) {
                // min(|x|, 25) as the integer minimum of the bits, the same for floats >= 0 (no NaN here)
                FloatVector na = ((IntVector) v.abs().viewAsIntegralLanes()).min(SIGMOID_HI_BITS).viewAsFloatingLanes().neg();
                FloatVector z = na.fma(INV_LN2, SHIFT);
                FloatVector k = z.sub(SHIFT);
                FloatVector rh = k.fma(FloatVector.broadcast(S, -LN2_HI), na);
                FloatVector rl = k.mul(-LN2_LO);
                FloatVector r = rh.add(rl);
                FloatVector r2 = r.mul(r);
                FloatVector hi = r.add(1f);
                FloatVector lo = one.sub(hi).add(r);
                FloatVector a0 = r.fma(Q1, Q0);
                FloatVector a1 = r.fma(Q3, Q2);
                FloatVector a2 = r.fma(Q5, Q4);
                FloatVector q = a2.fma(r2, a1).fma(r2, a0);
                FloatVector p = r2.fma(q, lo);
                FloatVector s = ((IntVector) z.viewAsIntegralLanes()).lanewise(VectorOperators.LSHL, 23).add(ONE_BITS).viewAsFloatingLanes();
                FloatVector e = hi.add(p);
                FloatVector eh = e.mul(s);
                FloatVector el = hi.sub(e).add(p).mul(s);
                FloatVector d = eh.add(1f);
                FloatVector dl = one.sub(d).add(eh).add(el);
                // x < 0 ? eh : 1 and x < 0 ? el : 0 by x's sign bit, spread over the lane (at -0.0, eh = 1 and el = 0)
                IntVector neg = ((IntVector) v.viewAsIntegralLanes()).lanewise(VectorOperators.ASHR, 31);
                FloatVector num = ((IntVector) eh.viewAsIntegralLanes()).and(neg).or(oneBits.lanewise(VectorOperators.AND_NOT, neg)).viewAsFloatingLanes();
                FloatVector numLo = ((IntVector) el.viewAsIntegralLanes()).and(neg).viewAsFloatingLanes();
                FloatVector inv = one.div(d);
                FloatVector q0 = num.mul(inv);
                FloatVector nq0 = q0.neg();
                FloatVector res = nq0.fma(d, num).add(nq0.fma(dl, numLo));
                res.fma(inv, q0).intoArray(y, i);
            } else {
                lanes(Elementwise.Unary.SIGMOID, x, y, i);
            }
        }
        return i;
    }

    /** One vector's worth of elements by the scalar form (it gives the same bits). */
    private static void lanes(Elementwise.Unary op, float[] x, float[] y, int i) {
        for (int j = i; j < i + V; j++) {
            y[j] = Transcendentals32.unary(op, x[j]);
        }
    }
}
