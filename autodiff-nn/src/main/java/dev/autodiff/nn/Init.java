package dev.autodiff.nn;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Initialisers, always from an explicit seed. For a weight of shape (fanIn, fanOut) as {@link Linear}
 * stores it (or (out, in, k...) for convolutions, where fanIn = in * prod(k)): Xavier/Glorot keeps the
 * variance 2 / (fanIn + fanOut), He/MSRA 2 / fanIn (for ReLU), as in PyTorch's torch.nn.init. Fans are
 * >= 0; a fan that makes the variance infinite (fanIn = 0 for He, fanIn + fanOut = 0 for Xavier) is an
 * error unless the shape has no elements (then, as PyTorch, there is nothing to initialise).
 *
 * <p>Each initialiser has an overload taking a {@link DType} before the shape, as the core factories
 * ({@link Tensor#rand(long, DType, int...)}). A float32 result is the float64 one (the same draws, scaled and
 * shifted in float64) rounded to nearest once, so a seed gives the same model in either dtype up to that rounding:
 * {@code Init.uniform(seed, lo, hi, FLOAT32, shape)} has the bits of {@code Init.uniform(seed, lo, hi, shape).to(FLOAT32)},
 * and of the weights of a layer built from that seed and converted with {@link Module#to}. The rounding may give a
 * uniform draw the value {@code high} itself. Errors are the float64 overload's (a null dtype is one more).
 */
public final class Init {
    private Init() {}

    public static Tensor zeros(int... shape) {
        return Tensor.zeros(checkShape("Init.zeros", shape));
    }

    /** {@link #zeros(int...)} in the given dtype. */
    public static Tensor zeros(DType dtype, int... shape) {
        return in("Init.zeros", dtype, () -> zeros(shape));
    }

    /** Every element {@code value} (any double, NaN included). */
    public static Tensor constant(double value, int... shape) {
        return Tensor.full(value, checkShape("Init.constant", shape));
    }

    /** {@link #constant(double, int...)} in the given dtype ({@code value} rounded to it). */
    public static Tensor constant(double value, DType dtype, int... shape) {
        return in("Init.constant", dtype, () -> constant(value, shape));
    }

    /** Uniform on [low, high), for finite low &lt;= high (low = high gives the constant low, as PyTorch's uniform_). */
    public static Tensor uniform(long seed, double low, double high, int... shape) {
        return uniformOf("Init.uniform", seed, low, high, shape);
    }

    /** {@link #uniform(long, double, double, int...)} rounded to the given dtype. */
    public static Tensor uniform(long seed, double low, double high, DType dtype, int... shape) {
        return in("Init.uniform", dtype, () -> uniform(seed, low, high, shape));
    }

    private static Tensor uniformOf(String who, long seed, double low, double high, int[] shape) {
        checkShape(who, shape);
        if (!(low <= high) || !Double.isFinite(high - low)) {
            throw new IllegalArgumentException(who + ": need finite low <= high, got low " + low + ", high " + high);
        }
        return Tensor.rand(seed, shape).mul(high - low).add(low);
    }

    /** Normal with a finite mean and a finite std >= 0. */
    public static Tensor normal(long seed, double mean, double std, int... shape) {
        return normalOf("Init.normal", seed, mean, std, shape);
    }

    /** {@link #normal(long, double, double, int...)} rounded to the given dtype. */
    public static Tensor normal(long seed, double mean, double std, DType dtype, int... shape) {
        return in("Init.normal", dtype, () -> normal(seed, mean, std, shape));
    }

    private static Tensor normalOf(String who, long seed, double mean, double std, int[] shape) {
        checkShape(who, shape);
        if (!Double.isFinite(mean) || !(std >= 0 && std < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(who + ": need a finite mean and a finite std >= 0, got mean " + mean
                    + ", std " + std);
        }
        return Tensor.randn(seed, shape).mul(std).add(mean);
    }

    /** U(-a, a) with a = sqrt(6 / (fanIn + fanOut)). */
    public static Tensor xavierUniform(long seed, int fanIn, int fanOut, int... shape) {
        double a = Math.sqrt(6.0 / fans("Init.xavierUniform", fanIn, fanOut, shape));
        return uniformOf("Init.xavierUniform", seed, -a, a, shape);
    }

    /** {@link #xavierUniform(long, int, int, int...)} rounded to the given dtype. */
    public static Tensor xavierUniform(long seed, int fanIn, int fanOut, DType dtype, int... shape) {
        return in("Init.xavierUniform", dtype, () -> xavierUniform(seed, fanIn, fanOut, shape));
    }

    /** N(0, 2 / (fanIn + fanOut)). */
    public static Tensor xavierNormal(long seed, int fanIn, int fanOut, int... shape) {
        return normalOf("Init.xavierNormal", seed, 0, Math.sqrt(2.0 / fans("Init.xavierNormal", fanIn, fanOut, shape)), shape);
    }

    /** {@link #xavierNormal(long, int, int, int...)} rounded to the given dtype. */
    public static Tensor xavierNormal(long seed, int fanIn, int fanOut, DType dtype, int... shape) {
        return in("Init.xavierNormal", dtype, () -> xavierNormal(seed, fanIn, fanOut, shape));
    }

    /** U(-a, a) with a = sqrt(6 / fanIn): He/Kaiming uniform for ReLU. */
    public static Tensor heUniform(long seed, int fanIn, int... shape) {
        double a = Math.sqrt(6.0 / fans("Init.heUniform", fanIn, 0, shape));
        return uniformOf("Init.heUniform", seed, -a, a, shape);
    }

    /** {@link #heUniform(long, int, int...)} rounded to the given dtype. */
    public static Tensor heUniform(long seed, int fanIn, DType dtype, int... shape) {
        return in("Init.heUniform", dtype, () -> heUniform(seed, fanIn, shape));
    }

    /** N(0, 2 / fanIn): He/Kaiming normal for ReLU. */
    public static Tensor heNormal(long seed, int fanIn, int... shape) {
        return normalOf("Init.heNormal", seed, 0, Math.sqrt(2.0 / fans("Init.heNormal", fanIn, 0, shape)), shape);
    }

    /** {@link #heNormal(long, int, int...)} rounded to the given dtype. */
    public static Tensor heNormal(long seed, int fanIn, DType dtype, int... shape) {
        return in("Init.heNormal", dtype, () -> heNormal(seed, fanIn, shape));
    }

    /**
     * The float64 initialiser's result in {@code dtype}: rounded once (as Tensor.to) when float32. The dtype is
     * checked first, then the float64 initialiser's arguments, with its messages.
     */
    private static Tensor in(String who, DType dtype, java.util.function.Supplier<Tensor> float64) {
        Objects.requireNonNull(dtype, () -> who + ": dtype is null");
        return float64.get().to(dtype);
    }

    /** fanIn + fanOut (no int overflow), checked; 1 for an empty shape, which needs no scale. */
    private static double fans(String who, int fanIn, int fanOut, int[] shape) {
        checkShape(who, shape);
        if (fanIn < 0 || fanOut < 0) {
            throw new IllegalArgumentException(who + ": fans must be >= 0, got fanIn " + fanIn + ", fanOut " + fanOut);
        }
        double sum = (double) fanIn + fanOut;
        if (Arrays.stream(shape).anyMatch(d -> d == 0)) {
            return 1.0;
        }
        if (sum == 0) {
            throw new IllegalArgumentException(who + ": " + (who.startsWith("Init.he") ? "fanIn" : "fanIn + fanOut")
                    + " is 0, so the variance would be infinite (shape " + Arrays.toString(shape) + ")");
        }
        return sum;
    }

    /** The most elements a tensor holds (as core's Shapes.MAX_ELEMENTS: the longest double[] a JVM allocates). */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** The shape, checked: non-null, dimensions >= 0, at most MAX_ELEMENTS elements (exactly: a 0 makes it 0). */
    static int[] checkShape(String who, int[] shape) {
        Objects.requireNonNull(shape, () -> who + ": shape is null");
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(who + ": negative dimension in shape " + Arrays.toString(shape));
            }
        }
        if (Arrays.stream(shape).anyMatch(d -> d == 0)) {
            return shape;
        }
        long n = 1;
        for (int d : shape) {
            n *= d; // below 2^62: n <= MAX_ELEMENTS before each factor
            if (n > MAX_ELEMENTS) {
                throw new IllegalArgumentException(who + ": shape " + Arrays.toString(shape) + " has more than "
                        + MAX_ELEMENTS + " elements, the most a tensor can hold");
            }
        }
        return shape;
    }
}
