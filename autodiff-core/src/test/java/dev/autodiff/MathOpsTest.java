package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Issue 16's elementwise math ops against hand values and closed forms (the PyTorch comparison is
 * {@link MathOpsTorchTest}): exactness where it is promised, round trips through the inverse functions, the rounding
 * conventions, and the zero gradient of the rounding ops.
 */
class MathOpsTest {
    private static double at(UnaryOperator<Tensor> f, double x) {
        return f.apply(Tensor.scalar(x)).item();
    }

    private static void ulps(double want, double got, double n, String what) {
        assertTrue(Math.abs(want - got) <= n * Math.ulp(want), what + ": want " + want + ", got " + got);
    }

    @Test
    void handValues() {
        ulps(0.5, at(Tensor::sin, Math.PI / 6), 1, "sin(pi/6)");
        ulps(0.5, at(Tensor::cos, Math.PI / 3), 2, "cos(pi/3)");
        ulps(1.0, at(Tensor::tan, Math.PI / 4), 1, "tan(pi/4)");
        ulps(Math.PI / 6, at(Tensor::asin, 0.5), 1, "asin(1/2)");
        ulps(Math.PI / 3, at(Tensor::acos, 0.5), 1, "acos(1/2)");
        ulps(Math.PI / 4, at(Tensor::atan, 1.0), 1, "atan(1)");
        ulps((Math.E - 1 / Math.E) / 2, at(Tensor::sinh, 1.0), 2, "sinh(1)");
        ulps((Math.E + 1 / Math.E) / 2, at(Tensor::cosh, 1.0), 2, "cosh(1)");
        ulps(Math.log(0.75 + 1.25), at(Tensor::asinh, 0.75), 2, "asinh(3/4) = log(3/4 + 5/4)");
        ulps(Math.log(2 + Math.sqrt(3)), at(Tensor::acosh, 2.0), 2, "acosh(2)");
        ulps(0.5 * Math.log(3), at(Tensor::atanh, 0.5), 2, "atanh(1/2) = log(3)/2");
        ulps(1e-10 - 5e-21, at(Tensor::log1p, 1e-10), 1, "log1p(1e-10), two terms of the series");
        ulps(1e-10 + 5e-21, at(Tensor::expm1, 1e-10), 1, "expm1(1e-10)");
        ulps(0.5, at(Tensor::rsqrt, 4.0), 0, "rsqrt(4)");
        // sinh and cosh are finite up to log(2 MAX) = 710.47..., where e^x alone overflows (PyTorch 1.13's are
        // infinite from 709.78 on): sinh(710) = e^710 / 2 (e^-710 is far below an ulp)
        ulps(Math.exp(709) * (Math.E / 2), at(Tensor::sinh, 710.0), 4, "sinh(710)");
        ulps(Math.exp(709) * (Math.E / 2), at(Tensor::cosh, -710.0), 4, "cosh(-710)");
        assertEquals(Double.POSITIVE_INFINITY, at(Tensor::sinh, 710.5));

        Tensor three = Tensor.scalar(3.0);
        assertEquals(5.0, three.hypot(Tensor.scalar(4.0)).item(), 0.0, "hypot(3, 4)");
        ulps(Math.sqrt(2) * 1e300, Tensor.scalar(1e300).hypot(Tensor.scalar(1e300)).item(), 1, "hypot without overflow");
        ulps(1e-300 * Math.sqrt(2), Tensor.scalar(1e-300).hypot(Tensor.scalar(-1e-300)).item(), 1, "hypot without underflow");
        ulps(3 * Math.PI / 4, Tensor.scalar(1.0).atan2(Tensor.scalar(-1.0)).item(), 1, "atan2(1, -1)");
        ulps(-Math.PI / 2, Tensor.scalar(-2.0).atan2(Tensor.scalar(0.0)).item(), 1, "atan2(-2, 0)");
        ulps(Math.log(2), Tensor.scalar(0.0).logaddexp(Tensor.scalar(0.0)).item(), 1, "logaddexp(0, 0)");
        ulps(1000 + Math.log(2), Tensor.scalar(1000.0).logaddexp(Tensor.scalar(1000.0)).item(), 1, "logaddexp(1000, 1000)");
        ulps(-1000 + Math.log1p(Math.exp(-1)), Tensor.scalar(-1000.0).logaddexp(Tensor.scalar(-1001.0)).item(), 1,
                "logaddexp(-1000, -1001): no underflow");
        ulps(2.0, Tensor.scalar(2.0).xlogy(Tensor.scalar(Math.E)).item(), 1, "xlogy(2, e)");
        assertEquals(0.0, Tensor.scalar(0.0).xlogy(Tensor.scalar(0.0)).item(), 0.0, "xlogy(0, 0)");
        // the double forms are the tensor forms with a 0-dim other
        Tensor v = Tensor.fromArray(new double[] {0.0, 3.0, -2.0});
        assertArrayEquals(v.atan2(Tensor.scalar(-1.5)).toArray(), v.atan2(-1.5).toArray(), 0.0, "atan2(double)");
        assertArrayEquals(v.hypot(Tensor.scalar(4.0)).toArray(), v.hypot(4.0).toArray(), 0.0, "hypot(double)");
        assertArrayEquals(new double[] {0, 3 * Math.log(4), -2 * Math.log(4)}, v.xlogy(4.0).toArray(), 1e-15, "xlogy(double)");
        assertArrayEquals(v.logaddexp(Tensor.scalar(1.0)).toArray(), v.logaddexp(1.0).toArray(), 0.0, "logaddexp(double)");
    }

    /** Exact where a user expects it: log2 and exp2 at every power of 2, log10 at the powers of 10. */
    @Test
    void exactAtPowers() {
        double[] k = new double[2098];
        double[] p = new double[k.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = i - 1074;
            p[i] = Math.scalb(1.0, i - 1074);
        }
        assertArrayEquals(k, Tensor.fromArray(p).log2().toArray(), 0.0, "log2(2^k) = k");
        assertArrayEquals(p, Tensor.fromArray(k).exp2().toArray(), 0.0, "exp2(k) = 2^k");
        double[] k10 = new double[601];
        double[] p10 = new double[k10.length];
        for (int i = 0; i < k10.length; i++) {
            k10[i] = i - 300;
            p10[i] = Double.parseDouble("1e" + (i - 300));
        }
        assertArrayEquals(k10, Tensor.fromArray(p10).log10().toArray(), 0.0, "log10(10^k) = k");
    }

    /** log2 = e + log(m) / log 2 does not cancel near 1, where log2(1 + d) = d / ln 2 (1 - d/2 + ...). */
    @Test
    void log2IsAccurateNearOneAndEverywhere() {
        for (double d0 : new double[] {1e-15, -1e-15, 1e-9, -1e-9, 0x1p-52, -0x1p-53}) {
            double d = (1 + d0) - 1; // exact: the d of the double nearest 1 + d0
            double want = StrictMath.log1p(d) / Math.log(2);
            ulps(want, at(Tensor::log2, 1 + d), 2, "log2(1 + " + d + ")");
        }
        SplittableRandom r = new SplittableRandom(16);
        for (int i = 0; i < 20_000; i++) {
            double x = Math.exp(r.nextDouble(-740, 709));
            double want = StrictMath.log(x) / Math.log(2); // each within an ulp of exact
            ulps(want, at(Tensor::log2, x), 2, "log2(" + x + ")");
        }
    }

    /**
     * Near the poles x = +-1 the derivatives of asin, acos, atanh (1 - x^2) and acosh (x^2 - 1) keep their digits:
     * against 1 - x^2 in exact arithmetic (BigDecimal, rounded once), where 1 - x*x in doubles (PyTorch's form)
     * would lose about -log10(1 - |x|) of them (7 at 1 - 1e-7).
     */
    @Test
    void derivativesKeepTheirDigitsNearThePoles() {
        for (int k = 4; k <= 52; k += 3) {
            for (double x : new double[] {1 - Math.scalb(1.0, -k), -1 + Math.scalb(1.0, -k), 1 + Math.scalb(1.0, -k)}) {
                java.math.BigDecimal bx = new java.math.BigDecimal(x);
                double u = java.math.BigDecimal.ONE.subtract(bx.multiply(bx)).doubleValue(); // 1 - x^2, one rounding
                if (Math.abs(x) < 1) {
                    ulps(1 / Math.sqrt(u), grad(Tensor::asin, x), 4, "asin'(" + x + ")");
                    ulps(-1 / Math.sqrt(u), grad(Tensor::acos, x), 4, "acos'(" + x + ")");
                    ulps(1 / u, grad(Tensor::atanh, x), 4, "atanh'(" + x + ")");
                } else {
                    ulps(1 / Math.sqrt(-u), grad(Tensor::acosh, x), 4, "acosh'(" + x + ")");
                }
            }
        }
    }

    private static double grad(UnaryOperator<Tensor> f, double x) {
        Tensor t = Tensor.scalar(x).requiresGrad();
        return Autodiff.grad(f.apply(t), t)[0].item();
    }

    /** Each inverse function through the forward one gives x back (an oracle that shares no code with it). */
    @Test
    void inverseRoundTrips() {
        SplittableRandom r = new SplittableRandom(17);
        check(r, x -> StrictMath.sinh(x), Tensor::asinh, -50, 50, 8);
        check(r, x -> StrictMath.cosh(x), Tensor::acosh, 1.5, 1e6, 8);
        check(r, x -> StrictMath.tanh(x), Tensor::atanh, -0.9, 0.9, 8);
        check(r, x -> StrictMath.sin(x), Tensor::asin, -0.9, 0.9, 8);
        // cos(acos x) near x = 0 amplifies acos's last bit by |x| / (pi/2): not there
        check(r, x -> StrictMath.cos(x), Tensor::acos, 0.3, 0.95, 8);
        check(r, x -> StrictMath.tan(x), Tensor::atan, -2, 2, 8); // tan amplifies atan's last bit by 1 + x^2
        check(r, x -> StrictMath.exp(x) - 1, Tensor::log1p, 0.5, 20, 8);
        check(r, x -> StrictMath.log(1 + x), Tensor::expm1, 0.5, 20, 8);
        check(r, x -> 1 / (x * x), Tensor::rsqrt, 0.1, 100, 4);
    }

    /** f(inverse(x)) against x, in ulps of x, for x uniform on [lo, hi]. */
    private static void check(SplittableRandom r, DoubleUnaryOperator f, UnaryOperator<Tensor> inverse, double lo, double hi,
                              double bound) {
        double[] x = new double[2000];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextDouble(lo, hi);
        }
        double[] y = inverse.apply(Tensor.fromArray(x)).toArray();
        for (int i = 0; i < x.length; i++) {
            ulps(x[i], f.applyAsDouble(y[i]), bound, "round trip at " + x[i]);
        }
    }

    /** torch.round is half to even; floor, ceil and trunc keep the sign of zero as C's. */
    @Test
    void roundingConventions() {
        Tensor x = Tensor.fromArray(new double[] {0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, -0.7, 0.7, 4503599627370497.0});
        assertArrayEquals(new double[] {0, 2, 2, -0.0, -2, 0, -1, 1, 4503599627370497.0}, x.round().toArray(), 0.0);
        assertArrayEquals(new double[] {0, 1, 2, -1, -3, 0, -1, 0, 4503599627370497.0}, x.floor().toArray(), 0.0);
        assertArrayEquals(new double[] {1, 2, 3, -0.0, -2, 1, -0.0, 1, 4503599627370497.0}, x.ceil().toArray(), 0.0);
        assertArrayEquals(new double[] {0, 1, 2, -0.0, -2, 0, -0.0, 0, 4503599627370497.0}, x.trunc().toArray(), 0.0);
        assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(at(Tensor::trunc, -0.5)), "trunc(-0.5) = -0");
        assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(at(Tensor::round, -0.5)), "round(-0.5) = -0");
        assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(at(Tensor::ceil, -0.5)), "ceil(-0.5) = -0");
    }

    /** Zero gradient everywhere, at the jumps and for NaN or infinite incoming gradients too (PyTorch's zeros_like). */
    @Test
    void roundingOpsPassNoGradient() {
        for (UnaryOperator<Tensor> op : java.util.List.<UnaryOperator<Tensor>>of(Tensor::floor, Tensor::ceil, Tensor::round, Tensor::trunc)) {
            Tensor x = Tensor.fromArray(new double[] {1.0, 0.5, -2.5, 3.7}).requiresGrad();
            Tensor y = op.apply(x);
            Tensor[] g = Autodiff.grad(y, Tensor.fromArray(new double[] {Double.NaN, Double.POSITIVE_INFINITY, 1, -1}),
                    false, false, x);
            assertArrayEquals(new double[] {0, 0, 0, 0}, g[0].toArray(), 0.0);
            Tensor t = Autodiff.jvp(xs -> op.apply(xs[0]).mul(2.0), new Tensor[] {x.detach()},
                    new Tensor[] {Tensor.fromArray(new double[] {Double.NaN, 1, 1, 1})}).tangent();
            assertArrayEquals(new double[] {0, 0, 0, 0}, t.toArray(), 0.0, "the tangent: zero, a NaN tangent in too");
        }
    }
}
