package dev.autodiff;

import dev.autodiff.kernel.Shapes;

/**
 * Shape bookkeeping for forward-mode tangents. A tangent has its primal's shape, or in batched forward
 * mode one extra leading dimension of size n (n tangents pushed at once). NumPy broadcasting aligns
 * shapes from the right, so before a batched tangent meets a primal of higher rank it is lifted:
 * {@code (n, *x)} becomes {@code (n, 1, ..., 1, *x)}.
 */
final class Tangents {
    private Tangents() {}

    /** 1 if {@code t} is a batched tangent of {@code x}, else 0. */
    static int batch(Tensor t, Tensor x) {
        return t.rank() - x.rank();
    }

    /** {@code shape} with the batch prefix of tangent {@code t} (of primal {@code x}) in front. */
    static int[] batched(Tensor t, Tensor x, int[] shape) {
        if (batch(t, x) == 0) {
            return shape;
        }
        int[] s = new int[shape.length + 1];
        s[0] = t.shape[0];
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    /** Lifts a batched tangent of x so that its primal part has rank {@code rank}. */
    static Tensor lift(Tensor t, Tensor x, int rank) {
        if (batch(t, x) == 0 || x.rank() >= rank) {
            return t;
        }
        int[] s = new int[rank + 1];
        s[0] = t.shape[0];
        java.util.Arrays.fill(s, 1, 1 + rank - x.rank(), 1);
        System.arraycopy(x.shape, 0, s, 1 + rank - x.rank(), x.rank());
        return t.reshape(s);
    }

    /** Broadcasts a tangent term (batch prefix taken from tangent {@code t} of {@code x}) to the output's shape. */
    static Tensor expand(Tensor term, Tensor t, Tensor x, Tensor out) {
        int[] target = batched(t, x, out.shape);
        return java.util.Arrays.equals(term.shape, target) ? term : term.broadcastTo(target);
    }

    /** A reduction mask for the tangent: the batch axis is never reduced. */
    static boolean[] mask(boolean[] mask, int nb) {
        if (nb == 0) {
            return mask;
        }
        boolean[] m = new boolean[mask.length + 1];
        System.arraycopy(mask, 0, m, 1, mask.length);
        return m;
    }

    static void checkShape(Tensor primal, Tensor tangent) {
        int nb = tangent.rank() - primal.rank();
        boolean ok = (nb == 0 || nb == 1) && java.util.Arrays.equals(
                java.util.Arrays.copyOfRange(tangent.shape, nb, tangent.rank()), primal.shape);
        if (!ok) {
            throw new IllegalArgumentException("jvp: a tangent must have its primal's shape " + Shapes.str(primal.shape)
                    + ", or one extra leading (batch) dimension, got " + Shapes.str(tangent.shape));
        }
    }
}
