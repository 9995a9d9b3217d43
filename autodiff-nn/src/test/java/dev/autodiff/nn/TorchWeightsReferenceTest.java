package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.attention.TransformerEncoderLayer;
import dev.autodiff.nn.conv.Conv1d;
import dev.autodiff.nn.conv.Conv2d;
import dev.autodiff.nn.conv.ConvTranspose1d;
import dev.autodiff.nn.conv.MaxPool2d;
import dev.autodiff.nn.io.SafeTensors;
import dev.autodiff.nn.io.TorchWeights;
import dev.autodiff.nn.rnn.GruCell;
import dev.autodiff.nn.rnn.Lstm;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.RnnCell;
import dev.autodiff.nn.rnn.State;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch-trained state_dicts (fixtures/torch_weights_*.safetensors, written by
 * autodiff-nn/fixtures/generate_torch_weights.py without the safetensors package) load by PyTorch's names into
 * the same architectures built here, and compute PyTorch's float64 outputs (fixtures/torch_weights.txt) to 1e-10:
 * an Mlp and a CNN trained in float32 (F32 promoted; the CNN's batch norm in eval mode, on the loaded running
 * statistics, with num_batches_tracked as I64 in the file), a two-layer bidirectional LSTM with a Linear head and
 * the three cells trained or initialised in float64, a Transformer encoder layer with a Linear head (float64), and
 * Conv1d-InstanceNorm1d-GroupNorm-ConvTranspose1d (float32, eval mode: the instance norm on loaded running statistics).
 * Then the export: its names and shapes are exactly the
 * PyTorch file's (what load_state_dict(strict=True) checks), its values the file's, and it loads back. The
 * exports are left in target/torch-weights-export for the generator's --check, which loads them into PyTorch.
 */
class TorchWeightsReferenceTest {
    private static final TorchFixtures F = new TorchFixtures("torch_weights.txt");
    private static final double TOL = 1e-10;
    private static final Path EXPORT = Path.of("target", "torch-weights-export");

    /** The generator's models, built here; the seed gives weights that differ from the file's. */
    record Case(String name, LongFunction<Module> make, boolean eval) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(new Case("mlp", TorchWeightsReferenceTest::mlp, false),
                new Case("cnn", TorchWeightsReferenceTest::cnn, true),
                new Case("lstm", LstmHead::new, false),
                new Case("cells", Cells::new, false),
                new Case("transformer", TransformerHead::new, false),
                new Case("norms", TorchWeightsReferenceTest::norms, true));
    }

    static Module mlp(long seed) {
        return new Mlp(new int[] {4, 8, 6, 3}, "Tanh", Tensor::tanh, seed);
    }

    static Module cnn(long seed) {
        return new Sequential(new Conv2d(1, 3, 3, 1, 1, 1, 1, true, seed), new BatchNorm2d(3), new Lambda("ReLU", Tensor::relu),
                new MaxPool2d(2), new Flatten(), new Linear(27, 4, seed + 2));
    }

    /** Conv1d, InstanceNorm1d (affine, tracking running statistics: used in eval mode), GroupNorm, ConvTranspose1d. */
    static Module norms(long seed) {
        return new Sequential(new Conv1d(2, 4, 3, seed), new InstanceNorm1d(4, 1e-5, 0.1, true, true), new GroupNorm(2, 4),
                new ConvTranspose1d(4, 2, 3, 2, 0, 0, 1, 1, true, seed + 1));
    }

    /** A post-norm encoder layer (batch first, no dropout), averaged over positions, through a Linear. */
    static final class TransformerHead extends Module {
        private final TransformerEncoderLayer encoder;
        private final Linear head;

        TransformerHead(long seed) {
            encoder = child("encoder", new TransformerEncoderLayer(8, 2, 16, 0.0, "relu", 1e-5, true, false, seed));
            head = child("head", new Linear(8, 3, seed + 100));
        }

        @Override
        public Tensor forward(Tensor x) {
            return head.forward(encoder.forward(x).mean(1));
        }
    }

    /** The last step's output of a 2-layer bidirectional batch-first LSTM, through a Linear. */
    static final class LstmHead extends Module {
        private final Lstm lstm;
        private final Linear head;

        LstmHead(long seed) {
            lstm = child("lstm", new Lstm(3, 4, 2, true, true, 0, true, seed));
            head = child("head", new Linear(8, 2, seed + 100));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = lstm.forward(x);
            int t = y.dim(1);
            return head.forward(y.slice(1, t - 1, t).squeeze(1));
        }
    }

    /** Two steps of each cell from zeros: the LSTM's h and c, the GRU's h, the RNN cell's h, side by side. */
    static final class Cells extends Module {
        private final LstmCell lstm;
        private final GruCell gru;
        private final RnnCell rnn;

        Cells(long seed) {
            lstm = child("lstm", new LstmCell(3, 2, seed));
            gru = child("gru", new GruCell(3, 2, seed + 10));
            rnn = child("rnn", new RnnCell(3, 2, seed + 20));
        }

        @Override
        public Tensor forward(Tensor x) {
            int n = x.dim(0);
            State l = lstm.step(x, lstm.step(x, lstm.initialState(n)));
            Tensor g = gru.step(x, gru.step(x, gru.initialState(n))).h();
            Tensor r = rnn.step(x, rnn.step(x, rnn.initialState(n))).h();
            return Tensor.concat(1, l.h(), l.c(), g, r);
        }
    }

    static Path fixture(String name) {
        try {
            return Path.of(TorchWeightsReferenceTest.class.getResource("/fixtures/torch_weights_" + name + ".safetensors").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Tensor run(Case c, Module m) {
        if (c.eval) {
            m.eval();
        }
        return m.forward(F.get(c.name + ".x"));
    }

    static void assertClose(String what, Tensor want, Tensor got, double tol) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        double[] w = want.toArray();
        double[] g = got.toArray();
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], tol, what + ": element " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void loadsPyTorchsWeightsAndComputesItsOutputs(Case c) throws IOException {
        Module m = c.make.apply(1);
        Tensor y = F.get(c.name + ".y");
        double before = maxDiff(y, run(c, m));
        assertTrue(before > 1e-3, c + ": the model's own initial weights already give PyTorch's output (" + before + ")");
        m.train();
        TorchWeights.load(fixture(c.name), m);
        assertClose(c + " after loading", y, run(c, m), TOL);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void exportsWhatPyTorchsStrictLoadAccepts(Case c) throws IOException {
        Module m = c.make.apply(1);
        TorchWeights.load(fixture(c.name), m);
        Files.createDirectories(EXPORT);
        Path out = EXPORT.resolve("torch_weights_" + c.name + ".safetensors");
        TorchWeights.save(out, m);
        Map<String, Tensor> torch = SafeTensors.load(fixture(c.name)).tensors();
        Map<String, Tensor> ours = SafeTensors.load(out).tensors();
        assertEquals(new java.util.TreeSet<>(torch.keySet()), new java.util.TreeSet<>(ours.keySet()), c + ": names");
        for (Map.Entry<String, Tensor> e : torch.entrySet()) {
            Tensor t = ours.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), t.shape(), c + ": shape of " + e.getKey());
            if (e.getKey().endsWith("num_batches_tracked")) {
                // BatchNorm counts its 25 training steps; PyTorch's InstanceNorm keeps the buffer but never counts
                double steps = c.name.equals("norms") ? 0 : 25;
                assertEquals(steps, e.getValue().item(), c + ": the file's count of training steps, read from I64");
                assertEquals(0.0, t.item(), c + ": num_batches_tracked is written as 0");
            } else {
                assertArrayEquals(e.getValue().toArray(), t.toArray(), c + ": values of " + e.getKey());
            }
        }
        Module back = c.make.apply(2);
        TorchWeights.load(out, back);
        assertArrayEquals(run(c, m).toArray(), run(c, back).toArray(), c + ": the re-imported model's output");
    }

    @Test
    void namesListTheMappingWithTheLayoutChanges() {
        Map<String, String> cnn = TorchWeights.names(cnn(1));
        assertEquals(java.util.List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                "1.num_batches_tracked", "5.weight", "5.bias"), java.util.List.copyOf(cnn.keySet()));
        assertEquals("1.runningMean", cnn.get("1.running_mean"));
        assertEquals("5.weight (transposed)", cnn.get("5.weight"));
        assertEquals("0.weight", cnn.get("0.weight"));
        assertEquals("(ignored)", cnn.get("1.num_batches_tracked"));
        Map<String, String> cells = TorchWeights.names(new Cells(1));
        assertEquals("lstm.weightIh (transposed)", cells.get("lstm.weight_ih"));
        assertEquals("gru.biasHh", cells.get("gru.bias_hh"));
        assertEquals("layers.4.weight (transposed)", TorchWeights.names(mlp(1)).get("layers.4.weight"));
    }

    @Test
    void aMismatchNamesEveryTensorAndChangesNothing() {
        // the MLP's file into an MLP with a wider first layer, a missing last layer and no "layers." prefix
        Module m = new Sequential(new Linear(5, 8, 1), new Lambda("Tanh", Tensor::tanh), new Linear(8, 6, 3));
        double[][] before = m.parameters().values().stream().map(Tensor::toArray).toArray(double[][]::new);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchWeights.load(fixture("mlp"), m, n -> n.replaceFirst("^layers\\.", "")));
        String msg = e.getMessage();
        assertTrue(msg.contains("torch_weights_mlp.safetensors: does not match the model"), msg);
        assertTrue(msg.contains("unexpected tensors: ['layers.4.bias' (renamed '4.bias'), 'layers.4.weight' (renamed "
                + "'4.weight')]"), msg);
        assertTrue(msg.contains("'0.weight': file [8, 4], model [8, 5] (PyTorch's layout, the transpose of this library's "
                + "[5, 8])"), msg);
        assertTrue(!msg.contains("missing"), msg);
        double[][] after = m.parameters().values().stream().map(Tensor::toArray).toArray(double[][]::new);
        assertArrayEquals(before, after, "a failed load changed the model");

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TorchWeights.load(fixture("mlp"), cnn(1)));
        assertTrue(missing.getMessage().contains("missing tensors: [0.bias, 0.weight, 1.bias, 1.running_mean, 1.running_var, "
                + "1.weight, 5.bias, 5.weight]"), missing.getMessage());
        assertTrue(missing.getMessage().contains("unexpected tensors: ['layers.0.bias', "), missing.getMessage());
    }

    @Test
    void theRenameHookMapsOtherNamesBothWaysAndSkipsTensors(@TempDir Path dir) throws IOException {
        // the same MLP without Mlp's "layers." level: PyTorch's nn.Sequential saved directly
        Module seq = new Sequential(new Linear(4, 8, 1), new Lambda("Tanh", Tensor::tanh), new Linear(8, 6, 3),
                new Lambda("Tanh", Tensor::tanh), new Linear(6, 3, 5));
        TorchWeights.load(fixture("mlp"), seq, n -> n.replaceFirst("^layers\\.", ""));
        assertClose("renamed MLP", F.get("mlp.y"), seq.forward(F.get("mlp.x")), TOL);
        Path out = dir.resolve("back.safetensors");
        TorchWeights.save(out, seq, n -> "layers." + n);
        Module m = mlp(9);
        TorchWeights.load(out, m);
        assertClose("exported under PyTorch's names again", F.get("mlp.y"), m.forward(F.get("mlp.x")), TOL);

        // a name mapped to null is skipped: the head alone from the LSTM model's file
        Linear head = new Linear(8, 2, 1);
        TorchWeights.load(fixture("lstm"), head, n -> n.startsWith("head.") ? n.substring(5) : null);
        Map<String, Tensor> file = SafeTensors.load(fixture("lstm")).tensors();
        assertArrayEquals(file.get("head.weight").transpose(0, 1).toArray(), head.weight().toArray());
        assertArrayEquals(file.get("head.bias").toArray(), head.bias().toArray());
    }

    @Test
    void stateDictRoundTripsInMemoryAndRefusesABadOne() {
        Module a = new LstmHead(1);
        Module b = new LstmHead(2);
        TorchWeights.loadStateDict(b, TorchWeights.stateDict(a));
        Tensor x = F.get("lstm.x");
        assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray());
        Map<String, Tensor> sd = new java.util.LinkedHashMap<>(TorchWeights.stateDict(a));
        sd.remove("lstm.bias_hh_l1_reverse");
        sd.put("head.weight", Tensor.zeros(8, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchWeights.loadStateDict(b, sd));
        assertTrue(e.getMessage().contains("missing tensors: [lstm.bias_hh_l1_reverse]"), e.getMessage());
        assertTrue(e.getMessage().contains("'head.weight': file [8, 2], model [2, 8]"), e.getMessage());
    }

    @Test
    void aSharedTensorMustGetOneValue() {
        Linear shared = new Linear(2, 2, 1);
        Module tied = new Sequential(shared, shared);
        Map<String, Tensor> sd = new java.util.LinkedHashMap<>(TorchWeights.stateDict(tied));
        TorchWeights.loadStateDict(tied, sd); // PyTorch lists a shared tensor under both names, with one value
        sd.put("1.bias", Tensor.fromArray(new double[] {7, 8}, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchWeights.loadStateDict(tied, sd));
        assertTrue(e.getMessage().contains("'0.bias' and '1.bias' are one shared tensor in the model but differ in the file"),
                e.getMessage());
    }

    @Test
    void batchNormsCountMayBeAbsentButMustBeAScalar() {
        Module bn = new BatchNorm2d(2);
        Map<String, Tensor> sd = new java.util.LinkedHashMap<>(TorchWeights.stateDict(bn));
        sd.remove("num_batches_tracked"); // as PyTorch before 0.4.1 wrote it
        TorchWeights.loadStateDict(bn, sd);
        sd.put("num_batches_tracked", Tensor.zeros(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchWeights.loadStateDict(bn, sd));
        assertTrue(e.getMessage().contains("'num_batches_tracked': file [2], expected a scalar []"), e.getMessage());
    }

    @Test
    void integersAreReadExactlyOrRefused(@TempDir Path dir) throws IOException {
        Path ok = dir.resolve("ints.safetensors");
        ByteBuffer data = ByteBuffer.allocate(16 + 8).order(ByteOrder.LITTLE_ENDIAN).putLong(-(1L << 53)).putLong(42)
                .putInt(-7).putInt(Integer.MAX_VALUE);
        write(ok, "{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[16,24]}}", data.array());
        Map<String, Tensor> t = SafeTensors.load(ok).tensors();
        assertArrayEquals(new double[] {-(1L << 53), 42}, t.get("a").toArray());
        assertArrayEquals(new double[] {-7, Integer.MAX_VALUE}, t.get("b").toArray());
        Path big = dir.resolve("big.safetensors");
        write(big, "{\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}",
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong((1L << 53) + 1).array());
        IOException e = assertThrows(IOException.class, () -> SafeTensors.load(big));
        assertTrue(e.getMessage().contains("tensor 'n' (I64) holds 9007199254740993 at index 0, beyond 2^53"), e.getMessage());
    }

    private static void write(Path p, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        Files.write(p, b.putLong(h.length).put(h).put(data).array());
    }

    private static double maxDiff(Tensor a, Tensor b) {
        double[] x = a.toArray();
        double[] y = b.toArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }
}
