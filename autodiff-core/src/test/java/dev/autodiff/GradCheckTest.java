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
    /** exp with backward and forward rules supplied by the test. */
    private static final class TestExp extends Primitive {
        private final Primitives.Derivative vjpD;
        private final Primitives.Derivative jvpD;

        TestExp(Primitives.Derivative vjpD, Primitives.Derivative jvpD) {
            super(Kind.EXP, "testExp");
            this.vjpD = vjpD;
            this.jvpD = jvpD;
        }

        TestExp(Primitives.Derivative both) {
            this(both, both);
        }

        @Override
        Tensor forward(Tensor[] in) {
            return new Tensor(Elementwise.unary(Elementwise.Unary.EXP, in[0].data), in[0].shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return g.mul(vjpD.of(in[0], out));
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            return t[0].mul(jvpD.of(in[0], out));
        }
    }

    private final Tensor x = Tensor.randn(7, 2, 3);

    @Test
    void acceptsTheCorrectRule() {
        TestExp exp = new TestExp((x, y) -> y);
        assertDoesNotThrow(() -> GradCheck.of(xs -> exp.apply(xs[0])).check(x));
        assertDoesNotThrow(() -> GradCheck.of(xs -> exp.apply(xs[0])).checkSecondOrder(x));
    }

    @Test
    void rejectsAWrongRuleAndNamesTheWorstElement() {
        // wrong only at element [1, 2]: the failure must point there
        Tensor bump = Tensor.zeros(2, 3).add(Tensor.fromArray(new double[] {0, 0, 0, 0, 0, 0.01}, 2, 3));
        TestExp exp = new TestExp((x, y) -> y.mul(bump.add(1.0)));
        GradCheckFailure e = assertThrows(GradCheckFailure.class, () -> GradCheck.of(xs -> exp.apply(xs[0])).check(x));
        assertTrue(e.getMessage().contains("element [1, 2]"), e.getMessage());
        assertTrue(e.getMessage().contains("analytic") && e.getMessage().contains("numeric"), e.getMessage());
    }

    @Test
    void directionsAloneCatchAWrongRule() {
        TestExp exp = new TestExp((x, y) -> y.mul(1.01), (x, y) -> y);
        GradCheckFailure e = assertThrows(GradCheckFailure.class,
                () -> GradCheck.of(xs -> exp.apply(xs[0])).perElement(false).modes(GradCheck.Mode.REV).check(x));
        assertTrue(e.getMessage().contains("random direction") && e.getMessage().contains("reverse"), e.getMessage());
    }

    @Test
    void secondOrderCatchesARuleThatIsOnlyRightToFirstOrder() {
        // detaching y gives the right gradient but drops its dependence on x, so grad of grad is wrong
        TestExp exp = new TestExp((x, y) -> y.detach());
        assertDoesNotThrow(() -> GradCheck.of(xs -> exp.apply(xs[0])).check(x));
        assertThrows(GradCheckFailure.class, () -> GradCheck.of(xs -> exp.apply(xs[0])).checkSecondOrder(x));
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> GradCheck.of(xs -> xs[0]).eps(0));
        assertThrows(IllegalArgumentException.class, () -> GradCheck.of(xs -> xs[0]).tolerance(-1, 0));
    }

    @Test
    void forwardModeCatchesAWrongJvp() {
        TestExp exp = new TestExp((x, y) -> y, (x, y) -> y.mul(1.01));
        assertDoesNotThrow(() -> GradCheck.of(xs -> exp.apply(xs[0])).modes(GradCheck.Mode.REV).check(x));
        GradCheckFailure e = assertThrows(GradCheckFailure.class,
                () -> GradCheck.of(xs -> exp.apply(xs[0])).modes(GradCheck.Mode.FWD).check(x));
        assertTrue(e.getMessage().contains("forward mode"), e.getMessage());
    }

    @Test
    void jvpAndVjpMustAgreeToTheLastDigits() {
        // a relative error of 1e-7 passes finite differences at the default tolerance, not the consistency check
        TestExp exp = new TestExp((x, y) -> y, (x, y) -> y.mul(1 + 1e-7));
        GradCheckFailure e = assertThrows(GradCheckFailure.class, () -> GradCheck.of(xs -> exp.apply(xs[0])).check(x));
        assertTrue(e.getMessage().contains("disagree"), e.getMessage());
    }

    @Test
    void secondOrderForwardCatchesAJvpThatIsOnlyRightToFirstOrder() {
        TestExp exp = new TestExp((x, y) -> y, (x, y) -> y.detach());
        assertDoesNotThrow(() -> GradCheck.of(xs -> exp.apply(xs[0])).check(x));
        assertThrows(GradCheckFailure.class,
                () -> GradCheck.of(xs -> exp.apply(xs[0])).modes(GradCheck.Mode.FWD).checkSecondOrder(x));
    }
}
