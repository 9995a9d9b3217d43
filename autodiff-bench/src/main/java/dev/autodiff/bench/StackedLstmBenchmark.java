package dev.autodiff.bench;

import dev.autodiff.Tensor;
import dev.autodiff.nn.rnn.Lstm;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.Recurrent;
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
 * How long a 2-layer {@link Lstm} takes, forward + backward, against PyTorch's nn.LSTM of the same shapes: 50
 * steps, batch 32, input 64, hidden 128, float64, loss = sum of the output (every step of the top layer).
 * Baselines in the same run: the forward alone, and the same network as two {@link LstmCell}s unrolled one
 * after the other with {@link Recurrent#unroll} (the weights copied across, so the numbers are the same), which
 * multiplies the input by W_ih step by step where the module does it once per layer for all steps. PyTorch's
 * twin: {@code autodiff-bench/tools/torch_lstm_stacked.py}.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar StackedLstm -f 1 -wi 3 -i 5}; one thread with
 * {@code -jvmArgsAppend -Dautodiff.threads=1}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class StackedLstmBenchmark {
    static final int STEPS = 50;
    static final int BATCH = 32;
    static final int INPUT = 64;
    static final int HIDDEN = 128;

    Lstm lstm;
    LstmCell layer0;
    LstmCell layer1;
    Tensor sequence;

    @Setup
    public void setup() {
        lstm = new Lstm(INPUT, HIDDEN, 2, true, false, 0, false, 1);
        layer0 = new LstmCell(INPUT, HIDDEN, 2);
        layer1 = new LstmCell(HIDDEN, HIDDEN, 3);
        LstmCell[] cells = {layer0, layer1};
        for (int l = 0; l < 2; l++) { // the cells store PyTorch's weights transposed
            cells[l].load(lstm.parameters().get("weight_ih_l" + l).transpose(0, 1),
                    lstm.parameters().get("weight_hh_l" + l).transpose(0, 1),
                    lstm.parameters().get("bias_ih_l" + l), lstm.parameters().get("bias_hh_l" + l));
        }
        sequence = Tensor.randn(4, STEPS, BATCH, INPUT);
    }

    @Benchmark
    public Tensor lstmForwardBackward() {
        lstm.zeroGrad();
        Tensor loss = lstm.forward(sequence).sum();
        loss.backward();
        return loss;
    }

    @Benchmark
    public Tensor lstmForward() {
        return lstm.forward(sequence).sum();
    }

    @Benchmark
    public Tensor cellsUnrolledForwardBackward() {
        layer0.zeroGrad();
        layer1.zeroGrad();
        Tensor loss = cellsForward();
        loss.backward();
        return loss;
    }

    Tensor cellsForward() {
        Tensor h = Recurrent.unroll(layer0, sequence, null).stacked();
        return Recurrent.unroll(layer1, h, null).stacked().sum();
    }
}
