package dev.autodiff.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The optimizers update each parameter and its state in one pass, in place: the same bits however a large
 * parameter is split over threads, nothing allocated in proportion to the parameters, gradients only read, and
 * version counters bumped. (Their values against PyTorch are in TorchReferenceTest.)
 */
class FusedOptimizerTest {
    static Stream<Arguments> optimizers() {
        return Stream.of(
                Arguments.of("sgd", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.1)),
                Arguments.of("sgdWd", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.1, 0, false, 0.01)),
                Arguments.of("sgdMomentum", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.1, 0.9, false, 0)),
                Arguments.of("sgdNesterovWd", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.1, 0.9, true, 0.01)),
                Arguments.of("adam", (Function<List<Tensor>, Optimizer>) ps -> new Adam(ps, 0.01)),
                Arguments.of("adamL2", (Function<List<Tensor>, Optimizer>) ps -> new Adam(ps, 0.01, 0.9, 0.999, 1e-8, 0.05, false)),
                Arguments.of("adamW", (Function<List<Tensor>, Optimizer>) ps -> Adam.adamW(ps, 0.01, 0.1)),
                Arguments.of("rmsprop", (Function<List<Tensor>, Optimizer>) ps -> new RmsProp(ps, 0.01)),
                Arguments.of("adagrad", (Function<List<Tensor>, Optimizer>) ps -> new Adagrad(ps, 0.1)),
                Arguments.of("adadelta", (Function<List<Tensor>, Optimizer>) Adadelta::new),
                Arguments.of("adadeltaWd", (Function<List<Tensor>, Optimizer>) ps -> new Adadelta(ps, 0.5, 0.8, 1e-3, 0.1)),
                // issue 17: weight decay for RMSprop and Adagrad; NAdam, RAdam, LAMB
                Arguments.of("rmspropWd", (Function<List<Tensor>, Optimizer>) ps -> new RmsProp(ps, 0.01, 0.99, 1e-8, 0.05)),
                Arguments.of("adagradWd", (Function<List<Tensor>, Optimizer>) ps -> new Adagrad(ps, 0.1, 1e-10, 0.05)),
                Arguments.of("nadam", (Function<List<Tensor>, Optimizer>) ps -> new NAdam(ps, 0.01)),
                Arguments.of("nadamWd", (Function<List<Tensor>, Optimizer>) ps -> new NAdam(ps, 0.01, 0.9, 0.999, 1e-8, 0.05, 0.01)),
                Arguments.of("radam", (Function<List<Tensor>, Optimizer>) ps -> new RAdam(ps, 0.01)),
                Arguments.of("radamWd", (Function<List<Tensor>, Optimizer>) ps -> new RAdam(ps, 0.01, 0.9, 0.999, 1e-8, 0.05)),
                Arguments.of("lamb", (Function<List<Tensor>, Optimizer>) ps -> new Lamb(ps, 0.01)),
                Arguments.of("lambNoWd", (Function<List<Tensor>, Optimizer>) ps -> new Lamb(ps, 0.01, 0.9, 0.999, 1e-6, 0, true)),
                Arguments.of("lambNoAdapt", (Function<List<Tensor>, Optimizer>) ps -> new Lamb(ps, 0.01, 0.9, 0.999, 1e-6, 0, false)));
    }

    /**
     * LAMB's trust ratio ||p|| / ||u|| is per tensor, so a parameter split into pieces is another problem: it has its
     * own test of the split over threads (LambTest). Without the ratio its step is elementwise.
     */
    private static boolean perTensor(String name) {
        return name.equals("lamb") || name.equals("lambNoWd");
    }

    static Stream<Arguments> elementwiseOptimizers() {
        return optimizers().filter(a -> !perTensor((String) a.get()[0]));
    }

    /**
     * A parameter of 200,003 elements (split over threads, the loops' vector bodies and tails at other places) ends
     * with the same bits as the same elements held in pieces of 997 by separate optimizers, each run on one thread.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elementwiseOptimizers")
    void theBitsDoNotDependOnHowAParameterIsSplit(String name, Function<List<Tensor>, Optimizer> make) {
        int n = 200_003;
        int piece = 997;
        SplittableRandom rnd = new SplittableRandom(17);
        double[] p0 = rnd.doubles(n, -2, 2).toArray();
        Tensor whole = Tensor.fromArray(p0).requiresGrad();
        List<Tensor> pieces = new ArrayList<>();
        for (int from = 0; from < n; from += piece) {
            pieces.add(Tensor.fromArray(java.util.Arrays.copyOfRange(p0, from, Math.min(n, from + piece))).requiresGrad());
        }
        Optimizer big = make.apply(List.of(whole));
        Optimizer small = make.apply(pieces);
        for (int step = 0; step < 3; step++) {
            double[] g = rnd.doubles(n, -1, 1).toArray();
            whole.setGrad(Tensor.fromArray(g));
            for (int k = 0; k < pieces.size(); k++) {
                int from = k * piece;
                pieces.get(k).setGrad(Tensor.fromArray(java.util.Arrays.copyOfRange(g, from, Math.min(n, from + piece))));
            }
            big.step();
            small.step();
        }
        double[] w = whole.toArray();
        for (int k = 0; k < pieces.size(); k++) {
            double[] s = pieces.get(k).toArray();
            for (int i = 0; i < s.length; i++) {
                assertEquals(Double.doubleToLongBits(s[i]), Double.doubleToLongBits(w[k * piece + i]),
                        name + ": element " + (k * piece + i) + ": " + s[i] + " in a piece, " + w[k * piece + i] + " whole");
            }
        }
    }

    /**
     * A step allocates nothing in proportion to the parameters: over ten steps of eight parameters of 40,000 elements
     * (2.5 MB of values; each full-size temporary would be as much), this thread allocates under 64 KB a step.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void aStepAllocatesNothingInProportionToTheParameters(String name, Function<List<Tensor>, Optimizer> make) {
        List<Tensor> params = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            Tensor p = Tensor.randn(k, 40_000).requiresGrad();
            p.setGrad(Tensor.randn(100 + k, 40_000));
            params.add(p);
        }
        Optimizer opt = make.apply(params);
        opt.step(); // creates the state
        opt.step();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int step = 0; step < 10; step++) {
            opt.step();
        }
        long perStep = (threads.getCurrentThreadAllocatedBytes() - before) / 10;
        assertTrue(perStep < 64 * 1024, name + ": " + perStep + " bytes allocated per step");
    }

    /** add gives both inputs the same gradient tensor: the optimizers read it and never write it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void gradientsSharedBetweenParametersAreOnlyRead(String name, Function<List<Tensor>, Optimizer> make) {
        Tensor a = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        Tensor b = Tensor.fromArray(new double[] {3, 4}).requiresGrad();
        Tensor seed = Tensor.fromArray(new double[] {0.5, -0.25});
        a.add(b).backward(seed);
        Optimizer opt = make.apply(List.of(a, b));
        opt.step();
        opt.step();
        assertArrayEquals(new double[] {0.5, -0.25}, a.grad().toArray(), 0.0, name);
        assertArrayEquals(new double[] {0.5, -0.25}, b.grad().toArray(), 0.0, name);
        assertArrayEquals(new double[] {0.5, -0.25}, seed.toArray(), 0.0, name);
    }

    /**
     * A step bumps each parameter's version, so a graph recorded before it cannot be backpropagated after it. LAMB with
     * its trust ratio moves p in a second pass, after the norms of the first: two bumps.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void aGraphRecordedBeforeAStepCannotBeBackpropagatedAfterIt(String name, Function<List<Tensor>, Optimizer> make) {
        Tensor p = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        Optimizer opt = make.apply(List.of(p));
        p.mul(p).sum().backward();
        Tensor stale = p.mul(p).sum();
        opt.step();
        assertEquals(perTensor(name) ? 2 : 1, p.version(), name);
        IllegalStateException e = assertThrows(IllegalStateException.class, stale::backward, name);
        assertTrue(e.getMessage().contains("version"), e.getMessage());
    }

    /**
     * Backward writes each weight's gradient into the buffer the last zeroGrad() kept (the optimizer read it in place,
     * so nobody else has it). Training so gives the bits of training where every gradient is handed out by grad()
     * and so never reused.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void reusingGradientBuffersChangesNoBit(String name, Function<List<Tensor>, Optimizer> make) {
        double[][] finals = new double[2][];
        for (int run = 0; run < 2; run++) {
            dev.autodiff.nn.Sequential net = new dev.autodiff.nn.Sequential(new dev.autodiff.nn.Linear(6, 8, 1),
                    new dev.autodiff.nn.Lambda("tanh", Tensor::tanh), new dev.autodiff.nn.Linear(8, 3, 2));
            List<Tensor> params = new ArrayList<>(net.parameters().values());
            Optimizer opt = make.apply(params);
            Tensor x = Tensor.randn(3, 5, 6);
            for (int step = 0; step < 4; step++) {
                opt.zeroGrad();
                net.forward(x).square().sum().backward();
                if (run == 1) {
                    params.forEach(Tensor::grad); // handed out: their buffers are never reused
                }
                opt.step();
            }
            finals[run] = params.stream().flatMapToDouble(p -> java.util.Arrays.stream(p.toArray())).toArray();
        }
        for (int i = 0; i < finals[0].length; i++) {
            assertEquals(Double.doubleToRawLongBits(finals[1][i]), Double.doubleToRawLongBits(finals[0][i]), name + ", value " + i);
        }
    }

    /**
     * Without weight decay nothing is added to the gradient, as PyTorch: an infinite weight stays infinite, not NaN
     * (inf * 0). Not LAMB with its trust ratio: ||p|| = inf makes every element's step infinite, as the formula says.
     */
    @Test
    void withoutWeightDecayAnInfiniteWeightStaysInfinite() {
        for (Function<List<Tensor>, Optimizer> make : List.<Function<List<Tensor>, Optimizer>>of(
                ps -> new Sgd(ps, 0.1), ps -> new Sgd(ps, 0.1, 0.9, true, 0), ps -> new Adam(ps, 0.01), Adadelta::new,
                ps -> new RmsProp(ps, 0.01), ps -> new Adagrad(ps, 0.1), NAdam::new, RAdam::new,
                ps -> new Lamb(ps, 0.01, 0.9, 0.999, 1e-6, 0, false))) {
            Tensor p = Tensor.fromArray(new double[] {Double.POSITIVE_INFINITY, 1}).requiresGrad();
            p.setGrad(Tensor.fromArray(new double[] {1, 1}));
            make.apply(List.of(p)).step();
            assertEquals(Double.POSITIVE_INFINITY, p.get(0));
            assertTrue(p.get(1) < 1, "the finite weight moved: " + p.get(1));
        }
    }
}
