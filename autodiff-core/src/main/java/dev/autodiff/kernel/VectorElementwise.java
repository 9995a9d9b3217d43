package dev.autodiff.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise loops that C2 does not vectorize as plain loops: transcendentals ({@link VectorTranscendentals},
 * our own polynomials, the same bits as the scalar forms in every JIT tier), and comparisons as compare +
 * blend. Ops that C2 already vectorizes (neg, abs, sqrt, reciprocal, relu, add,
 * mul, ...) are left to {@link Elementwise}. Loaded by name, only with the incubator module.
 */
final class VectorElementwise implements VectorSupport.VectorMath {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    @Override
    public boolean unary(Elementwise.Unary op, double[] x, double[] y, int from, int to) {
        int i;
        switch (op) {
            case EXP: i = VectorTranscendentals.exp(x, y, from, to); break;
            case EXPM1: i = VectorTranscendentals.expm1(x, y, from, to); break;
            case LOG: i = VectorTranscendentals.log(x, y, from, to); break;
            case LOG1P: i = VectorTranscendentals.log1p(x, y, from, to); break;
            case TANH: i = VectorTranscendentals.tanh(x, y, from, to); break;
            case SIGMOID: i = VectorTranscendentals.sigmoid(x, y, from, to); break;
            case SOFTPLUS: i = VectorTranscendentals.softplus(x, y, from, to); break;
            default: return false;
        }
        for (; i < to; i++) {
            y[i] = Elementwise.unary(op, x[i]);
        }
        return true;
    }

    /**
     * Comparisons as a compare and a blend: the plain loop's {@code a > b ? 1 : 0} is a branch that C2 does
     * not vectorize, mispredicted half the time on a ReLU's mask. NaN compares as Java's operators do.
     */
    @Override
    public boolean compare(Elementwise.Binary op, double[] a, int ia, int sa, double[] b, int ib, int sb,
                           double[] out, int o, int n) {
        if (op.compareTo(Elementwise.Binary.GT) < 0) {
            return false;
        }
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        DoubleVector zero = DoubleVector.zero(S);
        int bound = S.loopBound(n);
        int i = 0;
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += S.length()) {
                zero.blend(one, test(op, DoubleVector.fromArray(S, a, ia + i), DoubleVector.fromArray(S, b, ib + i)))
                        .intoArray(out, o + i);
            }
        } else if (sa == 1) {
            DoubleVector vb = DoubleVector.broadcast(S, b[ib]);
            for (; i < bound; i += S.length()) {
                zero.blend(one, test(op, DoubleVector.fromArray(S, a, ia + i), vb)).intoArray(out, o + i);
            }
        } else {
            DoubleVector va = DoubleVector.broadcast(S, a[ia]);
            for (; i < bound; i += S.length()) {
                zero.blend(one, test(op, va, DoubleVector.fromArray(S, b, ib + i))).intoArray(out, o + i);
            }
        }
        for (; i < n; i++) {
            out[o + i] = Elementwise.binary(op, a[ia + i * sa], b[ib + i * sb]);
        }
        return true;
    }

    @Override
    public int reluGrad(double[] g, double[] x, double[] out, int from, int to) {
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        DoubleVector zero = DoubleVector.zero(S);
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
            DoubleVector mask = zero.blend(one, DoubleVector.fromArray(S, x, i).compare(VectorOperators.GT, 0.0));
            DoubleVector.fromArray(S, g, i).mul(mask).intoArray(out, i);
        }
        return i;
    }

    @Override
    public void addInto(double[] x, int xi, double[] dst, int di, int n) {
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += S.length()) {
            DoubleVector.fromArray(S, dst, di + j).add(DoubleVector.fromArray(S, x, xi + j)).intoArray(dst, di + j);
        }
        for (; j < n; j++) {
            dst[di + j] += x[xi + j];
        }
    }

    /**
     * The preferred float species, twice S's lanes: one float vector converts to two double vectors. (A float species
     * of S's lane count would be a second FloatVector class in the process, which makes the float32 GEMM's and
     * kernels' call sites bimorphic: C2 then boxes their vectors, and the float32 MLP step ran 3x slower.)
     */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Override
    public void addInto(float[] x, int xi, double[] dst, int di, int n) {
        int bound = F.loopBound(n);
        int half = S.length();
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector f = FloatVector.fromArray(F, x, xi + j);
            DoubleVector lo = (DoubleVector) f.convertShape(VectorOperators.F2D, S, 0);
            DoubleVector hi = (DoubleVector) f.convertShape(VectorOperators.F2D, S, 1);
            DoubleVector.fromArray(S, dst, di + j).add(lo).intoArray(dst, di + j);
            DoubleVector.fromArray(S, dst, di + j + half).add(hi).intoArray(dst, di + j + half);
        }
        for (; j < n; j++) {
            dst[di + j] += x[xi + j];
        }
    }

    @Override
    public void argStep(boolean max, double[] x, int ix, double[] best, double[] arg, int o, int n, double index) {
        DoubleVector vi = DoubleVector.broadcast(S, index);
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, x, ix + j);
            DoubleVector b = DoubleVector.fromArray(S, best, o + j);
            VectorMask<Double> better = max ? v.compare(VectorOperators.GT, b) : v.compare(VectorOperators.LT, b);
            // strictly better, or the first NaN; a NaN in place is never replaced
            VectorMask<Double> take = better.or(v.test(VectorOperators.IS_NAN)).andNot(b.test(VectorOperators.IS_NAN));
            b.blend(v, take).intoArray(best, o + j);
            DoubleVector.fromArray(S, arg, o + j).blend(vi, take).intoArray(arg, o + j);
        }
        for (; j < n; j++) {
            if (Reductions.beats(max, x[ix + j], best[o + j])) {
                best[o + j] = x[ix + j];
                arg[o + j] = index;
            }
        }
    }

    /**
     * One comparison with the operator spelled out at each call: C2 intrinsifies a Vector API compare only
     * when its operator is a compile-time constant. Chosen once outside the loop, the operator is a phi of
     * six constants as soon as two comparisons have run, and every compare falls back to a boxed scalar loop
     * (about 20x slower). The switch inside the loop is one well-predicted branch.
     */
    private static VectorMask<Double> test(Elementwise.Binary op, DoubleVector x, DoubleVector y) {
        switch (op) {
            case GT: return x.compare(VectorOperators.GT, y);
            case GE: return x.compare(VectorOperators.GE, y);
            case LT: return x.compare(VectorOperators.LT, y);
            case LE: return x.compare(VectorOperators.LE, y);
            case EQ: return x.compare(VectorOperators.EQ, y);
            default: return x.compare(VectorOperators.NE, y);
        }
    }
}
