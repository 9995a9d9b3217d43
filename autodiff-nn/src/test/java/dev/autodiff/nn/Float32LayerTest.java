package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.DType;
import dev.autodiff.Tensor;
import dev.autodiff.check.GradCheck;
import dev.autodiff.nn.attention.Attention;
import dev.autodiff.nn.attention.AttentionMask;
import dev.autodiff.nn.attention.LearnedPositionalEmbedding;
import dev.autodiff.nn.attention.MultiheadAttention;
import dev.autodiff.nn.attention.SinusoidalPositionalEncoding;
import dev.autodiff.nn.attention.TransformerDecoderLayer;
import dev.autodiff.nn.attention.TransformerEncoderLayer;
import dev.autodiff.nn.conv.AdaptiveAvgPool1d;
import dev.autodiff.nn.conv.AdaptiveAvgPool2d;
import dev.autodiff.nn.conv.AvgPool1d;
import dev.autodiff.nn.conv.AvgPool2d;
import dev.autodiff.nn.conv.Conv;
import dev.autodiff.nn.conv.Conv1d;
import dev.autodiff.nn.conv.Conv2d;
import dev.autodiff.nn.conv.ConvTranspose;
import dev.autodiff.nn.conv.ConvTranspose1d;
import dev.autodiff.nn.conv.ConvTranspose2d;
import dev.autodiff.nn.conv.GlobalAvgPool;
import dev.autodiff.nn.conv.GlobalMaxPool;
import dev.autodiff.nn.conv.MaxPool1d;
import dev.autodiff.nn.conv.MaxPool2d;
import dev.autodiff.nn.conv.Pool2d;
import dev.autodiff.nn.conv.Upsample;
import dev.autodiff.nn.rnn.Gru;
import dev.autodiff.nn.rnn.GruCell;
import dev.autodiff.nn.rnn.Lstm;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.Recurrent;
import dev.autodiff.nn.rnn.Rnn;
import dev.autodiff.nn.rnn.RnnCell;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * float32 through every layer, loss and activation of nn (counts enforced below: every public concrete Module class
 * of the sources, every public function of {@link Losses} and {@link Activations}). Each case runs twice on the same
 * numbers: the model built from its seed and converted with {@code Module.to(FLOAT32)}, and the same model with those
 * float32 weights widened back to float64 (so both hold the same weights), on inputs rounded to float32. The oracle is
 * the float64 run: the float32 output must be float32 (no float64 constant of the layer promoted it), agree to float32
 * tolerance, and so must the gradients of every input and parameter, which must be float32 too. Layers that draw
 * random numbers (dropout, RReLU, the noisy ReLU) draw the same ones in both runs, from the same seed.
 */
class Float32LayerTest {
    private static final double TOL = 1e-4;

    /** A module (built fresh, so float32 and float64 runs get the same seeded weights) applied to its inputs. */
    record Case(String name, Supplier<Module> module, BiFunction<Module, Tensor[], Tensor> apply, Tensor... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case layer(String name, Supplier<Module> module, int... inputShape) {
        return new Case(name, module, (m, xs) -> m.forward(xs[0]), Tensor.randn(name.hashCode(), inputShape));
    }

    /** A function of tensors (a loss or an activation), no module. */
    private static Case fn(String name, java.util.function.Function<Tensor[], Tensor> f, Tensor... inputs) {
        return new Case(name, Identity::new, (m, xs) -> f.apply(xs), inputs);
    }

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(seed, shape);
    }

    private static Tensor rand(long seed, int... shape) {
        return Tensor.rand(seed, shape);
    }

    static Stream<Case> layers() {
        return Stream.of(
                layer("Linear", () -> new Linear(4, 3, 1), 5, 4),
                layer("Linear no bias", () -> new Linear(4, 3, false, 2), 2, 4),
                layer("Mlp", () -> new Mlp(new int[] {4, 6, 3}, "tanh", Tensor::tanh, 3), 5, 4),
                layer("Maxout", () -> new Maxout(4, 3, 2, 4), 5, 4),
                layer("Sequential relu", () -> new Sequential(new Linear(4, 4, 5), Activations.relu(), new Identity()), 3, 4),
                layer("Residual", () -> new Residual(new Linear(4, 4, 6)), 3, 4),
                layer("Residual projection", () -> new Residual(new Linear(4, 2, 7), new Linear(4, 2, 8)), 3, 4),
                layer("Flatten", () -> new Sequential(new Flatten(), new Linear(6, 2, 9)), 2, 2, 3),
                layer("Lambda gelu", Activations::gelu, 3, 4),
                layer("Swish learnable", () -> new Swish(1.3, true), 3, 4),
                layer("PRelu", () -> new PRelu(3), 2, 3, 4),
                layer("Dropout", () -> new Dropout(0.4, 10), 6, 7),
                layer("RRelu training", () -> new RRelu(11), 4, 5),
                layer("NoisyRelu", () -> new NoisyRelu(12), 4, 5),
                layer("BatchNorm training", () -> new BatchNorm(3), 4, 3),
                layer("BatchNorm eval", () -> stats(new BatchNorm(3)).eval(), 4, 3),
                layer("BatchNorm1d", () -> new BatchNorm1d(3), 4, 3, 5),
                layer("BatchNorm2d", () -> new BatchNorm2d(2), 3, 2, 3, 3),
                layer("LayerNorm", () -> new LayerNorm(4), 3, 4),
                layer("GroupNorm", () -> new GroupNorm(2, 4), 2, 4, 3),
                layer("InstanceNorm1d", () -> new InstanceNorm1d(3, 1e-5, 0.1, true, true), 2, 3, 5),
                layer("InstanceNorm2d", () -> new InstanceNorm2d(2), 2, 2, 3, 3),
                layer("InstanceNorm eval", () -> stats(new InstanceNorm1d(3, 1e-5, 0.1, true, true)).eval(), 2, 3, 5),
                new Case("Embedding", () -> new Embedding(7, 3, 13),
                        (m, xs) -> m.forward(Tensor.fromArray(new double[] {1, 4, 6, 1}, 2, 2)).mul(xs[0]), randn(14, 2, 2, 3)),
                new Case("Embedding padding", () -> new Embedding(7, 3, 15).paddingIdx(1),
                        (m, xs) -> ((Embedding) m).lookup(new int[] {1, 4, 6, 1}, 4).mul(xs[0]), randn(16, 4, 3)),
                layer("Conv", () -> new Conv(2, 3, new int[] {2, 2}, new int[] {1, 2}, new int[] {1, 0}, new int[] {1, 1}, 1,
                        true, 17), 2, 2, 4, 4),
                layer("Conv1d grouped", () -> new Conv1d(4, 2, 3, 1, 1, 1, 2, true, 18), 2, 4, 6),
                layer("Conv2d", () -> new Conv2d(2, 3, 3, 19), 2, 2, 5, 5),
                layer("ConvTranspose", () -> new ConvTranspose(2, 3, new int[] {2, 2}, new int[] {2, 1}, new int[] {0, 1},
                        new int[] {1, 0}, new int[] {1, 1}, 1, true, 20), 1, 2, 3, 3),
                layer("ConvTranspose1d", () -> new ConvTranspose1d(2, 3, 3, 21), 2, 2, 4),
                layer("ConvTranspose2d", () -> new ConvTranspose2d(2, 2, 2, 22), 1, 2, 3, 3),
                layer("MaxPool1d padded", () -> new MaxPool1d(2, 1, 1), 2, 3, 5),
                layer("Pool2d avg", () -> Pool2d.avg(2, 2, 1), 2, 2, 4, 4),
                layer("MaxPool1d", () -> new MaxPool1d(2), 2, 3, 6),
                layer("MaxPool2d", () -> new MaxPool2d(2, 1, 1), 1, 2, 4, 4),
                layer("AvgPool1d no pad count", () -> new AvgPool1d(3, 2, 1, false), 2, 2, 7),
                layer("AvgPool2d", () -> new AvgPool2d(2), 1, 2, 4, 4),
                layer("AdaptiveAvgPool1d", () -> new AdaptiveAvgPool1d(3), 2, 2, 7),
                layer("AdaptiveAvgPool2d", () -> new AdaptiveAvgPool2d(2, 3), 1, 2, 5, 7),
                layer("GlobalAvgPool", GlobalAvgPool::new, 2, 3, 4, 4),
                layer("GlobalMaxPool", GlobalMaxPool::new, 2, 3, 4, 4),
                layer("Upsample nearest", () -> Upsample.ofScale("nearest", false, 2.0, 1.5), 1, 2, 3, 4),
                layer("Upsample bilinear", () -> Upsample.ofSize("bilinear", false, 5, 3), 1, 2, 3, 4),
                layer("Upsample linear aligned", () -> Upsample.ofSize("linear", true, 7), 1, 2, 4),
                layer("RnnCell", () -> new RnnCell(4, 3, 23), 2, 4),
                new Case("LstmCell unrolled", () -> new LstmCell(4, 3, 24),
                        (m, xs) -> Recurrent.last((LstmCell) m, xs[0]), randn(25, 3, 2, 4)),
                new Case("GruCell unrolled", () -> new GruCell(4, 3, 26),
                        (m, xs) -> Recurrent.unroll((GruCell) m, xs[0], null).stacked(), randn(27, 3, 2, 4)),
                layer("Rnn", () -> new Rnn(4, 3, 28), 3, 2, 4),
                layer("Lstm 2 layers bidirectional", () -> new Lstm(4, 3, 2, true, false, 0.0, true, 29), 3, 2, 4),
                new Case("Lstm lengths", () -> new Lstm(4, 3, 30),
                        (m, xs) -> ((Lstm) m).forward(xs[0], null, new int[] {3, 1}).output(), randn(31, 3, 2, 4)),
                layer("Gru batch first", () -> new Gru(4, 3, 1, true, true, 0.0, false, 32), 2, 3, 4),
                layer("MultiheadAttention self", () -> new MultiheadAttention(4, 2, 33), 3, 2, 4),
                new Case("MultiheadAttention kdim vdim masked", () -> new MultiheadAttention(4, 2, 0.3, true, 3, 5, true, 34),
                        (m, xs) -> ((MultiheadAttention) m).forward(xs[0], xs[1], xs[2],
                                AttentionMask.blocked(Tensor.fromArray(new double[] {0, 0, 1, 0, 0, 0}, 2, 3)), true,
                                AttentionMask.causal(2, 3), true).output(),
                        randn(35, 2, 2, 4), randn(36, 2, 3, 3), randn(37, 2, 3, 5)),
                new Case("TransformerEncoderLayer causal", () -> new TransformerEncoderLayer(4, 2, 8, 0.2, "gelu", 1e-5,
                        false, true, 38), (m, xs) -> ((TransformerEncoderLayer) m).forward(xs[0], AttentionMask.causal(3, 3),
                        null), randn(39, 3, 2, 4)),
                layer("TransformerEncoderLayer", () -> new TransformerEncoderLayer(4, 2, 8, 0.0, "relu", 1e-5, true, false, 40),
                        2, 3, 4),
                new Case("TransformerDecoderLayer", () -> new TransformerDecoderLayer(4, 2, 8, 0.1, "relu", 1e-5, false,
                        false, 41), (m, xs) -> ((TransformerDecoderLayer) m).forward(xs[0], xs[1]),
                        randn(42, 3, 2, 4), randn(43, 4, 2, 4)),
                layer("SinusoidalPositionalEncoding", () -> new SinusoidalPositionalEncoding(4, 6, false), 3, 2, 4),
                layer("LearnedPositionalEmbedding", () -> new LearnedPositionalEmbedding(6, 4, true, 44), 2, 3, 4),
                new Case("ModuleList and ModuleDict", () -> new ModuleDict(Map.of("list",
                        new ModuleList(new Linear(4, 4, 45), new LayerNorm(4)))), (m, xs) -> {
                            Tensor y = xs[0];
                            for (Module each : (ModuleList) ((ModuleDict) m).get("list")) {
                                y = each.forward(y);
                            }
                            return y;
                        }, randn(46, 2, 4)),
                // attention as a function, with a float64 additive mask and dropout: both in the scores' dtype
                fn("Attention.attend", xs -> Attention.attend(xs[0], xs[1], xs[2],
                        AttentionMask.additive(Tensor.randn(47, 3, 4)), 0.25, false, Double.NaN,
                        new java.util.SplittableRandom(48)).output(), randn(49, 2, 3, 4), randn(50, 2, 4, 4), randn(51, 2, 4, 2)));
    }

    /** Some running statistics to evaluate with (a few training steps on random batches). */
    private static Module stats(Module norm) {
        for (int k = 0; k < 3; k++) {
            try (dev.autodiff.GradScope s = Autodiff.noGrad()) {
                norm.forward(Tensor.randn(60 + k, norm instanceof BatchNorm ? new int[] {4, 3} : new int[] {2, 3, 5}).mul(2).add(1));
            }
        }
        return norm;
    }

    private static final int[] LABELS = {2, 0, 1, 2};

    static Stream<Case> losses() {
        Tensor p = rand(70, 4, 3).mul(0.9).add(0.05);
        Tensor t = rand(71, 4, 3);
        Tensor signs = Tensor.fromArray(new double[] {1, -1, -1, 1}, 4);
        Tensor w = rand(72, 3).add(0.5);
        return Stream.of(
                fn("Losses.mse", xs -> Losses.mse(xs[0], xs[1]), randn(73, 4, 3), t),
                fn("Losses.l1", xs -> Losses.l1(xs[0], xs[1], Reduction.SUM), randn(74, 4, 3), t),
                fn("Losses.binaryCrossEntropy", xs -> Losses.binaryCrossEntropy(xs[0], xs[1], xs[2], Reduction.MEAN), p, t, w),
                fn("Losses.binaryCrossEntropyWithLogits", xs -> Losses.binaryCrossEntropyWithLogits(xs[0], xs[1], xs[2], xs[3],
                        Reduction.MEAN), randn(75, 4, 3), t, w, w.add(1)),
                fn("Losses.crossEntropy labels", xs -> Losses.crossEntropy(xs[0], new int[] {2, -100, 1, 0}, xs[1], -100,
                        Reduction.NONE, 0.1), randn(76, 4, 3), w),
                fn("Losses.crossEntropy probabilities", xs -> Losses.crossEntropy(xs[0], xs[1].softmax(1), xs[2],
                        Reduction.MEAN, 0.2), randn(77, 4, 3), t, w),
                fn("Losses.nll", xs -> Losses.nll(xs[0].logSoftmax(1), LABELS), randn(78, 4, 3)),
                fn("Losses.huber", xs -> Losses.huber(xs[0], xs[1], Reduction.MEAN, 0.5), randn(79, 4, 3), t),
                fn("Losses.smoothL1", xs -> Losses.smoothL1(xs[0], xs[1], Reduction.MEAN, 0.0)
                        .add(Losses.smoothL1(xs[0], xs[1])), randn(80, 4, 3), t),
                fn("Losses.klDiv", xs -> Losses.klDiv(xs[0].logSoftmax(1), xs[1].softmax(1), Reduction.BATCHMEAN, false)
                        .add(Losses.klDiv(xs[0], xs[1], Reduction.SUM, true)), randn(81, 4, 3), t),
                fn("Losses.marginRanking", xs -> Losses.marginRanking(xs[0], xs[1], xs[2], 0.3, Reduction.MEAN),
                        randn(82, 4), randn(83, 4), signs),
                fn("Losses.hingeEmbedding", xs -> Losses.hingeEmbedding(xs[0], xs[1]), randn(84, 4), signs),
                fn("Losses.cosineEmbedding", xs -> Losses.cosineEmbedding(xs[0], xs[1], xs[2], 0.1, Reduction.SUM),
                        randn(85, 4, 3), randn(86, 4, 3), signs),
                fn("Losses.multiMargin", xs -> Losses.multiMargin(xs[0], LABELS, 2, 1.0, xs[1], Reduction.MEAN),
                        randn(87, 4, 3), w),
                fn("Losses.ctc", xs -> Losses.ctc(xs[0].logSoftmax(2), new int[][] {{1, 2}, {3}}, new int[] {5, 4}),
                        randn(88, 5, 2, 4)),
                fn("Losses.l1Penalty", xs -> Losses.l1Penalty(List.of(xs[0], xs[1])), randn(89, 2, 3), randn(90, 3)),
                fn("Losses.l2Penalty", xs -> Losses.l2Penalty(List.of(xs[0], xs[1])), randn(89, 2, 3), randn(90, 3)));
    }

    static Stream<Case> activations() {
        List<Case> out = new ArrayList<>();
        Tensor x = randn(91, 3, 4).mul(2);
        Map<String, java.util.function.Function<Tensor[], Tensor>> fns = new java.util.LinkedHashMap<>();
        fns.put("sigmoid", xs -> Activations.sigmoid(xs[0]));
        fns.put("tanh", xs -> Activations.tanh(xs[0]));
        fns.put("relu", xs -> Activations.relu(xs[0]));
        fns.put("leakyRelu", xs -> Activations.leakyRelu(xs[0], 0.1));
        fns.put("elu", xs -> Activations.elu(xs[0], 1.2));
        fns.put("selu", xs -> Activations.selu(xs[0]));
        fns.put("softplus", xs -> Activations.softplus(xs[0]));
        fns.put("swish", xs -> Activations.swish(xs[0], Tensor.scalar(1.5)));
        fns.put("gelu", xs -> Activations.gelu(xs[0]));
        fns.put("hardSigmoid", xs -> Activations.hardSigmoid(xs[0]));
        fns.put("hardTanh", xs -> Activations.hardTanh(xs[0]));
        fns.put("softmax", xs -> Activations.softmax(xs[0], 1));
        fns.put("logSoftmax", xs -> Activations.logSoftmax(xs[0], 0));
        // slopes and noise are inputs as well (a float64 tensor given would promote, as in PyTorch)
        fns.put("prelu", xs -> Activations.prelu(xs[0], xs[1].slice(0, 0, 1).reshape(4).mul(0.2)));
        fns.put("rrelu", xs -> Activations.rrelu(xs[0], 0.1, 0.3).add(Activations.rrelu(xs[0], xs[1].abs())));
        fns.put("noisyRelu", xs -> Activations.noisyRelu(xs[0], xs[1]));
        fns.put("hardSwish", xs -> Activations.hardSwish(xs[0]));
        fns.put("mish", xs -> Activations.mish(xs[0]));
        fns.put("silu", xs -> Activations.silu(xs[0]));
        fns.put("logSigmoid", xs -> Activations.logSigmoid(xs[0]));
        fns.put("softsign", xs -> Activations.softsign(xs[0]));
        fns.put("celu", xs -> Activations.celu(xs[0], 0.7));
        fns.put("glu", xs -> Activations.glu(xs[0], 1));
        Tensor y = randn(92, 3, 4);
        fns.forEach((n, f) -> out.add(fn("Activations." + n, f, x, y)));
        return out.stream();
    }

    static Stream<Case> cases() {
        return Stream.of(layers(), losses(), activations()).flatMap(s -> s);
    }

    /** The case's inputs rounded to float32, in the given dtype, as leaves that need grad. */
    private static Tensor[] inputs(Case c, DType dtype) {
        Tensor[] out = new Tensor[c.inputs().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = c.inputs()[i].to(DType.FLOAT32).to(dtype).detach().requiresGrad();
        }
        return out;
    }

    private static void assertNear(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        double scale = 0;
        for (double v : e) {
            scale = Double.isFinite(v) ? Math.max(scale, Math.abs(v)) : scale;
        }
        for (int i = 0; i < e.length; i++) {
            boolean same = e[i] == a[i] || (Double.isNaN(e[i]) && Double.isNaN(a[i]));
            assertTrue(same || Math.abs(e[i] - a[i]) <= tol * (1 + scale),
                    what + " at " + i + ": float32 " + a[i] + " vs float64 " + e[i] + " (scale " + scale + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void float32AgreesWithFloat64AndStaysFloat32(Case c) {
        Module m32 = c.module().get().to(DType.FLOAT32);
        Module m64 = c.module().get().to(DType.FLOAT32).to(DType.FLOAT64); // the same weights, rounded
        for (Tensor p : m32.parameters().values()) {
            assertEquals(DType.FLOAT32, p.dtype(), c + ": a parameter after to(FLOAT32)");
        }
        for (Tensor b : m32.buffers().values()) {
            assertEquals(DType.FLOAT32, b.dtype(), c + ": a buffer after to(FLOAT32)");
        }
        Tensor[] x32 = inputs(c, DType.FLOAT32);
        Tensor[] x64 = inputs(c, DType.FLOAT64);
        Tensor y32 = c.apply().apply(m32, x32);
        Tensor y64 = c.apply().apply(m64, x64);
        assertEquals(DType.FLOAT32, y32.dtype(), c + ": the output of a float32 model on float32 inputs");
        assertEquals(DType.FLOAT64, y64.dtype(), c + ": the float64 run");
        assertNear(y64, y32, TOL, c + ": output");
        for (Map.Entry<String, Tensor> e : m64.buffers().entrySet()) {
            Tensor b32 = m32.buffers().get(e.getKey());
            assertEquals(DType.FLOAT32, b32.dtype(), c + ": buffer " + e.getKey() + " after a forward");
            assertNear(e.getValue(), b32, TOL, c + ": buffer " + e.getKey() + " after a forward");
        }
        // gradients of <y, r> for a fixed random r, with respect to every input and parameter
        List<Tensor> w32 = new ArrayList<>(List.of(x32));
        List<Tensor> w64 = new ArrayList<>(List.of(x64));
        w32.addAll(distinct(m32.parameters()));
        w64.addAll(distinct(m64.parameters()));
        Tensor r = Tensor.randn(7, y64.shape());
        Tensor[] g32 = Autodiff.grad(y32.mul(r.to(DType.FLOAT32)).sum(), w32.toArray(new Tensor[0]));
        Tensor[] g64 = Autodiff.grad(y64.mul(r).sum(), w64.toArray(new Tensor[0]));
        for (int i = 0; i < g32.length; i++) {
            assertEquals(DType.FLOAT32, g32[i].dtype(), c + ": gradient " + i + " has its input's dtype");
            assertNear(g64[i], g32[i], 10 * TOL, c + ": gradient " + i);
        }
    }

    private static List<Tensor> distinct(Map<String, Tensor> params) {
        Set<Tensor> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        return params.values().stream().filter(seen::add).collect(Collectors.toList());
    }

    // ============================================================================================ coverage

    /** Every public concrete Module class of nn's sources that a user can make appears in some case's module tree. */
    @Test
    void everyModuleClassIsCovered() throws Exception {
        Set<String> all = new TreeSet<>();
        Path src = Path.of("src", "main", "java");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String name = src.relativize(f).toString().replace(java.io.File.separatorChar, '.').replaceAll("\\.java$", "");
                Class<?> k = Class.forName(name);
                boolean makeable = Stream.of(k.getConstructors()).findAny().isPresent() || Stream.of(k.getMethods())
                        .anyMatch(m -> Modifier.isStatic(m.getModifiers()) && m.getReturnType() == k);
                if (Module.class.isAssignableFrom(k) && Modifier.isPublic(k.getModifiers())
                        && !Modifier.isAbstract(k.getModifiers()) && makeable) {
                    all.add(k.getName());
                }
            }
        }
        Set<String> covered = new TreeSet<>();
        layers().forEach(c -> addTree(c.module().get(), covered));
        all.removeAll(covered);
        assertTrue(covered.size() > 40, "found the module classes (" + covered.size() + ")");
        assertTrue(all.isEmpty(), "Module classes with no float32 case: " + all);
    }

    private static void addTree(Module m, Set<String> out) {
        out.add(m.getClass().getName());
        m.children().values().forEach(c -> addTree(c, out));
    }

    /** Every public function of Losses and Activations that returns a tensor has a case of its name. */
    @Test
    void everyLossAndActivationIsCovered() {
        Set<String> names = cases().map(c -> c.name().split(" ")[0]).collect(Collectors.toSet());
        Set<String> missing = new TreeSet<>();
        for (Class<?> k : List.of(Losses.class, Activations.class)) {
            for (Method m : k.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()) && m.getReturnType() == Tensor.class) {
                    String n = k.getSimpleName() + "." + m.getName();
                    if (!names.contains(n)) {
                        missing.add(n);
                    }
                }
            }
        }
        assertTrue(missing.isEmpty(), "functions with no float32 case: " + missing);
    }

    // ============================================================================================ gradcheck

    /**
     * The float32 code paths of a few layers and losses, with respect to their inputs (the float32 parameters held
     * fixed), against float64 finite differences (GradCheck evaluates those in float64), both modes.
     */
    static Stream<Case> gradchecked() {
        Set<String> picked = Set.of("Linear", "Conv2d", "LayerNorm", "BatchNorm training", "LstmCell unrolled",
                "MultiheadAttention self", "Upsample bilinear", "AdaptiveAvgPool2d", "Losses.crossEntropy labels",
                "Losses.ctc", "Losses.binaryCrossEntropy", "Activations.gelu");
        return cases().filter(c -> picked.contains(c.name()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradchecked")
    void gradcheckOnTheFloat32Path(Case c) {
        Module m = c.module().get().to(DType.FLOAT32);
        Tensor[] x = new Tensor[c.inputs().length];
        for (int i = 0; i < x.length; i++) {
            x[i] = c.inputs()[i].to(DType.FLOAT32);
        }
        GradCheck.of(xs -> c.apply().apply(m, xs)).tolerance(1e-3, 1e-2).seed(5).check(x);
    }

    // ============================================================================================ Module.to

    @Test
    void toConvertsInPlaceSharedTensorsOnceAndBack() {
        Linear shared = new Linear(3, 3, 1);
        Sequential net = new Sequential(shared, new BatchNorm(3), shared);
        Tensor w = net.parameters().get("0.weight");
        double[] before = w.toArray();
        assertSame(net, net.to(DType.FLOAT32));
        assertSame(w, net.parameters().get("0.weight"), "the same tensor object");
        assertSame(w, net.parameters().get("2.weight"), "still shared");
        assertEquals(DType.FLOAT32, w.dtype());
        assertEquals(DType.FLOAT32, net.dtype());
        float[] f = w.toFloatArray();
        for (int i = 0; i < before.length; i++) {
            assertEquals((float) before[i], f[i], 0.0, "rounded to nearest");
        }
        net.to(DType.FLOAT64);
        assertEquals(DType.FLOAT64, w.dtype());
        double[] after = w.toArray();
        for (int i = 0; i < before.length; i++) {
            assertEquals((double) (float) before[i], after[i], 0.0, "widened exactly");
        }
        assertTrue(net.buffers().values().stream().allMatch(b -> b.dtype() == DType.FLOAT64));
    }

    @Test
    void paramAndBufferKeepTheirInitialDtype() {
        Linear l = new Linear(Init.uniform(3, -1, 1, 2, 3).to(DType.FLOAT32), Init.zeros(3).to(DType.FLOAT32));
        assertTrue(l.parameters().values().stream().allMatch(p -> p.dtype() == DType.FLOAT32));
        assertEquals(DType.FLOAT32, l.forward(Tensor.ones(DType.FLOAT32, 4, 2)).dtype());
    }

    @Test
    void summaryRunsAFloat32ModelInFloat32() {
        Sequential net = new Sequential(new Linear(4, 3, 1), new BatchNorm(3));
        net.to(DType.FLOAT32);
        float[] w = net.parameters().get("0.weight").toFloatArray();
        String s = net.summary(2, 4);
        assertTrue(s.contains("[2, 3]"), s);
        assertArrayEquals(w, net.parameters().get("0.weight").toFloatArray(), 0f);
        assertEquals(DType.FLOAT32, net.parameters().get("0.weight").dtype());
    }
}
