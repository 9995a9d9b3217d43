package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The deterministic transcendentals ({@link Transcendentals}, {@code VectorTranscendentals}): the same bits on
 * every path and in every JIT tier, their error against StrictMath and against exact values, special values.
 */
class TranscendentalsTest {
    static final Elementwise.Unary[] OPS = {Elementwise.Unary.EXP, Elementwise.Unary.EXPM1, Elementwise.Unary.LOG,
        Elementwise.Unary.LOG1P, Elementwise.Unary.TANH, Elementwise.Unary.SIGMOID, Elementwise.Unary.SOFTPLUS,
        Elementwise.Unary.ERF};

    static final Elementwise.Unary[] MATH_OPS = {Elementwise.Unary.SIN, Elementwise.Unary.COS, Elementwise.Unary.TAN,
        Elementwise.Unary.ASIN, Elementwise.Unary.ACOS, Elementwise.Unary.ATAN, Elementwise.Unary.SINH, Elementwise.Unary.COSH,
        Elementwise.Unary.ASINH, Elementwise.Unary.ACOSH, Elementwise.Unary.ATANH, Elementwise.Unary.EXP2, Elementwise.Unary.LOG2,
        Elementwise.Unary.LOG10, Elementwise.Unary.RSQRT, Elementwise.Unary.FLOOR, Elementwise.Unary.CEIL,
        Elementwise.Unary.ROUND, Elementwise.Unary.TRUNC};

    static final Elementwise.Binary[] MATH_BINARY = {Elementwise.Binary.ATAN2, Elementwise.Binary.HYPOT,
        Elementwise.Binary.LOGADDEXP, Elementwise.Binary.XLOGY};

    static final double[] SPECIAL = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, 1e-310, -1e-310, 1e-300, -1e-20, 1e-20, 1.0, -1.0,
        -0.999999, -1.5, 2.0, 0.3466, -0.3466, 0.4, 20.0, -20.0, 20.5, 37.5, 40.0, -40.0, -41.0, 700.0, 708.0, -708.0,
        708.5, -708.5, 709.0, 709.5, 709.782712893384, 709.7827128933841, 710.0, -745.1332191019411,
        -745.1332191019412, -746.0, -1000.0, 1000.0, Double.MAX_VALUE, -Double.MAX_VALUE};

    /** Inputs for op: mostly its working range, some far out, and the special points scattered over the lanes. */
    static double[] inputs(Elementwise.Unary op, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            switch (r.nextInt(8)) {
                case 0: x[i] = g * 300; break;
                case 1: x[i] = Math.exp(r.nextDouble(-700, 700)) * (r.nextBoolean() ? 1 : -1); break;
                case 2: x[i] = g * 1e-6; break;
                default: x[i] = op == Elementwise.Unary.LOG ? Math.abs(g) * 4 : g * 4;
            }
            if (r.nextInt(50) == 0) {
                x[i] = SPECIAL[r.nextInt(SPECIAL.length)];
            }
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = Elementwise.Unary.class, names = {"EXP", "EXPM1", "LOG", "LOG1P", "TANH", "SIGMOID", "SOFTPLUS", "ERF"})
    void everyPathGivesTheSameBits(Elementwise.Unary op) {
        for (long seed = 1; seed <= 4; seed++) {
            int n = 40_000 + (int) seed;
            double[] x = inputs(op, n, seed);
            // every special value once in every lane position of a vector, beside ordinary ones
            for (int s = 0; s < SPECIAL.length; s++) {
                for (int lane = 0; lane < 8; lane++) {
                    x[64 * s + 9 * lane] = SPECIAL[s];
                }
            }
            double[] vector = Elementwise.unary(op, x);
            double[] scalar = new double[n];
            Elementwise.scalarUnary(op, x, scalar, 0, n);
            double[] shifted = new double[n]; // the vector loop from element 3: other elements share a vector
            Elementwise.unary(op, x, shifted, 3, n);
            Elementwise.scalarUnary(op, x, shifted, 0, 3);
            for (int i = 0; i < n; i++) {
                long want = Double.doubleToLongBits(Elementwise.unary(op, x[i]));
                String where = op + "(" + x[i] + ") at " + i + ", seed " + seed;
                assertEquals(want, Double.doubleToLongBits(vector[i]), where + ": vector loop");
                assertEquals(want, Double.doubleToLongBits(scalar[i]), where + ": scalar loop");
                assertEquals(want, Double.doubleToLongBits(shifted[i]), where + ": shifted vector loop");
            }
        }
    }

    /** The reference each op is measured against: StrictMath, or the formula on StrictMath for the composites. */
    static double strict(Elementwise.Unary op, double x) {
        switch (op) {
            case EXP: return StrictMath.exp(x);
            case EXPM1: return StrictMath.expm1(x);
            case LOG: return StrictMath.log(x);
            case LOG1P: return StrictMath.log1p(x);
            case TANH: return StrictMath.tanh(x);
            case SIGMOID: return x >= 0 ? 1 / (1 + StrictMath.exp(-x)) : StrictMath.exp(x) / (1 + StrictMath.exp(x));
            case SOFTPLUS: return x > 20 ? x : StrictMath.log1p(StrictMath.exp(x));
            default: throw new AssertionError(op);
        }
    }

    /** Distance in ulps between two doubles of the same sign (the doubles between them, plus one). */
    static long ulps(double a, double b) {
        if (Double.doubleToLongBits(a) == Double.doubleToLongBits(b) || a == b) {
            return 0;
        }
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Long.MAX_VALUE;
        }
        long x = Double.doubleToLongBits(a);
        long y = Double.doubleToLongBits(b);
        return (x ^ y) < 0 ? (x & Long.MAX_VALUE) + (y & Long.MAX_VALUE) : Math.abs(x - y);
    }

    /**
     * Dense sweeps, in ulps from StrictMath (fdlibm; itself under 1 ulp from exact for exp, expm1, log, log1p,
     * about 2 for tanh). A result within 1 ulp of exact can still differ from StrictMath's by 1; tanh by 3.
     */
    @Test
    void withinUlpsOfStrictMath() {
        Map<Elementwise.Unary, double[][]> sweeps = new LinkedHashMap<>();
        sweeps.put(Elementwise.Unary.EXP, new double[][] {{-745.2, 709.8}, {-1, 1}, {-0.35, 0.35}});
        sweeps.put(Elementwise.Unary.EXPM1, new double[][] {{-45, 709.8}, {-2, 2}, {0.3, 0.45}, {-1e-3, 1e-3}});
        sweeps.put(Elementwise.Unary.LOG, new double[][] {{0, 10}, {0.5, 2}, {0.99, 1.01}, {0, 1e-300}, {0, 1e300}});
        sweeps.put(Elementwise.Unary.LOG1P, new double[][] {{-1, 3}, {-1e-5, 1e-5}, {-0.3, 0.5}, {0, 1e300}});
        sweeps.put(Elementwise.Unary.TANH, new double[][] {{-25, 25}, {-1, 1}, {-0.2, 0.2}});
        sweeps.put(Elementwise.Unary.SIGMOID, new double[][] {{-800, 50}, {-10, 10}});
        sweeps.put(Elementwise.Unary.SOFTPLUS, new double[][] {{-800, 30}, {-10, 10}});
        Map<Elementwise.Unary, Long> bound = new EnumMap<>(Elementwise.Unary.class);
        bound.put(Elementwise.Unary.EXP, 1L);
        bound.put(Elementwise.Unary.EXPM1, 1L);
        bound.put(Elementwise.Unary.LOG, 1L);
        bound.put(Elementwise.Unary.LOG1P, 1L);
        bound.put(Elementwise.Unary.TANH, 3L);
        bound.put(Elementwise.Unary.SIGMOID, 2L);
        bound.put(Elementwise.Unary.SOFTPLUS, 2L);
        int n = 1 << 18;
        StringBuilder report = new StringBuilder();
        for (Map.Entry<Elementwise.Unary, double[][]> e : sweeps.entrySet()) {
            Elementwise.Unary op = e.getKey();
            long worst = 0;
            double at = Double.NaN;
            for (double[] range : e.getValue()) {
                double[] x = new double[n];
                for (int i = 0; i < n; i++) {
                    x[i] = range[0] + (range[1] - range[0]) * (i + 0.5) / n;
                }
                double[] y = Elementwise.unary(op, x);
                for (int i = 0; i < n; i++) {
                    long u = ulps(y[i], strict(op, x[i]));
                    if (u > worst) {
                        worst = u;
                        at = x[i];
                    }
                }
            }
            report.append(op).append(' ').append(worst).append(" ulp (at ").append(at).append("); ");
            assertTrue(worst <= bound.get(op), op + ": " + worst + " ulps from StrictMath at x = " + at + " (bound " + bound.get(op) + ")");
        }
        System.out.println("TranscendentalsTest vs StrictMath: " + report);
    }

    /**
     * Against exact values (mpmath, 50 digits, gen_transcendentals.py beside the fixture), in fractional ulps of
     * the exact value: under 1 ulp for exp, expm1, log and log1p; tanh and sigmoid under 2.5, softplus under 2.
     */
    @Test
    void withinUlpsOfExactValues() throws Exception {
        Map<Elementwise.Unary, Double> bound = new EnumMap<>(Elementwise.Unary.class);
        bound.put(Elementwise.Unary.EXP, 1.0);
        bound.put(Elementwise.Unary.EXPM1, 1.0);
        bound.put(Elementwise.Unary.LOG, 1.0);
        bound.put(Elementwise.Unary.LOG1P, 1.0);
        bound.put(Elementwise.Unary.TANH, 2.5);
        bound.put(Elementwise.Unary.SIGMOID, 2.5);
        bound.put(Elementwise.Unary.SOFTPLUS, 2.0);
        Map<Elementwise.Unary, double[]> worst = new EnumMap<>(Elementwise.Unary.class);
        int rows = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                TranscendentalsTest.class.getResourceAsStream("transcendentals.txt"), StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(" ");
                Elementwise.Unary op = Elementwise.Unary.valueOf(f[0]);
                double x = Double.longBitsToDouble(Long.parseUnsignedLong(f[1], 16));
                double hi = Double.longBitsToDouble(Long.parseUnsignedLong(f[2], 16));
                double lo = Double.longBitsToDouble(Long.parseUnsignedLong(f[3], 16));
                double y = Elementwise.unary(op, x);
                double err;
                if (Double.isInfinite(hi) || hi == 0) {
                    err = y == hi ? 0 : Double.POSITIVE_INFINITY;
                } else {
                    // (y - hi) is exact for y within a few ulps of hi; the ulp of a subnormal is MIN_VALUE
                    err = Math.abs((y - hi) - lo) / Math.ulp(hi);
                }
                double[] w = worst.computeIfAbsent(op, k -> new double[] {0, Double.NaN});
                if (!(err <= w[0])) {
                    w[0] = err;
                    w[1] = x;
                }
                rows++;
            }
        }
        assertTrue(rows >= 6000, "rows: " + rows);
        for (Map.Entry<Elementwise.Unary, Double> b : bound.entrySet()) {
            double[] w = worst.get(b.getKey());
            System.out.printf("TranscendentalsTest vs exact: %s %.3f ulp (at %s)%n", b.getKey(), w[0], w[1]);
            assertTrue(w[0] < b.getValue(), b.getKey() + ": " + w[0] + " ulps from exact at x = " + w[1]);
        }
    }

    @Test
    void specialValues() {
        double nan = Double.NaN;
        double inf = Double.POSITIVE_INFINITY;
        Object[][] cases = {
            {"EXP", nan, nan}, {"EXP", inf, inf}, {"EXP", -inf, 0.0}, {"EXP", 0.0, 1.0}, {"EXP", -0.0, 1.0},
            {"EXP", 709.782712893384, 1.7976931348622732E308}, {"EXP", 709.7827128933841, inf}, {"EXP", 1000.0, inf},
            {"EXP", -745.1332191019411, Double.MIN_VALUE}, {"EXP", -745.1332191019412, 0.0}, {"EXP", -708.5, 2.006132305331306E-308},
            {"EXP", Double.MIN_VALUE, 1.0},
            {"EXPM1", nan, nan}, {"EXPM1", inf, inf}, {"EXPM1", -inf, -1.0}, {"EXPM1", 0.0, 0.0}, {"EXPM1", -0.0, -0.0},
            {"EXPM1", Double.MIN_VALUE, Double.MIN_VALUE}, {"EXPM1", -1e-310, -1e-310}, {"EXPM1", -40.0, -1.0},
            {"EXPM1", 709.7827128933841, inf}, {"EXPM1", 1e-20, 1e-20},
            {"LOG", nan, nan}, {"LOG", inf, inf}, {"LOG", -inf, nan}, {"LOG", 0.0, -inf}, {"LOG", -0.0, -inf},
            {"LOG", -1.0, nan}, {"LOG", -Double.MIN_VALUE, nan}, {"LOG", 1.0, 0.0}, {"LOG", Double.MIN_VALUE, -744.4400719213812},
            {"LOG", Double.MAX_VALUE, 709.782712893384}, {"LOG", Math.E, 1.0},
            {"LOG1P", nan, nan}, {"LOG1P", inf, inf}, {"LOG1P", -1.0, -inf}, {"LOG1P", -1.5, nan}, {"LOG1P", -inf, nan},
            {"LOG1P", 0.0, 0.0}, {"LOG1P", -0.0, -0.0}, {"LOG1P", Double.MIN_VALUE, Double.MIN_VALUE}, {"LOG1P", -1e-20, -1e-20},
            {"LOG1P", Double.MAX_VALUE, 709.782712893384},
            {"TANH", nan, nan}, {"TANH", inf, 1.0}, {"TANH", -inf, -1.0}, {"TANH", 0.0, 0.0}, {"TANH", -0.0, -0.0},
            {"TANH", 20.0, 1.0}, {"TANH", -19.5, -1.0}, {"TANH", Double.MIN_VALUE, Double.MIN_VALUE}, {"TANH", -1e-300, -1e-300},
            {"SIGMOID", nan, nan}, {"SIGMOID", inf, 1.0}, {"SIGMOID", -inf, 0.0}, {"SIGMOID", 0.0, 0.5}, {"SIGMOID", -0.0, 0.5},
            {"SIGMOID", 40.0, 1.0}, {"SIGMOID", -1000.0, 0.0}, {"SIGMOID", Double.MAX_VALUE, 1.0}, {"SIGMOID", -Double.MAX_VALUE, 0.0},
            {"SIGMOID", -745.1332191019411, Double.MIN_VALUE}, {"SIGMOID", -40.0, 4.248354255291589E-18},
            {"SOFTPLUS", nan, nan}, {"SOFTPLUS", inf, inf}, {"SOFTPLUS", -inf, 0.0}, {"SOFTPLUS", 0.0, Math.log(2)},
            {"SOFTPLUS", 20.5, 20.5}, {"SOFTPLUS", 1000.0, 1000.0}, {"SOFTPLUS", -800.0, 0.0},
            {"SOFTPLUS", -740.0, 4.2e-322}, {"SOFTPLUS", -40.0, 4.248354255291589E-18},
        };
        for (Object[] c : cases) {
            Elementwise.Unary op = Elementwise.Unary.valueOf((String) c[0]);
            double x = (Double) c[1];
            double want = (Double) c[2];
            double[] lanes = new double[67]; // the value in the vector body and in the scalar tail
            java.util.Arrays.fill(lanes, 0.25);
            lanes[5] = x;
            lanes[66] = x;
            double[] got = Elementwise.unary(op, lanes);
            for (double y : new double[] {Elementwise.unary(op, x), got[5], got[66]}) {
                assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(y), op + "(" + x + ") = " + y + ", want " + want);
            }
        }
        // sigmoid is finite and in [0, 1] for every x but NaN, tanh in [-1, 1]
        SplittableRandom r = new SplittableRandom(3);
        double[] x = new double[100_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = Double.longBitsToDouble(r.nextLong()); // every exponent
        }
        double[] s = Elementwise.unary(Elementwise.Unary.SIGMOID, x);
        double[] t = Elementwise.unary(Elementwise.Unary.TANH, x);
        for (int i = 0; i < x.length; i++) {
            if (!Double.isNaN(x[i])) {
                assertTrue(s[i] >= 0 && s[i] <= 1, "sigmoid(" + x[i] + ") = " + s[i]);
                assertTrue(t[i] >= -1 && t[i] <= 1, "tanh(" + x[i] + ") = " + t[i]);
            }
        }
    }

    // ---- the same bits in every JIT tier

    /** The transcendentals and the few-row GEMM on fixed inputs, digested; run in a child JVM per tier. */
    public static final class TierProbe {
        public static void main(String[] args) {
            for (Map.Entry<String, Long> e : digests(Integer.parseInt(args[0])).entrySet()) {
                System.out.println(e.getKey() + "=" + Long.toHexString(e.getValue()));
            }
        }
    }

    static final int GEMM_M = 3;
    static final int GEMM_N = 50;
    static final int GEMM_K = 301;

    /** After {@code calls} calls of each kernel, the digests of the last results. */
    static Map<String, Long> digests(int calls) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Elementwise.Unary op : OPS) {
            double[] x = inputs(op, 1024, 99);
            double[] y = null;
            // erf's series runs up to 200 terms per element: a tenth of the calls compile it too
            for (int c = 0, n = op == Elementwise.Unary.ERF ? Math.max(1, calls / 10) : calls; c < n; c++) {
                y = Elementwise.unary(op, x);
            }
            out.put(op.name(), digest(y));
        }
        // issue 16's elementwise math: StrictMath (fdlibm, not intrinsified), our asinh/acosh/atanh/log2 on the
        // library's log, the rounding ops, and the binary atan2, hypot, logaddexp, xlogy. A tenth of the calls:
        // they share one loop and one switch, compiled by C2 well before 2,000 calls of 1024 elements
        int mathCalls = Math.max(1, calls / 10);
        for (Elementwise.Unary op : MATH_OPS) {
            double[] x = inputs(op, 1024, 98);
            double[] y = null;
            for (int c = 0; c < mathCalls; c++) {
                y = Elementwise.unary(op, x);
            }
            out.put(op.name(), digest(y));
        }
        for (Elementwise.Binary op : MATH_BINARY) {
            double[] a = inputs(Elementwise.Unary.SIN, 1024, 97);
            double[] b = inputs(Elementwise.Unary.SIN, 1024, 96);
            int[] shape = {1024};
            double[] y = null;
            for (int c = 0; c < mathCalls; c++) {
                y = Elementwise.binary(op, a, shape, b, shape, shape);
            }
            out.put(op.name(), digest(y));
        }
        // issue 19's float32 kernels (Transcendentals32 and its vector forms)
        for (Elementwise.Unary op : OPS) {
            if (!Transcendentals32.has(op)) {
                continue;
            }
            double[] xd = inputs(op, 1024, 95);
            float[] x = new float[xd.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) xd[i];
            }
            float[] y = null;
            for (int c = 0; c < calls; c++) {
                y = Elementwise.unary32(op, x);
            }
            double[] wide = new double[y.length];
            for (int i = 0; i < y.length; i++) {
                wide[i] = y[i]; // exact
            }
            out.put(op.name() + "_FLOAT32", digest(wide));
        }
        if (VectorSupport.AVAILABLE) { // the GEMM engines differ from each other; compare like with like
            double[] a = FallbackTest.operand(GEMM_M * GEMM_K, true);
            double[] b = FallbackTest.operand(GEMM_N * GEMM_K, false);
            double[] c = new double[GEMM_M * GEMM_N];
            for (int t = 0; t < calls; t++) {
                Gemm.gemm(false, true, GEMM_M, GEMM_N, GEMM_K, a, 0, b, 0, c, 0); // few rows, B transposed: dot products
            }
            out.put("GEMM_NT", digest(c));
        }
        return out;
    }

    static long digest(double[] y) {
        long h = 0xcbf29ce484222325L;
        for (double v : y) {
            h = (h ^ Double.doubleToLongBits(v)) * 0x100000001b3L;
        }
        return h;
    }

    static Map<String, Long> child(String... flags) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TierProbe.class.getName(), "1"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), text);
        Map<String, Long> out = new LinkedHashMap<>();
        text.lines().filter(l -> l.matches("[A-Z0-9_]+=[0-9a-f]+")).forEach(l -> {
            String[] kv = l.split("=");
            out.put(kv[0], Long.parseUnsignedLong(kv[1], 16));
        });
        return out;
    }

    /**
     * Issue 13, item 1.5: the Vector API's EXP, LOG, EXPM1 and reduceLanes(ADD) gave different bits interpreted
     * and compiled (one change around call 200 of 20,000). Each kernel's result on one input, warmed up here over
     * 20,000 calls, against its first call in a child JVM run interpreted only (-Xint), one with C1 only, and one
     * without the Vector API (the scalar forms: the elementwise results must match too).
     */
    @Test
    void sameBitsInEveryJitTier() throws Exception {
        Map<String, Long> warm = digests(20_000);
        Map<String, Long> interpreted = child("-Xint", "--add-modules", "jdk.incubator.vector");
        Map<String, Long> c1 = child("-XX:TieredStopAtLevel=1", "--add-modules", "jdk.incubator.vector");
        Map<String, Long> scalar = child();
        assertTrue(interpreted.containsKey("GEMM_NT") == VectorSupport.AVAILABLE, "probe output: " + interpreted);
        for (Map.Entry<String, Long> e : warm.entrySet()) {
            assertEquals(e.getValue(), interpreted.get(e.getKey()), e.getKey() + ": interpreted (-Xint) against compiled");
            assertEquals(e.getValue(), c1.get(e.getKey()), e.getKey() + ": C1 against C2");
            if (!e.getKey().startsWith("GEMM")) {
                assertEquals(e.getValue(), scalar.get(e.getKey()), e.getKey() + ": without the Vector API against with it");
            }
        }
    }
}
