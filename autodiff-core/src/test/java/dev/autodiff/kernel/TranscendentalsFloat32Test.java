package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The float32 kernels ({@link Transcendentals32}: exp, expm1, log, tanh, sigmoid, {@code VectorTranscendentals32}): within 1 ulp of the correctly
 * rounded value over every float exponent and many random floats, the oracle being StrictMath in double, rounded
 * to float (its error, under 1 double ulp, moves a float rounding only within 2^-29 ulp of a tie); the vector loops
 * give the scalar form's bits; special values as PyTorch (IEEE) has them.
 */
class TranscendentalsFloat32Test {
    /** Mantissas per exponent and sign in the sweep: 2 x 256 x 2^13, about 4.2 million floats per op. */
    static final int MANTISSAS = 1 << 13;

    static double oracle(Elementwise.Unary op, float xf) {
        double x = xf;
        switch (op) {
            case EXP: return StrictMath.exp(x);
            case EXPM1: return StrictMath.expm1(x);
            case LOG: return StrictMath.log(x);
            case TANH: return StrictMath.tanh(x);
            case SIGMOID:
                if (x < 0) {
                    double e = StrictMath.exp(x);
                    return e / (1 + e);
                }
                return 1 / (1 + StrictMath.exp(-x));
            default: throw new AssertionError(op);
        }
    }

    /** The distance in ulps between two floats (0 for two NaNs), through zero and the subnormals. */
    static long ulps(float a, float b) {
        if (a != a || b != b) {
            return a != a && b != b ? 0 : Long.MAX_VALUE;
        }
        return Math.abs(ordered(a) - ordered(b));
    }

    private static long ordered(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits < 0 ? -(long) (bits & 0x7fffffff) : bits;
    }

    /** Every exponent (both signs) at MANTISSAS evenly spaced mantissas and its ends, then the special values. */
    static float[] sweep() {
        float[] x = new float[2 * 256 * (MANTISSAS + 2) + SPECIAL.length];
        int n = 0;
        for (int sign = 0; sign < 2; sign++) {
            for (int e = 0; e < 256; e++) {
                int base = (sign << 31) | (e << 23);
                for (int m = 0; m < MANTISSAS; m++) {
                    x[n++] = Float.intBitsToFloat(base | (m * ((1 << 23) / MANTISSAS) + (m * 7919) % ((1 << 23) / MANTISSAS)));
                }
                x[n++] = Float.intBitsToFloat(base | 0x7fffff);
                x[n++] = Float.intBitsToFloat(base | 1);
            }
        }
        for (float s : SPECIAL) {
            x[n++] = s;
        }
        return x;
    }

    static final float[] SPECIAL = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
        1f, -1f, 0.5f, 2f, 88.72283f, 88.722839f, 88.7228394f, 88.72284f, 89f, -87.33654f, -87.336548f, -103.9720840f,
        -103.972f, -103.97208f, -103.98f, -104f, -104.5f, 9f, 9.01f, -9.01f, 10f, -10f, 25f, -25f, -25.000002f,
        -24.999998f, 0.34657359f, -0.34657359f, 1e-20f, -1e-20f, 1e-40f, -1e-40f};

    /** Floats near the thresholds, whole: 4096 either side of each (overflow, subnormal, underflow, saturation, 1). */
    static float[] thresholds() {
        float[] centres = {88.72283935546875f, -87.33654475f, -103.97208f, 9.01f, -9.01f, -25f, 25f, 1f, 0.34657359f,
            -0.34657359f, 20f, -20f, Float.MIN_NORMAL, 0.5f, 2f};
        float[] x = new float[centres.length * 8192];
        int n = 0;
        for (float c : centres) {
            int bits = Float.floatToRawIntBits(c);
            for (int d = -4096; d < 4096; d++) {
                x[n++] = Float.intBitsToFloat(bits + d);
            }
        }
        return x;
    }

    /** Random floats: uniform bit patterns (every magnitude), and Gaussians times 1, 10 and 30 (the working range). */
    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(4)) {
                case 0: x[i] = Float.intBitsToFloat(r.nextInt()); break;
                case 1: x[i] = (float) r.nextGaussian(); break;
                case 2: x[i] = (float) (10 * r.nextGaussian()); break;
                default: x[i] = (float) (30 * r.nextGaussian()); break;
            }
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = Elementwise.Unary.class, names = {"EXP", "EXPM1", "LOG", "TANH", "SIGMOID"})
    void withinOneUlpAndTheVectorLoopsGiveTheScalarBits(Elementwise.Unary op) {
        long worst = 0;
        long total = 0;
        long notNearest = 0;
        float worstX = 0;
        for (float[] x : new float[][] {sweep(), thresholds(), random(19, 1 << 21)}) {
            float[] vec = Elementwise.unary32(op, x); // the vector loops where the Vector API is present
            float[] sca = new float[x.length];
            Transcendentals32.unary(op, x, sca, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(sca[i]) != Float.floatToRawIntBits(vec[i])) {
                    assertEquals(sca[i], vec[i], op + ": vector and scalar bits differ at x = " + x[i]);
                }
            }
            for (int i = 0; i < x.length; i++) {
                float want = (float) oracle(op, x[i]);
                long u = ulps(want, sca[i]);
                total++;
                if (u != 0) {
                    notNearest++;
                }
                if (u > worst) {
                    worst = u;
                    worstX = x[i];
                }
            }
        }
        System.out.printf("float32 %s: %d inputs, %d (%.3f%%) not the rounded float64 value, at most %d ulp (x = %s)%n",
                op, total, notNearest, 100.0 * notNearest / total, worst, Float.toString(worstX));
        float wx = worstX;
        long w = worst;
        assertTrue(worst <= 1, () -> op + ": " + w + " ulps at x = " + wx);
    }

    @ParameterizedTest
    @EnumSource(value = Elementwise.Unary.class, names = {"EXP", "EXPM1", "LOG", "TANH", "SIGMOID"})
    void specialValuesAsPyTorch(Elementwise.Unary op) {
        float inf = Float.POSITIVE_INFINITY;
        switch (op) {
            case EXP:
                expect(op, Float.NEGATIVE_INFINITY, 0f);
                expect(op, inf, inf);
                expect(op, 0f, 1f);
                expect(op, -0f, 1f);
                expect(op, 88.72283f, 3.4027985E38f); // near the largest finite result
                expect(op, 88.7229f, inf);
                expect(op, -103.97208f, Float.MIN_VALUE);
                expect(op, -104f, 0f);
                expect(op, 1e-30f, 1f);
                break;
            case EXPM1:
                expect(op, Float.NEGATIVE_INFINITY, -1f);
                expect(op, -20f, -1f);
                expect(op, inf, inf);
                expect(op, 88.7229f, inf);
                expect(op, 88.72283f, 3.4027985E38f);
                expect(op, 0f, 0f);
                expect(op, -0f, -0f);
                expect(op, 1e-30f, 1e-30f);
                expect(op, -Float.MIN_VALUE, -Float.MIN_VALUE);
                break;
            case LOG:
                expect(op, 0f, Float.NEGATIVE_INFINITY);
                expect(op, -0f, Float.NEGATIVE_INFINITY);
                expect(op, -1f, Float.NaN);
                expect(op, -Float.MIN_VALUE, Float.NaN);
                expect(op, Float.NEGATIVE_INFINITY, Float.NaN);
                expect(op, inf, inf);
                expect(op, 1f, 0f);
                expect(op, Float.MIN_VALUE, -103.27893f);
                break;
            case TANH:
                expect(op, inf, 1f);
                expect(op, Float.NEGATIVE_INFINITY, -1f);
                expect(op, 9.1f, 1f);
                expect(op, -Float.MAX_VALUE, -1f);
                expect(op, -0f, -0f);
                expect(op, 0f, 0f);
                expect(op, 1e-30f, 1e-30f);
                expect(op, -Float.MIN_VALUE, -Float.MIN_VALUE);
                break;
            default:
                expect(op, inf, 1f);
                expect(op, Float.NEGATIVE_INFINITY, 0f);
                expect(op, 0f, 0.5f);
                expect(op, -0f, 0.5f);
                expect(op, Float.MAX_VALUE, 1f);
                expect(op, -Float.MAX_VALUE, 0f);
                expect(op, -100f, 3.8e-44f); // e^-100 in float's subnormals
                for (float x : random(23, 100_000)) {
                    assertTrue(x != x || !Float.isNaN(Transcendentals32.sigmoid(x)), "sigmoid(" + x + ") is NaN");
                }
        }
        expect(op, Float.NaN, Float.NaN);
    }

    private static void expect(Elementwise.Unary op, float x, float want) {
        float[] xs = new float[100];
        java.util.Arrays.fill(xs, x);
        float[] got = Elementwise.unary32(op, xs); // vector loops and the scalar tail
        for (float g : new float[] {Transcendentals32.unary(op, x), got[0], got[99]}) {
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(g), op + "(" + x + ")");
        }
    }
}
