package dev.autodiff.check;

import dev.autodiff.Autodiff;
import dev.autodiff.DType;
import dev.autodiff.Fn;
import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Checks a function's derivatives against central finite differences in float64, in reverse mode
 * (gradients) and forward mode (jvp), as JAX's {@code check_grads(f, args, order, modes=("fwd", "rev"))}.
 *
 * <p>A non-scalar output is reduced to the scalar {@code L = sum(f(x) * r)} with a fixed random
 * {@code r}, so every row of the Jacobian takes part. Each input element is perturbed in turn
 * (per-element check), and then all inputs together along random directions {@code v}, comparing
 * {@code (L(x + eps v) - L(x - eps v)) / 2 eps} with {@code <grad L, v>} (reverse) and with the
 * tangent of L along v (forward), and the two modes with each other ({@code <J v, r> = <v, J^T r>}, to
 * 1e-9 relative). A value passes when
 * {@code |analytic - numeric| <= atol + rtol * |numeric|}; a failure names the worst element, its
 * index and both values.
 *
 * <pre>{@code
 * GradCheck.of(xs -> xs[0].mul(xs[1]).tanh()).check(a, b);
 * GradCheck.of(xs -> xs[0].exp().sum()).checkSecondOrder(a);   // derivatives of derivatives
 * GradCheck.of(f).modes(GradCheck.Mode.REV).check(a);            // a function without forward mode
 * }</pre>
 */
public final class GradCheck {
    /** Which derivatives to check. */
    public enum Mode { FWD, REV }

    private final Fn f;
    private double eps = 1e-6;
    private double atol = 1e-5;
    private double rtol = 1e-3;
    private long seed = 0x5eed;
    private int directions = 3;
    private boolean perElement = true;
    private Set<Mode> modes = EnumSet.allOf(Mode.class);

    private GradCheck(Fn f) {
        this.f = f;
    }

    public static GradCheck of(Fn f) {
        if (f == null) {
            throw new NullPointerException("GradCheck.of: the function is null");
        }
        return new GradCheck(f);
    }

    /** The finite-difference step (default 1e-6). */
    public GradCheck eps(double eps) {
        if (!(eps > 0)) {
            throw new IllegalArgumentException("GradCheck.eps: need eps > 0, got " + eps);
        }
        this.eps = eps;
        return this;
    }

    /** Absolute and relative tolerance (defaults 1e-5 and 1e-3, PyTorch's gradcheck defaults). */
    public GradCheck tolerance(double atol, double rtol) {
        if (!(atol >= 0) || !(rtol >= 0)) {
            throw new IllegalArgumentException("GradCheck.tolerance: need atol, rtol >= 0, got " + atol + ", " + rtol);
        }
        this.atol = atol;
        this.rtol = rtol;
        return this;
    }

    /** Seed for the output projection and the random directions. */
    public GradCheck seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** How many random directions to check (default 3). */
    public GradCheck directions(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("GradCheck.directions: need n >= 0, got " + n);
        }
        this.directions = n;
        return this;
    }

    /** Whether to perturb every element one at a time (default true; 2 evaluations per element). */
    public GradCheck perElement(boolean on) {
        this.perElement = on;
        return this;
    }

    /** The modes to check (default both). */
    public GradCheck modes(Mode... modes) {
        if (modes == null || Arrays.asList(modes).contains(null)) {
            throw new NullPointerException("GradCheck.modes: a mode is null");
        }
        if (modes.length == 0) {
            throw new IllegalArgumentException("GradCheck.modes: name at least one mode");
        }
        this.modes = EnumSet.copyOf(Arrays.asList(modes));
        return this;
    }

    /** Checks first derivatives at {@code inputs}; throws {@link GradCheckFailure} on a mismatch. */
    public void check(Tensor... inputs) {
        run(f, inputs, "gradcheck");
    }

    /**
     * Checks second derivatives. In reverse mode: the function {@code x -> sum_i <grad_i L(x), u_i>} for
     * fixed random {@code u} (its gradient is reverse over reverse, its tangent forward over reverse). In
     * forward mode: the function {@code x -> tangent of L along u} (reverse over forward, forward over
     * forward). Each is checked in the selected modes against finite differences.
     */
    public void checkSecondOrder(Tensor... inputs) {
        double[][] u = new double[inputs.length][];
        SplittableRandom r = new SplittableRandom(seed ^ 0x9e3779b97f4a7c15L);
        for (int i = 0; i < inputs.length; i++) {
            u[i] = normal(r, inputs[i].size());
        }
        Fn inner = f;
        long projectionSeed = seed;
        Fn gradDotU = xs -> {
            Tensor[] g = Autodiff.valueAndGrad(ys -> project(inner.apply(ys), projectionSeed), xs).grads();
            Tensor acc = Tensor.scalar(0.0);
            for (int i = 0; i < xs.length; i++) {
                acc = acc.add(g[i].mul(Tensor.fromArray(u[i], xs[i].shape())).sum());
            }
            return acc;
        };
        if (modes.contains(Mode.REV)) {
            run(gradDotU, inputs, "gradgradcheck (of the gradient)");
        }
        Fn tangentAlongU = xs -> {
            Tensor[] us = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                us[i] = Tensor.fromArray(u[i], xs[i].shape());
            }
            return Autodiff.jvp(ys -> project(inner.apply(ys), projectionSeed), xs, us).tangent();
        };
        if (modes.contains(Mode.FWD)) {
            run(tangentAlongU, inputs, "gradgradcheck (of the jvp)");
        }
    }

    private void run(Fn fn, Tensor[] inputs, String what) {
        if (inputs == null || Arrays.asList(inputs).contains(null)) {
            throw new NullPointerException("GradCheck." + (what.startsWith("gradgrad") ? "checkSecondOrder" : "check")
                    + ": an input is null");
        }
        double[][] x = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            x[i] = inputs[i].toArray();
        }
        // the analytic derivatives on inputs of the given dtypes (a float32 input checks the float32 path); every
        // finite difference below evaluates in float64, so it is an oracle for either
        Tensor[] leaves = leaves(x, inputs, true);
        Tensor loss = project(fn.apply(leaves), seed);
        Tensor[] analytic = loss.needsGrad() ? Autodiff.grad(loss, leaves) : zerosLike(inputs);
        boolean rev = modes.contains(Mode.REV);
        boolean fwd = modes.contains(Mode.FWD);
        // the two modes round differently in float32 (a float32 input's tangent is rounded too): agreement to float32
        // precision there, to float64's otherwise
        double agreement = Arrays.stream(inputs).anyMatch(t -> t.dtype() == DType.FLOAT32) ? 1e-5 : 1e-9;

        if (perElement && rev) {
            for (int i = 0; i < inputs.length; i++) {
                Worst worst = new Worst();
                double[] a = analytic[i].toArray();
                for (int j = 0; j < x[i].length; j++) {
                    double saved = x[i][j];
                    x[i][j] = saved + eps;
                    double plus = eval(fn, x, inputs);
                    x[i][j] = saved - eps;
                    double minus = eval(fn, x, inputs);
                    x[i][j] = saved;
                    worst.offer(j, a[j], (plus - minus) / (2 * eps));
                }
                if (worst.failed()) {
                    throw new GradCheckFailure(String.format(
                            "%s: input %d (shape %s), element %s: analytic %.12g vs numeric %.12g (|diff| %.3g > atol %.1g + rtol %.1g * |numeric|); the worst of %d elements",
                            what, i, Arrays.toString(inputs[i].shape()), Arrays.toString(unravel(worst.index, inputs[i].shape())),
                            worst.analytic, worst.numeric, Math.abs(worst.analytic - worst.numeric), atol, rtol, x[i].length));
                }
            }
        }
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int k = 0; k < directions; k++) {
            double[][] v = new double[inputs.length][];
            double dot = 0;
            for (int i = 0; i < inputs.length; i++) {
                v[i] = normal(r, x[i].length);
                double[] g = analytic[i].toArray();
                for (int j = 0; j < g.length; j++) {
                    dot += g[j] * v[i][j];
                }
            }
            double numeric = (eval(fn, shifted(x, v, eps), inputs) - eval(fn, shifted(x, v, -eps), inputs)) / (2 * eps);
            if (rev) {
                compare(what + ": reverse mode", k, dot, numeric);
            }
            if (fwd) {
                double tangent = tangent(fn, x, v, inputs);
                compare(what + ": forward mode (jvp)", k, tangent, numeric);
                if (rev && Math.abs(tangent - dot) > agreement * (1 + Math.abs(dot))) {
                    throw new GradCheckFailure(String.format(
                            "%s: forward and reverse mode disagree along random direction %d (seed %d): <J v, r> = %.15g but <v, J^T r> = %.15g",
                            what, k, seed, tangent, dot));
                }
            }
        }
    }

    private void compare(String what, int k, double analytic, double numeric) {
        Worst w = new Worst();
        w.offer(k, analytic, numeric);
        if (w.failed()) {
            throw new GradCheckFailure(String.format(
                    "%s: along random direction %d (seed %d): analytic %.12g vs numeric %.12g (|diff| %.3g > atol %.1g + rtol %.1g * |numeric|)",
                    what, k, seed, analytic, numeric, Math.abs(analytic - numeric), atol, rtol));
        }
    }

    /** The forward-mode directional derivative of the projected output along v. */
    private double tangent(Fn fn, double[][] x, double[][] v, Tensor[] like) {
        Tensor[] xs = new Tensor[x.length];
        Tensor[] vs = new Tensor[x.length];
        for (int i = 0; i < x.length; i++) {
            xs[i] = Tensor.fromArray(x[i], like[i].shape()).to(like[i].dtype());
            vs[i] = Tensor.fromArray(v[i], like[i].shape());
        }
        return Autodiff.jvp(ys -> project(fn.apply(ys), seed), xs, vs).tangent().item();
    }

    private final class Worst {
        int index = -1;
        double analytic;
        double numeric;
        double excess = Double.NEGATIVE_INFINITY;

        void offer(int j, double a, double n) {
            double e = Math.abs(a - n) - (atol + rtol * Math.abs(n));
            if (e > excess || Double.isNaN(e) && !Double.isNaN(excess)) {
                excess = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
                index = j;
                analytic = a;
                numeric = n;
            }
        }

        boolean failed() {
            return index >= 0 && excess > 0;
        }
    }

    private double eval(Fn fn, double[][] x, Tensor[] like) {
        return project(fn.apply(leaves(x, like, false)), seed).item();
    }

    /** Leaves of these values in like's shapes: in like's dtypes, or all float64 (for finite differences). */
    private static Tensor[] leaves(double[][] x, Tensor[] like, boolean likeDtype) {
        Tensor[] t = new Tensor[x.length];
        for (int i = 0; i < x.length; i++) {
            Tensor v = Tensor.fromArray(x[i], like[i].shape());
            t[i] = (likeDtype ? v.to(like[i].dtype()) : v).requiresGrad();
        }
        return t;
    }

    private static Tensor[] zerosLike(Tensor[] inputs) {
        Tensor[] z = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            z[i] = Tensor.zeros(inputs[i].shape());
        }
        return z;
    }

    /** sum(y * r) with r ~ N(0, 1) fixed by the seed: a scalar that depends on every output element. */
    private static Tensor project(Tensor y, long seed) {
        return y.mul(Tensor.randn(seed, y.shape())).sum();
    }

    private static double[][] shifted(double[][] x, double[][] v, double step) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i].clone();
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] += step * v[i][j];
            }
        }
        return out;
    }

    private static double[] normal(SplittableRandom r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return idx;
    }
}
