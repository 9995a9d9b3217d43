package dev.autodiff.bench;

import dev.autodiff.kernel.Gemm;
import dev.autodiff.kernel.Gemm32;
import java.util.SplittableRandom;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * GEMM throughput, float64: square sizes and the shapes of an MLP layer 128x784 @ 784x512 (and
 * 128x512 @ 512x10) with the two products of its backward ({@code G W^T}: nt, {@code X^T G}: tn). The
 * {@code :flop} line of each result is the rate in FLOP/s (2mnk per product). Baselines in the same run:
 * the naive i-j-k loop and i-k-j on flat arrays. {@code blockedScalar} is the engine used without the
 * incubator module. {@code fmaPeak} is the machine's own limit measured in the same run: independent fused
 * multiply-add chains on the JVM's preferred vector width, nothing loaded or stored, so a GEMM's ratio to it is
 * its share of the machine's peak; the fork prints the CPU model and that vector width first. {@code blocked32}
 * and {@code fmaPeak32} are the same in float32 (the kernel generated from the float64 one), on the same values
 * rounded to float; {@code autodiff-bench/tools/numpy_gemm.py} measures OpenBLAS on the same shapes.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar Gemm -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {
    /** "n" for n x n x n, or "MxKxN" with an optional ":nt" / ":tn" transposed variant. */
    @State(Scope.Thread)
    public static class Shape {
        @Param({"64", "128", "256", "512", "1024", "128x784x512", "128x512x784:nt", "784x128x512:tn", "128x512x10"})
        String shape;

        int m;
        int n;
        int k;
        boolean ta;
        boolean tb;
        double[] a;
        double[] b;
        double[] c;
        float[] af;
        float[] bf;
        float[] cf;

        @Setup
        public void setup() {
            String[] parts = shape.split(":");
            String[] dims = parts[0].split("x");
            if (dims.length == 1) {
                m = n = k = Integer.parseInt(dims[0]);
            } else {
                m = Integer.parseInt(dims[0]);
                k = Integer.parseInt(dims[1]);
                n = Integer.parseInt(dims[2]);
            }
            ta = parts.length > 1 && parts[1].equals("tn");
            tb = parts.length > 1 && parts[1].equals("nt");
            SplittableRandom r = new SplittableRandom(1);
            a = r.doubles((long) m * k, -1, 1).toArray();
            b = r.doubles((long) k * n, -1, 1).toArray();
            c = new double[m * n];
            af = toFloat(a);
            bf = toFloat(b);
            cf = new float[m * n];
        }

        private static float[] toFloat(double[] x) {
            float[] f = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                f[i] = (float) x[i];
            }
            return f;
        }

        long flop() {
            return 2L * m * n * k;
        }
    }

    @State(Scope.Thread)
    public static class Threads {
        @Param({"1", "2"})
        int threads;
    }

    /** Floating-point operations done, reported by JMH as a rate (FLOP/s). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flop {
        public long flop;

        @Setup(Level.Iteration)
        public void reset() {
            flop = 0;
        }
    }

    /** The machine: printed once per fork, so that every result file says what it ran on. */
    @State(Scope.Benchmark)
    public static class Machine {
        java.util.concurrent.ExecutorService second;

        @Setup
        public void describe() {
            String cpu = "unknown CPU";
            try {
                cpu = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo")).stream()
                        .filter(l -> l.startsWith("model name")).findFirst().map(l -> l.replaceFirst(".*:\\s*", ""))
                        .orElse(cpu);
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux: the JVM's own description below still says the vector width
            }
            System.out.println("machine: " + cpu + ", " + Runtime.getRuntime().availableProcessors() + " processors, "
                    + "preferred vector " + DoubleVector.SPECIES_PREFERRED.vectorBitSize() + " bits ("
                    + DoubleVector.SPECIES_PREFERRED.length() + " doubles), " + System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.version"));
            second = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "fma-peak-2");
                t.setDaemon(true);
                return t;
            });
        }

        @org.openjdk.jmh.annotations.TearDown
        public void stop() {
            second.shutdownNow();
        }
    }

    /** FMA steps per call of {@link #fmaChains}: 12 chains of preferred-width vectors, 200,000 steps each. */
    static final int FMA_STEPS = 200_000;
    static final int FMA_CHAINS = 12;

    /**
     * Twelve independent chains {@code acc = acc * x + y} (enough to cover the FMA latency on two ports, few enough
     * for AVX2's 16 registers); returns their sum so that nothing is dead code.
     */
    static double fmaChains(double seed) {
        jdk.incubator.vector.VectorSpecies<Double> sp = DoubleVector.SPECIES_PREFERRED;
        DoubleVector x = DoubleVector.broadcast(sp, 0.999999);
        DoubleVector y = DoubleVector.broadcast(sp, 1e-7);
        DoubleVector a0 = DoubleVector.broadcast(sp, seed);
        DoubleVector a1 = a0.add(1);
        DoubleVector a2 = a0.add(2);
        DoubleVector a3 = a0.add(3);
        DoubleVector a4 = a0.add(4);
        DoubleVector a5 = a0.add(5);
        DoubleVector a6 = a0.add(6);
        DoubleVector a7 = a0.add(7);
        DoubleVector a8 = a0.add(8);
        DoubleVector a9 = a0.add(9);
        DoubleVector a10 = a0.add(10);
        DoubleVector a11 = a0.add(11);
        for (int i = 0; i < FMA_STEPS; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /**
     * {@link #fmaChains} on float32 vectors of the preferred width (twice the lanes). A copy on purpose: the peak
     * needs a loop on one concrete vector class (a generic Vector&lt;E&gt; loop is not compiled to bare FMAs).
     */
    static float fmaChains32(float seed) {
        jdk.incubator.vector.VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        FloatVector x = FloatVector.broadcast(sp, 0.9999f);
        FloatVector y = FloatVector.broadcast(sp, 1e-4f);
        FloatVector a0 = FloatVector.broadcast(sp, seed);
        FloatVector a1 = a0.add(1);
        FloatVector a2 = a0.add(2);
        FloatVector a3 = a0.add(3);
        FloatVector a4 = a0.add(4);
        FloatVector a5 = a0.add(5);
        FloatVector a6 = a0.add(6);
        FloatVector a7 = a0.add(7);
        FloatVector a8 = a0.add(8);
        FloatVector a9 = a0.add(9);
        FloatVector a10 = a0.add(10);
        FloatVector a11 = a0.add(11);
        for (int i = 0; i < FMA_STEPS; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /** The machine's float32 FMA peak on 1 or 2 threads. */
    @Benchmark
    public double fmaPeak32(Machine machine, Threads t, Flop f) throws Exception {
        long flop = 2L * FMA_STEPS * FMA_CHAINS * FloatVector.SPECIES_PREFERRED.length();
        if (t.threads == 1) {
            f.flop += flop;
            return fmaChains32(1.0f);
        }
        java.util.concurrent.Future<Float> other = machine.second.submit(() -> fmaChains32(2.0f));
        float mine = fmaChains32(1.0f);
        f.flop += 2 * flop;
        return mine + other.get();
    }

    /** The float32 GEMM (generated from the float64 kernel). */
    @Benchmark
    public float[] blocked32(Shape s, Threads t, Flop f) {
        Gemm32.gemm(Gemm32.BLOCKED, t.threads > 1, s.ta, s.tb, s.m, s.n, s.k, s.af, 0, s.bf, 0, s.cf, 0);
        f.flop += s.flop();
        return s.cf;
    }

    /** The machine's float64 FMA peak on 1 or 2 threads (FLOP/s: 2 per lane per FMA). */
    @Benchmark
    public double fmaPeak(Machine machine, Threads t, Flop f) throws Exception {
        long flop = 2L * FMA_STEPS * FMA_CHAINS * DoubleVector.SPECIES_PREFERRED.length();
        if (t.threads == 1) {
            f.flop += flop;
            return fmaChains(1.0);
        }
        java.util.concurrent.Future<Double> other = machine.second.submit(() -> fmaChains(2.0));
        double mine = fmaChains(1.0);
        f.flop += 2 * flop;
        return mine + other.get();
    }

    @Benchmark
    public double[] blocked(Shape s, Threads t, Flop f) {
        Gemm.gemm(Gemm.BLOCKED, t.threads > 1, s.ta, s.tb, s.m, s.n, s.k, s.a, 0, s.b, 0, s.c, 0);
        f.flop += s.flop();
        return s.c;
    }

    /** The engine without the Vector API, one thread. */
    @Benchmark
    public double[] blockedScalar(Shape s, Flop f) {
        Gemm.gemm(Gemm.Engine.BLOCKED_SCALAR, false, s.ta, s.tb, s.m, s.n, s.k, s.a, 0, s.b, 0, s.c, 0);
        f.flop += s.flop();
        return s.c;
    }

    /** Baseline: c[i][j] = sum_p a[i][p] b[p][j], the textbook loop (same layout as {@code blocked}). */
    @Benchmark
    public double[] naive(Shape s, Flop f) {
        int m = s.m;
        int n = s.n;
        int k = s.k;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    acc += (s.ta ? s.a[p * m + i] : s.a[i * k + p]) * (s.tb ? s.b[j * k + p] : s.b[p * n + j]);
                }
                s.c[i * n + j] = acc;
            }
        }
        f.flop += s.flop();
        return s.c;
    }

    /** Baseline: i-k-j on flat arrays (c[i*n+j] += a * b[p*n+j]), which C2 does not vectorize. */
    @Benchmark
    public double[] ikj(Shape s, Flop f) {
        int m = s.m;
        int n = s.n;
        int k = s.k;
        java.util.Arrays.fill(s.c, 0.0);
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double aip = s.ta ? s.a[p * m + i] : s.a[i * k + p];
                for (int j = 0; j < n; j++) {
                    s.c[i * n + j] += aip * (s.tb ? s.b[j * k + p] : s.b[p * n + j]);
                }
            }
        }
        f.flop += s.flop();
        return s.c;
    }
}
