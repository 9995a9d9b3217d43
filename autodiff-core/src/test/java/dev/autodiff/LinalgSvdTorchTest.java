package dev.autodiff;

import static dev.autodiff.LinalgTorchTest.close;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.check.GradCheck;
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
    private static final Map<String, Tensor> FIXTURES = LinalgTorchTest.read("torch_linalg_svd.txt");
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

    private static Tensor fx(String name) {
        Tensor t = FIXTURES.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no fixture named " + name);
        }
        return t;
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
        close(name + " grad", fx(name + ".grad"), gradOrZero(loss.apply(xl), xl));
        Tensor jv = fx(name + ".jvp");
        close(name + " jvp", jv, Autodiff.jvp(f, x, v).tangent());
        Tensor both = Autodiff.jvp(f, x, Tensor.stack(0, v, v.mul(-2.0))).tangent();
        close(name + " batched jvp", jv.mul(-2.0), both.slice(0, 1, 2).squeeze(0));
        Tensor hv = fx(name + ".hvp");
        Tensor x2 = x.detach().requiresGrad();
        Tensor l2 = loss.apply(x2);
        Tensor g = l2.needsGrad() ? Autodiff.grad(l2, true, x2)[0] : Tensor.zeros(x.shape());
        close(name + " hvp reverse over reverse", hv, gradOrZero(g.mul(v).sum(), x2));
        close(name + " hvp forward over reverse", hv, Autodiff.hvp(loss, x, v));
        Tensor x3 = x.detach().requiresGrad();
        close(name + " hvp reverse over forward", hv, gradOrZero(Autodiff.jvp(loss, x3, v).tangent(), x3));
    }

    /** The gradient, or zeros where y does not depend on x (the 0-"norm" is a constant). */
    private static Tensor gradOrZero(Tensor y, Tensor x) {
        return y.needsGrad() ? Autodiff.grad(y, x)[0] : Tensor.zeros(x.shape());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void gradChecksInBothModesToSecondOrder(String name) {
        Function<Tensor, Tensor> f = CASES.get(name);
        GradCheck c = GradCheck.of(xs -> f.apply(xs[0])).seed(name.hashCode());
        c.check(fx(name + ".x"));
        c.checkSecondOrder(fx(name + ".x"));
    }

    @Test
    void everyGeneratorCaseIsReplayed() {
        long cases = FIXTURES.keySet().stream().filter(k -> k.endsWith(".y")).count();
        assertEquals(cases, CASES.size());
    }
}
