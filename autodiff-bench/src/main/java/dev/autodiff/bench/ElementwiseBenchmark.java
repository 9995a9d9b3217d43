package dev.autodiff.bench;

import dev.autodiff.Tensor;
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
 * Elementwise and reduction kernels on 2^20 float64 elements (1024 x 1024), reported in bytes moved per
 * second (the {@code :bytes} line: input + output). Baselines in the same run: an array copy (memory
 * bandwidth) and the plain loops with {@link Math#exp} and {@link Math#tanh}.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar Elementwise -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class ElementwiseBenchmark {
    @Param({"1024"})
    int n;

    Tensor x;
    Tensor row;
    double[] raw;
    double[] rowRaw;
    double[] out;
    double[] out2;

    /** Bytes read and written, reported by JMH as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Setup
    public void setup() {
        x = Tensor.randn(1, n, n);
        row = Tensor.randn(2, n);
        raw = x.toArray();
        rowRaw = row.toArray();
        out = new double[raw.length];
        out2 = new double[raw.length];
    }

    private long unaryBytes() {
        return 16L * n * n;
    }

    @Benchmark
    public Tensor exp(Bytes b) {
        b.bytes += unaryBytes();
        return x.exp();
    }

    @Benchmark
    public Tensor tanh(Bytes b) {
        b.bytes += unaryBytes();
        return x.tanh();
    }

    @Benchmark
    public Tensor sigmoid(Bytes b) {
        b.bytes += unaryBytes();
        return x.sigmoid();
    }

    /** (n, n) + (n): the row is broadcast, never materialised. */
    @Benchmark
    public Tensor addBroadcast(Bytes b) {
        b.bytes += unaryBytes() + 8L * n;
        return x.add(row);
    }

    @Benchmark
    public Tensor sumAxis0(Bytes b) {
        b.bytes += 8L * n * n + 8L * n;
        return x.sum(0);
    }

    @Benchmark
    public Tensor sumAxis1(Bytes b) {
        b.bytes += 8L * n * n + 8L * n;
        return x.sum(1);
    }

    /**
     * Two comparisons per call, as a network with ReLU (x > 0) and max pooling (x == max) makes: with both
     * in use the compare kernel sees more than one operator, which is what broke its vectorization once.
     */
    @Benchmark
    public Tensor[] compareGtAndEq(Bytes b) {
        b.bytes += 2 * unaryBytes() + 8L * n;
        return new Tensor[] {x.gt(0.0), x.eq(row)};
    }

    /** Baseline for the comparisons: the plain {@code a > b ? 1 : 0} and {@code ==} loops, one thread. */
    @Benchmark
    public double[] compareLoopBaseline(Bytes b) {
        b.bytes += 2 * unaryBytes() + 8L * n;
        double[] r = raw;
        double[] w = rowRaw;
        for (int i = 0; i < r.length; i++) {
            out[i] = r[i] > 0.0 ? 1.0 : 0.0;
        }
        for (int i = 0; i < r.length; i++) {
            out2[i] = r[i] == w[i % w.length] ? 1.0 : 0.0;
        }
        return out;
    }

    /** Baseline: copying the array (memory bandwidth, one thread). */
    @Benchmark
    public double[] copyBaseline(Bytes b) {
        b.bytes += unaryBytes();
        System.arraycopy(raw, 0, out, 0, raw.length);
        return out;
    }

    /** Baseline: the plain Math.exp loop, one thread. */
    @Benchmark
    public double[] mathExpBaseline(Bytes b) {
        b.bytes += unaryBytes();
        for (int i = 0; i < raw.length; i++) {
            out[i] = Math.exp(raw[i]);
        }
        return out;
    }

    /** Baseline: the plain Math.tanh loop, one thread. */
    @Benchmark
    public double[] mathTanhBaseline(Bytes b) {
        b.bytes += unaryBytes();
        for (int i = 0; i < raw.length; i++) {
            out[i] = Math.tanh(raw[i]);
        }
        return out;
    }
}
