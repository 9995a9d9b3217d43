package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    private static final TorchFixtures FIXTURES = TorchFixtures.read("torch_linalg.txt");
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void matchesPyTorch(String name) {
        FIXTURES.replay(name, CASES.get(name), TorchFixtures.Replay.STRICT);
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
}
