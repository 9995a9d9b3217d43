package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Embedding's padding index and max-norm against PyTorch's nn.Embedding (fixtures "emb.*" of
 * fixtures/generate_activations.py): the weight after the lookup (renormalised rows), the output, the weight's
 * gradient (none for the padding row) and the version bumps, to 1e-10.
 */
class EmbeddingOptionsTest {
    private static final TorchFixtures F = new TorchFixtures("torch_activations.txt");

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("pad", (UnaryOperator<Embedding>) e -> e.paddingIdx(2)),
                Arguments.of("padNegative", (UnaryOperator<Embedding>) e -> e.paddingIdx(-1)),
                Arguments.of("maxNorm", (UnaryOperator<Embedding>) e -> e.maxNorm(1.5)),
                Arguments.of("maxNormL1", (UnaryOperator<Embedding>) e -> e.maxNorm(2.0, 1.0)),
                Arguments.of("maxNormPad", (UnaryOperator<Embedding>) e -> e.maxNorm(1.0).paddingIdx(0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void lookupAndGradientAsPyTorchs(String name, UnaryOperator<Embedding> options) {
        Embedding emb = options.apply(new Embedding(10, 4, 1));
        emb.weight().assign(F.get("emb." + name + ".weight"));
        int before = emb.weight().version();
        Tensor y = emb.forward(F.get("emb." + name + ".indices"));
        assertEquals(F.get("emb." + name + ".versionBumps").item(), emb.weight().version() - before, "version bumps");
        ActivationsReferenceTest.close(F.get("emb." + name + ".weightAfter"), emb.weight(), name + " weight after the lookup");
        ActivationsReferenceTest.close(F.get("emb." + name + ".y"), y, name + " output");
        y.mul(F.get("emb." + name + ".r")).sum().backward();
        ActivationsReferenceTest.close(F.get("emb." + name + ".gradWeight"), emb.weight().grad(), name + " weight gradient");
    }

    @Test
    void thePaddingRowIsZeroedLookedUpAndGetsNoGradient() {
        Embedding emb = new Embedding(5, 3, 7).paddingIdx(1);
        assertArrayEquals(new double[3], emb.weight().indexSelect(0, 1).toArray(), "zeroed at construction");
        assertEquals(1, emb.paddingIdx());
        emb.weight().assign(Tensor.randn(8, 5, 3)); // a padding row that is not 0: its values are looked up
        int[] idx = {1, 2, 1};
        Tensor y = emb.lookup(idx);
        assertArrayEquals(emb.weight().indexSelect(0, idx).toArray(), y.toArray(), "values as without padding");
        Tensor[] g = Autodiff.grad(emb.lookup(idx).sum(), true, emb.weight());
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}, g[0].toArray(), "no gradient for the padding row");
        assertTrue(emb.describe().startsWith("Embedding(5, 3, paddingIdx 1"), emb.describe());
    }

    @Test
    void maxNormWithTheInfinityNormAndRepeatedIndices() {
        Embedding emb = new Embedding(3, 2, 1).maxNorm(0.5, Double.POSITIVE_INFINITY);
        emb.weight().assign(Tensor.fromArray(new double[] {2, -1, 0.3, 0.4, -0.1, -4}, 3, 2));
        Tensor y = emb.lookup(new int[] {0, 0, 1});
        double s = 0.5 / (2 + 1e-7); // PyTorch's maxNorm / (norm + 1e-7), the largest magnitude being 2
        assertArrayEquals(new double[] {2 * s, -s, 0.3, 0.4, -0.1, -4}, emb.weight().toArray(), "row 0 scaled once, row 2 not looked up");
        assertArrayEquals(new double[] {2 * s, -s, 2 * s, -s, 0.3, 0.4}, y.toArray());
    }

    /**
     * With max-norm, each lookup updates the weight in place, so the backward of an earlier lookup refuses it, as
     * PyTorch's does (fixture emb.twoMaxNormLookupsFail); one lookup per step, or lookups without grad, work.
     */
    @Test
    void aSecondMaxNormLookupInvalidatesTheFirstAsInPyTorch() {
        assertEquals(1.0, F.get("emb.twoMaxNormLookupsFail").item(), "PyTorch refuses it too");
        Embedding emb = new Embedding(5, 2, 3).maxNorm(1.0);
        Tensor y1 = emb.lookup(new int[] {0});
        Tensor y2 = emb.lookup(new int[] {1});
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y1.sum().add(y2.sum()).backward());
        assertTrue(e.getMessage().contains("indexSelect") && e.getMessage().contains("updated in place"), e.getMessage());
        Tensor both = emb.lookup(new int[] {0, 1});
        both.sum().backward();
        assertArrayEquals(new double[] {1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, emb.weight().grad().toArray());
        try (GradScope s = Autodiff.noGrad()) {
            emb.lookup(new int[] {2});
            emb.lookup(new int[] {3});
        }
        for (int r = 0; r < 4; r++) {
            double[] row = emb.weight().indexSelect(0, r).toArray();
            assertTrue(Math.hypot(row[0], row[1]) <= 1.0, "row " + r + " renormalised: " + java.util.Arrays.toString(row));
        }
    }

    @Test
    void optionsAreCheckedAndNamed() {
        Embedding emb = new Embedding(4, 3, 1);
        assertThrows(IllegalArgumentException.class, () -> emb.paddingIdx(4));
        assertThrows(IllegalArgumentException.class, () -> emb.paddingIdx(-5));
        assertEquals(0, new Embedding(4, 3, 1).paddingIdx(-4).paddingIdx());
        assertEquals(-1, emb.paddingIdx());
        assertTrue(Double.isNaN(emb.maxNorm()));
        assertEquals("Embedding(4, 3, maxNorm 2.0, normType 1.0)", new Embedding(4, 3, 1).maxNorm(2, 1).describe());
    }
}
