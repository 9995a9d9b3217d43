package dev.autodiff;

import static dev.autodiff.TorchFixtures.close;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
 * Issue 16's selection ops and einsum against PyTorch 1.13 in float64: the fixtures torch_selection_einsum.txt
 * written by gen_selection_einsum.py (beside it in the test resources), replayed as ReductionsMovementTorchTest
 * does: value, gradient of sum(y r) (grad and backward), J v in forward mode (one tangent and two stacked),
 * H v in three mode orders, each to 1e-10 + 1e-10 |expected|; and the selections' indices exactly. An einsum of
 * several operands reads them from one flat x, in order, as the generator packs them.
 */
class SelectionEinsumTorchTest {
    private static final TorchFixtures FIXTURES = TorchFixtures.read("torch_selection_einsum.txt");
    /** The selections are piecewise linear and einsum multilinear: where a gradient is constant, H v are zeros. */
    private static final TorchFixtures.Replay REPLAY =
            TorchFixtures.Replay.STRICT.withZeros(TorchFixtures.Zeros.SECOND_ORDER).withBackward().withHvpWhereRecorded();

    /** The same functions as the generator's cases, by name. */
    static final Map<String, Function<Tensor, Tensor>> CASES = new LinkedHashMap<>();
    /** For the selections, the indices they return. */
    static final Map<String, Function<Tensor, Tensor>> INDICES = new LinkedHashMap<>();

    private static void sel(String name, Function<Tensor, Tensor.ValuesIndices> op) {
        CASES.put(name, x -> op.apply(x).values());
        INDICES.put(name, x -> op.apply(x).indices());
    }

    /** einsum of the operands of the given shapes, taken one after the other from the flat x. */
    private static void ein(String name, String eq, int[]... shapes) {
        CASES.put(name, flat -> {
            Tensor[] ops = new Tensor[shapes.length];
            int at = 0;
            for (int i = 0; i < shapes.length; i++) {
                int n = dev.autodiff.kernel.Shapes.size(shapes[i]);
                ops[i] = flat.slice(0, at, at + n).reshape(shapes[i]);
                at += n;
            }
            return Tensor.einsum(eq, ops);
        });
    }

    private static int[] s(int... shape) {
        return shape;
    }

    static {
        sel("sort_dim1", x -> x.sort(1));
        sel("sort_dim0_desc", x -> x.sort(0, true));
        sel("sort_stable_ties", x -> x.sort(-1, false, true));
        sel("sort_stable_ties_desc", x -> x.sort(-1, true, true));
        sel("sort_stable_ties_dim0", x -> x.sort(0, false, true));
        sel("sort_nan", x -> x.sort(1, false, true));
        sel("sort_nan_desc", x -> x.sort(1, true, true));
        sel("sort_long_ties", x -> x.sort(1, false, true));
        sel("sort_long_ties_desc", x -> x.sort(1, true, true));
        sel("sort_long_dim0", x -> x.sort(0, false, true));
        sel("sort_rank3", x -> x.sort(1));
        sel("sort_scalar", x -> x.sort(0));
        sel("topk_largest", x -> x.topk(3, 1, true, true));
        sel("topk_smallest_dim0", x -> x.topk(2, 0, false, true));
        sel("topk_all", x -> x.topk(5));
        sel("topk_nan", x -> x.topk(2, 1, true, true));
        sel("kthvalue_keep", x -> x.kthvalue(2, 1, true));
        sel("kthvalue_dim0", x -> x.kthvalue(4, 0));
        sel("kthvalue_nan", x -> x.kthvalue(3, 1));
        sel("median_dim_odd", x -> x.median(1));
        sel("median_dim_even_keep", x -> x.median(0, true));
        sel("median_dim_nan", x -> x.median(1));
        CASES.put("median_all_odd", Tensor::median);
        CASES.put("median_all_even", Tensor::median);
        CASES.put("median_all_ties", Tensor::median);
        CASES.put("median_all_nan", Tensor::median);
        CASES.put("median_all_inf_ties", Tensor::median);
        ein("einsum_matmul", "ij,jk->ik", s(2, 3), s(3, 4));
        ein("einsum_implicit_matmul", "ij,jk", s(2, 3), s(3, 4));
        ein("einsum_implicit_upper_first", "Ba,aB", s(2, 3), s(3, 2));
        ein("einsum_implicit_order", "bA,ab", s(2, 3), s(3, 2));
        ein("einsum_batched", "bij,bjk->bik", s(2, 3, 4), s(2, 4, 2));
        ein("einsum_transposed_a", "ji,jk->ik", s(3, 2), s(3, 4));
        ein("einsum_transposed_b", "ij,kj->ik", s(2, 3), s(4, 3));
        ein("einsum_batched_both_transposed", "bji,bkj->bik", s(2, 3, 2), s(2, 4, 3));
        ein("einsum_ellipsis_broadcast", "...ij,...jk->...ik", s(2, 1, 3, 4), s(5, 4, 2));
        ein("einsum_implicit_ellipsis", "...ij,...jk", s(2, 3, 4), s(4, 2));
        ein("einsum_ellipsis_summed", "...ij->ij", s(2, 3, 4));
        ein("einsum_ellipsis_middle", "i...j,j...->i...", s(2, 3, 4), s(4, 3));
        ein("einsum_diag", "ii->i", s(3, 3));
        ein("einsum_trace", "ii", s(4, 4));
        ein("einsum_diag_3d", "iji->j", s(3, 2, 3));
        ein("einsum_diag_contract", "ii,ij->j", s(3, 3), s(3, 2));
        ein("einsum_sum_all", "ij->", s(3, 4));
        ein("einsum_sum_axis", "ijk->ik", s(2, 3, 4));
        ein("einsum_transpose", "ijk->kij", s(2, 3, 4));
        ein("einsum_dot", "i,i", s(5), s(5));
        ein("einsum_outer", "i,j->ij", s(3), s(4));
        ein("einsum_scalar_operand", ",ij->ji", s(), s(2, 3));
        ein("einsum_size1_broadcast", "ij,ij->ij", s(2, 1), s(2, 4));
        ein("einsum_size1_contracted", "ij,jk->ik", s(2, 1), s(3, 4));
        ein("einsum_chain3", "ij,jk,kl->il", s(4, 2), s(2, 5), s(5, 3));
        ein("einsum_chain4", "ab,bc,cd,de->ae", s(3, 4), s(4, 2), s(2, 5), s(5, 2));
        ein("einsum_bilinear", "bn,anm,bm->ba", s(2, 3), s(4, 3, 2), s(2, 2));
        ein("einsum_three_shared", "ij,ij,ij->i", s(2, 3), s(2, 3), s(2, 3));
        ein("einsum_no_shared", "i,j,k->ijk", s(2), s(3), s(2));
        ein("einsum_attention", "bhqd,bhkd->bhqk", s(2, 2, 3, 4), s(2, 2, 2, 4));
        ein("einsum_spaces", " i j , j k -> k i ", s(2, 3), s(3, 2));
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

    static Stream<String> selections() {
        return INDICES.keySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("selections")
    void indicesMatchPyTorch(String name) {
        Tensor x = fx(name + ".x").detach().requiresGrad();
        Tensor idx = INDICES.get(name).apply(x);
        assertArrayEquals(fx(name + ".indices").toArray(), idx.toArray(), 0.0, name + " indices");
        assertArrayEquals(fx(name + ".indices").shape(), idx.shape(), name + " indices shape");
        assertTrue(!idx.needsGrad(), name + ": indices are constants");
    }

    @Test
    void everyGeneratorCaseIsReplayed() {
        long cases = FIXTURES.names().stream().filter(k -> k.endsWith(".y")).count();
        assertEquals(cases, CASES.size(), "a case in torch_selection_einsum.txt without a Java function, or the converse");
        long indexed = FIXTURES.names().stream().filter(k -> k.endsWith(".indices")).count();
        assertEquals(indexed, INDICES.size(), "a selection's indices in the file without a Java function, or the converse");
    }
}
