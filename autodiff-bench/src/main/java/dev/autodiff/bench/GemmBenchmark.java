package dev.autodiff.bench;

import dev.autodiff.kernel.Gemm;
import java.util.SplittableRandom;
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
 * incubator module.
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
