package dev.autodiff.spark;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * A model's trainable parameters as one flat array, the form in which they travel between the driver and the
 * executors (never as Java-serialised tensors). The order is Module.parameters()'s, each tensor once (a tied
 * weight is listed under two paths there).
 */
final class Parameters {
    private Parameters() {}

    static List<Tensor> of(Module model) {
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : model.parameters().values()) {
            if (seen.add(p)) {
                out.add(p);
            }
        }
        return out;
    }

    static int count(List<Tensor> params) {
        long n = 0;
        for (Tensor p : params) {
            n += p.size();
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("SparkTrainer: the model has " + n + " parameters, more than one array holds");
        }
        return (int) n;
    }

    static double[] values(List<Tensor> params) {
        double[] out = new double[count(params)];
        int at = 0;
        for (Tensor p : params) {
            double[] v = p.toArray();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }

    /** Copies {@code flat} into the parameters, in place (their identity, and an optimizer's hold on them, kept). */
    static void load(List<Tensor> params, double[] flat) {
        if (flat.length != count(params)) {
            throw new IllegalArgumentException("SparkTrainer: " + flat.length + " parameter values for a model with "
                    + count(params) + ": the model factory must build the same architecture every time");
        }
        int at = 0;
        for (Tensor p : params) {
            int n = p.size();
            double[] v = new double[n];
            System.arraycopy(flat, at, v, 0, n);
            p.assign(Tensor.fromArray(v, p.shape()));
            at += n;
        }
    }

    /** The parameters' gradients as one array (0 for a parameter without one). */
    static double[] grads(List<Tensor> params) {
        double[] out = new double[count(params)];
        int at = 0;
        for (Tensor p : params) {
            if (p.grad() != null) {
                double[] g = p.grad().toArray();
                System.arraycopy(g, 0, out, at, g.length);
            }
            at += p.size();
        }
        return out;
    }

    /** Sets each parameter's gradient from its slice of {@code flat}. */
    static void setGrads(List<Tensor> params, double[] flat) {
        int at = 0;
        for (Tensor p : params) {
            int n = p.size();
            double[] g = new double[n];
            System.arraycopy(flat, at, g, 0, n);
            p.setGrad(Tensor.fromArray(g, p.shape()));
            at += n;
        }
    }

    /** a += b, element by element. */
    static void addTo(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
    }

    /** Little-endian IEEE bytes in Base64: exact, for the barrier's string messages. */
    static String encode(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(v);
        return Base64.getEncoder().encodeToString(b.array());
    }

    static double[] decode(String s) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(s)).order(ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[b.remaining() / 8];
        b.asDoubleBuffer().get(v);
        return v;
    }
}
