package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A fixture file written by one of the PyTorch generators beside the test classes (gen_*.py, through
 * torch_fixtures.py): one array a line, "name d1,d2,... v1 v2 ..." (an empty shape field: a scalar; '#' starts a
 * comment line), and the replay of one generator case that the *TorchTest classes share.
 */
final class TorchFixtures {
    private final String resource;
    private final Map<String, Tensor> arrays;

    private TorchFixtures(String resource, Map<String, Tensor> arrays) {
        this.resource = resource;
        this.arrays = arrays;
    }

    /** The fixture file of that name in the test resources of this package. */
    static TorchFixtures read(String resource) {
        Map<String, Tensor> m = new HashMap<>();
        try (InputStream in = TorchFixtures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no fixture file " + resource + " beside " + TorchFixtures.class.getName());
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split(" ", -1);
                int[] shape = f[1].isEmpty() ? new int[0] : Arrays.stream(f[1].split(",")).mapToInt(Integer::parseInt).toArray();
                double[] v = new double[f.length - 2];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Double.parseDouble(f[i + 2]);
                }
                m.put(f[0], Tensor.fromArray(v, shape));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new TorchFixtures(resource, m);
    }

    /** The array of that name; a missing one is an error, not a skipped check. */
    Tensor fx(String name) {
        Tensor t = arrays.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no fixture named " + name + " in " + resource);
        }
        return t;
    }

    boolean has(String name) {
        return arrays.containsKey(name);
    }

    /** Every array's name, for counting the generator's cases. */
    Set<String> names() {
        return Collections.unmodifiableSet(arrays.keySet());
    }

    /** {@link #close(String, Tensor, Tensor, boolean)} without the sign of zero. */
    static void close(String what, Tensor expected, Tensor actual) {
        close(what, expected, actual, false);
    }

    /**
     * Shapes equal and, elementwise, NaN where NaN, the same infinity where an infinity, otherwise within
     * 1e-10 + 1e-10 |expected|; with signedZero an expected zero's sign too.
     */
    static void close(String what, Tensor expected, Tensor actual, boolean signedZero) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            boolean ok = Double.isNaN(e[i]) ? Double.isNaN(a[i])
                    : Double.isInfinite(e[i]) ? e[i] == a[i]
                    : Math.abs(e[i] - a[i]) <= 1e-10 + 1e-10 * Math.abs(e[i]);
            if (signedZero && e[i] == 0) {
                ok &= Double.doubleToLongBits(e[i]) == Double.doubleToLongBits(a[i]);
            }
            assertTrue(ok, what + ": element " + i + " expected " + e[i] + " got " + a[i]);
        }
    }

    /** Where a replay accepts a derivative that does not depend on x (no graph to differentiate) as zeros. */
    enum Zeros {
        /** Nowhere: every derivative must depend on x, else Autodiff.grad's error fails the case. */
        NEVER,
        /** In the Hessian-vector products (a linear op's gradient is constant in x). */
        SECOND_ORDER,
        /** Also in the gradient (a function constant in x, such as the 0-"norm"). */
        ANY
    }

    /**
     * How a class replays its cases: the checks all make, and the details where the classes differ.
     *
     * @param zeros where a derivative constant in x counts as zeros
     * @param backward also the gradient by Tensor.backward, J v's value and the first of two stacked tangents
     * @param hvpWhereRecorded H v only for the cases that have a ".hvp" array (the generator leaves it out where
     *     PyTorch's double backward is wrong); otherwise a missing one fails the case
     */
    record Replay(Zeros zeros, boolean backward, boolean hvpWhereRecorded) {
        static final Replay STRICT = new Replay(Zeros.NEVER, false, false);

        Replay withZeros(Zeros z) {
            return new Replay(z, backward, hvpWhereRecorded);
        }

        Replay withBackward() {
            return new Replay(zeros, true, hvpWhereRecorded);
        }

        Replay withHvpWhereRecorded() {
            return new Replay(zeros, backward, true);
        }
    }

    /**
     * One generator case of one input x: against name.y the value, against name.grad the gradient of sum(y r),
     * against name.jvp J v in forward mode (one tangent, and two stacked, v and -2 v), and against name.hvp H v
     * of sum(y r) reverse-over-reverse, forward-over-reverse and reverse-over-forward; each by {@link #close}.
     */
    void replay(String name, Function<Tensor, Tensor> f, Replay how) {
        Tensor x = fx(name + ".x");
        Tensor r = fx(name + ".r");
        Tensor v = fx(name + ".v");
        close(name + " value", fx(name + ".y"), f.apply(x));
        Function<Tensor, Tensor> loss = t -> f.apply(t).mul(r).sum();
        boolean firstOrderZeros = how.zeros() == Zeros.ANY;
        boolean secondOrderZeros = how.zeros() != Zeros.NEVER;

        Tensor xl = x.detach().requiresGrad();
        close(name + " grad", fx(name + ".grad"), grad(loss.apply(xl), xl, firstOrderZeros));
        if (how.backward()) {
            Tensor xb = x.detach().requiresGrad();
            loss.apply(xb).backward();
            close(name + " backward", fx(name + ".grad"), xb.grad());
        }

        Tensor jv = fx(name + ".jvp");
        Autodiff.Jvp j = Autodiff.jvp(f, x, v);
        if (how.backward()) {
            close(name + " jvp value", fx(name + ".y"), j.value());
        }
        close(name + " jvp", jv, j.tangent());
        Tensor both = Autodiff.jvp(f, x, Tensor.stack(0, v, v.mul(-2.0))).tangent();
        if (how.backward()) {
            close(name + " batched jvp, first", jv, both.slice(0, 0, 1).squeeze(0));
        }
        close(name + " batched jvp" + (how.backward() ? ", second" : ""), jv.mul(-2.0), both.slice(0, 1, 2).squeeze(0));

        if (how.hvpWhereRecorded() && !has(name + ".hvp")) {
            return;
        }
        Tensor hv = fx(name + ".hvp");
        Tensor x2 = x.detach().requiresGrad();
        Tensor l2 = loss.apply(x2);
        Tensor g = firstOrderZeros && !l2.needsGrad() ? Tensor.zeros(x.shape()) : Autodiff.grad(l2, true, x2)[0];
        close(name + " hvp reverse over reverse", hv, grad(g.mul(v).sum(), x2, secondOrderZeros));
        close(name + " hvp forward over reverse", hv, Autodiff.hvp(loss, x, v));
        Tensor x3 = x.detach().requiresGrad();
        close(name + " hvp reverse over forward", hv, grad(Autodiff.jvp(loss, x3, v).tangent(), x3, secondOrderZeros));
    }

    /** d y / d x; with zerosIfConstant zeros where y does not depend on x (Autodiff.grad would refuse). */
    private static Tensor grad(Tensor y, Tensor x, boolean zerosIfConstant) {
        return zerosIfConstant && !y.needsGrad() ? Tensor.zeros(x.shape()) : Autodiff.grad(y, x)[0];
    }

    /** GradCheck of the case's function at its fixture x, in both modes, to first and to second order. */
    void gradChecksToSecondOrder(String name, Function<Tensor, Tensor> f) {
        GradCheck c = GradCheck.of(xs -> f.apply(xs[0])).seed(name.hashCode());
        c.check(fx(name + ".x"));
        c.checkSecondOrder(fx(name + ".x"));
    }
}
