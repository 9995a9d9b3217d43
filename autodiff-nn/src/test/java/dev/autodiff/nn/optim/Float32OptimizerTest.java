package dev.autodiff.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Activations;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.Sequential;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every optimizer on a float32 model (a count over the optimizer classes of the sources is enforced): parameters,
 * gradients and state stay float32, and 5 steps agree with the same steps on the same (rounded) weights in float64
 * to float32 tolerance. A model converted with Module.to after steps keeps its optimizer, whose state follows.
 */
class Float32OptimizerTest {
    record Case(String name, Function<Collection<Tensor>, Optimizer> make) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> optimizers() {
        return Stream.of(
                new Case("Sgd", p -> new Sgd(p, 0.1)),
                new Case("Sgd momentum nesterov decay", p -> new Sgd(p, 0.1, 0.9, true, 0.01)),
                new Case("Adam", p -> new Adam(p, 0.01)),
                new Case("Adam adamW", p -> Adam.adamW(p, 0.01, 0.1)),
                new Case("NAdam", p -> new NAdam(p, 0.01, 0.9, 0.999, 1e-8, 0.01, 4e-3)),
                new Case("RAdam", p -> new RAdam(p, 0.01)),
                new Case("Lamb", p -> new Lamb(p, 0.01)),
                new Case("RmsProp", p -> new RmsProp(p, 0.01, 0.99, 1e-8, 0.01)),
                new Case("Adagrad", p -> new Adagrad(p, 0.1)),
                new Case("Adadelta", p -> new Adadelta(p, 1.0)));
    }

    private static Module model() {
        return new Sequential(new Linear(4, 5, 1), Activations.tanh(), new Linear(5, 3, 2));
    }

    private static final Tensor X = Tensor.randn(3, 6, 4).to(DType.FLOAT32);
    private static final int[] LABELS = {0, 2, 1, 1, 0, 2};

    private static double train(Module m, Optimizer opt, int steps) {
        double loss = 0;
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            Tensor l = Losses.crossEntropy(m.forward(X.to(m.parameters().get("0.weight").dtype())), LABELS);
            l.backward();
            loss = l.item();
            opt.step();
        }
        return loss;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void fiveFloat32StepsAgreeWithFloat64AndStayFloat32(Case c) {
        Module m32 = model().to(DType.FLOAT32);
        Module m64 = model().to(DType.FLOAT32).to(DType.FLOAT64);
        Optimizer o32 = c.make().apply(m32.parameters().values());
        Optimizer o64 = c.make().apply(m64.parameters().values());
        double l32 = train(m32, o32, 5);
        double l64 = train(m64, o64, 5);
        assertEquals(l64, l32, 1e-5 * (1 + Math.abs(l64)), c + ": the loss after 4 steps");
        for (Map.Entry<String, Tensor> e : m64.parameters().entrySet()) {
            Tensor p32 = m32.parameters().get(e.getKey());
            assertEquals(DType.FLOAT32, p32.dtype(), c + ": " + e.getKey());
            assertEquals(DType.FLOAT32, p32.grad().dtype(), c + ": the gradient of " + e.getKey());
            double[] a = p32.toArray();
            double[] b = e.getValue().toArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-5 * (1 + Math.abs(b[i])), c + ": " + e.getKey() + " at " + i);
            }
        }
        for (Map.Entry<String, Tensor> e : o32.state().entrySet()) {
            if (!e.getKey().startsWith("step.")) {
                assertEquals(DType.FLOAT32, e.getValue().dtype(), c + ": state " + e.getKey());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void stateFollowsAModelConvertedAfterSteps(Case c) {
        Module m = model();
        Optimizer opt = c.make().apply(m.parameters().values());
        train(m, opt, 2);
        Map<String, double[]> before = opt.state().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toArray()));
        Tensor w = m.parameters().get("0.weight");
        m.to(DType.FLOAT32);
        assertSame(w, opt.parameters().get(0), "the optimizer still holds the model's tensors");
        // the same as a fresh optimizer loaded with the state, rounded: loadState casts to the parameters' dtype
        Module twin = model();
        twin.to(DType.FLOAT32);
        for (Map.Entry<String, Tensor> e : m.parameters().entrySet()) {
            twin.parameters().get(e.getKey()).assign(e.getValue());
        }
        Optimizer loaded = c.make().apply(twin.parameters().values());
        loaded.loadState(opt.state(), opt.stepCount());
        for (Map.Entry<String, Tensor> e : loaded.state().entrySet()) {
            if (!e.getKey().startsWith("step.")) {
                assertEquals(DType.FLOAT32, e.getValue().dtype(), c + ": loaded state " + e.getKey());
            }
        }
        train(m, opt, 1);
        train(twin, loaded, 1);
        for (Map.Entry<String, Tensor> e : opt.state().entrySet()) {
            if (!e.getKey().startsWith("step.")) {
                assertEquals(DType.FLOAT32, e.getValue().dtype(), c + ": state " + e.getKey() + " after the next step");
                assertTrue(java.util.Arrays.equals(loaded.state().get(e.getKey()).toFloatArray(),
                        e.getValue().toFloatArray()), c + ": state " + e.getKey() + " as if loaded into float32");
            }
        }
        for (Map.Entry<String, Tensor> e : m.parameters().entrySet()) {
            assertTrue(java.util.Arrays.equals(twin.parameters().get(e.getKey()).toFloatArray(),
                    e.getValue().toFloatArray()), c + ": " + e.getKey());
        }
        assertTrue(before.size() > 0);
    }

    /** Clipping float32 gradients keeps them float32 and scales them as in float64. */
    @Test
    void clippingFloat32Gradients() {
        Module m32 = model().to(DType.FLOAT32);
        Module m64 = model().to(DType.FLOAT32).to(DType.FLOAT64);
        for (Module m : List.of(m32, m64)) {
            Losses.crossEntropy(m.forward(X.to(m.parameters().get("0.weight").dtype())), LABELS).mul(50).backward();
        }
        double n32 = Clipping.clipGradNorm(m32.parameters().values(), 0.5);
        double n64 = Clipping.clipGradNorm(m64.parameters().values(), 0.5);
        assertEquals(n64, n32, 1e-5 * n64, "the norm before clipping");
        assertTrue(n64 > 0.5, "the gradients were clipped: " + n64);
        Clipping.clipGradValue(m32.parameters().values(), 0.05);
        Clipping.clipGradValue(m64.parameters().values(), 0.05);
        for (Map.Entry<String, Tensor> e : m64.parameters().entrySet()) {
            Tensor g32 = m32.parameters().get(e.getKey()).grad();
            assertEquals(DType.FLOAT32, g32.dtype(), e.getKey());
            double[] a = g32.toArray();
            double[] b = e.getValue().grad().toArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-6, e.getKey() + " at " + i);
            }
        }
    }

    /** Every optimizer class in the sources has a case. */
    @Test
    void everyOptimizerIsCovered() throws Exception {
        Set<String> all = new TreeSet<>();
        Path dir = Path.of("src", "main", "java", "dev", "autodiff", "nn", "optim");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString().replace(".java", "");
                if (n.contains("-")) {
                    continue; // package-info
                }
                Class<?> k = Class.forName("dev.autodiff.nn.optim." + n);
                if (Optimizer.class.isAssignableFrom(k) && !Modifier.isAbstract(k.getModifiers())) {
                    all.add(k.getSimpleName());
                }
            }
        }
        Set<String> covered = optimizers().map(c -> c.name().split(" ")[0]).collect(Collectors.toSet());
        all.removeAll(covered);
        assertTrue(covered.size() >= 8, "optimizers found: " + covered);
        assertTrue(all.isEmpty(), "optimizers with no float32 case: " + all);
        assertTrue(List.of(Sgd.class, Adam.class).stream().allMatch(k -> covered.contains(k.getSimpleName())));
    }
}
