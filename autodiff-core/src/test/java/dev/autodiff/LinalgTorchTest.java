package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
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
 * Linalg against PyTorch 1.13 in float64 (torch_linalg.txt from gen_linalg.py): value, gradient of
 * sum(y r), J v (one and two stacked tangents), H v three ways, to 1e-10 + 1e-10 |expected|; GradCheck in
 * both modes to second order; the singular and bad-shape errors name the op.
 */
class LinalgTorchTest {
    private static final Map<String, Tensor> FIXTURES = read("torch_linalg.txt");
    static final Map<String, Function<Tensor, Tensor>> CASES = new LinkedHashMap<>();

    private static Tensor well(Tensor x, int n) {
        return x.slice(-1, 0, n).add(Tensor.eye(n).mul(n));
    }

    private static Tensor spd(Tensor x, int n) {
        Tensor m = x.slice(-1, 0, n);
        return m.matmul(m.transpose(-2, -1)).add(Tensor.eye(n));
    }

    private static Tensor rest(Tensor x, int n) {
        return x.slice(-1, n, x.dim(-1));
    }

    static {
        CASES.put("solve", x -> Linalg.solve(well(x, 3), rest(x, 3)));
        CASES.put("solve_batched", x -> Linalg.solve(well(x, 3), rest(x, 3)));
        CASES.put("solve_vector", x -> Linalg.solve(well(x, 3), x.slice(-1, 3, 4).squeeze(-1)));
        CASES.put("solve_right", x -> Linalg.solve(well(x.slice(0, 0, 3), 3), x.slice(0, 3, 5).slice(1, 0, 3), false));
        CASES.put("solve_broadcast", x -> Linalg.solve(well(x.slice(0, 0, 1).squeeze(0), 3), rest(x, 3)));
        for (boolean up : new boolean[] {true, false}) {
            for (boolean left : new boolean[] {true, false}) {
                for (boolean unit : new boolean[] {true, false}) {
                    String nm = "solve_triangular_" + (up ? "u" : "l") + (left ? "L" : "R") + (unit ? "1" : "");
                    if (left) {
                        CASES.put(nm, x -> Linalg.solveTriangular(well(x, 3), rest(x, 3), up, true, unit));
                    } else {
                        CASES.put(nm, x -> Linalg.solveTriangular(well(x.slice(-2, 0, 3), 3), x.slice(-2, 3, 5), up, false, unit));
                    }
                }
            }
        }
        CASES.put("inv", x -> Linalg.inv(well(x, 3)));
        CASES.put("inv_batched", x -> Linalg.inv(well(x, 4)));
        CASES.put("cholesky", x -> Linalg.cholesky(spd(x, 3)));
        CASES.put("cholesky_batched", x -> Linalg.cholesky(spd(x, 4)));
        CASES.put("cholesky_upper", x -> Linalg.cholesky(spd(x, 3), true));
        CASES.put("det", Linalg::det);
        CASES.put("det_batched", Linalg::det);
        CASES.put("logabsdet", x -> Linalg.slogdet(x)[1]);
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

    /** expected and actual agree to 1e-10 + 1e-10 |expected| elementwise, shapes equal. */
    static void close(String what, Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - a[i]) <= 1e-10 + 1e-10 * Math.abs(e[i]),
                    what + ": element " + i + " expected " + e[i] + " got " + a[i]);
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
        Tensor jv = fx(name + ".jvp");
        close(name + " jvp", jv, Autodiff.jvp(f, x, v).tangent());
        Tensor both = Autodiff.jvp(f, x, Tensor.stack(0, v, v.mul(-2.0))).tangent();
        close(name + " batched jvp", jv.mul(-2.0), both.slice(0, 1, 2).squeeze(0));
        Tensor hv = fx(name + ".hvp");
        Tensor x2 = x.detach().requiresGrad();
        Tensor g = Autodiff.grad(loss.apply(x2), true, x2)[0];
        close(name + " hvp reverse over reverse", hv, Autodiff.grad(g.mul(v).sum(), x2)[0]);
        close(name + " hvp forward over reverse", hv, Autodiff.hvp(loss, x, v));
        Tensor x3 = x.detach().requiresGrad();
        close(name + " hvp reverse over forward", hv, Autodiff.grad(Autodiff.jvp(loss, x3, v).tangent(), x3)[0]);
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

    @Test
    void emptyBatchGivesEmptyResults() {
        assertArrayEquals(new int[] {0, 3, 2}, Linalg.solve(Tensor.zeros(0, 3, 3), Tensor.zeros(0, 3, 2)).shape());
        assertArrayEquals(new int[] {0, 3, 3}, Linalg.cholesky(Tensor.zeros(0, 3, 3)).shape());
        assertArrayEquals(new int[] {0}, Linalg.det(Tensor.zeros(0, 3, 3)).shape());
    }

    private static void throwsNaming(String op, String part, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith(op + ":") && e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void singularAndBadShapesNameTheOp() {
        Tensor singular = Tensor.fromArray(new double[] {1, 2, 2, 4}, 2, 2);
        throwsNaming("solve", "singular", () -> Linalg.solve(singular, Tensor.ones(2, 1)));
        throwsNaming("inv", "singular", () -> Linalg.inv(singular));
        throwsNaming("cholesky", "not positive-definite", () -> Linalg.cholesky(Tensor.fromArray(new double[] {1, 2, 2, 1}, 2, 2)));
        assertEquals(0.0, Linalg.det(singular).item());
        throwsNaming("solve", "square", () -> Linalg.solve(Tensor.ones(2, 3), Tensor.ones(2, 1)));
        throwsNaming("solve", "B must be", () -> Linalg.solve(Tensor.eye(2), Tensor.ones(3, 1)));
        throwsNaming("solve", "broadcast", () -> Linalg.solve(Tensor.ones(2, 2, 2), Tensor.ones(3, 2, 1)));
        throwsNaming("inv", "square", () -> Linalg.inv(Tensor.ones(3)));
        throwsNaming("det", "square", () -> Linalg.det(Tensor.ones(2, 3)));
        throwsNaming("slogdet", "square", () -> Linalg.slogdet(Tensor.ones(2, 3)));
        throwsNaming("cholesky", "square", () -> Linalg.cholesky(Tensor.ones(4)));
        throwsNaming("solveTriangular", "square", () -> Linalg.solveTriangular(Tensor.ones(2, 3), Tensor.ones(2, 1), true));
        throwsNaming("solveTriangular", "B must be", () -> Linalg.solveTriangular(Tensor.eye(2), Tensor.ones(2), true));
    }

    @Test
    void slogdetSignAsPyTorch() {
        Tensor a = Tensor.fromArray(new double[] {0, 1, 1, 0, 2, 0, 0, 3}, 2, 2, 2);
        Tensor[] sl = Linalg.slogdet(a);
        assertArrayEquals(new double[] {-1, 1}, sl[0].toArray());
        assertEquals(Math.log(6), sl[1].toArray()[1], 1e-15);
        assertArrayEquals(new double[] {-1, 6}, Linalg.det(a).toArray(), 1e-15);
    }

    /** A fixture file of lines "name shape values..." (a generator's format) beside this class. */
    static Map<String, Tensor> read(String resource) {
        Map<String, Tensor> m = new HashMap<>();
        try (InputStream in = LinalgTorchTest.class.getResourceAsStream(resource)) {
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
