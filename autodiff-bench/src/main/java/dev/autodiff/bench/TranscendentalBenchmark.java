package dev.autodiff.bench;

import dev.autodiff.kernel.Elementwise;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Does a deterministic transcendental kernel cost more than the one it replaced? {@code version=ours} is
 * {@link Elementwise#unaryInto} (our polynomials, the same bits in every JIT tier); {@code version=old} is a
 * copy of the kernels before them (the Vector API's EXP, LOG and EXPM1, compiled to Intel SVML; scalar tail
 * on Math), kept here as the baseline. One thread, into a preallocated output; JMH runs the two side by side
 * for each op and size. Inputs: randn (log: |randn| + 1e-3).
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar TranscendentalBenchmark -f 1 -wi 3 -w 1 -i 5 -r 1}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class TranscendentalBenchmark {
    @Param({"4096", "1048576"})
    int n;

    @Param({"EXP", "LOG", "TANH", "SIGMOID"})
    String op;

    /** Named to sort after n and op: JMH varies the alphabetically last parameter fastest. */
    @Param({"old", "ours"})
    String version;

    Elementwise.Unary code;
    boolean old;
    double[] x;
    double[] y;

    @Setup
    public void setup() {
        code = Elementwise.Unary.valueOf(op);
        old = version.equals("old");
        SplittableRandom r = new SplittableRandom(7);
        x = new double[n];
        y = new double[n];
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            x[i] = code == Elementwise.Unary.LOG ? Math.abs(g) + 1e-3 : g;
        }
    }

    @Benchmark
    public double[] unary() {
        if (old) {
            Old.unary(code, x, y, 0, n);
        } else {
            Elementwise.unaryInto(code, x, y);
        }
        return y;
    }

    /** The kernels as they were before the deterministic ones (VectorElementwise.unary and its scalar tail). */
    static final class Old {
        private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

        static void unary(Elementwise.Unary op, double[] x, double[] y, int from, int to) {
            int i = from;
            int bound = from + S.loopBound(to - from);
            switch (op) {
                case EXP:
                    for (; i < bound; i += S.length()) {
                        DoubleVector.fromArray(S, x, i).lanewise(VectorOperators.EXP).intoArray(y, i);
                    }
                    break;
                case LOG:
                    for (; i < bound; i += S.length()) {
                        DoubleVector.fromArray(S, x, i).lanewise(VectorOperators.LOG).intoArray(y, i);
                    }
                    break;
                case TANH:
                    for (; i < bound; i += S.length()) {
                        DoubleVector v = DoubleVector.fromArray(S, x, i).max(-20.0).min(20.0);
                        DoubleVector e = v.add(v).lanewise(VectorOperators.EXPM1);
                        e.div(e.add(2.0)).intoArray(y, i);
                    }
                    break;
                case SIGMOID:
                    for (; i < bound; i += S.length()) {
                        DoubleVector e = DoubleVector.fromArray(S, x, i).neg().lanewise(VectorOperators.EXP);
                        DoubleVector.broadcast(S, 1.0).div(e.add(1.0)).intoArray(y, i);
                    }
                    break;
                default:
                    throw new IllegalArgumentException(op.toString());
            }
            for (; i < to; i++) {
                y[i] = scalar(op, x[i]);
            }
        }

        static double scalar(Elementwise.Unary op, double x) {
            switch (op) {
                case EXP: return Math.exp(x);
                case LOG: return Math.log(x);
                case TANH: return Math.tanh(x);
                default:
                    if (x >= 0) {
                        return 1.0 / (1.0 + Math.exp(-x));
                    }
                    double e = Math.exp(x);
                    return e / (1.0 + e);
            }
        }
    }
}
