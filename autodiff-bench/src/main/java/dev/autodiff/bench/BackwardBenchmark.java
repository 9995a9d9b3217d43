package dev.autodiff.bench;

import dev.autodiff.Autodiff;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a backward pass costs against its forward: a matmul 128x784 @ 784x512 (forward alone vs forward
 * + backward to both operands), and a training step of the MLP 784-512-512-10 with ReLU and softmax
 * cross-entropy on a batch of 128 (forward + backward + in-place SGD update vs the recording forward alone).
 * Threads: the kernels use the calling thread and the library's worker threads; for one thread pass
 * {@code -jvmArgs "-XX:+UseParallelGC --add-modules jdk.incubator.vector -Dautodiff.threads=1"} (a
 * command-line -jvmArgs replaces the annotation's, so it repeats them).
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar Backward -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class BackwardBenchmark {
    static final int BATCH = 128;

    Tensor x;
    Tensor w;
    Tensor seed;
    Mlp mlp;
    Sgd sgd;

    /** The MLP's parameters, updated in place by each SGD step. */
    static final class Mlp {
        Tensor w1;
        Tensor b1;
        Tensor w2;
        Tensor b2;
        Tensor w3;
        Tensor b3;
        final Tensor images;
        final Tensor labels;

        Mlp(long seed) {
            this(seed, DType.FLOAT64);
        }

        /** The same model and batch in the given dtype (float32: float64's values rounded). */
        Mlp(long seed, DType dtype) {
            w1 = Tensor.randn(seed, 784, 512).mul(Math.sqrt(2.0 / 784)).to(dtype).requiresGrad();
            b1 = Tensor.zeros(dtype, 512).requiresGrad();
            w2 = Tensor.randn(seed + 1, 512, 512).mul(Math.sqrt(2.0 / 512)).to(dtype).requiresGrad();
            b2 = Tensor.zeros(dtype, 512).requiresGrad();
            w3 = Tensor.randn(seed + 2, 512, 10).mul(Math.sqrt(2.0 / 512)).to(dtype).requiresGrad();
            b3 = Tensor.zeros(dtype, 10).requiresGrad();
            images = Tensor.rand(seed + 3, dtype, BATCH, 784);
            double[] l = new double[BATCH];
            for (int i = 0; i < BATCH; i++) {
                l[i] = (i * 7 + 3) % 10;
            }
            labels = Tensor.fromArray(l, BATCH, 1);
        }

        /**
         * Mean softmax cross-entropy of the logits against the integer labels. Each layer is x W + b in one op
         * (addmm), as PyTorch's nn.Linear computes it.
         */
        Tensor loss() {
            Tensor h1 = b1.addmm(images, w1).relu();
            Tensor h2 = b2.addmm(h1, w2).relu();
            Tensor logits = b3.addmm(h2, w3);
            return logits.logSoftmax(1).gather(1, labels).mean().neg();
        }

        /** One SGD step, updating the parameters in place (the sanctioned path optimizers use). */
        double step(double lr) {
            Tensor loss = loss();
            Tensor[] params = {w1, b1, w2, b2, w3, b3};
            Tensor[] g = Autodiff.grad(loss, params);
            for (int i = 0; i < params.length; i++) {
                params[i].addInPlace(g[i], -lr);
            }
            return loss.item();
        }
    }

    @Setup
    public void setup() {
        x = Tensor.randn(1, BATCH, 784).requiresGrad();
        w = Tensor.randn(2, 784, 512).requiresGrad();
        seed = Tensor.ones(BATCH, 512);
        mlp = new Mlp(3);
        sgd = new Sgd(List.of(mlp.w1, mlp.b1, mlp.w2, mlp.b2, mlp.w3, mlp.b3), 0.01);
    }

    @Benchmark
    public Tensor matmulForward() {
        return x.matmul(w);
    }

    @Benchmark
    public Tensor[] matmulForwardBackward() {
        return Autodiff.grad(x.matmul(w), seed, false, false, x, w);
    }

    /** Baseline for the step: the forward pass, recording the graph as training does. */
    @Benchmark
    public Tensor mlpForward() {
        return mlp.loss();
    }

    @Benchmark
    public double mlpSgdStep() {
        return mlp.step(0.01);
    }

    /**
     * The same step as a user's training loop writes it (PyTorch's zero_grad, backward, step): the gradients
     * accumulate in the parameters and {@link Sgd} reads them in place, so backward reuses their buffers.
     */
    @Benchmark
    public double mlpSgdLoopStep() {
        sgd.zeroGrad();
        Tensor loss = mlp.loss();
        loss.backward();
        sgd.step();
        return loss.item();
    }
}
