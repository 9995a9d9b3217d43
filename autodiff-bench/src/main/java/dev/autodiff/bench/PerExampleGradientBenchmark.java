package dev.autodiff.bench;

import dev.autodiff.Autodiff;
import dev.autodiff.Fn;
import dev.autodiff.FnN;
import dev.autodiff.Tensor;
import java.util.concurrent.TimeUnit;
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
 * Per-example gradients (as DP-SGD and influence functions need them) of an MLP 784-128-10's squared error with respect
 * to both weight matrices, for a batch of 64: {@code vmap(grad(loss))} in one pass against the loop of one
 * {@code valueAndGrad} per example, the baseline, in the same run. The same numbers either way (VmapTest).
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar PerExampleGradientBenchmark -f 1 -wi 3 -w 1 -i 5 -r 1}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
public class PerExampleGradientBenchmark {
    @State(Scope.Thread)
    public static class Problem {
        @Param({"64"})
        int batch;

        Tensor w1;
        Tensor w2;
        Tensor x;
        Tensor y;
        // f(w1, w2, x, y) = |tanh(x w1) w2 - y|^2 for one example x (784), y (10)
        final Fn loss = a -> a[2].matmul(a[0]).tanh().matmul(a[1]).sub(a[3]).square().sum();
        final FnN perExample = Autodiff.vmap(Autodiff.grad(loss, 0, 1), new Integer[] {null, null, 0, 0},
                new int[] {0, 0});

        @Setup
        public void setup() {
            w1 = Tensor.randn(1, 784, 128).mul(0.05);
            w2 = Tensor.randn(2, 128, 10).mul(0.1);
            x = Tensor.rand(3, batch, 784);
            y = Tensor.randn(4, batch, 10);
        }
    }

    @Benchmark
    public Tensor[] vmapGrad(Problem p) {
        return p.perExample.apply(p.w1, p.w2, p.x, p.y);
    }

    @Benchmark
    public Tensor[] loopOfGrads(Problem p) {
        Tensor[] g1 = new Tensor[p.batch];
        Tensor[] g2 = new Tensor[p.batch];
        for (int k = 0; k < p.batch; k++) {
            Tensor[] g = Autodiff.valueAndGrad(p.loss, new int[] {0, 1}, p.w1, p.w2,
                    p.x.slice(0, k, k + 1).squeeze(0), p.y.slice(0, k, k + 1).squeeze(0)).grads();
            g1[k] = g[0];
            g2[k] = g[1];
        }
        return new Tensor[] {Tensor.stack(0, g1), Tensor.stack(0, g2)};
    }
}
