package dev.autodiff;

import static dev.autodiff.TorchFixtures.close;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 16's reductions, scans and movement ops against PyTorch 1.13 in float64: the fixtures
 * torch_reductions.txt written by gen_reductions.py (beside it in the test resources). Per case: the value,
 * the gradient of sum(y r) (by grad and by backward), J v in forward mode (one tangent and two stacked), and
 * H v of sum(y r) reverse-over-reverse, forward-over-reverse and reverse-over-forward, each to
 * 1e-10 + 1e-10 |expected|.
 */
class ReductionsMovementTorchTest {
    private static final TorchFixtures FIXTURES = TorchFixtures.read("torch_reductions.txt");
    /**
     * A linear op's gradient is constant, so its H v are zeros; a case without H v in the file (norm2_zero_row,
     * where PyTorch's double backward is NaN) is checked to first order only.
     */
    private static final TorchFixtures.Replay REPLAY =
            TorchFixtures.Replay.STRICT.withZeros(TorchFixtures.Zeros.SECOND_ORDER).withBackward().withHvpWhereRecorded();

    /** The same functions as the generator's cases, by name. */
    static final Map<String, Function<Tensor, Tensor>> CASES = new LinkedHashMap<>();

    private static Tensor weighted(Tensor[] pieces, int axis) {
        Tensor[] w = new Tensor[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            w[i] = pieces[i].mul(i + 1.0);
        }
        return Tensor.concat(axis, w);
    }

    static {
        CASES.put("var_all", Tensor::var);
        CASES.put("var_axis_c0_keep", x -> x.var(0, true, 1));
        CASES.put("var_axes_neg", x -> x.var(1, false, 0, -1));
        CASES.put("var_c2", x -> x.var(2, false, 1));
        CASES.put("std_all", Tensor::std);
        CASES.put("std_axis_keep", x -> x.std(1, true, 0));
        CASES.put("std_zero_variance_row", x -> x.std(1, false, 1));
        CASES.put("prod_all", Tensor::prod);
        CASES.put("prod_axis_zeros", x -> x.prod(false, 1));
        CASES.put("prod_all_one_zero", Tensor::prod);
        CASES.put("prod_axes_keep", x -> x.prod(true, 0, 2));
        CASES.put("cumsum_axis1", x -> x.cumsum(1));
        CASES.put("cumsum_neg_axis", x -> x.cumsum(-1));
        CASES.put("cumsum_axis0", x -> x.cumsum(0));
        CASES.put("cumprod_zeros", x -> x.cumprod(1));
        CASES.put("cumprod_axis0", x -> x.cumprod(0));
        CASES.put("logcumsumexp", x -> x.logcumsumexp(1));
        CASES.put("logcumsumexp_extreme", x -> x.logcumsumexp(-1));
        CASES.put("norm2_all", Tensor::norm);
        CASES.put("norm2_axis_keep", x -> x.norm(2, true, 1));
        CASES.put("norm_fro", x -> x.norm(2, false, -2, -1));
        CASES.put("norm1_axis", x -> x.norm(1, false, 1));
        CASES.put("norminf_axis", x -> x.norm(Double.POSITIVE_INFINITY, false, 1));
        CASES.put("normneginf_axis", x -> x.norm(Double.NEGATIVE_INFINITY, false, 0));
        CASES.put("norm2_zero_row", x -> x.norm(2, false, 1));
        CASES.put("flip", x -> x.flip(0, -1));
        CASES.put("roll", x -> x.roll(new int[] {1, -2}, new int[] {0, 2}));
        CASES.put("roll_flat", x -> x.roll(4));
        CASES.put("repeat", x -> x.repeat(2, 1, 3));
        CASES.put("tile", x -> x.tile(2));
        CASES.put("repeat_interleave", x -> x.repeatInterleave(2, 1));
        CASES.put("repeat_interleave_counts", x -> x.repeatInterleave(new int[] {2, 0, 1}, 0));
        CASES.put("repeat_interleave_flat", x -> x.repeatInterleave(3));
        CASES.put("tril", x -> x.tril(-1));
        CASES.put("triu", x -> x.triu(1));
        CASES.put("diag_vector", x -> x.diag(1));
        CASES.put("diag_vector_below", x -> x.diag(-2));
        CASES.put("diag_matrix", x -> x.diag(1));
        CASES.put("diagonal", x -> x.diagonal(-1, 0, 2));
        CASES.put("trace", Tensor::trace);
        CASES.put("chunk", x -> weighted(x.chunk(3, 1), 1));
        CASES.put("split", x -> weighted(x.split(new int[] {1, 3}, 0), 0));
        Tensor mask = Tensor.fromArray(new double[] {1, 0, 0, 1}, 1, 4);
        CASES.put("masked_fill", x -> x.maskedFill(mask, -2.5));
    }

    static Stream<String> names() {
        return CASES.keySet().stream();
    }

    private static Tensor fx(String name) {
        return FIXTURES.fx(name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void matchesPyTorch(String name) {
        FIXTURES.replay(name, CASES.get(name), REPLAY);
    }

    @Test
    void allAndAnyAreConstantMasksAsPyTorchs() {
        Tensor x = fx("all_any.x").detach().requiresGrad();
        close("all(0)", fx("all_any.all0"), x.all(false, 0));
        close("any(1)", fx("all_any.any1"), x.any(false, 1));
        close("all()", fx("all_any.all"), x.all());
        assertTrue(!x.all().needsGrad() && !x.any(true, 1).needsGrad(), "all and any are constants");
    }

    @Test
    void everyGeneratorCaseIsReplayed() {
        long cases = FIXTURES.names().stream().filter(k -> k.endsWith(".y")).count();
        assertEquals(cases, CASES.size(), "a case in torch_reductions.txt without a Java function, or the converse");
    }
}
