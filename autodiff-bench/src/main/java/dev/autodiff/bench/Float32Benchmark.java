package dev.autodiff.bench;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Sgd;
import java.util.List;
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
 * What float32 buys against float64, same run: {@link BackwardBenchmark}'s MLP 784-512-512-10 training step (the
 * loop a user writes: zeroGrad, backward, SGD step) with the model and batch in each dtype, and elementwise ops on
 * 2^20 elements, and reductions ({@link Reductions}: sums, max, softmax, cumsum, argmax over a bias gradient's
 * (128, 512) and a (1024, 1024) matrix). PyTorch's twin: {@code autodiff-bench/tools/torch_mlp_step.py --dtype float32}.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar Float32Benchmark -f 1 -wi 3 -i 5}; for one thread
 * add {@code -jvmArgs "-XX:+UseParallelGC --add-modules jdk.incubator.vector -Dautodiff.threads=1"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class Float32Benchmark {
    @Param({"float32", "float64"})
    String dtype;

    BackwardBenchmark.Mlp mlp;
    Sgd sgd;
    Tensor x;
    Tensor y;

    @Setup
    public void setup() {
        DType d = dtype.equals("float32") ? DType.FLOAT32 : DType.FLOAT64;
        mlp = new BackwardBenchmark.Mlp(3, d);
        sgd = new Sgd(List.of(mlp.w1, mlp.b1, mlp.w2, mlp.b2, mlp.w3, mlp.b3), 0.01);
        x = Tensor.randn(1, d, 1 << 20);
        y = Tensor.randn(2, d, 1 << 20);
    }

    @Benchmark
    public double mlpSgdLoopStep() {
        sgd.zeroGrad();
        Tensor loss = mlp.loss();
        loss.backward();
        sgd.step();
        return loss.item();
    }

    @Benchmark
    public Tensor mul() {
        return x.mul(y);
    }

    @Benchmark
    public Tensor exp() {
        return x.exp();
    }

    /** A matrix to reduce, in each dtype: a batch of 128 activations of width 512, and 2^20 elements. */
    @State(Scope.Thread)
    public static class Reductions {
        @Param({"float32", "float64"})
        String dtype;

        @Param({"128x512", "1024x1024"})
        String shape;

        Tensor m;

        @Setup
        public void setup() {
            String[] s = shape.split("x");
            m = Tensor.randn(3, dtype.equals("float32") ? DType.FLOAT32 : DType.FLOAT64,
                    Integer.parseInt(s[0]), Integer.parseInt(s[1]));
        }
    }

    @Benchmark
    public Tensor sumAll(Reductions r) {
        return r.m.sum();
    }

    /** The bias gradient's reduction (sumTo of the batch axis). */
    @Benchmark
    public Tensor sumAxis0(Reductions r) {
        return r.m.sum(0);
    }

    @Benchmark
    public Tensor sumLastAxis(Reductions r) {
        return r.m.sum(1);
    }

    @Benchmark
    public Tensor maxLastAxis(Reductions r) {
        return r.m.max(1);
    }

    @Benchmark
    public Tensor softmaxLastAxis(Reductions r) {
        return r.m.softmax(1);
    }

    @Benchmark
    public Tensor argmaxLastAxis(Reductions r) {
        return r.m.argmax(1);
    }

    @Benchmark
    public Tensor cumsumAxis0(Reductions r) {
        return r.m.cumsum(0);
    }
}
