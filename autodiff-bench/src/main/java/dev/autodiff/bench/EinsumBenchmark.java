package dev.autodiff.bench;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Does einsum cost more than the matmul chain it stands for? Two questions, each with its baseline in the
 * same run:
 * <ul>
 *   <li>{@code bij,bjk->bik} (32 x 64 x 64 each) against one batched {@code matmul}: the price of parsing,
 *       planning and the permute/reshape around the product.</li>
 *   <li>{@code ij,jk,kl->il} with A 256 x 16, B 16 x 256, C 256 x 16, where the order matters: left to right
 *       {@code (A B) C} makes a 256 x 256 intermediate (about 4.2 MFLOP), {@code A (B C)} a 16 x 16 one (about
 *       0.26 MFLOP). einsum's greedy order should run near the best chain and far ahead of the naive one.
 *       The {@code Grad} variants take the gradient with respect to all three operands.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar EinsumBenchmark -f 1 -wi 3 -w 1 -i 3 -r 1}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
public class EinsumBenchmark {
    @State(Scope.Thread)
    public static class Operands {
        Tensor x;
        Tensor y;
        Tensor a;
        Tensor b;
        Tensor c;

        @Setup
        public void setup() {
            x = Tensor.randn(1, 32, 64, 64);
            y = Tensor.randn(2, 32, 64, 64);
            a = Tensor.randn(3, 256, 16);
            b = Tensor.randn(4, 16, 256);
            c = Tensor.randn(5, 256, 16);
        }
    }

    @Benchmark
    public Tensor batchedEinsum(Operands o) {
        return Tensor.einsum("bij,bjk->bik", o.x, o.y);
    }

    @Benchmark
    public Tensor batchedMatmul(Operands o) {
        return o.x.matmul(o.y);
    }

    @Benchmark
    public Tensor chainEinsum(Operands o) {
        return Tensor.einsum("ij,jk,kl->il", o.a, o.b, o.c);
    }

    @Benchmark
    public Tensor chainMatmulBestOrder(Operands o) {
        return o.a.matmul(o.b.matmul(o.c));
    }

    @Benchmark
    public Tensor chainMatmulLeftToRight(Operands o) {
        return o.a.matmul(o.b).matmul(o.c);
    }

    @Benchmark
    public Tensor[] chainEinsumGrad(Operands o) {
        Tensor a = o.a.detach().requiresGrad();
        Tensor b = o.b.detach().requiresGrad();
        Tensor c = o.c.detach().requiresGrad();
        return Autodiff.grad(Tensor.einsum("ij,jk,kl->il", a, b, c).sum(), a, b, c);
    }

    @Benchmark
    public Tensor[] chainMatmulBestOrderGrad(Operands o) {
        Tensor a = o.a.detach().requiresGrad();
        Tensor b = o.b.detach().requiresGrad();
        Tensor c = o.c.detach().requiresGrad();
        return Autodiff.grad(a.matmul(b.matmul(c)).sum(), a, b, c);
    }
}
