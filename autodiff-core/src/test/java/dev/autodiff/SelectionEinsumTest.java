package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 16's selection ops and einsum: gradchecked in both modes and to second order (against central finite
 * differences, so an oracle independent of the rules), hand values for the tie and NaN orders, an einsum
 * against a plain loop over its index space on random equations, the contraction order and the matmul path,
 * and every bad input named.
 */
class SelectionEinsumTest {
    private static final long SEED = 20261203L;

    record Case(String name, Fn fn, Tensor... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Tensor normal(long salt, int... shape) {
        return Tensor.randn(SEED + salt, shape);
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        // selections: distinct values (random normals), so finite differences do not cross a tie
        c.add(new Case("sort dim 1", xs -> xs[0].sort(1).values(), normal(1, 3, 4)));
        c.add(new Case("sort descending dim 0", xs -> xs[0].sort(0, true).values(), normal(2, 4, 3)));
        c.add(new Case("sort rank 3 middle axis", xs -> xs[0].sort(-2).values(), normal(3, 2, 3, 2)));
        c.add(new Case("sort empty axis", xs -> xs[0].sort(1).values(), normal(4, 2, 0)));
        c.add(new Case("sort size-1 axis", xs -> xs[0].sort(0).values(), normal(5, 1, 4)));
        c.add(new Case("sort rank 0", xs -> xs[0].sort().values(), normal(6)));
        c.add(new Case("topk largest", xs -> xs[0].topk(2, 1, true, true).values(), normal(7, 3, 4)));
        c.add(new Case("topk smallest", xs -> xs[0].topk(3, 0, false, true).values(), normal(8, 4, 2)));
        c.add(new Case("topk k = 0", xs -> xs[0].topk(0).values(), normal(9, 2, 3)));
        c.add(new Case("kthvalue", xs -> xs[0].kthvalue(2, 1).values(), normal(10, 3, 4)));
        c.add(new Case("kthvalue keepDims", xs -> xs[0].kthvalue(3, 0, true).values(), normal(11, 3, 2)));
        c.add(new Case("median dim", xs -> xs[0].median(1).values(), normal(12, 3, 4)));
        c.add(new Case("median dim keepDims", xs -> xs[0].median(0, true).values(), normal(13, 5, 2)));
        c.add(new Case("median all", xs -> xs[0].median(), normal(14, 3, 3)));
        c.add(new Case("median all even", xs -> xs[0].median(), normal(15, 2, 3)));
        // a selection feeding a smooth function: second order is then not zero
        c.add(new Case("sort then tanh * x", xs -> xs[0].sort(1).values().tanh().mul(xs[0]), normal(16, 2, 3)));
        c.add(new Case("topk squared", xs -> xs[0].topk(2).values().square(), normal(17, 2, 4)));
        // einsum: bilinear and multilinear in its operands, so second order is not zero
        c.add(new Case("einsum matmul", xs -> Tensor.einsum("ij,jk->ik", xs[0], xs[1]), normal(20, 2, 3), normal(21, 3, 4)));
        c.add(new Case("einsum implicit", xs -> Tensor.einsum("ij,jk", xs[0], xs[1]), normal(22, 2, 3), normal(23, 3, 2)));
        c.add(new Case("einsum batched", xs -> Tensor.einsum("bij,bjk->bik", xs[0], xs[1]), normal(24, 2, 2, 3),
                normal(25, 2, 3, 2)));
        c.add(new Case("einsum transposed operands", xs -> Tensor.einsum("bji,bkj->bik", xs[0], xs[1]), normal(48, 2, 3, 2),
                normal(49, 2, 2, 3)));
        c.add(new Case("einsum ellipsis broadcast", xs -> Tensor.einsum("...ij,...jk->...ik", xs[0], xs[1]),
                normal(26, 2, 1, 2, 3), normal(27, 3, 3, 2)));
        c.add(new Case("einsum diagonal", xs -> Tensor.einsum("ii->i", xs[0]), normal(28, 3, 3)));
        c.add(new Case("einsum trace", xs -> Tensor.einsum("ii", xs[0]), normal(29, 3, 3)));
        c.add(new Case("einsum diagonal times", xs -> Tensor.einsum("ii,ij->j", xs[0], xs[1]), normal(30, 3, 3),
                normal(31, 3, 2)));
        c.add(new Case("einsum chain 3", xs -> Tensor.einsum("ij,jk,kl->il", xs[0], xs[1], xs[2]), normal(32, 3, 2),
                normal(33, 2, 4), normal(34, 4, 2)));
        c.add(new Case("einsum bilinear", xs -> Tensor.einsum("bn,anm,bm->ba", xs[0], xs[1], xs[2]), normal(35, 2, 3),
                normal(36, 2, 3, 2), normal(37, 2, 2)));
        c.add(new Case("einsum same operand twice", xs -> Tensor.einsum("ij,ij->", xs[0], xs[0]), normal(38, 2, 3)));
        c.add(new Case("einsum size-1 broadcast", xs -> Tensor.einsum("ij,ij->ij", xs[0], xs[1]), normal(39, 2, 1),
                normal(40, 2, 3)));
        c.add(new Case("einsum empty contraction", xs -> Tensor.einsum("ij,jk->ik", xs[0], xs[1]), normal(41, 2, 0),
                normal(42, 0, 3)));
        c.add(new Case("einsum size 1 against size 0", xs -> Tensor.einsum("ij,ij->ij", xs[0], xs[1]), normal(46, 2, 1),
                normal(47, 2, 0)));
        c.add(new Case("einsum outer 3", xs -> Tensor.einsum("i,j,k", xs[0], xs[1], xs[2]), normal(43, 2), normal(44, 3),
                normal(45, 2)));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradcheck(Case c) {
        GradCheck.of(c.fn()).tolerance(1e-6, 1e-5).seed(SEED).check(c.inputs());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradOfGrad(Case c) {
        GradCheck.of(c.fn()).tolerance(1e-6, 1e-5).seed(SEED).checkSecondOrder(c.inputs());
    }

    private static Tensor v(double... values) {
        return Tensor.fromArray(values);
    }

    @Test
    void sortKeepsTiesInInputOrderAndPutsNaNLast() {
        double nan = Double.NaN;
        Tensor x = v(3, 1, nan, 2, 1, -0.0, 3, nan, 0.0);
        Tensor.ValuesIndices up = x.sort(0, false, true);
        assertArrayEquals(new double[] {5, 8, 1, 4, 3, 0, 6, 2, 7}, up.indices().toArray(), 0.0);
        assertArrayEquals(new double[] {-0.0, 0.0, 1, 1, 2, 3, 3, nan, nan}, up.values().toArray(), 0.0);
        // descending: NaN first, ties still in input order (torch.sort(stable=True, descending=True))
        assertArrayEquals(new double[] {2, 7, 0, 6, 3, 1, 4, 5, 8}, x.sort(0, true).indices().toArray(), 0.0);
        assertArrayEquals(new double[] {2, 7, 0, 6, 3, 1, 4, 5, 8}, x.argsort(0, true), 0.0);
        assertArrayEquals(new double[] {2, 7, 0}, x.topk(3).indices().toArray(), 0.0);
        assertArrayEquals(new double[] {5, 8}, x.topk(2, 0, false, true).indices().toArray(), 0.0);
    }

    private static void assertArrayEquals(double[] expected, Tensor actual, double delta) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual.toArray(), delta);
    }

    private static void assertArrayEquals(double[] expected, double[] actual, double delta) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, delta);
    }

    /** Lanes longer than the merge sort's insertion runs, full of ties, NaN and signed zeros: a boxed stable sort agrees. */
    @Test
    void sortAgreesWithAStableComparisonSortOnLongLanes() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int trial = 0; trial < 40; trial++) {
            int n = 1 + rnd.nextInt(300);
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                int r = rnd.nextInt(12);
                x[i] = r == 0 ? Double.NaN : r == 1 ? -0.0 : r == 2 ? Double.NEGATIVE_INFINITY : (r - 6) / 2.0;
            }
            for (boolean descending : new boolean[] {false, true}) {
                Integer[] ref = new Integer[n];
                for (int i = 0; i < n; i++) {
                    ref[i] = i;
                }
                java.util.Comparator<Integer> up = (p, q) -> {
                    double a = x[p];
                    double b = x[q];
                    boolean na = Double.isNaN(a);
                    boolean nb = Double.isNaN(b);
                    return na || nb ? Boolean.compare(na, nb) : Double.compare(a + 0.0, b + 0.0);
                };
                java.util.Arrays.sort(ref, descending ? up.reversed() : up); // stable
                double[] expected = java.util.Arrays.stream(ref).mapToDouble(Integer::doubleValue).toArray();
                assertArrayEquals(expected, Tensor.fromArray(x).sort(0, descending, true).indices(), 0.0);
            }
        }
    }

    @Test
    void medianIsTheLowerMiddleAndNaNWins() {
        assertEquals(2.0, v(4, 1, 3, 2).median().item(), 0.0);
        assertEquals(2.0, v(4, 1, 3, 2).median(0).values().item(), 0.0);
        assertEquals(3.0, v(4, 1, 3, 2).median(0).indices().item(), 0.0);
        assertTrue(Double.isNaN(v(4, Double.NaN, 3).median().item()));
        Tensor.ValuesIndices m = v(1, Double.NaN, 2, Double.NaN).median(0);
        assertTrue(Double.isNaN(m.values().item()));
        assertEquals(1.0, m.indices().item(), 0.0, "the first NaN, as torch.median(dim)");
        assertTrue(Double.isNaN(Tensor.zeros(0).median().item()), "median of nothing is NaN, as PyTorch");
        // a median of -0.0 keeps its sign, as torch.median returns the element itself
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(v(-0.0, 1, -2).median().item()));
        assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(v(0.0, 1, -2).median().item()));
        // median() splits its gradient among the tied elements, exactly valued
        Tensor x = v(0.1, 0.7, 0.1, -3, 0.1).requiresGrad();
        Tensor y = x.median();
        assertEquals(0.1, y.item(), 0.0);
        y.backward();
        assertArrayEquals(new double[] {1.0 / 3, 0, 1.0 / 3, 0, 1.0 / 3}, x.grad().toArray(), 1e-15);
        assertEquals(4.0, v(5, 1, 2, 4).kthvalue(3).values().item(), 0.0);
    }

    @Test
    void selectionIndicesAreConstantsAndValuesGatherTheGradient() {
        Tensor x = Tensor.fromArray(new double[] {0.5, -1, 2, 3, 0, -2}, 2, 3).requiresGrad();
        Tensor.ValuesIndices top = x.topk(1, 1, true, true);
        assertTrue(!top.indices().needsGrad() && top.values().needsGrad());
        top.values().sum().backward();
        assertArrayEquals(new double[] {0, 0, 1, 1, 0, 0}, x.grad().toArray(), 0.0);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 1}, top.values().shape());
    }

    /** einsum against a plain loop over the whole index space, on random operands and equations. */
    @Test
    void einsumMatchesALoopOverItsIndexSpace() {
        String[] eqs = {"ij,jk->ik", "ij,jk", "ii->i", "ii", "iji->j", "ijk,kj->i", "abc,cd,bd->a", "ij,ij,ij->j",
            "i,j,k->kji", "aab,bc->ca", "ab,bc,cd,da->", "ij->ji", "BaA,aB->A"};
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (String eq : eqs) {
            String[] sides = eq.split("->", -1);
            String[] terms = sides[0].split(",", -1);
            String all = String.join("", terms);
            String letters = all.chars().distinct().sorted().collect(StringBuilder::new, StringBuilder::appendCodePoint,
                    StringBuilder::append).toString();
            String output = sides.length > 1 ? sides[1]
                    : letters.chars().filter(ch -> all.indexOf(ch) == all.lastIndexOf(ch))
                            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            int[] size = new int[letters.length()];
            for (int l = 0; l < size.length; l++) {
                size[l] = 1 + rnd.nextInt(3);
            }
            Tensor[] ops = new Tensor[terms.length];
            for (int i = 0; i < terms.length; i++) {
                int[] shape = terms[i].chars().map(ch -> size[letters.indexOf(ch)]).toArray();
                ops[i] = Tensor.randn(SEED + rnd.nextInt(1000), shape);
            }
            int[] outShape = output.chars().map(ch -> size[letters.indexOf(ch)]).toArray();
            double[] expected = new double[dev.autodiff.kernel.Shapes.size(outShape)];
            int[] at = new int[letters.length()];
            int total = dev.autodiff.kernel.Shapes.size(size);
            for (int flat = 0; flat < total; flat++) {
                for (int l = size.length - 1, f = flat; l >= 0; l--) {
                    at[l] = f % size[l];
                    f /= size[l];
                }
                double p = 1;
                for (int i = 0; i < terms.length; i++) {
                    int[] idx = terms[i].chars().map(ch -> at[letters.indexOf(ch)]).toArray();
                    p *= ops[i].get(idx);
                }
                int o = 0;
                for (int k = 0; k < output.length(); k++) {
                    o = o * outShape[k] + at[letters.indexOf(output.charAt(k))];
                }
                expected[o] += p;
            }
            Tensor y = Tensor.einsum(eq, ops);
            org.junit.jupiter.api.Assertions.assertArrayEquals(outShape, y.shape(), eq + ": shape");
            assertTrue(Tensor.fromArray(expected, outShape).allClose(y, 1e-12, 1e-12), eq + ": " + y);
        }
    }

    /**
     * ij,jk,kl->il with a narrow j and l: (A B) first would make an n x n intermediate, the greedy order
     * contracts B C (2 x 2) first. Every step is a movement op, a sum or a matmul: no element loop.
     */
    @Test
    void einsumContractsInTheGreedyOrderThroughMatmul() {
        int n = 50;
        Tensor a = Tensor.randn(SEED, n, 2).requiresGrad();
        Tensor b = Tensor.randn(SEED + 1, 2, n).requiresGrad();
        Tensor c = Tensor.randn(SEED + 2, n, 2).requiresGrad();
        Tensor y = Tensor.einsum("ij,jk,kl->il", a, b, c);
        assertTrue(y.allClose(a.matmul(b.matmul(c)), 1e-12, 1e-12));
        int matmuls = 0;
        Set<String> allowed = Set.of("matmul", "matmulTransA", "matmulTransB", "matmulTransAB", "reshape", "permute", "sum",
                "diagonal", "broadcastTo", "transpose");
        for (Graph.Step s : Graph.of(y).steps()) {
            assertTrue(allowed.contains(s.op()), "einsum step " + s.op());
            assertTrue(s.value().size() <= 2 * n, "an intermediate of " + s.value().size() + " elements: " + s.op());
            matmuls += s.op().equals("matmul") ? 1 : 0;
        }
        assertEquals(2, matmuls, "one matmul per pairwise contraction");
        // a transposed layout goes to the transposed product, not through a permuted copy
        Tensor at = Tensor.randn(SEED + 3, 3, 4).requiresGrad();
        Tensor bt = Tensor.randn(SEED + 4, 5, 3).requiresGrad();
        Tensor z = Tensor.einsum("ji,kj->ik", at, bt);
        assertTrue(z.allClose(at.transpose(0, 1).matmul(bt.transpose(0, 1)), 1e-12, 1e-12));
        List<String> ops = Graph.of(z).steps().stream().map(Graph.Step::op).toList();
        assertEquals(List.of("matmulTransAB"), ops);
    }

    private static void fails(String start, Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().startsWith(start), "message should start with '" + start + "': " + ex.getMessage());
    }

    @Test
    void badEinsumInputNamesEinsum() {
        Tensor m = Tensor.zeros(2, 3);
        Tensor sq = Tensor.zeros(3, 3);
        fails("einsum: invalid subscript '1'", () -> Tensor.einsum("i1,jk", m, m));
        fails("einsum: invalid subscript '.'", () -> Tensor.einsum("i..j", m));
        fails("einsum: invalid subscript '-'", () -> Tensor.einsum("ij->i->j", m));
        fails("einsum: the subscripts \"......\"", () -> Tensor.einsum("......", m));
        fails("einsum: \"ij,jk->ik\" has subscripts for 2 operand(s) but 1", () -> Tensor.einsum("ij,jk->ik", m));
        fails("einsum: \"ij\" has subscripts for 1 operand(s) but 2", () -> Tensor.einsum("ij", m, m));
        fails("einsum: needs at least one operand", () -> Tensor.einsum("ij"));
        fails("einsum: operand 1 has shape [2, 3] (rank 2) but its subscripts \"ijk\" name 3",
                () -> Tensor.einsum("ij,ijk", m, m));
        fails("einsum: operand 0 has shape [2, 3] (rank 2) but its subscripts \"ijk...\"", () -> Tensor.einsum("ijk...", m));
        fails("einsum: subscript 'j' has size 2 in operand 1", () -> Tensor.einsum("ij,jk->ik", m, m));
        fails("einsum: dimension 0 under ... has size 3", () -> Tensor.einsum("...i,...i", m, sq));
        fails("einsum: subscript 'i' is repeated in operand 0 (shape [2, 3])", () -> Tensor.einsum("ii->i", m));
        fails("einsum: output subscript 'k' of \"ij->k\" appears in no operand", () -> Tensor.einsum("ij->k", m));
        fails("einsum: output subscript 'i' appears more than once", () -> Tensor.einsum("ij->ii", m));
        fails("einsum: operand 1 is null", () -> Tensor.einsum("ij,jk", m, null));
        fails("einsum: the equation is null", () -> Tensor.einsum(null, m));
    }

    @Test
    void badSelectionInputNamesTheOp() {
        Tensor m = Tensor.zeros(2, 3);
        fails("sort: axis 2 is out of range", () -> m.sort(2));
        fails("argsort: axis -3 is out of range", () -> m.argsort(-3, false));
        fails("sort: axis 1 is out of range for a rank-0 tensor", () -> Tensor.scalar(1).sort(1));
        fails("topk: k = 4 is out of range for axis -1 of shape [2, 3] (expected 0 <= k <= 3)", () -> m.topk(4));
        fails("topk: k = -1", () -> m.topk(-1));
        fails("topk: axis 5 is out of range", () -> m.topk(1, 5, true, true));
        fails("kthvalue: k = 0 is out of range", () -> m.kthvalue(0, 1));
        fails("kthvalue: k = 3 is out of range for axis 0", () -> m.kthvalue(3, 0));
        fails("median: axis 1 of shape [2, 0] is empty", () -> Tensor.zeros(2, 0).median(1));
        fails("median: axis 2 is out of range", () -> m.median(2));
    }
}
