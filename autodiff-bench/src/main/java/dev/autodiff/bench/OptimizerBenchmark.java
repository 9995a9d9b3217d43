package dev.autodiff.bench;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.InPlace;
import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Optimizer;
import dev.autodiff.nn.optim.Sgd;
import java.util.ArrayList;
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
 * What one optimizer step costs against the memory traffic it must do, and against the step built from
 * out-of-place ops. The parameters are an MLP's: 784-256-10 (203,530 values, the Fashion-MNIST recipe) or
 * 784-512-512-10 (669,706), each with a fixed gradient.
 *
 * <ul>
 *   <li>{@code adam}: {@link Adam}, fused (reads p, g, m, v and writes p, m, v: 56 bytes per value).
 *   <li>{@code adamComposite}: the same formula from out-of-place ops and {@code assign}, as Adam was written
 *       before it was fused (about ten full-size temporaries per parameter).
 *   <li>{@code traffic7}: the memory-bandwidth floor of Adam's step: an {@link InPlace} pass with Adam's
 *       arrays and traffic (4 read, 3 written) and almost no arithmetic, split over the same threads.
 *   <li>{@code sgdMomentum} and {@code traffic5} (reads p, g, b, writes p, b): the same for SGD with momentum.
 * </ul>
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is the bytes allocated per step.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar Optimizer -f 1 -wi 3 -i 5 -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class OptimizerBenchmark {
    @Param({"784-256-10", "784-512-512-10"})
    public String model;

    List<Tensor> params;
    Optimizer adam;
    Optimizer sgd;
    final List<Tensor> m = new ArrayList<>();
    final List<Tensor> v = new ArrayList<>();
    final List<Tensor> b = new ArrayList<>();
    int t;

    @Setup
    public void setup() {
        String[] widths = model.split("-");
        params = new ArrayList<>();
        for (int l = 0; l + 1 < widths.length; l++) {
            int in = Integer.parseInt(widths[l]);
            int out = Integer.parseInt(widths[l + 1]);
            params.add(Tensor.randn(2L * l, in, out).mul(0.05).requiresGrad());
            params.add(Tensor.randn(2L * l + 1, out).mul(0.05).requiresGrad());
        }
        for (int k = 0; k < params.size(); k++) {
            Tensor p = params.get(k);
            p.setGrad(Tensor.randn(100 + k, p.shape()).mul(1e-3));
            m.add(Tensor.zeros(p.shape()));
            v.add(Tensor.zeros(p.shape()));
            b.add(Tensor.zeros(p.shape()));
        }
        adam = new Adam(params, 1e-6);
        sgd = new Sgd(params, 1e-6, 0.9, false, 0);
    }

    @Benchmark
    public Tensor adam() {
        adam.step();
        return params.get(0);
    }

    /** Adam as it was before it was fused: m, v and p each assigned from a chain of out-of-place ops. */
    @Benchmark
    public Tensor adamComposite() {
        double lr = 1e-6;
        double beta1 = 0.9;
        double beta2 = 0.999;
        t++;
        try (GradScope s = Autodiff.noGrad()) {
            for (int k = 0; k < params.size(); k++) {
                Tensor p = params.get(k);
                Tensor g = p.grad();
                Tensor mi = m.get(k);
                Tensor vi = v.get(k);
                mi.assign(mi.mul(beta1).add(g.mul(1 - beta1)));
                vi.assign(vi.mul(beta2).add(g.square().mul(1 - beta2)));
                double c1 = 1 - Math.pow(beta1, t);
                double c2 = 1 - Math.pow(beta2, t);
                Tensor denom = vi.div(c2).sqrt().add(1e-8);
                p.addInPlace(mi.div(denom), -lr / c1);
            }
        }
        return params.get(0);
    }

    @Benchmark
    public Tensor traffic7() {
        for (int k = 0; k < params.size(); k++) {
            InPlace.update("traffic7", new Tensor[] {params.get(k), m.get(k), v.get(k)}, new Tensor[] {params.get(k).grad()},
                    (from, to, out, in) -> {
                        double[] pa = out[0];
                        double[] ma = out[1];
                        double[] va = out[2];
                        double[] ga = in[0];
                        for (int i = from; i < to; i++) {
                            double gi = ga[i];
                            ma[i] += gi;
                            va[i] += gi;
                            pa[i] -= 1e-30 * gi;
                        }
                    });
        }
        return params.get(0);
    }

    @Benchmark
    public Tensor sgdMomentum() {
        sgd.step();
        return params.get(0);
    }

    @Benchmark
    public Tensor traffic5() {
        for (int k = 0; k < params.size(); k++) {
            InPlace.update("traffic5", new Tensor[] {params.get(k), b.get(k)}, new Tensor[] {params.get(k).grad()},
                    (from, to, out, in) -> {
                        double[] pa = out[0];
                        double[] ba = out[1];
                        double[] ga = in[0];
                        for (int i = from; i < to; i++) {
                            double gi = ga[i];
                            ba[i] += gi;
                            pa[i] -= 1e-30 * gi;
                        }
                    });
        }
        return params.get(0);
    }
}
