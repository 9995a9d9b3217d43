package dev.autodiff.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every optimizer's {@link Optimizer#state()} is the whole of its changing state: a fresh optimizer over copies of the
 * parameters that loads it (through copies of the tensors, as from a file) continues with the same bits as the
 * original; one that does not load it (the control) does not.
 */
class StateRoundTripTest {
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> optimizers() {
        return FusedOptimizerTest.optimizers();
    }

    private static List<Tensor> params(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Tensor> ps = new ArrayList<>();
        ps.add(Tensor.fromArray(rnd.doubles(6, -2, 2).toArray(), 2, 3).requiresGrad());
        ps.add(Tensor.fromArray(rnd.doubles(4, -2, 2).toArray()).requiresGrad());
        return ps;
    }

    private static List<Tensor> copies(List<Tensor> ps) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : ps) {
            out.add(Tensor.fromArray(p.toArray(), p.shape()).requiresGrad());
        }
        return out;
    }

    /** Steps with the gradient of sum(tanh(p) * c_t) + 0.5 sum(p^2), c_t fixed by the step number t. */
    private static void train(Optimizer opt, List<Tensor> ps, int from, int steps) {
        for (int t = from; t < from + steps; t++) {
            opt.zeroGrad();
            for (Tensor p : ps) {
                SplittableRandom rnd = new SplittableRandom(1000 + t);
                Tensor c = Tensor.fromArray(rnd.doubles(p.size(), -1, 1).toArray(), p.shape());
                p.tanh().mul(c).sum().add(p.mul(p).sum().mul(0.5)).backward();
            }
            opt.step();
        }
    }

    private static double[] flat(List<Tensor> ps) {
        return ps.stream().flatMapToDouble(p -> java.util.Arrays.stream(p.toArray())).toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void loadingTheStateContinuesWithTheSameBits(String name, Function<List<Tensor>, Optimizer> make) {
        List<Tensor> a = params(3);
        Optimizer optA = make.apply(a);
        train(optA, a, 0, 3);
        Map<String, Tensor> saved = new LinkedHashMap<>();
        optA.state().forEach((k, t) -> saved.put(k, Tensor.fromArray(t.toArray(), t.shape())));

        List<Tensor> b = copies(a);
        Optimizer optB = make.apply(b);
        optB.loadState(saved, optA.stepCount());
        assertEquals(optA.state().keySet(), optB.state().keySet(), name);
        List<Tensor> control = copies(a);
        Optimizer fresh = make.apply(control);

        train(optA, a, 3, 3);
        train(optB, b, 3, 3);
        train(fresh, control, 3, 3);
        double[] wa = flat(a);
        double[] wb = flat(b);
        for (int i = 0; i < wa.length; i++) {
            assertEquals(Double.doubleToLongBits(wa[i]), Double.doubleToLongBits(wb[i]), name + ": value " + i);
        }
        // plain SGD has no state but the step counts, so a fresh one is the same optimizer
        if (!name.equals("sgd") && !name.equals("sgdWd")) {
            assertTrue(!java.util.Arrays.equals(wa, flat(control)), name + ": without the state the run differs");
        }
    }
}
