package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import dev.autodiff.check.GradCheckFailure;
import dev.autodiff.kernel.Elementwise;
import org.junit.jupiter.api.Test;

/** GradCheck must catch wrong rules: a test that cannot fail proves nothing. */
class GradCheckTest {
    /** exp with a backward rule supplied by the test. */
    private static final class TestExp extends Primitive {
        private final Primitives.UnaryRule rule;

        TestExp(Primitives.UnaryRule rule) {
            super(Kind.EXP, "testExp");
            this.rule = rule;
        }

        Tensor apply(Tensor x) {
            return record(new Tensor(Elementwise.unary(Elementwise.Unary.EXP, x.data), x.shape), x);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return rule.vjp(in[0], out, g);
        }
    }

    private final Tensor x = Tensor.randn(7, 2, 3);

    @Test
    void acceptsTheCorrectRule() {
        TestExp exp = new TestExp((x, y, g) -> g.mul(y));
        assertDoesNotThrow(() -> GradCheck.of(xs -> exp.apply(xs[0])).check(x));
        assertDoesNotThrow(() -> GradCheck.of(xs -> exp.apply(xs[0])).checkSecondOrder(x));
    }

    @Test
    void rejectsAWrongRuleAndNamesTheWorstElement() {
        // wrong only at element [1, 2]: the failure must point there
        Tensor bump = Tensor.zeros(2, 3).add(Tensor.fromArray(new double[] {0, 0, 0, 0, 0, 0.01}, 2, 3));
        TestExp exp = new TestExp((x, y, g) -> g.mul(y).mul(bump.add(1.0)));
        GradCheckFailure e = assertThrows(GradCheckFailure.class, () -> GradCheck.of(xs -> exp.apply(xs[0])).check(x));
        assertTrue(e.getMessage().contains("element [1, 2]"), e.getMessage());
        assertTrue(e.getMessage().contains("analytic") && e.getMessage().contains("numeric"), e.getMessage());
    }

    @Test
    void directionsAloneCatchAWrongRule() {
        TestExp exp = new TestExp((x, y, g) -> g.mul(y).mul(1.01));
        GradCheckFailure e = assertThrows(GradCheckFailure.class,
                () -> GradCheck.of(xs -> exp.apply(xs[0])).perElement(false).check(x));
        assertTrue(e.getMessage().contains("random direction"), e.getMessage());
    }

    @Test
    void secondOrderCatchesARuleThatIsOnlyRightToFirstOrder() {
        // detaching y gives the right gradient but drops its dependence on x, so grad of grad is wrong
        TestExp exp = new TestExp((x, y, g) -> g.mul(y.detach()));
        assertDoesNotThrow(() -> GradCheck.of(xs -> exp.apply(xs[0])).check(x));
        assertThrows(GradCheckFailure.class, () -> GradCheck.of(xs -> exp.apply(xs[0])).checkSecondOrder(x));
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> GradCheck.of(xs -> xs[0]).eps(0));
        assertThrows(IllegalArgumentException.class, () -> GradCheck.of(xs -> xs[0]).tolerance(-1, 0));
    }
}
