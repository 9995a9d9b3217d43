package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The losses with PyTorch's options (reductions, class weights, ignore index, label smoothing, probability and
 * K-dimensional targets, and the losses of issue 17) against PyTorch 1.13 in float64, to 1e-10: the value with
 * each reduction and the gradient with respect to every input PyTorch differentiates (fixtures
 * torch_losses.txt, "lo.*", of fixtures/generate_losses.py). Class weights are differentiable here but not in
 * PyTorch; LossOptionsGradTest checks those derivatives by finite differences.
 */
class LossOptionsTest {
    static final TorchFixtures F = new TorchFixtures("torch_losses.txt");
    private static final double TOL = 1e-10;

    /** A loss of its differentiable inputs, for a reduction. */
    interface LossFn {
        Tensor apply(Tensor[] xs, Reduction r);
    }

    record Case(String name, Reduction reduction, LossFn f) {
        @Override
        public String toString() {
            return name + " " + reduction.torchName();
        }
    }

    private static final List<Case> CASES = new ArrayList<>();

    private static void add(String name, LossFn f, Reduction... reductions) {
        for (Reduction r : reductions.length == 0 ? new Reduction[] {Reduction.NONE, Reduction.MEAN, Reduction.SUM} : reductions) {
            CASES.add(new Case(name, r, f));
        }
    }

    private static Tensor c(String name) {
        return F.get(name);
    }

    private static int[] labels(String name) {
        return F.labels("lo." + name + ".labels");
    }

    static {
        int none = Losses.IGNORE_INDEX;
        Tensor w4 = c("lo.weight4");
        // regression
        add("mse", (xs, r) -> Losses.mse(xs[0], xs[1], r));
        add("l1", (xs, r) -> Losses.l1(xs[0], xs[1], r));
        add("huber", (xs, r) -> Losses.huber(xs[0], xs[1], r, 1.0));
        add("huberDelta", (xs, r) -> Losses.huber(xs[0], xs[1], r, c("lo.huberDelta.delta").item()));
        add("smoothL1", (xs, r) -> Losses.smoothL1(xs[0], xs[1], r, 1.0));
        add("smoothL1Beta", (xs, r) -> Losses.smoothL1(xs[0], xs[1], r, c("lo.smoothL1Beta.beta").item()));
        add("smoothL1Beta0", (xs, r) -> Losses.smoothL1(xs[0], xs[1], r, 0.0));
        // binary cross-entropy
        add("bce", (xs, r) -> Losses.binaryCrossEntropy(xs[0], xs[1], r));
        add("bceWeighted", (xs, r) -> Losses.binaryCrossEntropy(xs[0], xs[1], c("lo.bceWeighted.weight"), r));
        add("bceWithLogits", (xs, r) -> Losses.binaryCrossEntropyWithLogits(xs[0], xs[1], r));
        add("bceWithLogitsWeighted", (xs, r) -> Losses.binaryCrossEntropyWithLogits(xs[0], xs[1],
                c("lo.bceWithLogitsWeighted.weight"), c("lo.bceWithLogitsWeighted.posWeight"), r));
        // cross-entropy with class indices
        int[] y = labels("ce");
        int[] yi = labels("ceIgnore");
        int[] ya = labels("ceAllIgnored");
        int[] ys = labels("ceSpatial");
        int[] yu = labels("ceUnbatched");
        add("ce", (xs, r) -> Losses.crossEntropy(xs[0], y, r));
        add("ceWeighted", (xs, r) -> Losses.crossEntropy(xs[0], y, w4, none, r, 0));
        add("ceIgnore", (xs, r) -> Losses.crossEntropy(xs[0], yi, r));
        add("ceIgnoreCustom", (xs, r) -> Losses.crossEntropy(xs[0], labels("ceIgnoreCustom"), w4, 2, r, 0));
        add("ceSmooth", (xs, r) -> Losses.crossEntropy(xs[0], y, null, none, r, 0.2));
        add("ceSmoothWeightedIgnore", (xs, r) -> Losses.crossEntropy(xs[0], yi, w4, none, r, 0.15));
        add("ceAllIgnored", (xs, r) -> Losses.crossEntropy(xs[0], ya, r));
        add("ceAllIgnoredSmoothWeighted", (xs, r) -> Losses.crossEntropy(xs[0], ya, w4, none, r, 0.1));
        add("ceSpatial", (xs, r) -> Losses.crossEntropy(xs[0], ys, w4, none, r, 0.1));
        add("ceUnbatched", (xs, r) -> Losses.crossEntropy(xs[0], yu, w4, none, r, 0.3));
        add("ceEmpty", (xs, r) -> Losses.crossEntropy(xs[0], new int[0], r));
        // cross-entropy with class probabilities
        add("ceProbs", (xs, r) -> Losses.crossEntropy(xs[0], xs[1], null, r, 0));
        add("ceProbsWeightedSmooth", (xs, r) -> Losses.crossEntropy(xs[0], xs[1], w4, r, 0.25));
        add("ceProbsSpatial", (xs, r) -> Losses.crossEntropy(xs[0], xs[1], w4, r, 0));
        add("ceProbsUnbatched", (xs, r) -> Losses.crossEntropy(xs[0], xs[1], null, r, 0.1));
        // nll
        add("nll", (xs, r) -> Losses.nll(xs[0], y, r));
        add("nllWeightedIgnore", (xs, r) -> Losses.nll(xs[0], yi, w4, none, r));
        add("nllSpatial", (xs, r) -> Losses.nll(xs[0], ys, w4, none, r));
        add("nllUnbatched", (xs, r) -> Losses.nll(xs[0], yu, r));
        // KL divergence
        Reduction[] all = Reduction.values();
        add("klDiv", (xs, r) -> Losses.klDiv(xs[0], xs[1], r, false), all);
        add("klDivLogTarget", (xs, r) -> Losses.klDiv(xs[0], xs[1], r, true), all);
        add("klDivScalar", (xs, r) -> Losses.klDiv(xs[0], xs[1], r, false), Reduction.SUM, Reduction.BATCHMEAN);
        // margins and embeddings
        add("marginRanking", (xs, r) -> Losses.marginRanking(xs[0], xs[1], xs[2], 0.3, r));
        add("marginRankingDefault", (xs, r) -> Losses.marginRanking(xs[0], xs[1], xs[2], 0, r));
        add("hingeEmbedding", (xs, r) -> Losses.hingeEmbedding(xs[0], c("lo.sign8"), 1.0, r));
        add("hingeEmbeddingMargin", (xs, r) -> Losses.hingeEmbedding(xs[0], c("lo.sign8"), 2.5, r));
        add("cosineEmbedding", (xs, r) -> Losses.cosineEmbedding(xs[0], xs[1], c("lo.sign5"), -0.2, r));
        add("cosineEmbeddingUnbatched", (xs, r) -> Losses.cosineEmbedding(xs[0], xs[1], Tensor.scalar(-1), 0, r));
        add("multiMargin", (xs, r) -> Losses.multiMargin(xs[0], y, 1, 1.0, null, r));
        add("multiMarginP2Weighted", (xs, r) -> Losses.multiMargin(xs[0], y, 2, 0.7, w4, r));
        add("multiMarginUnbatched", (xs, r) -> Losses.multiMargin(xs[0], yu, 1, 1.5, null, r));
        // CTC, differentiated through logSoftmax (where PyTorch's gradient is the true one, see below)
        int[][] targets = ctcTargets("ctc");
        int[] lengths = F.labels("lo.ctc.inputLengths");
        add("ctc", (xs, r) -> Losses.ctc(xs[0].logSoftmax(2), targets, lengths, 0, r, false));
        int[][] blankTargets = ctcTargets("ctcBlank");
        int[] blankLengths = F.labels("lo.ctcBlank.inputLengths");
        add("ctcBlankZeroInfinity", (xs, r) -> Losses.ctc(xs[0].logSoftmax(2), blankTargets, blankLengths, 4, r, true));
        int[][] emptyTargets = ctcTargets("ctcEmptyTarget");
        int[] emptyLengths = F.labels("lo.ctcEmptyTarget.inputLengths");
        add("ctcEmptyTarget", (xs, r) -> Losses.ctc(xs[0].logSoftmax(2), emptyTargets, emptyLengths, 0, r, false));
        add("ctcUnbatched", (xs, r) -> Losses.ctc(xs[0].logSoftmax(1), new int[][] {targets[0]}, new int[] {7}, 0, r, false));
    }

    private static int[][] ctcTargets(String name) {
        int[][] t = new int[3][];
        for (int i = 0; i < t.length; i++) {
            t[i] = F.labels("lo." + name + ".target" + i);
        }
        return t;
    }

    static Stream<Case> cases() {
        return CASES.stream();
    }

    static void close(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            boolean same = Double.compare(e[i], a[i]) == 0 || (Double.isNaN(e[i]) && Double.isNaN(a[i]))
                    || Math.abs(e[i] - a[i]) <= TOL * Math.max(1, Math.abs(e[i]));
            assertTrue(same, what + " at " + i + ": PyTorch " + e[i] + ", here " + a[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void valueAndGradientsArePyTorchs(Case c) {
        String at = "lo." + c.name + "." + c.reduction.torchName();
        List<Tensor> inputs = new ArrayList<>();
        for (int k = 0; F.has("lo." + c.name + ".in" + k); k++) {
            inputs.add(F.get("lo." + c.name + ".in" + k).detach().requiresGrad());
        }
        Tensor[] xs = inputs.toArray(new Tensor[0]);
        Tensor v = c.f.apply(xs, c.reduction);
        close(F.get(at + ".value"), v, c + " value");
        Tensor total = F.has(at + ".r") ? v.mul(F.get(at + ".r")).sum() : v;
        Tensor[] g = Autodiff.grad(total, xs);
        for (int k = 0; k < xs.length; k++) {
            close(F.get(at + ".grad" + k), g[k], c + " gradient in input " + k);
        }
    }

    /** Every case the generator wrote is replayed above (a case added to the script alone fails here). */
    @Test
    void everyFixtureCaseIsReplayed() {
        Pattern value = Pattern.compile("lo\\.(\\w+)\\.(none|mean|sum|batchmean)\\.value");
        Set<String> written = new TreeSet<>();
        for (String n : F.names()) {
            Matcher m = value.matcher(n);
            if (m.matches() && !m.group(1).equals("ctcBlankInfinite")) {
                written.add(m.group(1) + " " + m.group(2));
            }
        }
        Set<String> replayed = new TreeSet<>();
        CASES.forEach(c -> replayed.add(c.toString()));
        assertEquals(written, replayed);
        assertTrue(replayed.size() > 130, "cases: " + replayed.size());
    }

    @Test
    void ctcOfATargetTooLongForItsInputIsInfiniteWithAZeroGradient() {
        Tensor logits = F.get("lo.ctcBlankZeroInfinity.in0").detach().requiresGrad();
        Tensor v = Losses.ctc(logits.logSoftmax(2), ctcTargets("ctcBlank"), F.labels("lo.ctcBlank.inputLengths"), 4,
                Reduction.NONE, false);
        close(F.get("lo.ctcBlankInfinite.none.value"), v, "ctc without zeroInfinity");
        assertEquals(Double.POSITIVE_INFINITY, v.toArray()[1]);
        // PyTorch's gradient is NaN for the infinite sequence (1); here it is 0, and the others' are unchanged
        Tensor g = Autodiff.grad(v.mul(Tensor.fromArray(new double[] {0, 1, 0})).sum(), logits)[0];
        for (double d : g.toArray()) {
            assertEquals(0.0, d, "gradient of an impossible alignment");
        }
    }

    /**
     * PyTorch's CTC backward returns exp(logProbs) - occupancy as the gradient with respect to the log-probabilities,
     * which is the gradient with respect to the logits under a logSoftmax, not the derivative of its own loss
     * (finite differences of F.ctc_loss disagree with it). Ours is the exact derivative, -occupancy: PyTorch's
     * minus exp(logProbs) at every step a sequence reads, and 0 (as PyTorch's) after its end.
     */
    @Test
    void ctcGradientInTheLogProbabilitiesIsTheExactOne() {
        Tensor lp = F.get("lo.ctc.in0").logSoftmax(2).detach().requiresGrad();
        int[] lengths = F.labels("lo.ctc.inputLengths");
        Tensor g = Autodiff.grad(Losses.ctc(lp, ctcTargets("ctc"), lengths, 0, Reduction.SUM, false), lp)[0];
        double[] torch = F.get("lo.ctc.torchGradLogProbs").toArray();
        double[] p = lp.exp().toArray();
        int[] s = lp.shape();
        double[] expected = new double[torch.length];
        for (int t = 0; t < s[0]; t++) {
            for (int b = 0; b < s[1]; b++) {
                for (int k = 0; k < s[2]; k++) {
                    int i = (t * s[1] + b) * s[2] + k;
                    expected[i] = t < lengths[b] ? torch[i] - p[i] : torch[i];
                }
            }
        }
        close(Tensor.fromArray(expected, s), g, "ctc d/dlogProbs");
        // and it is the derivative: a central difference in one log-probability
        int i = 7;
        double h = 1e-6;
        double[] up = lp.toArray();
        double[] down = lp.toArray();
        up[i] += h;
        down[i] -= h;
        double fd = (Losses.ctc(Tensor.fromArray(up, s), ctcTargets("ctc"), lengths, 0, Reduction.SUM, false).item()
                - Losses.ctc(Tensor.fromArray(down, s), ctcTargets("ctc"), lengths, 0, Reduction.SUM, false).item()) / (2 * h);
        assertEquals(fd, g.toArray()[i], 1e-7, "finite difference");
        assertTrue(Math.abs(torch[i] - fd) > 1e-3, "PyTorch's own gradient is not the derivative here: " + torch[i] + " vs " + fd);
    }
}
