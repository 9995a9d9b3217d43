package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.DType;
import dev.autodiff.Tensor;
import dev.autodiff.nn.attention.TransformerEncoderLayer;
import dev.autodiff.nn.conv.Conv2d;
import dev.autodiff.nn.io.TorchWeights;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Optimizer;
import dev.autodiff.nn.optim.Sgd;
import dev.autodiff.nn.rnn.Lstm;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Layers and training steps against PyTorch computing in float32 (autodiff-nn/fixtures/generate_float32.py,
 * torch_float32.txt): each model converted to float32, given PyTorch's float32 weights through its state_dict,
 * must give PyTorch's float32 outputs and gradients, in float32, to float32 tolerance. PyTorch rounds after every
 * operation and this library once per primitive, so they agree to a few float32 ulps times the conditioning, not to
 * the bit.
 */
class Float32TorchReferenceTest {
    private static final TorchFixtures F = new TorchFixtures("torch_float32.txt");
    private static final double TOL = 2e-5;

    private static void assertNear(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        double scale = 0;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - a[i]) <= tol * Math.max(scale, 1e-3),
                    what + " at " + i + ": here " + a[i] + ", PyTorch " + e[i] + " (scale " + scale + ")");
        }
    }

    /** The fixture arrays under {@code prefix}, by the rest of their names, as float32 tensors. */
    private static Map<String, Tensor> named(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        F.names().stream().filter(n -> n.startsWith(prefix)).sorted()
                .forEach(n -> out.put(n.substring(prefix.length()), F.get(n).to(DType.FLOAT32)));
        assertTrue(!out.isEmpty(), "fixtures under " + prefix);
        return out;
    }

    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("linear", (Supplier<Module>) () -> new Linear(4, 3, 1)),
                Arguments.of("conv2d", (Supplier<Module>) () -> new Conv2d(2, 3, 3, 1, 1, 1, 1, true, 2)),
                Arguments.of("lstm", (Supplier<Module>) () -> new Lstm(4, 3, 3)),
                Arguments.of("layernorm", (Supplier<Module>) () -> new LayerNorm(4)),
                Arguments.of("encoder", (Supplier<Module>) () -> new TransformerEncoderLayer(4, 2, 8, 0.0, "relu", 1e-5,
                        true, false, 4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void layerAgreesWithPyTorchInFloat32(String name, Supplier<Module> make) {
        String p = "layer." + name + ".";
        Module m = make.get().to(DType.FLOAT32);
        TorchWeights.loadStateDict(m, named(p + "sd."));
        Tensor x = F.get(p + "x").to(DType.FLOAT32).requiresGrad();
        Tensor y = m.forward(x);
        assertEquals(DType.FLOAT32, y.dtype(), name + ": output dtype");
        assertNear(F.get(p + "y"), y, TOL, name + ": output");
        List<Tensor> params = new ArrayList<>(m.parameters().values());
        List<Tensor> wrt = new ArrayList<>(params);
        wrt.add(0, x);
        Tensor[] g = Autodiff.grad(y.mul(F.get(p + "r").to(DType.FLOAT32)).sum(), wrt.toArray(new Tensor[0]));
        assertEquals(DType.FLOAT32, g[0].dtype());
        assertNear(F.get(p + "gx"), g[0], 10 * TOL, name + ": gradient of the input");
        // the parameters' gradients in PyTorch's names and layouts: a twin module holding them as its values
        Module twin = make.get().to(DType.FLOAT32);
        List<Tensor> twinParams = new ArrayList<>(twin.parameters().values());
        for (int i = 0; i < params.size(); i++) {
            assertEquals(DType.FLOAT32, g[i + 1].dtype());
            twinParams.get(i).assign(g[i + 1]);
        }
        Map<String, Tensor> grads = TorchWeights.stateDict(twin);
        Map<String, Tensor> torch = named(p + "g.");
        assertEquals(torch.keySet(), new java.util.TreeSet<>(grads.keySet()), name + ": the parameters");
        torch.forEach((k, want) -> assertNear(want, grads.get(k), 10 * TOL, name + ": gradient of " + k));
    }

    static Stream<Arguments> training() {
        return Stream.of(
                Arguments.of("sgd", (Function<Collection<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.1, 0.9, false, 0)),
                Arguments.of("adam", (Function<Collection<Tensor>, Optimizer>) ps -> new Adam(ps, 0.01)));
    }

    /** An MLP trained 5 steps in float32: PyTorch's losses and parameters after the steps. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("training")
    void fiveTrainingStepsAgreeWithPyTorchInFloat32(String name, Function<Collection<Tensor>, Optimizer> make) {
        String p = "train." + name + ".";
        Module m = new Sequential(new Linear(4, 8, 1), new Lambda("Tanh", Tensor::tanh), new Linear(8, 3, 2)).to(DType.FLOAT32);
        TorchWeights.loadStateDict(m, named(p + "sd0."));
        Optimizer opt = make.apply(m.parameters().values());
        Tensor x = F.get(p + "x").to(DType.FLOAT32);
        int[] labels = F.labels(p + "labels");
        double[] losses = new double[5];
        for (int s = 0; s < 5; s++) {
            opt.zeroGrad();
            Tensor loss = Losses.crossEntropy(m.forward(x), labels);
            assertEquals(DType.FLOAT32, loss.dtype());
            loss.backward();
            losses[s] = loss.item();
            opt.step();
        }
        assertNear(F.get(p + "loss"), Tensor.fromArray(losses), TOL, name + ": the losses");
        Map<String, Tensor> after = TorchWeights.stateDict(m);
        named(p + "sd5.").forEach((k, want) -> {
            assertEquals(DType.FLOAT32, after.get(k).dtype(), k);
            assertNear(want, after.get(k), TOL, name + ": " + k + " after 5 steps");
        });
    }

    @Test
    void everyFixtureIsRead() {
        List<String> prefixes = new ArrayList<>(List.of("dtypes."));
        layers().forEach(a -> prefixes.add("layer." + a.get()[0] + "."));
        training().forEach(a -> prefixes.add("train." + a.get()[0] + "."));
        List<String> unread = F.names().stream().filter(n -> prefixes.stream().noneMatch(n::startsWith)).sorted().toList();
        assertTrue(unread.isEmpty(), "fixtures no test reads: " + unread);
    }
}
