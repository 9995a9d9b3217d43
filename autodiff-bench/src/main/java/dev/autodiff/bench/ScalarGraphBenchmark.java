package dev.autodiff.bench;

import dev.autodiff.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-op overhead of the dynamic graph on scalar (0-dim) tensors, a fresh graph every iteration:
 * forward + backward of the textbook function, and of a 2-16-16-1 tanh MLP over 100 points with every
 * weight a 0-dim tensor (64,300 op nodes; the MLP figures are per node). Baselines in the same run: the
 * same computations in plain doubles with hand-written backward passes.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar ScalarGraph -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class ScalarGraphBenchmark {
    static final int POINTS = 100;
    static final int HIDDEN = 16;
    /** Per point: 16 x (2 mul + 2 add + tanh) + 16 x (16 mul + 16 add + tanh) + 16 mul + 16 add + (sub, square, add). */
    static final int MLP_NODES = POINTS * (HIDDEN * 5 + HIDDEN * (2 * HIDDEN + 1) + 2 * HIDDEN + 3);

    // textbook inputs
    Tensor x;
    Tensor w;
    Tensor b;
    double xd = 1.0;
    double wd = 0.0;
    double bd = 0.0;

    // MLP: weights as 0-dim tensors, data as doubles
    Tensor[][] w1;
    Tensor[] b1;
    Tensor[][] w2;
    Tensor[] b2;
    Tensor[] w3;
    Tensor b3;
    double[][] inputs;
    double[] targets;
    ScalarMlp plain;

    @Setup
    public void setup() {
        x = Tensor.scalar(xd);
        w = Tensor.scalar(wd).requiresGrad();
        b = Tensor.scalar(bd).requiresGrad();
        plain = new ScalarMlp(HIDDEN, 7);
        w1 = new Tensor[HIDDEN][2];
        b1 = new Tensor[HIDDEN];
        w2 = new Tensor[HIDDEN][HIDDEN];
        b2 = new Tensor[HIDDEN];
        w3 = new Tensor[HIDDEN];
        for (int i = 0; i < HIDDEN; i++) {
            for (int j = 0; j < 2; j++) {
                w1[i][j] = Tensor.scalar(plain.w1[i][j]).requiresGrad();
            }
            b1[i] = Tensor.scalar(plain.b1[i]).requiresGrad();
            for (int j = 0; j < HIDDEN; j++) {
                w2[i][j] = Tensor.scalar(plain.w2[i][j]).requiresGrad();
            }
            b2[i] = Tensor.scalar(plain.b2[i]).requiresGrad();
            w3[i] = Tensor.scalar(plain.w3[i]).requiresGrad();
        }
        b3 = Tensor.scalar(plain.b3).requiresGrad();
        SplittableRandom r = new SplittableRandom(11);
        inputs = new double[POINTS][2];
        targets = new double[POINTS];
        for (int p = 0; p < POINTS; p++) {
            inputs[p][0] = r.nextDouble(-1, 1);
            inputs[p][1] = r.nextDouble(-1, 1);
            targets[p] = Math.sin(3 * inputs[p][0]) * inputs[p][1];
        }
    }

    @Benchmark
    public double textbookAutodiff() {
        w.zeroGrad();
        b.zeroGrad();
        Tensor f = w.mul(x).add(b).neg().exp().add(1.0).reciprocal();
        f.backward();
        return w.grad().item() + b.grad().item();
    }

    /** Baseline: the same value and gradient in doubles, derived by hand. */
    @Benchmark
    public double textbookHandWritten() {
        double f = 1.0 / (Math.exp(-(wd * xd + bd)) + 1.0);
        double dz = f * (1 - f);
        return dz * xd + dz;
    }

    @Benchmark
    @OperationsPerInvocation(MLP_NODES)
    public double mlpScalarAutodiff() {
        zeroGrads();
        Tensor loss = mlpLoss();
        loss.backward();
        return loss.item() + w1[0][0].grad().item();
    }

    /** Sum over the points of (mlp(x) - t)^2, every op on 0-dim tensors. */
    Tensor mlpLoss() {
        Tensor loss = Tensor.scalar(0.0);
        for (int p = 0; p < POINTS; p++) {
            Tensor[] x0 = {Tensor.scalar(inputs[p][0]), Tensor.scalar(inputs[p][1])};
            Tensor[] h1 = layer(w1, b1, x0, true);
            Tensor[] h2 = layer(w2, b2, h1, true);
            Tensor out = b3;
            for (int j = 0; j < HIDDEN; j++) {
                out = out.add(w3[j].mul(h2[j]));
            }
            Tensor d = out.sub(Tensor.scalar(targets[p]));
            loss = loss.add(d.mul(d));
        }
        return loss;
    }

    private static Tensor[] layer(Tensor[][] w, Tensor[] b, Tensor[] in, boolean tanh) {
        Tensor[] out = new Tensor[w.length];
        for (int i = 0; i < w.length; i++) {
            Tensor acc = b[i];
            for (int j = 0; j < in.length; j++) {
                acc = acc.add(w[i][j].mul(in[j]));
            }
            out[i] = tanh ? acc.tanh() : acc;
        }
        return out;
    }

    private void zeroGrads() {
        for (int i = 0; i < HIDDEN; i++) {
            for (Tensor t : w1[i]) {
                t.zeroGrad();
            }
            for (Tensor t : w2[i]) {
                t.zeroGrad();
            }
            b1[i].zeroGrad();
            b2[i].zeroGrad();
            w3[i].zeroGrad();
        }
        b3.zeroGrad();
    }

    /** Baseline: the same MLP forward + backward in plain doubles, per node of the autodiff graph. */
    @Benchmark
    @OperationsPerInvocation(MLP_NODES)
    public double mlpScalarHandWritten() {
        return plain.lossAndGradient(inputs, targets);
    }
}
