package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import dev.autodiff.nn.conv.AdaptiveAvgPool1d;
import dev.autodiff.nn.conv.AdaptiveAvgPool2d;
import dev.autodiff.nn.conv.AvgPool1d;
import dev.autodiff.nn.conv.ConvTranspose;
import dev.autodiff.nn.conv.ConvTranspose1d;
import dev.autodiff.nn.conv.ConvTranspose2d;
import dev.autodiff.nn.conv.GlobalAvgPool;
import dev.autodiff.nn.conv.GlobalMaxPool;
import dev.autodiff.nn.conv.MaxPool1d;
import dev.autodiff.nn.conv.Upsample;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pooling, normalisation, transposed-convolution and upsampling layers of issue 17 against PyTorch in
 * float64 to 1e-10 (fixtures/torch_convpool.txt, written by autodiff-nn/fixtures/generate_convpool.py): PyTorch's
 * parameters copied in by PyTorch's names, the output, and the gradients of sum(y r) with respect to the input
 * and every parameter. Every fixture of the file is read by some test.
 */
class ConvPoolReferenceTest {
    private static final TorchFixtures F = new TorchFixtures("torch_convpool.txt");
    private static final double TOL = 1e-10;
    private static final Set<String> READ = java.util.Collections.synchronizedSet(new HashSet<>());

    private static Tensor get(String name) {
        READ.add(name);
        return F.get(name);
    }

    private static void close(String fixture, Tensor actual) {
        Tensor expected = get(fixture);
        assertArrayEquals(expected.shape(), actual.shape(), fixture + " shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], TOL * Math.max(1, Math.abs(e[i])), fixture + " at " + i);
        }
    }

    private static int[] ints(int... v) {
        return v;
    }

    static Stream<Arguments> cases() {
        List<Arguments> c = new ArrayList<>();
        c.add(Arguments.of("maxPool1d.k3s2p1", new MaxPool1d(3, 2, 1)));
        c.add(Arguments.of("maxPool1d.k2", new MaxPool1d(2)));
        c.add(Arguments.of("maxPool1d.k4s1p2", new MaxPool1d(4, 1, 2)));
        c.add(Arguments.of("maxPool1d.ties", new MaxPool1d(2, 1, 1)));
        c.add(Arguments.of("avgPool1d.k3s2p1", new AvgPool1d(3, 2, 1)));
        c.add(Arguments.of("avgPool1d.k3s2p1.excludePad", new AvgPool1d(3, 2, 1, false)));
        c.add(Arguments.of("avgPool1d.k4s3p2", new AvgPool1d(4, 3, 2)));
        c.add(Arguments.of("avgPool1d.k2", new AvgPool1d(2)));
        for (int o : new int[] {3, 5, 1, 10}) {
            c.add(Arguments.of("adaptiveAvgPool1d." + o, new AdaptiveAvgPool1d(o)));
        }
        for (int[] o : new int[][] {{3, 2}, {4, 7}, {1, 1}, {9, 3}}) {
            c.add(Arguments.of("adaptiveAvgPool2d." + o[0] + "x" + o[1], new AdaptiveAvgPool2d(o[0], o[1])));
        }
        c.add(Arguments.of("globalAvgPool.2d", new GlobalAvgPool()));
        c.add(Arguments.of("globalMaxPool.2d", new GlobalMaxPool()));
        c.add(Arguments.of("globalAvgPool.1d", new GlobalAvgPool()));
        c.add(Arguments.of("globalMaxPool.1d", new GlobalMaxPool()));
        for (int g : new int[] {3, 1, 6}) {
            c.add(Arguments.of("groupNorm." + g, new GroupNorm(g, 6)));
        }
        c.add(Arguments.of("groupNorm.1dNoAffine", new GroupNorm(2, 4, 1e-3, false)));
        c.add(Arguments.of("instanceNorm1d", new InstanceNorm1d(3)));
        c.add(Arguments.of("instanceNorm1d.affine", new InstanceNorm1d(3, 1e-5, 0.1, true, false)));
        c.add(Arguments.of("instanceNorm2d.affine", new InstanceNorm2d(3, 1e-4, 0.1, true, false)));
        c.add(Arguments.of("convTranspose1d.s2p1op1g2", new ConvTranspose1d(4, 6, 3, 2, 1, 1, 1, 2, true, 1)));
        c.add(Arguments.of("convTranspose1d.d2op1NoBias", new ConvTranspose1d(3, 2, 3, 1, 0, 1, 2, 1, false, 1)));
        c.add(Arguments.of("convTranspose1d.default", new ConvTranspose1d(2, 3, 2, 1)));
        c.add(Arguments.of("convTranspose2d.s3p1op2", new ConvTranspose2d(3, 2, 3, 3, 1, 2, 1, 1, true, 1)));
        c.add(Arguments.of("convTranspose2d.rect", new ConvTranspose(4, 6, ints(3, 2), ints(2, 1), ints(1, 0), ints(1, 0),
                ints(1, 2), 2, true, 1)));
        c.add(Arguments.of("upsample.nearest.scale2", Upsample.ofScale("nearest", false, 2)));
        c.add(Arguments.of("upsample.nearest.scale1.5", Upsample.ofScale("nearest", false, 1.5)));
        c.add(Arguments.of("upsample.nearest.scale2.5x0.6", Upsample.ofScale("nearest", false, 2.5, 0.6)));
        c.add(Arguments.of("upsample.nearest.size5x7", Upsample.ofSize("nearest", false, 5, 7)));
        c.add(Arguments.of("upsample.nearest.size2", Upsample.ofSize("nearest", false, 2)));
        c.add(Arguments.of("upsample.nearest.1d.scale3", Upsample.ofScale("nearest", false, 3)));
        c.add(Arguments.of("upsample.nearest.3d.size3x4x5", Upsample.ofSize("nearest", false, 3, 4, 5)));
        c.add(Arguments.of("upsample.bilinear.scale2", Upsample.ofScale("bilinear", false, 2)));
        c.add(Arguments.of("upsample.bilinear.scale2.alignCorners", Upsample.ofScale("bilinear", true, 2)));
        c.add(Arguments.of("upsample.bilinear.size5x7", Upsample.ofSize("bilinear", false, 5, 7)));
        c.add(Arguments.of("upsample.bilinear.size5x7.alignCorners", Upsample.ofSize("bilinear", true, 5, 7)));
        c.add(Arguments.of("upsample.bilinear.scale0.7", Upsample.ofScale("bilinear", false, 0.7)));
        c.add(Arguments.of("upsample.bilinear.size1.alignCorners", Upsample.ofSize("bilinear", true, 1, 3)));
        c.add(Arguments.of("upsample.linear.scale2.5", Upsample.ofScale("linear", false, 2.5)));
        c.add(Arguments.of("upsample.linear.size3.alignCorners", Upsample.ofSize("linear", true, 3)));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void outputAndEveryGradientAsPyTorch(String name, Module m) {
        check(name, m, m::forward);
    }

    /** PyTorch's parameters into m by name, then y = f(x), and the gradients of sum(y r) against the fixtures. */
    private static void check(String name, Module m, UnaryOperator<Tensor> f) {
        Map<String, Tensor> params = m.parameters();
        params.forEach((p, t) -> {
            Tensor w = get(name + "." + p);
            assertArrayEquals(w.shape(), t.shape(), name + "." + p + ": PyTorch's layout");
            t.assign(w);
        });
        Tensor x = get(name + ".x").requiresGrad();
        Tensor y = f.apply(x);
        close(name + ".y", y);
        List<Tensor> inputs = new ArrayList<>(List.of(x));
        inputs.addAll(params.values());
        Tensor[] g = Autodiff.grad(y.mul(get(name + ".r")).sum(), inputs.toArray(new Tensor[0]));
        close(name + ".gradX", g[0]);
        int i = 1;
        for (String p : params.keySet()) {
            close(name + ".grad." + p, g[i++]);
        }
    }

    @Test
    void convTransposeToAGivenOutputSize() {
        ConvTranspose2d m = new ConvTranspose2d(2, 3, 3, 2, 1, 0, 1, 1, true, 1);
        check("convTranspose2d.outputSize", m, x -> m.forward(x, new int[] {6, 5}));
    }

    @Test
    void instanceNormRunningStatisticsAsPyTorch() {
        InstanceNorm2d m = new InstanceNorm2d(3, 1e-5, 0.3, true, true);
        m.parameters().get("weight").assign(get("instanceNorm2d.track.weight"));
        m.parameters().get("bias").assign(get("instanceNorm2d.track.bias"));
        for (int i = 0; i < 2; i++) {
            close("instanceNorm2d.track.train" + i + ".y", m.forward(get("instanceNorm2d.track.train" + i + ".x")));
        }
        close("instanceNorm2d.track.runningMean", m.runningMean());
        close("instanceNorm2d.track.runningVar", m.runningVar());
        m.eval();
        InstanceNorm2d frozen = m;
        // the evaluation case: PyTorch's module had no parameters left to copy in, so its weight and bias stay ours
        Tensor x = get("instanceNorm2d.track.eval.x").requiresGrad();
        Tensor y = frozen.forward(x);
        close("instanceNorm2d.track.eval.y", y);
        close("instanceNorm2d.track.eval.gradX", Autodiff.grad(y.mul(get("instanceNorm2d.track.eval.r")).sum(), x)[0]);
        close("instanceNorm2d.track.runningMean", m.runningMean()); // evaluation leaves them
    }

    @Test
    void defaultsAndNamesAsPyTorch() {
        InstanceNorm1d plain = new InstanceNorm1d(3);
        assertEquals(0, plain.parameters().size(), "affine off by default");
        assertEquals(0, plain.buffers().size(), "no running statistics by default");
        assertNull(plain.runningMean());
        assertEquals(List.of("weight", "bias"), new ArrayList<>(new GroupNorm(2, 4).parameters().keySet()));
        assertEquals(List.of("runningMean", "runningVar"),
                new ArrayList<>(new InstanceNorm2d(3, 1e-5, 0.1, false, true).buffers().keySet()));
        assertArrayEquals(new int[] {4, 3, 3, 2}, new ConvTranspose(4, 6, ints(3, 2), ints(1, 1), ints(0, 0), ints(0, 0),
                ints(1, 1), 2, true, 1).weight().shape(), "weight (in, out / groups, k...)");
    }

    @Test
    void unbatchedInputsAreABatchOfOne() {
        Tensor x = F.get("maxPool1d.k3s2p1.x");
        Module[] ms = {new MaxPool1d(3, 2, 1), new AvgPool1d(3, 2, 1), new AdaptiveAvgPool1d(4), new InstanceNorm1d(3),
            new ConvTranspose1d(3, 2, 3, 2, 1, 1, 1, 1, true, 4)};
        for (Module m : ms) {
            Tensor batched = m.forward(x.slice(0, 1, 2));
            Tensor single = m.forward(x.slice(0, 1, 2).squeeze(0));
            assertArrayEquals(batched.squeeze(0).toArray(), single.toArray(), m.describe());
            assertArrayEquals(batched.squeeze(0).shape(), single.shape(), m.describe());
        }
    }

    @AfterAll
    static void everyFixtureIsRead() {
        // the unbatched test reads a fixture outside get(); every other array is compared or used as an input
        Set<String> unread = new HashSet<>(F.names());
        unread.removeAll(READ);
        assertEquals(Set.of(), unread, "fixtures no test reads");
    }
}
