package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * svd, svdvals, pinv, matrixNorm and vectorNorm against PyTorch 1.13 in float64 (torch_linalg_svd.txt from
 * gen_linalg_svd.py): value, gradient of sum(y r), J v (one and two stacked tangents), H v three ways, to
 * 1e-10 + 1e-10 |expected|; GradCheck in both modes to second order. Singular vectors are compared through
 * functions invariant under the sign of each singular pair (|U|, |Vh|, U diag(exp(S)) Vh, U_k U_k^T).
 */
class LinalgSvdTorchTest {
    private static final TorchFixtures FIXTURES = TorchFixtures.read("torch_linalg_svd.txt");
    static final Map<String, Function<Tensor, Tensor>> CASES = new LinkedHashMap<>();

    private static Tensor usv(Tensor x, boolean full) {
        Linalg.SVD r = Linalg.svd(x, full);
        int k = r.s().dim(-1);
        return r.u().slice(-1, 0, k).mul(r.s().exp().unsqueeze(-2)).matmul(r.vh().slice(-2, 0, k));
    }

    private static Tensor rank2(Tensor x) {
        return x.slice(1, 0, 2).matmul(x.slice(0, 0, 2).slice(1, 2, 5));
    }

    static {
        for (String nm : new String[] {"square", "tall", "wide", "batched"}) {
            CASES.put("svdvals_" + nm, Linalg::svdvals);
            CASES.put("svd_s_" + nm, x -> Linalg.svd(x).s());
            CASES.put("svd_absu_" + nm, x -> Linalg.svd(x, false).u().abs());
            CASES.put("svd_absvh_" + nm, x -> Linalg.svd(x, false).vh().abs());
            CASES.put("svd_usv_" + nm, x -> usv(x, false));
        }
        CASES.put("svd_full_usv_tall", x -> usv(x, true));
        CASES.put("svd_full_usv_wide", x -> usv(x, true));
        CASES.put("svd_full_absu_tall", x -> Linalg.svd(x).u().slice(-1, 0, 2).abs());
        CASES.put("svd_full_absvh_wide", x -> Linalg.svd(x).vh().slice(-2, 0, 2).abs());
        CASES.put("svd_projector_tall", x -> {
            Tensor u = Linalg.svd(x).u().slice(-1, 0, 2);
            return u.matmul(u.transpose(-2, -1));
        });
        for (String nm : new String[] {"square", "tall", "wide", "batched"}) {
            CASES.put("pinv_" + nm, Linalg::pinv);
        }
        CASES.put("pinv_rank_deficient", x -> Linalg.pinv(rank2(x), 1e-8, false));
        CASES.put("pinv_rank_deficient_wide", x -> Linalg.pinv(rank2(x).transpose(-2, -1), 1e-8, false));
        CASES.put("pinv_hermitian", x -> Linalg.pinv(x.add(x.transpose(-2, -1)), Math.ulp(1.0) * 3, true));
        double inf = Double.POSITIVE_INFINITY;
        String[] ordNames = {"fro", "nuc", "2", "m2", "1", "m1", "inf", "minf"};
        Object[] ords = {"fro", "nuc", 2.0, -2.0, 1.0, -1.0, inf, -inf};
        for (int i = 0; i < ords.length; i++) {
            Object ord = ords[i];
            CASES.put("matrix_norm_" + ordNames[i], x -> ord instanceof String
                    ? Linalg.matrixNorm(x, (String) ord) : Linalg.matrixNorm(x, (Double) ord));
            int[] dims = {2, 0};
            CASES.put("matrix_norm_dims_" + ordNames[i], x -> ord instanceof String
                    ? Linalg.matrixNorm(x, (String) ord, dims, true) : Linalg.matrixNorm(x, (Double) ord, dims, true));
        }
        CASES.put("matrix_norm_default", Linalg::matrixNorm);
        String[] vNames = {"2", "1", "inf", "minf", "0", "3", "half", "m1", "1p5"};
        double[] vOrds = {2, 1, inf, -inf, 0, 3, 0.5, -1, 1.5};
        for (int i = 0; i < vOrds.length; i++) {
            double ord = vOrds[i];
            CASES.put("vector_norm_" + vNames[i], x -> Linalg.vectorNorm(x, ord, null, false));
            CASES.put("vector_norm_dims_" + vNames[i], x -> Linalg.vectorNorm(x, ord, new int[] {0, 2}, true));
        }
    }

    static Stream<String> names() {
        return CASES.keySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void matchesPyTorch(String name) {
        // the 0-"norm" is a constant: its derivatives are zeros, not a graph
        FIXTURES.replay(name, CASES.get(name), TorchFixtures.Replay.STRICT.withZeros(TorchFixtures.Zeros.ANY));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void gradChecksInBothModesToSecondOrder(String name) {
        FIXTURES.gradChecksToSecondOrder(name, CASES.get(name));
    }

    @Test
    void everyGeneratorCaseIsReplayed() {
        long cases = FIXTURES.names().stream().filter(k -> k.endsWith(".y")).count();
        assertEquals(cases, CASES.size());
    }
}
