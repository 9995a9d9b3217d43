package dev.autodiff.bench;

import dev.autodiff.Tensor;
import dev.autodiff.nn.attention.AttentionMask;
import dev.autodiff.nn.attention.MultiheadAttention;
import dev.autodiff.nn.attention.TransformerEncoderLayer;
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
 * How long causal self-attention takes, forward + backward, against PyTorch's nn.MultiheadAttention and
 * nn.TransformerEncoderLayer of the same shapes: batch 32, sequence 64, embedding 128, 8 heads, a causal mask,
 * batch first, float64, no dropout, loss = sum of the output. The encoder layer is post-norm with a feed-forward
 * width of 512 (PyTorch's defaults but that width). PyTorch's twin: {@code autodiff-bench/tools/torch_mha.py}.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar MultiheadAttention -f 1 -wi 3 -i 5}; one thread with
 * {@code -jvmArgsAppend -Dautodiff.threads=1}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class MultiheadAttentionBenchmark {
    static final int BATCH = 32;
    static final int SEQUENCE = 64;
    static final int EMBED = 128;
    static final int HEADS = 8;
    static final int FEEDFORWARD = 512;

    MultiheadAttention attention;
    TransformerEncoderLayer layer;
    AttentionMask causal;
    Tensor x;

    @Setup
    public void setup() {
        attention = new MultiheadAttention(EMBED, HEADS, 0.0, true, EMBED, EMBED, true, 1);
        layer = new TransformerEncoderLayer(EMBED, HEADS, FEEDFORWARD, 0.0, "relu", 1e-5, true, false, 2);
        causal = AttentionMask.causal(SEQUENCE, SEQUENCE);
        x = Tensor.randn(3, BATCH, SEQUENCE, EMBED);
    }

    @Benchmark
    public Tensor attentionForwardBackward() {
        attention.zeroGrad();
        Tensor loss = attention.forward(x, x, x, null, false, causal, true).output().sum();
        loss.backward();
        return loss;
    }

    @Benchmark
    public Tensor attentionForward() {
        return attention.forward(x, x, x, null, false, causal, true).output().sum();
    }

    @Benchmark
    public Tensor encoderLayerForwardBackward() {
        layer.zeroGrad();
        Tensor loss = layer.forward(x, causal, null).sum();
        loss.backward();
        return loss;
    }
}
