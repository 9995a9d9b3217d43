package dev.autodiff.bench;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * The gradient of f(x) = sum(tanh(W2 tanh(W1 x))), x in R^n, W1 and W2 n x n: one reverse pass against
 * n forward-mode jvps (one per basis vector) and against one batched jvp pass of width n (jacfwd). The
 * baseline is evaluating f; {@code jvp} is one directional derivative. {@code chain*} compare the modes
 * on a long chain of elementwise ops, where forward mode keeps nothing alive: run with {@code -prof gc}
 * for allocated bytes per pass.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar ForwardVsReverse -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 1) // the batched pass at n = 256 needs about 6 s of warm-up to settle
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
public class ForwardVsReverseBenchmark {
    /** f(x) = sum(tanh(W2 tanh(W1 x))) with n x n weights. */
    @State(Scope.Thread)
    public static class Mlp {
        @Param({"16", "64", "256"})
        int n;

        Tensor w1;
        Tensor w2;
        Tensor x;
        Tensor v;
        Function<Tensor, Tensor> f;

        @Setup
        public void setup() {
            w1 = Tensor.randn(1, n, n).div(Math.sqrt(n));
            w2 = Tensor.randn(2, n, n).div(Math.sqrt(n));
            x = Tensor.randn(3, n);
            v = Tensor.randn(4, n);
            f = t -> w2.matmul(w1.matmul(t).tanh()).tanh().sum();
        }
    }

    /** 1,000 steps of x <- tanh(0.999 x) on a 1,000-vector: 2,000 ops. */
    @State(Scope.Thread)
    public static class Chain {
        static final int STEPS = 1000;
        Tensor x = Tensor.randn(5, 1000);

        static Tensor f(Tensor t) {
            for (int i = 0; i < STEPS; i++) {
                t = t.mul(0.999).tanh();
            }
            return t.sum();
        }
    }

    /** Baseline: f alone. */
    @Benchmark
    public Tensor evaluate(Mlp s) {
        return s.f.apply(s.x);
    }

    /** One directional derivative J v by forward mode. */
    @Benchmark
    public Tensor jvp(Mlp s) {
        return Autodiff.jvp(s.f, s.x, s.v).tangent();
    }

    /** The full gradient by one reverse pass (forward recording + backward). */
    @Benchmark
    public Tensor reverseGradient(Mlp s) {
        return Autodiff.gradient(s.f).apply(s.x);
    }

    /** The full gradient by n jvps, one per basis vector. */
    @Benchmark
    public Tensor forwardGradientNJvps(Mlp s) {
        return Autodiff.jacfwd(s.f, s.x, false);
    }

    /** The full gradient by one batched forward pass pushing all n basis tangents. */
    @Benchmark
    public Tensor forwardGradientBatched(Mlp s) {
        return Autodiff.jacfwd(s.f, s.x);
    }

    /** Baseline for the chain: evaluation alone. */
    @Benchmark
    public Tensor chainEvaluate(Chain s) {
        return Chain.f(s.x);
    }

    /** Reverse mode on the chain: every intermediate is kept until backward. */
    @Benchmark
    public Tensor chainReverseGradient(Chain s) {
        return Autodiff.gradient(Chain::f).apply(s.x);
    }

    /** Forward mode on the chain (one direction): each intermediate dies as soon as it is used. */
    @Benchmark
    public Tensor chainForwardJvp(Chain s) {
        return Autodiff.jvp(Chain::f, s.x, s.x).tangent();
    }
}
