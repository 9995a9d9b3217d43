package dev.autodiff.kernel;

import java.util.Arrays;

/** Pure functions on row-major shapes: sizes, strides, broadcasting, axis normalisation. */
public final class Shapes {
    /** The shape of every rank-0 tensor, shared so that identity comparison is a fast path. */
    public static final int[] SCALAR = new int[0];

    private Shapes() {}

    /** The most elements a tensor holds: the longest {@code double[]} a JVM allocates. */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** The number of elements of a shape (see {@link #size(String, int[])}). */
    public static int size(int[] shape) {
        return size("shape", shape);
    }

    /**
     * The number of elements of {@code shape}, computed exactly: throws naming {@code op} when a dimension is
     * negative or the product exceeds {@link #MAX_ELEMENTS} (a dimension of 0 makes it 0, whatever the others).
     */
    public static int size(String op, int[] shape) {
        boolean empty = false;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(op + ": negative dimension in shape " + Arrays.toString(shape));
            }
            empty |= d == 0;
        }
        if (empty) {
            return 0;
        }
        long n = 1;
        for (int d : shape) {
            n *= d; // each factor < 2^31 and n <= MAX_ELEMENTS before it: no long overflow
            if (n > MAX_ELEMENTS) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " has more than "
                        + MAX_ELEMENTS + " elements, the most a tensor can hold");
            }
        }
        return (int) n;
    }

    /** {@code a + b} (a dimension or element count), throwing naming {@code op} past {@link #MAX_ELEMENTS}. */
    public static int add(String op, long a, long b, String what) {
        long n = a + b;
        if (n < 0 || n > MAX_ELEMENTS) {
            throw new IllegalArgumentException(op + ": " + what + " would be " + n + ", outside [0, " + MAX_ELEMENTS + "]");
        }
        return (int) n;
    }

    /** Row-major strides in elements. */
    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    /** NumPy broadcasting of two shapes; throws naming {@code op} when they are incompatible. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        if (a == b || Arrays.equals(a, b)) {
            return a;
        }
        if (b.length == 0) {
            return a;
        }
        if (a.length == 0) {
            return b;
        }
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast together (dimension " + i + " of the result: " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        size(op, out);
        return out;
    }

    /** Whether {@code from} broadcasts to exactly {@code to}. */
    public static boolean broadcastsTo(int[] from, int[] to) {
        if (from.length > to.length) {
            return false;
        }
        int off = to.length - from.length;
        for (int i = 0; i < from.length; i++) {
            if (from[i] != 1 && from[i] != to[i + off]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Strides with which to read a tensor of shape {@code in} while iterating over {@code out}, which it
     * broadcasts to: 0 along broadcast dimensions.
     */
    public static int[] broadcastStrides(int[] in, int[] out) {
        int[] s = new int[out.length];
        int[] inStrides = strides(in);
        int off = out.length - in.length;
        for (int i = 0; i < in.length; i++) {
            s[i + off] = in[i] == 1 ? 0 : inStrides[i];
        }
        return s;
    }

    /** Maps a possibly negative axis into [0, rank); throws naming {@code op} if it is out of range. */
    public static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (rank == 0) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range: a rank-0 tensor has no axes");
        }
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for a tensor of rank " + rank
                    + " (expected " + -rank + " <= axis < " + rank + ")");
        }
        return a;
    }

    /**
     * Checks the axis given to a reduction (or squeeze, transpose) of a rank-0 tensor: 0 or -1, as PyTorch
     * accepts there, naming the tensor's one element.
     */
    public static void scalarAxis(String op, int axis) {
        if (axis != 0 && axis != -1) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for a rank-0 tensor (expected 0 or -1)");
        }
    }

    /**
     * A boolean mask of the given axes (all axes when {@code axes} is empty), rejecting duplicates. A rank-0
     * tensor accepts axis 0 or -1, as PyTorch's reductions do: it names the tensor's one element, and the
     * mask (of length 0) reduces nothing.
     */
    public static boolean[] axesMask(String op, int[] axes, int rank) {
        if (axes == null) {
            throw new NullPointerException(op + ": axes is null");
        }
        boolean[] mask = new boolean[rank];
        if (axes.length == 0) {
            Arrays.fill(mask, true);
            return mask;
        }
        boolean scalarAxis = false;
        for (int a : axes) {
            if (rank == 0) {
                scalarAxis(op, a);
                if (scalarAxis) {
                    throw new IllegalArgumentException(op + ": axis " + a + " appears twice in " + Arrays.toString(axes)
                            + " (a rank-0 tensor has one axis, 0 or -1)");
                }
                scalarAxis = true;
                continue;
            }
            int n = axis(op, a, rank);
            if (mask[n]) {
                throw new IllegalArgumentException(op + ": axis " + a + " appears twice in " + Arrays.toString(axes));
            }
            mask[n] = true;
        }
        return mask;
    }

    /** The shape after reducing the masked axes, either kept as size 1 or removed. */
    public static int[] reduced(int[] shape, boolean[] mask, boolean keepDims) {
        int n = 0;
        for (boolean m : mask) {
            n += m ? 0 : 1;
        }
        int[] out = new int[keepDims ? shape.length : n];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (!mask[i]) {
                out[j++] = shape[i];
            } else if (keepDims) {
                out[j++] = 1;
            }
        }
        return out.length == 0 ? SCALAR : out;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
