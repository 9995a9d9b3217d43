package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.autodiff.check.GradCheck;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backward pass's fast paths (a vjp added straight into a gradient buffer, ReLU's gradient written over
 * its incoming one, a second path summed in place, the ReLU and broadcast-matmul kernels) read plain arrays,
 * which drop forward-mode tangents. Each case here drives one of them with an input used more than once (so
 * that a buffer of the pass already exists when the next path arrives) and is checked in every nesting of
 * the two modes (reverse over reverse, forward over reverse, reverse over forward, forward over forward)
 * against finite differences. Before the pass asked {@link Primitive#unrecorded} about the saved inputs, the
 * forward-over-reverse Hessian of {@code sum(x @ x)} lost half its terms.
 */
class FastPathNestingTest {
    record Case(String name, Fn fn, Tensor... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Tensor normal(long seed, int... shape) {
        return Tensor.randn(20261202L + seed, shape);
    }

    static Stream<Case> cases() {
        Tensor w = normal(1, 3, 3);
        return List.of(
                // MatMul.vjpInto: the second operand's product lands in the buffer the first one made
                new Case("matmul x @ x", xs -> xs[0].matmul(xs[0]).sum(), normal(2, 3, 3)),
                new Case("matmulTransA x^T @ x", xs -> xs[0].matmulTransA(xs[0]).sum(), normal(3, 3, 2)),
                new Case("matmulTransB x @ x^T", xs -> xs[0].matmulTransB(xs[0]).sum(), normal(4, 2, 3)),
                // the broadcast weight of a batched product: vjp sums the batch in one buffer
                new Case("batched matmul, broadcast weight used twice",
                        xs -> xs[0].matmul(xs[0]).add(xs[1].matmul(xs[0])).sum(), normal(5, 3, 3), normal(6, 2, 3, 3)),
                // AddMatMul.vjpInto, the bias and both factors the same tensor
                new Case("addmm x + x @ x", xs -> xs[0].addmm(xs[0], xs[0]).sum(), normal(7, 3, 3)),
                // Take.vjpInto: a second slice (permute, indexSelect) scattered into the first one's buffer
                new Case("slices of one input", xs -> xs[0].slice(0, 0, 2).mul(xs[0].slice(0, 1, 3)).sum(), normal(8, 3, 2)),
                new Case("permute against itself", xs -> xs[0].permute(1, 0).mul(xs[0]).exp().sum(), normal(9, 3, 3)),
                new Case("indexSelect twice", xs -> xs[0].indexSelect(0, 2, 0).mul(xs[0].indexSelect(0, 1, 1)).sum(),
                        normal(10, 3, 2)),
                // ReLU's vjpOverwrite (its incoming gradient is a fresh matmul product) and the ReLU kernel path
                new Case("relu between products", xs -> xs[0].matmul(xs[0]).relu().matmul(xs[0]).sum(), normal(11, 3, 3)),
                new Case("relu of a reused input", xs -> xs[0].relu().mul(xs[0]).sum(), normal(12, 4)),
                // the fused vjps of tanh, sigmoid, log, sqrt and reciprocal, into a new buffer and written over g
                new Case("sigmoid of tanh between products",
                        xs -> xs[0].matmul(xs[0]).tanh().sigmoid().matmul(xs[0]).sum(), normal(16, 3, 3)),
                new Case("log, sqrt and reciprocal of a reused input",
                        xs -> xs[0].square().add(1.0).log().mul(xs[0]).add(xs[0].square().add(0.5).sqrt().reciprocal()
                                .mul(xs[0])).sum(), normal(17, 4)),
                // a buffer of the pass summed in place on a later path (Backprop.accumulate)
                new Case("matmul then mul paths summed", xs -> xs[0].matmul(w).mul(xs[0]).add(xs[0].square()).sum(),
                        normal(13, 3, 3)),
                new Case("two inputs, each used twice", xs -> xs[0].matmul(xs[1]).matmul(xs[0]).mul(xs[1]).sum(),
                        normal(14, 2, 2), normal(15, 2, 2))).stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void firstAndSecondOrderInEveryNesting(Case c) {
        GradCheck.of(c.fn()).tolerance(1e-6, 1e-5).check(c.inputs());
        GradCheck.of(c.fn()).tolerance(1e-6, 1e-5).checkSecondOrder(c.inputs());
    }

    /** The example, by hand: H[(a,b),(c,d)] = [b == c] + [a == d] for f(x) = sum(x @ x). */
    @Test
    void hessianOfTheSumOfASquaredMatrixByHand() {
        Tensor x = Tensor.fromArray(new double[] {1, 2, 3, 4}, 2, 2);
        double[] expected = new double[16];
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 2; b++) {
                for (int c = 0; c < 2; c++) {
                    for (int d = 0; d < 2; d++) {
                        expected[((a * 2 + b) * 2 + c) * 2 + d] = (b == c ? 1 : 0) + (a == d ? 1 : 0);
                    }
                }
            }
        }
        java.util.function.Function<Tensor, Tensor> f = t -> t.matmul(t).sum();
        assertArrayEquals(expected, Autodiff.hessian(f, x).toArray(), 0.0, "forward over reverse");
        assertArrayEquals(expected, Autodiff.jacrev(Autodiff.gradient(f), x).toArray(), 0.0, "reverse over reverse");
        // H v for v = e_(0,1): column (0,1) of H
        Tensor v = Tensor.fromArray(new double[] {0, 1, 0, 0}, 2, 2);
        double[] column = {expected[1], expected[5], expected[9], expected[13]};
        assertArrayEquals(column, Autodiff.hvp(f, x, v).toArray(), 0.0, "hvp");
        assertArrayEquals(column, Autodiff.jvp(Autodiff.gradient(f), x, v).tangent().toArray(), 0.0, "jvp of the gradient");
    }
}
