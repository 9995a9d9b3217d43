package dev.autodiff;

/**
 * One row of the primitive table: a forward computation (in each subclass's {@code apply}) and, beside
 * it, the vector-Jacobian product for each input. Rules are written with public {@link Tensor} ops, so
 * that under {@code createGraph} they record and can be differentiated again.
 */
abstract class Primitive {
    /** Every kind of primitive; a test fails if one of them is not gradchecked and grad-of-grad checked. */
    enum Kind {
        NEG, EXP, LOG, RECIPROCAL, SQRT, TANH, SIGMOID, RELU, ABS,
        ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, WHERE,
        MATMUL, SUM, MAX, MIN, RESHAPE, BROADCAST_TO, TAKE, SCATTER_ADD, CONCAT
    }

    final Kind kind;
    /** The name shown in graph listings and error messages: the user-facing op, such as "permute". */
    final String name;

    Primitive(Kind kind, String name) {
        this.kind = kind;
        this.name = name;
    }

    /**
     * Given {@code g}, the gradient of some scalar with respect to {@code out}, returns the gradient with
     * respect to {@code in[i]} (same shape as {@code in[i]}). Called only for inputs that require grad.
     */
    abstract Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out);

    /** Records {@code out} as produced by this primitive from {@code in} when grad mode asks for it. */
    final Tensor record(Tensor out, Tensor... in) {
        boolean any = false;
        for (Tensor t : in) {
            any |= t.requiresGrad;
        }
        if (!any) {
            return out;
        }
        GradMode mode = GradMode.current();
        if (!mode.enabled) {
            return out;
        }
        out.op = this;
        out.inputs = in;
        out.requiresGrad = true;
        if (mode.anomaly) {
            out.createdAt = new Throwable().getStackTrace();
        }
        return out;
    }

    @Override
    public String toString() {
        return name;
    }
}
