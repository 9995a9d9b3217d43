package dev.autodiff.kernel;

import java.util.Arrays;

/**
 * Elementwise loops on flat row-major arrays, with NumPy broadcasting for binary and ternary operations.
 * The operation is chosen once per contiguous run, never per element, so that every inner loop is a
 * plain monomorphic loop.
 */
public final class Elementwise {
    private Elementwise() {}

    /**
     * SOFTPLUS is PyTorch's {@code F.softplus} with beta 1 and threshold 20: {@code x > 20 ? x : log1p(exp(x))}.
     * The transcendentals (EXP, EXPM1, LOG, LOG1P, TANH, SIGMOID, SOFTPLUS, ERF) are {@link Transcendentals}:
     * the same bits on every path (vector body, scalar tail, 0-dim, any thread split) and in every JIT tier.
     */
    public enum Unary {
        NEG, EXP, LOG, RECIPROCAL, SQRT, TANH, SIGMOID, RELU, ABS, SIGN, ERF, EXPM1, LOG1P, SOFTPLUS,
        // issue 16: elementwise math (see unaryMath)
        SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH, ASINH, ACOSH, ATANH, EXP2, LOG2, LOG10, RSQRT, FLOOR, CEIL, ROUND,
        TRUNC
    }

    /** The comparisons come last, from GT on (their results are 1 or 0). */
    public enum Binary {
        ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM,
        ATAN2, HYPOT, LOGADDEXP, XLOGY, // issue 16: elementwise math (see binaryMath)
        GT, GE, LT, LE, EQ, NE
    }

    /** Below this many elements a loop is not worth splitting over threads. */
    static final int PARALLEL_ELEMENTS = 1 << 16;
    /** Below this many elements the Vector API's setup costs more than it saves. */
    static final int VECTOR_ELEMENTS = 64;

    public static double[] unary(Unary op, double[] x) {
        double[] y = Buffers.zeros(x.length);
        overElements(x.length, (task, from, to) -> unary(op, x, y, from, to));
        return y;
    }

    /** Runs {@code body} over [0, n) in ranges of whole 1024-element blocks, over all threads when n is large. */
    private static void overElements(int n, Gemm.RowBody body) {
        Gemm.splitRows(n, 1024, n >= PARALLEL_ELEMENTS ? Threads.COUNT : 1, body);
    }

    // ---- float32. exp, expm1, log, tanh and sigmoid have float kernels (Transcendentals32: within 1 ulp, twice the lanes
    // of the float64 ones); neg, abs, relu, sign, sqrt and reciprocal are plain float loops, which C2 vectorizes
    // (each is exact or correctly rounded, so the bits of the float64 op rounded); the rest run the float64 loops
    // on 1024-element chunks widened into a buffer private to the thread, rounded back once per element (the bits
    // of the float64 loops on the whole widened array, rounded), without a float64 copy of either array

    private static final int CHUNK = 1024;
    private static final ThreadLocal<double[][]> CHUNKS = ThreadLocal.withInitial(() -> new double[2][CHUNK]);

    /** {@code y[i] = op(x[i])} in float32: see above for which ops round the float64 result. */
    public static float[] unary32(Unary op, float[] x) {
        float[] y = Buffers.zeros32(x.length);
        if (Transcendentals32.has(op)) {
            overElements(x.length, (task, from, to) -> unary32(op, x, y, from, to));
            return y;
        }
        if (floatLoop(op)) {
            overElements(x.length, (task, from, to) -> floatLoop(op, x, y, from, to));
            return y;
        }
        overElements(x.length, (task, from, to) -> {
            double[] buf = CHUNKS.get()[0];
            for (int c = from; c < to; c += CHUNK) {
                int len = Math.min(CHUNK, to - c);
                widen(x, c, buf, 0, len);
                unary(op, buf, buf, 0, len);
                narrow(buf, 0, y, c, len);
            }
        });
        return y;
    }

    /** {@link Transcendentals32}'s op on [from, to): vector loops, the scalar form for the tail (the same bits). */
    static void unary32(Unary op, float[] x, float[] y, int from, int to) {
        int i = from;
        if (to - from >= VECTOR_ELEMENTS && VectorSupport.MATH != null) {
            i = VectorSupport.MATH.unary32(op, x, y, from, to);
        }
        Transcendentals32.unary(op, x, y, i, to);
    }

    private static boolean floatLoop(Unary op) {
        switch (op) {
            case NEG: case ABS: case RELU: case SIGN: case SQRT: case RECIPROCAL: return true;
            default: return false;
        }
    }

    private static void floatLoop(Unary op, float[] x, float[] y, int from, int to) {
        switch (op) {
            case NEG: for (int i = from; i < to; i++) y[i] = -x[i]; break;
            case ABS: for (int i = from; i < to; i++) y[i] = Math.abs(x[i]); break;
            case RELU: for (int i = from; i < to; i++) y[i] = Math.max(x[i], 0f); break;
            case SIGN: for (int i = from; i < to; i++) y[i] = Math.signum(x[i]); break;
            case SQRT: for (int i = from; i < to; i++) y[i] = (float) Math.sqrt(x[i]); break;
            case RECIPROCAL: for (int i = from; i < to; i++) y[i] = 1f / x[i]; break;
            default: throw new AssertionError(op);
        }
    }

    /**
     * {@code out[i] = (float) (a[i] op b[i])} where each operand is a float32 array of out's length or a scalar
     * (exactly one of {@code a}/{@code sa} and {@code b}/{@code sb} given: the array, or null and the scalar).
     */
    public static float[] binary32(Binary op, float[] a, double sa, float[] b, double sb, int n) {
        float[] out = Buffers.zeros32(n);
        if (op.compareTo(Binary.DIV) <= 0 && (a != null || (float) sa == sa) && (b != null || (float) sb == sb)) {
            // + - * / of floats: the float operation is the float64 one rounded (float64 has more than 2 x 24 + 2
            // bits), so the same bits from plain float loops, which C2 vectorizes
            overElements(n, (task, from, to) ->
                    floatLoop(op, a, from, (float) sa, b, from, (float) sb, out, from, to - from));
            return out;
        }
        overElements(n, (task, from, to) -> widenedLoop(op, a, from, sa, b, from, sb, out, from, to - from));
        return out;
    }

    /**
     * {@code out[o + i] = a[ia + i] op b[ib + i]} for i in [0, n) and op one of + - * /, as plain float loops (which C2
     * vectorizes); an operand given as null is its scalar ({@code sa}, {@code sb}) repeated.
     */
    private static void floatLoop(Binary op, float[] a, int ia, float sa, float[] b, int ib, float sb, float[] out,
                                  int o, int n) {
        if (a != null && b != null) {
            switch (op) {
                case ADD: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] + b[ib + i]; break;
                case SUB: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] - b[ib + i]; break;
                case MUL: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] * b[ib + i]; break;
                default: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] / b[ib + i]; break;
            }
        } else if (a != null) {
            switch (op) {
                case ADD: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] + sb; break;
                case SUB: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] - sb; break;
                case MUL: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] * sb; break;
                default: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] / sb; break;
            }
        } else if (b != null) {
            switch (op) {
                case ADD: for (int i = 0; i < n; i++) out[o + i] = sa + b[ib + i]; break;
                case SUB: for (int i = 0; i < n; i++) out[o + i] = sa - b[ib + i]; break;
                case MUL: for (int i = 0; i < n; i++) out[o + i] = sa * b[ib + i]; break;
                default: for (int i = 0; i < n; i++) out[o + i] = sa / b[ib + i]; break;
            }
        } else {
            Arrays.fill(out, o, o + n, (float) binary(op, sa, sb));
        }
    }

    /**
     * {@link #floatLoop} for any op: 1024-element chunks widened into a buffer private to the thread, the float64 loop,
     * rounded back once per element; an operand given as null is its scalar repeated (a double, not rounded first).
     */
    private static void widenedLoop(Binary op, float[] a, int ia, double sa, float[] b, int ib, double sb, float[] out,
                                    int o, int n) {
        double[][] bufs = CHUNKS.get();
        double[] x = bufs[0];
        double[] y = bufs[1];
        for (int c = 0; c < n; c += CHUNK) {
            int len = Math.min(CHUNK, n - c);
            if (a != null) {
                widen(a, ia + c, x, 0, len);
            } else {
                Arrays.fill(x, 0, len, sa);
            }
            if (b != null) {
                widen(b, ib + c, y, 0, len);
            } else {
                Arrays.fill(y, 0, len, sb);
            }
            run(op, x, 0, 1, y, 0, 1, x, 0, len);
            narrow(x, 0, out, o + c, len);
        }
    }

    /**
     * {@code out = a op b} on float32 arrays that broadcast to {@code outShape} (each the float64 operation rounded
     * once, as {@link #binary32}); out may be a or b when that operand has the whole output shape. Rows of the
     * innermost dimension run as {@link #binary32}'s loops, each operand a row or one element repeated.
     */
    public static void binaryInto32(Binary op, float[] a, int[] aShape, float[] b, int[] bShape, float[] out,
                                    int[] outShape) {
        if (out.length == 0) {
            return;
        }
        int r = outShape.length;
        int[] as = Shapes.broadcastStrides(aShape, outShape);
        int[] bs = Shapes.broadcastStrides(bShape, outShape);
        int inner = outShape[r - 1];
        int[] idx = new int[r];
        int offA = 0;
        int offB = 0;
        boolean plain = op.compareTo(Binary.DIV) <= 0;
        for (int o = 0; o < out.length; o += inner) {
            // each operand a row (stride 1) or one element repeated (stride 0)
            float[] ra = as[r - 1] == 1 ? a : null;
            float[] rb = bs[r - 1] == 1 ? b : null;
            if (plain) {
                floatLoop(op, ra, offA, a[offA], rb, offB, b[offB], out, o, inner);
            } else {
                widenedLoop(op, ra, offA, a[offA], rb, offB, b[offB], out, o, inner);
            }
            for (int d = r - 2; d >= 0; d--) {
                offA += as[d];
                offB += bs[d];
                if (++idx[d] < outShape[d]) {
                    break;
                }
                offA -= as[d] * outShape[d];
                offB -= bs[d] * outShape[d];
                idx[d] = 0;
            }
        }
    }

    /**
     * {@code y[i] += x[i]} in float32 (each sum the float64 one rounded: the bits of a float32 add), over all threads
     * for large arrays.
     */
    public static void addInto32(float[] x, float[] y) {
        overElements(y.length, (task, from, to) -> {
            for (int i = from; i < to; i++) {
                y[i] += x[i];
            }
        });
    }

    // The float32 conversions. JDK 25's C2 vectorizes the plain loops; JDK 17's leaves them scalar, so where the
    // Vector API is present they convert whole vectors (VectorElementwise.widen: one preferred float vector to two
    // double vectors and back; a second, half-width float species in the process made the float32 MLP step 3x slower,
    // its GEMM's FloatVector.intoArray no longer inlined, and boxed a vector per iteration in the float kernels).

    /** {@code y[yi + j] = x[xi + j]} for j in [0, n): float32 widened (exactly) to float64. */
    public static void widen(float[] x, int xi, double[] y, int yi, int n) {
        int j = 0;
        if (n >= VECTOR_ELEMENTS && VectorSupport.MATH != null) {
            j = VectorSupport.MATH.widen(x, xi, y, yi, n);
        }
        for (; j < n; j++) {
            y[yi + j] = x[xi + j];
        }
    }

    /** {@code y[yi + j] = (float) x[xi + j]} for j in [0, n): rounded to the nearest float32. */
    public static void narrow(double[] x, int xi, float[] y, int yi, int n) {
        int j = 0;
        if (n >= VECTOR_ELEMENTS && VectorSupport.MATH != null) {
            j = VectorSupport.MATH.narrow(x, xi, y, yi, n);
        }
        for (; j < n; j++) {
            y[yi + j] = (float) x[xi + j];
        }
    }

    /** A loop body over the elements [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /**
     * Runs an elementwise {@code body} over [0, n) as every loop here is split: whole 1024-element blocks, over all
     * threads when n is large. Each element is computed the same way whatever the split, so the bits do not depend
     * on the thread count.
     */
    public static void forRanges(int n, Range body) {
        overElements(n, (task, from, to) -> body.run(from, to));
    }

    /** {@code y[i] += alpha * x[i]} (an SGD step, a gradient summed over paths), over all threads for large arrays. */
    /**
     * A vjp of + - * / added into a gradient buffer: {@code acc[i] += g[i] p[i]}, or {@code += -(g[i] p[i])} with
     * {@code negate}; with {@code overwrite}, {@code acc[i] = } that term. p has acc's length, or one element (the same
     * for every i), or is null (1). The product is rounded before the sum (Java never fuses a multiply and an add), so
     * acc holds the bits of the product made as an array and then added (or stored).
     */
    public static void addProduct(double[] g, double[] p, boolean negate, double[] acc, boolean overwrite) {
        if (acc.length < PARALLEL_ELEMENTS) {
            addProduct(g, p, negate, acc, overwrite, 0, acc.length); // a scalar graph's node: no task
        } else {
            overElements(acc.length, (task, from, to) -> addProduct(g, p, negate, acc, overwrite, from, to));
        }
    }

    private static void addProduct(double[] g, double[] p, boolean negate, double[] acc, boolean overwrite, int from, int to) {
        if (p == null || p.length == 1 && acc.length != 1) {
            double c = p == null ? 1.0 : p[0];
            boolean one = p == null;
            for (int i = from; i < to; i++) {
                double t = one ? g[i] : g[i] * c;
                t = negate ? -t : t;
                acc[i] = overwrite ? t : acc[i] + t;
            }
        } else {
            for (int i = from; i < to; i++) {
                double t = g[i] * p[i];
                t = negate ? -t : t;
                acc[i] = overwrite ? t : acc[i] + t;
            }
        }
    }

    /** {@link #addProduct(double[], double[], boolean, double[], boolean)} in float: the float32 vjp's product and add. */
    public static void addProduct32(float[] g, float[] p, boolean negate, float[] acc, boolean overwrite) {
        if (acc.length < PARALLEL_ELEMENTS) {
            addProduct32(g, p, negate, acc, overwrite, 0, acc.length);
        } else {
            overElements(acc.length, (task, from, to) -> addProduct32(g, p, negate, acc, overwrite, from, to));
        }
    }

    private static void addProduct32(float[] g, float[] p, boolean negate, float[] acc, boolean overwrite, int from, int to) {
        if (p == null || p.length == 1 && acc.length != 1) {
            float c = p == null ? 1f : p[0];
            boolean one = p == null;
            for (int i = from; i < to; i++) {
                float t = one ? g[i] : g[i] * c;
                t = negate ? -t : t;
                acc[i] = overwrite ? t : acc[i] + t;
            }
        } else {
            for (int i = from; i < to; i++) {
                float t = g[i] * p[i];
                t = negate ? -t : t;
                acc[i] = overwrite ? t : acc[i] + t;
            }
        }
    }

    public static void axpy(double alpha, double[] x, double[] y) {
        overElements(y.length, (task, from, to) -> {
            for (int i = from; i < to; i++) {
                y[i] += alpha * x[i];
            }
        });
    }

    /**
     * ReLU's vjp in one pass: {@code out[i] = g[i] * (x[i] > 0 ? 1 : 0)}, the same values (NaN and
     * infinities included) as multiplying g by the mask, without making the mask. {@code out} may be g.
     */
    public static void reluGrad(double[] g, double[] x, double[] out) {
        overElements(x.length, (task, from, to) -> {
            int i = from;
            if (to - from >= VECTOR_ELEMENTS && VectorSupport.MATH != null) {
                i = VectorSupport.MATH.reluGrad(g, x, out, from, to);
            }
            for (; i < to; i++) {
                out[i] = g[i] * (x[i] > 0 ? 1.0 : 0.0);
            }
        });
    }

    /** The unary ops whose vjp {@link #unaryGrad} computes in one pass. */
    public static boolean hasFusedGrad(Unary op) {
        switch (op) {
            case RELU: case TANH: case SIGMOID: case LOG: case SQRT: case RECIPROCAL: return true;
            default: return false;
        }
    }

    /**
     * A unary op's vjp {@code out[i] = g[i] * f'(x[i])} in one pass, with f' written in terms of x and y = f(x)
     * exactly as the op's derivative rule composes it from tensor ops (so the same IEEE operations in the same
     * order, the same bits): tanh {@code g (1 - y y)}, sigmoid {@code g (y (1 - y))}, log {@code g (1 / x)}, sqrt
     * {@code g ((1 / y) 0.5)}, reciprocal {@code g (-(y y))}, relu {@link #reluGrad}. Without it the rule makes
     * one to three full-size temporaries. {@code out} may be g.
     */
    public static void unaryGrad(Unary op, double[] g, double[] x, double[] y, double[] out) {
        if (op == Unary.RELU) {
            reluGrad(g, x, out);
            return;
        }
        overElements(x.length, (task, from, to) -> {
            switch (op) {
                case TANH:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * (1.0 - y[i] * y[i]);
                    }
                    break;
                case SIGMOID:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * (y[i] * (1.0 - y[i]));
                    }
                    break;
                case LOG:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * (1.0 / x[i]);
                    }
                    break;
                case SQRT:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * ((1.0 / y[i]) * 0.5);
                    }
                    break;
                case RECIPROCAL:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * -(y[i] * y[i]);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unaryGrad: " + op + " has no fused vjp");
            }
        });
    }

    /**
     * {@link #unaryGrad} on float32 arrays, as plain float loops: each of its rules is a chain of + - * /, so each
     * float operation gives the bits of the float32 ops the rule composes (every one the float64 result rounded).
     * {@code out} may be g.
     */
    public static void unaryGrad32(Unary op, float[] g, float[] x, float[] y, float[] out) {
        overElements(x.length, (task, from, to) -> {
            switch (op) {
                case RELU:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * (x[i] > 0 ? 1.0f : 0.0f);
                    }
                    break;
                case TANH:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * (1.0f - y[i] * y[i]);
                    }
                    break;
                case SIGMOID:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * (y[i] * (1.0f - y[i]));
                    }
                    break;
                case LOG:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * (1.0f / x[i]);
                    }
                    break;
                case SQRT:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * ((1.0f / y[i]) * 0.5f);
                    }
                    break;
                case RECIPROCAL:
                    for (int i = from; i < to; i++) {
                        out[i] = g[i] * -(y[i] * y[i]);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unaryGrad32: " + op + " has no fused vjp");
            }
        });
    }

    /**
     * {@code y[i] = op(x[i])} on the calling thread, into an existing array of x's length (y may be x); for
     * benchmarks and callers that keep their own buffers.
     */
    public static void unaryInto(Unary op, double[] x, double[] y) {
        if (y.length != x.length) {
            throw new IllegalArgumentException("unaryInto: " + op + ": output length " + y.length + " differs from input length " + x.length);
        }
        unary(op, x, y, 0, x.length);
    }

    /** y[i] = op(x[i]) for i in [from, to): vector loops where they are faster, plain loops otherwise (same bits). */
    static void unary(Unary op, double[] x, double[] y, int from, int to) {
        if (to - from >= VECTOR_ELEMENTS && VectorSupport.MATH != null && VectorSupport.MATH.unary(op, x, y, from, to)) {
            return;
        }
        scalarUnary(op, x, y, from, to);
    }

    /** The plain loops; public to the tests that compare the vector forms with them. */
    static void scalarUnary(Unary op, double[] x, double[] y, int from, int n) {
        switch (op) {
            case NEG: for (int i = from; i < n; i++) y[i] = -x[i]; break;
            case EXP: for (int i = from; i < n; i++) y[i] = Transcendentals.exp(x[i]); break;
            case LOG: for (int i = from; i < n; i++) y[i] = Transcendentals.log(x[i]); break;
            case RECIPROCAL: for (int i = from; i < n; i++) y[i] = 1.0 / x[i]; break;
            case SQRT: for (int i = from; i < n; i++) y[i] = Math.sqrt(x[i]); break;
            case TANH: for (int i = from; i < n; i++) y[i] = Transcendentals.tanh(x[i]); break;
            case SIGMOID: for (int i = from; i < n; i++) y[i] = Transcendentals.sigmoid(x[i]); break;
            case RELU: for (int i = from; i < n; i++) y[i] = Math.max(x[i], 0.0); break; // branch-free; NaN stays NaN
            case ABS: for (int i = from; i < n; i++) y[i] = Math.abs(x[i]); break;
            case SIGN: for (int i = from; i < n; i++) y[i] = Math.signum(x[i]); break;
            case ERF: for (int i = from; i < n; i++) y[i] = Special.erf(x[i]); break;
            case EXPM1: for (int i = from; i < n; i++) y[i] = Transcendentals.expm1(x[i]); break;
            case LOG1P: for (int i = from; i < n; i++) y[i] = Transcendentals.log1p(x[i]); break;
            case SOFTPLUS: for (int i = from; i < n; i++) y[i] = Transcendentals.softplus(x[i]); break;
            // issue 16: one loop per op as above (the op chosen once per run, not per element), each the function
            // unaryMath names for the 0-dim path
            case SIN: for (int i = from; i < n; i++) y[i] = StrictMath.sin(x[i]); break;
            case COS: for (int i = from; i < n; i++) y[i] = StrictMath.cos(x[i]); break;
            case TAN: for (int i = from; i < n; i++) y[i] = StrictMath.tan(x[i]); break;
            case ASIN: for (int i = from; i < n; i++) y[i] = StrictMath.asin(x[i]); break;
            case ACOS: for (int i = from; i < n; i++) y[i] = StrictMath.acos(x[i]); break;
            case ATAN: for (int i = from; i < n; i++) y[i] = StrictMath.atan(x[i]); break;
            case SINH: for (int i = from; i < n; i++) y[i] = StrictMath.sinh(x[i]); break;
            case COSH: for (int i = from; i < n; i++) y[i] = StrictMath.cosh(x[i]); break;
            case ASINH: for (int i = from; i < n; i++) y[i] = Special.asinh(x[i]); break;
            case ACOSH: for (int i = from; i < n; i++) y[i] = Special.acosh(x[i]); break;
            case ATANH: for (int i = from; i < n; i++) y[i] = Special.atanh(x[i]); break;
            case EXP2: for (int i = from; i < n; i++) y[i] = StrictMath.pow(2.0, x[i]); break;
            case LOG2: for (int i = from; i < n; i++) y[i] = log2(x[i]); break;
            case LOG10: for (int i = from; i < n; i++) y[i] = StrictMath.log10(x[i]); break;
            case RSQRT: for (int i = from; i < n; i++) y[i] = 1.0 / Math.sqrt(x[i]); break;
            case FLOOR: for (int i = from; i < n; i++) y[i] = Math.floor(x[i]); break;
            case CEIL: for (int i = from; i < n; i++) y[i] = Math.ceil(x[i]); break;
            case ROUND: for (int i = from; i < n; i++) y[i] = Math.rint(x[i]); break;
            case TRUNC: for (int i = from; i < n; i++) y[i] = trunc(x[i]); break;
            default: throw new AssertionError(op);
        }
    }

    /** One element of {@link #unary}: the fast path for 0-dim tensors. */
    public static double unary(Unary op, double x) {
        switch (op) {
            case NEG: return -x;
            case EXP: return Transcendentals.exp(x);
            case LOG: return Transcendentals.log(x);
            case RECIPROCAL: return 1.0 / x;
            case SQRT: return Math.sqrt(x);
            case TANH: return Transcendentals.tanh(x);
            case SIGMOID: return Transcendentals.sigmoid(x);
            case RELU: return Math.max(x, 0.0);
            case ABS: return Math.abs(x);
            case SIGN: return Math.signum(x);
            case ERF: return Special.erf(x);
            case EXPM1: return Transcendentals.expm1(x);
            case LOG1P: return Transcendentals.log1p(x);
            case SOFTPLUS: return Transcendentals.softplus(x);
            default: return unaryMath(op, x);
        }
    }

    /** One element of {@link #binary}: the fast path for 0-dim tensors. */
    public static double binary(Binary op, double a, double b) {
        switch (op) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            case POW: return Math.pow(a, b);
            case MAXIMUM: return maximum(a, b);
            case MINIMUM: return minimum(a, b);
            case GT: return a > b ? 1 : 0;
            case GE: return a >= b ? 1 : 0;
            case LT: return a < b ? 1 : 0;
            case LE: return a <= b ? 1 : 0;
            case EQ: return a == b ? 1 : 0;
            case NE: return a != b ? 1 : 0;
            default: return binaryMath(op, a, b);
        }
    }

    // ---- issue 16: elementwise math. StrictMath (fdlibm) where the library has no kernel of its own, so that
    // the interpreter, C1 and C2 give the same bits (Math's intrinsics may differ from it by an ulp between tiers).

    private static double unaryMath(Unary op, double x) {
        switch (op) {
            case SIN: return StrictMath.sin(x);
            case COS: return StrictMath.cos(x);
            case TAN: return StrictMath.tan(x);
            case ASIN: return StrictMath.asin(x);
            case ACOS: return StrictMath.acos(x);
            case ATAN: return StrictMath.atan(x);
            case SINH: return StrictMath.sinh(x);
            case COSH: return StrictMath.cosh(x);
            case ASINH: return Special.asinh(x);
            case ACOSH: return Special.acosh(x);
            case ATANH: return Special.atanh(x);
            case EXP2: return StrictMath.pow(2.0, x); // exact at integers, where e^(x ln 2) is not
            case LOG2: return log2(x);
            case LOG10: return StrictMath.log10(x); // fdlibm's: exact at 10^n, where log(x) / log(10) is not
            case RSQRT: return 1.0 / Math.sqrt(x); // sqrt is correctly rounded in every tier; +inf at 0, -inf at -0
            case FLOOR: return Math.floor(x);
            case CEIL: return Math.ceil(x);
            case ROUND: return Math.rint(x); // half to even, as torch.round
            case TRUNC: return trunc(x);
            default: throw new AssertionError(op);
        }
    }

    private static double binaryMath(Binary op, double a, double b) {
        switch (op) {
            case ATAN2: return StrictMath.atan2(a, b);
            case HYPOT: return StrictMath.hypot(a, b); // no overflow or underflow in a^2 + b^2
            case LOGADDEXP: return logaddexp(a, b);
            case XLOGY: return xlogy(a, b);
            default: throw new AssertionError(op);
        }
    }

    /** Toward zero, the sign kept (-0.0 for (-1, 0), as torch.trunc); branch-free, so a loop of it vectorises. */
    private static double trunc(double x) {
        return Math.copySign(Math.floor(Math.abs(x)), x);
    }

    private static final double LN2 = 0x1.62e42fefa39efp-1;
    private static final double SQRT2 = 0x1.6a09e667f3bcdp0;

    /**
     * log2 x = e + log(m) / log 2 for x = m 2^e with m in [sqrt(1/2), sqrt(2)): exact at powers of 2 (log(1) = 0),
     * where log(x) / log(2) is off by an ulp at a fifth of them, and without cancellation near x = 1 (e = 0 there).
     */
    static double log2(double x) {
        if (!(x > 0) || x == Double.POSITIVE_INFINITY) {
            return Transcendentals.log(x); // NaN, -inf at +-0, NaN below 0, +inf
        }
        int shift = 0;
        if (x < Double.MIN_NORMAL) {
            x *= 0x1p54; // subnormal: make it normal, exactly
            shift = 54;
        }
        int e = Math.getExponent(x);
        double m = Math.scalb(x, -e); // exact: [1, 2)
        if (m > SQRT2) {
            m *= 0.5;
            e++;
        }
        return (e - shift) + Transcendentals.log(m) / LN2;
    }

    /**
     * log(e^a + e^b) = max + log1p(e^-|a - b|), exact for any magnitude (no e^a is formed); a itself where both
     * are the same infinity (where a - b is NaN), as torch.logaddexp.
     */
    static double logaddexp(double a, double b) {
        if (a == b && Double.isInfinite(a)) {
            return a;
        }
        return Math.max(a, b) + Transcendentals.log1p(Transcendentals.exp(-Math.abs(a - b)));
    }

    /** x log y, 0 where x = 0 (whatever y, y = 0 and +inf included) unless y is NaN, as torch.xlogy. */
    static double xlogy(double x, double y) {
        if (y != y) {
            return y;
        }
        return x == 0 ? 0.0 : x * Transcendentals.log(y);
    }

    /** {@code out = a op b} where a and b broadcast to {@code outShape}. */
    public static double[] binary(Binary op, double[] a, int[] aShape, double[] b, int[] bShape, int[] outShape) {
        double[] out = Buffers.zeros(Shapes.size(outShape));
        binaryInto(op, a, aShape, b, bShape, out, outShape);
        return out;
    }

    /**
     * {@code out = a op b} into an existing array of {@code outShape}; out may be a or b when that operand has
     * the whole output shape (each element is read before it is written, at the same index).
     */
    public static void binaryInto(Binary op, double[] a, int[] aShape, double[] b, int[] bShape, double[] out,
                                  int[] outShape) {
        if (out.length == 0) {
            return;
        }
        if ((a.length == out.length || a.length == 1) && (b.length == out.length || b.length == 1)) {
            // contiguous operands or scalars: unit-stride loops, split over threads when large
            int sa = a.length == 1 ? 0 : 1;
            int sb = b.length == 1 ? 0 : 1;
            overElements(out.length, (task, from, to) -> run(op, a, from * sa, sa, b, from * sb, sb, out, from, to - from));
            return;
        }
        int r = outShape.length;
        int[] as = Shapes.broadcastStrides(aShape, outShape);
        int[] bs = Shapes.broadcastStrides(bShape, outShape);
        int inner = outShape[r - 1];
        int[] idx = new int[r];
        int offA = 0;
        int offB = 0;
        for (int o = 0; o < out.length; o += inner) {
            run(op, a, offA, as[r - 1], b, offB, bs[r - 1], out, o, inner);
            for (int d = r - 2; d >= 0; d--) {
                offA += as[d];
                offB += bs[d];
                if (++idx[d] < outShape[d]) {
                    break;
                }
                offA -= as[d] * outShape[d];
                offB -= bs[d] * outShape[d];
                idx[d] = 0;
            }
        }
    }

    private static void run(Binary op, double[] a, int ia, int sa, double[] b, int ib, int sb, double[] out, int o, int n) {
        if (op.compareTo(Binary.GT) >= 0 && n >= VECTOR_ELEMENTS && (sa | sb) == 1 && VectorSupport.MATH != null
                && VectorSupport.MATH.compare(op, a, ia, sa, b, ib, sb, out, o, n)) {
            return;
        }
        if (op == Binary.ADD && out == a && ia == o && sa == 1 && sb == 1 && n >= VECTOR_ELEMENTS
                && VectorSupport.MATH != null) {
            // b added into a in place (addmm's bias): C2 leaves the plain loop scalar, as out and a may overlap
            VectorSupport.MATH.addInto(b, ib, out, o, n);
        } else if (sa == 1 && sb == 1) {
            vv(op, a, ia, b, ib, out, o, n);
        } else if (sa == 1 && sb == 0) {
            vs(op, a, ia, b[ib], out, o, n);
        } else if (sa == 0 && sb == 1) {
            sv(op, a[ia], b, ib, out, o, n);
        } else {
            for (int i = 0; i < n; i++, ia += sa, ib += sb) {
                out[o + i] = binary(op, a[ia], b[ib]);
            }
        }
    }

    // Unit-stride loops, one per operand pattern, so that C2 vectorizes them. Comparisons write
    // (a > b) ? 1 : 0 on doubles, which compiles to branch-free code instead of a mispredicted branch.

    private static void vv(Binary op, double[] a, int ia, double[] b, int ib, double[] out, int o, int n) {
        switch (op) {
            case ADD: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] + b[ib + i]; break;
            case SUB: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] - b[ib + i]; break;
            case MUL: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] * b[ib + i]; break;
            case DIV: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] / b[ib + i]; break;
            default: for (int i = 0; i < n; i++) out[o + i] = binary(op, a[ia + i], b[ib + i]);
        }
    }

    private static void vs(Binary op, double[] a, int ia, double s, double[] out, int o, int n) {
        switch (op) {
            case ADD: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] + s; break;
            case SUB: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] - s; break;
            case MUL: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] * s; break;
            case DIV: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] / s; break;
            case GT: for (int i = 0; i < n; i++) out[o + i] = a[ia + i] > s ? 1.0 : 0.0; break;
            default: for (int i = 0; i < n; i++) out[o + i] = binary(op, a[ia + i], s);
        }
    }

    private static void sv(Binary op, double s, double[] b, int ib, double[] out, int o, int n) {
        switch (op) {
            case ADD: for (int i = 0; i < n; i++) out[o + i] = s + b[ib + i]; break;
            case SUB: for (int i = 0; i < n; i++) out[o + i] = s - b[ib + i]; break;
            case MUL: for (int i = 0; i < n; i++) out[o + i] = s * b[ib + i]; break;
            case DIV: for (int i = 0; i < n; i++) out[o + i] = s / b[ib + i]; break;
            default: for (int i = 0; i < n; i++) out[o + i] = binary(op, s, b[ib + i]);
        }
    }

    /** NaN-propagating maximum, as PyTorch's {@code maximum}. */
    private static double maximum(double x, double y) {
        return x != x || y != y ? Double.NaN : Math.max(x, y);
    }

    private static double minimum(double x, double y) {
        return x != x || y != y ? Double.NaN : Math.min(x, y);
    }

    /** {@code out = cond != 0 ? a : b}, all three broadcast to {@code outShape}. */
    public static double[] where(double[] c, int[] cShape, double[] a, int[] aShape, double[] b, int[] bShape,
                                 int[] outShape) {
        double[] out = Buffers.zeros(Shapes.size(outShape));
        if (out.length == 0) {
            return out;
        }
        int r = outShape.length;
        int[] cs = Shapes.broadcastStrides(cShape, outShape);
        int[] as = Shapes.broadcastStrides(aShape, outShape);
        int[] bs = Shapes.broadcastStrides(bShape, outShape);
        int[] idx = new int[r];
        int ic = 0, ia = 0, ib = 0;
        for (int o = 0; o < out.length; o++) {
            out[o] = c[ic] != 0 ? a[ia] : b[ib];
            for (int d = r - 1; d >= 0; d--) {
                ic += cs[d];
                ia += as[d];
                ib += bs[d];
                if (++idx[d] < outShape[d]) {
                    break;
                }
                ic -= cs[d] * outShape[d];
                ia -= as[d] * outShape[d];
                ib -= bs[d] * outShape[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    /** Copies {@code x} broadcast to {@code outShape}. */
    public static double[] expand(double[] x, int[] xShape, int[] outShape) {
        double[] out = Buffers.zeros(Shapes.size(outShape));
        if (out.length == 0) {
            return out;
        }
        if (x.length == 1) {
            java.util.Arrays.fill(out, x[0]);
            return out;
        }
        int r = outShape.length;
        int[] xs = Shapes.broadcastStrides(xShape, outShape);
        int inner = outShape[r - 1];
        int si = xs[r - 1];
        int[] idx = new int[r];
        int off = 0;
        for (int o = 0; o < out.length; o += inner) {
            for (int i = 0, j = off; i < inner; i++, j += si) {
                out[o + i] = x[j];
            }
            for (int d = r - 2; d >= 0; d--) {
                off += xs[d];
                if (++idx[d] < outShape[d]) {
                    break;
                }
                off -= xs[d] * outShape[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    /** {@link #expand} of float32 values: the same copy, float to float. */
    public static float[] expand(float[] x, int[] xShape, int[] outShape) {
        float[] out = new float[Shapes.size(outShape)];
        if (out.length == 0) {
            return out;
        }
        if (x.length == 1) {
            java.util.Arrays.fill(out, x[0]);
            return out;
        }
        int r = outShape.length;
        int[] xs = Shapes.broadcastStrides(xShape, outShape);
        int inner = outShape[r - 1];
        int si = xs[r - 1];
        int[] idx = new int[r];
        int off = 0;
        for (int o = 0; o < out.length; o += inner) {
            for (int i = 0, j = off; i < inner; i++, j += si) {
                out[o + i] = x[j];
            }
            for (int d = r - 2; d >= 0; d--) {
                off += xs[d];
                if (++idx[d] < outShape[d]) {
                    break;
                }
                off -= xs[d] * outShape[d];
                idx[d] = 0;
            }
        }
        return out;
    }
}
