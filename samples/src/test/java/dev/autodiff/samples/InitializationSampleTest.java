package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.samples.InitializationSample.Layer;
import dev.autodiff.samples.InitializationSample.Run;
import dev.autodiff.samples.InitializationSample.Settings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The initialisation sample against closed forms derived here, with x ~ N(0, 1) iid and the weights iid N(0, s2)
 * (s2 = Var(w)), at the sample's own sizes (20 layers, width 256, batch 512). Every tolerance is five standard
 * deviations of the statistic it checks (or a bound on them), derived in the comment beside it.
 */
class InitializationSampleTest {
    static final Settings S = new Settings(20, 256, 512, 7);
    static final int N = S.width();
    static final int B = S.batch();
    static final Map<String, Double> VAR_W = Map.of("zero", 0.0, "normal(1)", 1.0, "normal(0.01)", 1e-4,
            "xavier", 2.0 / (N + N), "he", 2.0 / N);
    static List<Run> runs;

    @BeforeAll
    static void measure() {
        runs = InitializationSample.measureAll(S);
    }

    static List<String> randomInits() {
        return List.of("normal(1)", "normal(0.01)", "xavier", "he");
    }

    static List<Object[]> randomCases() {
        return randomInits().stream().flatMap(i -> InitializationSample.ACTIVATIONS.stream().map(a -> new Object[] {i, a}))
                .toList();
    }

    /** E[f(u)] for u ~ N(0, 1) by Simpson's rule on [-12, 12] (the tails beyond weigh below 1e-32). */
    static double gauss(DoubleUnaryOperator f) {
        int m = 20_000;
        double h = 24.0 / m;
        double sum = 0;
        for (int k = 0; k <= m; k++) {
            double u = -12 + k * h;
            double w = k == 0 || k == m ? 1 : k % 2 == 1 ? 4 : 2;
            sum += w * f.applyAsDouble(u) * Math.exp(-u * u / 2);
        }
        return sum * h / 3 / Math.sqrt(2 * Math.PI);
    }

    /**
     * Layer 1, z = x W: E[z^2] = fan_in Var(w) E[x^2] = n s2. Its sample mean over the n * B entries has relative
     * variance 2/n^2 from the weights (n^2 iid w^2, Var(w^2) = 2 s2^2) plus (4n + 2)/(B n^2) from the inputs (given W,
     * each row's mean x A x^T with A = W W^T / n has variance 2 tr(A^2), and E tr(A^2) = s2^2 (2n + 1) for a Wishart
     * matrix): 0.78% at n = 256, B = 512. The mean of relu(z) and of relu(z)^2 vary less (their entries are bounded by
     * |z| and z^2), so five of those deviations serve for all three. tanh's mean is 0 by the symmetry of x and of W,
     * and its entries are uncorrelated (E[tanh(x.w) | x] = 0 = E[tanh(x.w) | w]), so its sd is sqrt(E[tanh^2] / (n B)).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("randomCases")
    void layerOneMatchesTheClosedForms(String init, String activation) {
        Layer l1 = find(init, activation).layers().get(0);
        double q = N * VAR_W.get(init); // Var(z) = fan_in Var(w) E[x^2], E[x^2] = 1
        double rel = 5 * Math.sqrt(2.0 / ((double) N * N) + (4.0 * N + 2) / ((double) B * N * N));
        assertEquals(q, l1.zSquare(), rel * q, "E[z^2] = fan_in Var(w) E[x^2]");
        double s = Math.sqrt(q);
        if (activation.equals("relu")) {
            // relu(z) for z ~ N(0, q): mean sqrt(q / (2 pi)), second moment q / 2; std from the two
            double mean = s / Math.sqrt(2 * Math.PI);
            assertEquals(mean, l1.mean(), rel * mean, "E[relu(z)]");
            assertEquals(q / 2, l1.aSquare(), rel * q / 2, "E[relu(z)^2] = Var(z) / 2");
            double std = Math.sqrt(q / 2 - mean * mean);
            assertEquals(std, l1.std(), 2 * rel * std, "std of relu(z)");
            // a unit j is dead when z_ij <= 0 for all B inputs: probability 2^-B given W_j != 0
            assertEquals(0.0, l1.dead(), "dead units in layer 1");
        } else {
            double a2 = gauss(u -> Math.pow(Math.tanh(s * u), 2));
            assertEquals(0.0, l1.mean(), 5 * Math.sqrt(a2 / ((double) N * B)), "E[tanh(z)] = 0");
            assertEquals(a2, l1.aSquare(), rel * a2, "E[tanh(z)^2]");
            // |tanh z| > 0.99 iff |z| > atanh(0.99): probability E[|u| > atanh(0.99) / s]. The fraction's sd is about
            // 0.001 (binomial sqrt(p(1-p)/(n B)) plus the spread of the rows' |x_i| and the columns' |W_j|, each about
            // 1/sqrt(2n) = 4% relative); 0.01 is ten of those.
            double c = 0.5 * Math.log((1 + 0.99) / (1 - 0.99));
            double p = gauss(u -> Math.abs(u) * s > c ? 1 : 0);
            assertEquals(p, l1.saturated(), 0.01, "fraction saturated");
        }
    }

    /**
     * Every later layer, given the one before: z_{l+1} = a_l W with W independent of a_l, so E[mean z^2 | a_l] = n s2
     * mean a_l^2 exactly, the lecture's Var(z) = fan_in Var(w) E[a^2]. The mean over the n columns of W is a mean of n
     * independent quadratic forms W_j^T C W_j (C = a_l^T a_l / B), each of relative variance 2 tr(C^2) / tr(C)^2 <= 2,
     * so its relative sd is at most sqrt(2/n), however aligned the inputs have become.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("randomCases")
    void everyLayerObeysVarZEqualsFanInVarWTimesEa2(String init, String activation) {
        List<Layer> layers = find(init, activation).layers();
        double bound = 5 * Math.sqrt(2.0 / N);
        for (int l = 1; l < layers.size(); l++) {
            double predicted = N * VAR_W.get(init) * layers.get(l - 1).aSquare();
            assertEquals(predicted, layers.get(l).zSquare(), bound * predicted, "layer " + (l + 1));
        }
    }

    /**
     * ReLU halves the second moment at every layer: given a_{l-1}, W_j and -W_j are equally likely, and relu(z)^2 +
     * relu(-z)^2 = z^2, so E[relu(z)^2 - z^2 / 2 | a] = 0. Each column contributes a mean of z^2 ([z > 0] - 1/2) with
     * variance at most E[z^4] / 4 = 3 q^2 / 4, so the mean over n columns, relative to q / 2, has sd at most
     * sqrt(3/n). The four random inits are the same normals scaled and relu(cz) = c relu(z), so the four ReLU stacks
     * are one function up to a factor per layer: their dead fractions agree exactly, and their z^2 to rounding.
     */
    @Test
    void reluHalvesTheSecondMomentAndIsTheSameStackUnderEveryScale() {
        double bound = 5 * Math.sqrt(3.0 / N);
        List<Layer> he = find("he", "relu").layers();
        for (String init : randomInits()) {
            List<Layer> layers = find(init, "relu").layers();
            double c2 = VAR_W.get(init) / VAR_W.get("he");
            for (int l = 0; l < layers.size(); l++) {
                Layer x = layers.get(l);
                assertEquals(0.5, x.aSquare() / x.zSquare(), 0.5 * bound, init + " layer " + (l + 1));
                assertEquals(he.get(l).dead(), x.dead(), init + " layer " + (l + 1));
                double scaled = he.get(l).zSquare() * Math.pow(c2, l + 1);
                assertEquals(scaled, x.zSquare(), 1e-9 * scaled, init + " layer " + (l + 1));
            }
        }
    }

    /**
     * He with ReLU keeps the second moment in expectation; what the test can justify at width 256 is the size of its
     * wander: for one input, each layer multiplies |a|^2 by (2/n) sum_j u_j^2 [u_j > 0] with u_j iid N(0, 1), a factor
     * of mean 1 and variance (2 * 3 / 2 * 2 - 1)/n = 5/n, so log(E[a_l^2] / E[a_1^2]) has sd about sqrt(5 (l - 1) / n)
     * (0.61 at l = 20; the batch narrows that only while its inputs are unaligned, and depth aligns them). A factor
     * of 2 (log 0.69) over 20 layers is thus about one sd and not a safe claim at this width; within five sd it is,
     * and Xavier's halving per layer (2^-19, log -13.2) lies far outside. Xavier with ReLU: the same stack scaled, so
     * the same wander around 2^-(l-1).
     */
    @Test
    void heKeepsReluSecondMomentWithinItsFiniteWidthWanderAndXavierHalvesIt() {
        List<Layer> he = find("he", "relu").layers();
        List<Layer> xavier = find("xavier", "relu").layers();
        for (int l = 1; l < he.size(); l++) {
            double bound = 5 * Math.sqrt(5.0 * l / N);
            double logHe = Math.log(he.get(l).aSquare() / he.get(0).aSquare());
            assertTrue(Math.abs(logHe) <= bound, "he layer " + (l + 1) + ": log ratio " + logHe + ", bound " + bound);
            double logXavier = Math.log(xavier.get(l).aSquare() / xavier.get(0).aSquare());
            assertEquals(-l * Math.log(2), logXavier, bound, "xavier layer " + (l + 1));
        }
    }

    /**
     * normal(0.01) collapses: |tanh z| <= |z| and relu(z)^2 <= z^2, so E[a^2] <= E[z^2], and by the per-layer bound
     * above E[z_{l+1}^2] <= n 1e-4 (1 + 5 sqrt(2/n)) E[z_l^2]; from E[z_1^2] = n 1e-4 (within 4%) that gives
     * E[a_20^2] <= 1.04 (0.0256 * 1.44)^19 * 0.0256, below 1e-27. Going down with tanh, dL/dz_l = (dL/dz_{l+1} W^T)
     * * g'(z_l) with 0 <= g' <= 1, and dL/dz_{l+1} depends on W = W_{l+1} only through g'(z_{l+1}) = 1 - tanh^2, within
     * 1e-3 of 1 for these tiny z; so the same bound holds for W^T, and the error terms shrink toward the input at
     * least as fast (the lecture's vanishing gradient). For ReLU the mask [z_{l+1} > 0] depends on W_{l+1}, so the
     * backward claim is not made.
     */
    @Test
    void normalSmallCollapsesForwardAndItsErrorTermsVanishBackward() {
        double perLayer = N * 1e-4 * (1 + 5 * Math.sqrt(2.0 / N));
        for (String activation : InitializationSample.ACTIVATIONS) {
            List<Layer> layers = find("normal(0.01)", activation).layers();
            double bound = 1.04 * N * 1e-4 * Math.pow(perLayer, 19);
            assertTrue(bound < 1e-27, "bound " + bound);
            assertTrue(layers.get(19).aSquare() <= bound, activation + ": E[a_20^2] " + layers.get(19).aSquare());
        }
        List<Layer> tanh = find("normal(0.01)", "tanh").layers();
        double deltaBound = tanh.get(19).deltaRms() * Math.pow(Math.sqrt(perLayer), 19);
        assertTrue(deltaBound < 1e-13 * tanh.get(19).deltaRms(), "bound " + deltaBound);
        assertTrue(tanh.get(0).deltaRms() <= deltaBound, "rms dL/dz_1 " + tanh.get(0).deltaRms() + " above " + deltaBound);
    }

    /**
     * The probe loss L = sum(a_L r) / B gives dL/dz_L = r g'(z_L) / B with r ~ N(0, 1) independent of everything else.
     * For ReLU, g' = [z > 0]: E[(B dL/dz_L)^2] = P(z_L > 0) = 1/2 (W_L and -W_L are equally likely). The fraction of
     * positive entries is a mean of n independent column fractions in [0, 1] (sd at most 0.5/sqrt(n)), and r^2 adds a
     * relative sd sqrt(2 / (n B)): five of each. For tanh under He (z_L not small), E[(B dL/dz_L)^2] = E[(1 -
     * tanh^2 z)^2] over z ~ N(0, q_L), with the same kind of tolerance (g'^2 in [0, 1]).
     */
    @Test
    void theTopErrorTermMatchesTheProbeLoss() {
        Layer top = find("he", "relu").layers().get(19);
        double tol = 5 * (0.5 / Math.sqrt(N) + 0.5 * Math.sqrt(2.0 / ((double) N * B)));
        assertEquals(0.5, Math.pow(top.deltaRms() * B, 2), tol, "He/ReLU: E[(B dL/dz_L)^2]");
        Layer tanhTop = find("he", "tanh").layers().get(19);
        double q = tanhTop.zSquare();
        double expected = gauss(u -> Math.pow(1 - Math.pow(Math.tanh(Math.sqrt(q) * u), 2), 2));
        assertEquals(expected, Math.pow(tanhTop.deltaRms() * B, 2), tol, "He/tanh: E[(B dL/dz_L)^2]");
    }

    /**
     * Zero init: every z and a is 0 (tanh(0) = relu(0) = 0), so every unit is alike on every input; the error terms
     * below the top are (dL/dz W^T) g' = 0 and dL/dW_l = a_{l-1}^T dL/dz_l = 0 at every layer (a_{l-1} = 0 above the
     * input, dL/dz_1 = 0 at the bottom), so nothing ever moves. A random init, by contrast, has units that differ.
     */
    @Test
    void zeroInitMakesEveryUnitAlikeAndEveryGradientZero() {
        for (String activation : InitializationSample.ACTIVATIONS) {
            for (Layer l : find("zero", activation).layers()) {
                assertEquals(0.0, l.unitSpread(), activation);
                assertEquals(0.0, l.gradSpread(), activation);
                assertEquals(0.0, l.gradStd(), activation);
                assertEquals(0.0, l.aSquare(), activation);
                assertEquals(1.0, l.dead(), activation);
            }
            Layer he = find("he", activation).layers().get(0);
            assertTrue(he.unitSpread() > 0 && he.gradSpread() > 0, activation + ": He's units should differ");
        }
    }

    @Test
    void sameSeedSameNumbers() {
        assertEquals(find("xavier", "tanh"), InitializationSample.measure("xavier", "tanh", S));
    }

    @Test
    void badNamesAreRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> InitializationSample.measure("lecun", "tanh", S));
        assertTrue(e.getMessage().contains("unknown init 'lecun'"), e.getMessage());
    }

    /** The program as a user runs it, on tiny sizes: prints the table and the verdicts, writes the charts. */
    @Test
    void smokeRunWritesChartsAndVerdicts() throws Exception {
        Map<String, String> props = Map.of("initialization.depth", "4", "initialization.width", "16",
                "initialization.batch", "32");
        props.forEach(System::setProperty);
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            InitializationSample.run();
        } finally {
            System.setOut(saved);
            props.keySet().forEach(System::clearProperty);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("4 layers of width 16") && out.contains("- Zero init makes every unit alike"), out);
        for (String name : List.of("activation-std-tanh", "activation-std-relu", "gradient-std-tanh", "gradient-std-relu")) {
            for (String ext : List.of(".png", ".svg")) {
                Path f = Path.of("target", "initialization", name + ext);
                assertTrue(Files.size(f) > 1000, f + " missing or empty");
            }
        }
        assertEquals(1 + 2 * 5 * 4, Files.readAllLines(Path.of("target", "initialization", "layers.csv")).size());
    }

    static Run find(String init, String activation) {
        return InitializationSample.find(runs, init, activation);
    }
}
