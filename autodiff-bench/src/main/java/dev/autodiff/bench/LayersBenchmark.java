package dev.autodiff.bench;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Lambda;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Sequential;
import dev.autodiff.nn.conv.Conv2d;
import dev.autodiff.nn.conv.Pool2d;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.Recurrent;
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
 * autodiff-nn layers, forward + backward: an LSTM cell unrolled over 50 steps (batch 32, input 64, hidden
 * 128, loss = sum of the last hidden state), and LeNet-5 on 1 x 28 x 28 at batch 64 (conv 6@5x5 pad 2,
 * max pool, conv 16@5x5, max pool, 120, 84, 10, ReLU, cross-entropy). Baseline in the same run: the
 * forward pass alone. PyTorch 1.13 on this machine class, one thread: 50.8 ms (LSTMCell) and 16.1 ms (float64). LeNet
 * runs in both dtypes ({@link Lenet#dtype}: the model converted by {@code Module.to}, the images made in that dtype);
 * PyTorch's twin, to run in the same session: {@code autodiff-bench/tools/torch_lenet_step.py --dtype float32}.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar Layers -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class LayersBenchmark {
    LstmCell lstm;
    Tensor sequence;

    @Setup
    public void setup() {
        lstm = new LstmCell(64, 128, 1);
        sequence = Tensor.randn(2, 50, 32, 64);
    }

    /** LeNet-5, its batch and labels in one dtype (a state of its own, so the LSTM's figures are not repeated per dtype). */
    @State(Scope.Thread)
    public static class Lenet {
        @Param({"float32", "float64"})
        String dtype;

        Sequential model;
        Tensor images;
        int[] labels;

        @Setup
        public void setup() {
            DType d = dtype.equals("float32") ? DType.FLOAT32 : DType.FLOAT64;
            model = new Sequential(
                    new Conv2d(1, 6, 5, 1, 2, 1, 1, true, 3), new Lambda("ReLU", Tensor::relu), Pool2d.max(2, 2, 0),
                    new Conv2d(6, 16, 5, 4), new Lambda("ReLU", Tensor::relu), Pool2d.max(2, 2, 0),
                    new Lambda("flatten", x -> x.reshape(x.dim(0), -1)),
                    new Linear(16 * 5 * 5, 120, 5), new Lambda("ReLU", Tensor::relu),
                    new Linear(120, 84, 7), new Lambda("ReLU", Tensor::relu), new Linear(84, 10, 9));
            model.to(d);
            images = Tensor.rand(11, d, 64, 1, 28, 28);
            labels = new int[64];
            for (int i = 0; i < 64; i++) {
                labels[i] = i % 10;
            }
        }
    }

    @Benchmark
    public Tensor lstmForward() {
        return Recurrent.last(lstm, sequence).sum();
    }

    @Benchmark
    public Tensor lstmForwardBackward() {
        lstm.zeroGrad();
        Tensor loss = Recurrent.last(lstm, sequence).sum();
        loss.backward();
        return loss;
    }

    @Benchmark
    public Tensor lenetForward(Lenet l) {
        return Losses.crossEntropy(l.model.forward(l.images), l.labels);
    }

    @Benchmark
    public Tensor lenetForwardBackward(Lenet l) {
        l.model.zeroGrad();
        Tensor loss = Losses.crossEntropy(l.model.forward(l.images), l.labels);
        loss.backward();
        return loss;
    }
}
