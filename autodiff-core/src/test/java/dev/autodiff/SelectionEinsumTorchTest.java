package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
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
    private static final Map<String, Tensor> FIXTURES = read();

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
        Tensor t = FIXTURES.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no fixture named " + name);
        }
        return t;
    }

    private static void close(String what, Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            boolean ok = e[i] == a[i] || (Double.isNaN(e[i]) && Double.isNaN(a[i]))
                    || Math.abs(e[i] - a[i]) <= 1e-10 + 1e-10 * Math.abs(e[i]);
            assertTrue(ok, what + ": element " + i + " expected " + e[i] + " got " + a[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void matchesPyTorch(String name) {
        Function<Tensor, Tensor> f = CASES.get(name);
        Tensor x = fx(name + ".x");
        Tensor r = fx(name + ".r");
        Tensor v = fx(name + ".v");
        close(name + " value", fx(name + ".y"), f.apply(x));
        Function<Tensor, Tensor> loss = t -> f.apply(t).mul(r).sum();

        Tensor xl = x.detach().requiresGrad();
        close(name + " grad", fx(name + ".grad"), Autodiff.grad(loss.apply(xl), xl)[0]);
        Tensor xb = x.detach().requiresGrad();
        loss.apply(xb).backward();
        close(name + " backward", fx(name + ".grad"), xb.grad());

        Tensor jv = fx(name + ".jvp");
        Autodiff.Jvp j = Autodiff.jvp(f, x, v);
        close(name + " jvp value", fx(name + ".y"), j.value());
        close(name + " jvp", jv, j.tangent());
        Tensor both = Autodiff.jvp(f, x, Tensor.stack(0, v, v.mul(-2.0))).tangent();
        close(name + " batched jvp, first", jv, both.slice(0, 0, 1).squeeze(0));
        close(name + " batched jvp, second", jv.mul(-2.0), both.slice(0, 1, 2).squeeze(0));

        if (!FIXTURES.containsKey(name + ".hvp")) {
            return;
        }
        Tensor hv = fx(name + ".hvp");
        Tensor x2 = x.detach().requiresGrad();
        Tensor g = Autodiff.grad(loss.apply(x2), true, x2)[0];
        Tensor revRev = g.needsGrad() ? Autodiff.grad(g.mul(v).sum(), x2)[0] : Tensor.zeros(x.shape());
        close(name + " hvp reverse over reverse", hv, revRev);
        close(name + " hvp forward over reverse", hv, Autodiff.hvp(loss, x, v));
        Tensor x3 = x.detach().requiresGrad();
        Tensor dir = Autodiff.jvp(loss, x3, v).tangent();
        Tensor revFwd = dir.needsGrad() ? Autodiff.grad(dir, x3)[0] : Tensor.zeros(x.shape());
        close(name + " hvp reverse over forward", hv, revFwd);
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
        long cases = FIXTURES.keySet().stream().filter(k -> k.endsWith(".y")).count();
        assertEquals(cases, CASES.size(), "a case in torch_selection_einsum.txt without a Java function, or the converse");
        long indexed = FIXTURES.keySet().stream().filter(k -> k.endsWith(".indices")).count();
        assertEquals(indexed, INDICES.size(), "a selection's indices in the file without a Java function, or the converse");
    }

    private static Map<String, Tensor> read() {
        Map<String, Tensor> m = new HashMap<>();
        try (InputStream in = SelectionEinsumTorchTest.class.getResourceAsStream("torch_selection_einsum.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split(" ", -1);
                int[] shape = f[1].isEmpty() ? new int[0] : java.util.Arrays.stream(f[1].split(",")).mapToInt(Integer::parseInt).toArray();
                double[] v = new double[f.length - 2];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Double.parseDouble(f[i + 2]);
                }
                m.put(f[0], Tensor.fromArray(v, shape));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }
}
