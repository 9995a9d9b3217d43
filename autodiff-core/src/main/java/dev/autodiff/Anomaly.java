package dev.autodiff;

import dev.autodiff.kernel.Shapes;

/** Anomaly detection: finds the first backward rule that produced NaN or infinity and where its op was created. */
final class Anomaly {
    private Anomaly() {}

    static void check(Tensor t, int input, Tensor g) {
        Tensor values = g;
        while (values.batch != null) {
            values = values.batch.physical; // inside vmap: every example's gradient
        }
        double[] d = values.values();
        for (int j = 0; j < d.length; j++) {
            if (!Double.isFinite(d[j])) {
                throw new AnomalyException("anomaly: the backward of '" + t.op.name + "' (output shape "
                        + Shapes.str(t.shape) + ") produced " + d[j] + " in the gradient of its input " + input
                        + " (shape " + Shapes.str(g.shape) + ") at flat index " + j + "; the op was created at "
                        + site(t.createdAt), t.op.name, site(t.createdAt));
            }
        }
    }

    /** Classes whose frames sit between the user's call and the recording of an op. */
    private static final java.util.Set<String> LIBRARY = java.util.Set.of(
            Tensor.class.getName(), Primitive.class.getName(), Primitives.class.getName());

    /** The first frame outside the library: the user's call that created the op. */
    static String site(StackTraceElement[] trace) {
        if (trace == null) {
            return "(unknown: run the forward pass inside Autodiff.detectAnomaly() to record it)";
        }
        for (StackTraceElement e : trace) {
            String c = e.getClassName();
            int nested = c.indexOf('$');
            String outer = nested < 0 ? c : c.substring(0, nested);
            if (!LIBRARY.contains(outer)) {
                return e.toString();
            }
        }
        return trace.length > 0 ? trace[trace.length - 1].toString() : "(no stack)";
    }
}
