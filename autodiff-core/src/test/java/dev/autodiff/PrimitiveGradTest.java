package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.check.GradCheck;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every primitive (and the composites built on them) gradchecked against central finite differences on
 * seeded random inputs, covering broadcasting, size-1 and empty dimensions, rank 0 and extreme ranges, and
 * grad-of-grad checked. {@link #everyPrimitiveKindIsChecked()} fails when a primitive kind appears in no case.
 */
class PrimitiveGradTest {
    /** A named function of seeded inputs. Domain: how inputs are drawn (to keep log, sqrt, pow in range). */
    record Case(String name, Fn fn, Tensor... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final long SEED = 20261122L;

    private static Tensor normal(long salt, int... shape) {
        return Tensor.randn(SEED + salt, shape);
    }

    /** Uniform on [lo, hi). */
    private static Tensor uniform(long salt, double lo, double hi, int... shape) {
        return Tensor.rand(SEED + salt, shape).mul(hi - lo).add(lo);
    }

    /** Values of magnitude in [0.5, 1.5) with random sign: away from the poles of 1/x. */
    private static Tensor awayFromZero(long salt, int... shape) {
        Tensor mag = uniform(salt, 0.5, 1.5, shape);
        return mag.mul(normal(salt + 7, shape).sign().add(0.5).sign());
    }

    private static final int[][] UNARY_SHAPES = {{3, 4}, {}, {0, 3}, {1, 5}};
    private static final int[][][] BINARY_SHAPES = {
        {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{3, 1}, {1, 4}}, {{}, {2, 3}}, {{2, 1, 3}, {4, 1}}, {{0, 3}, {3}}, {{1}, {1}}};

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        // unary elementwise
        unary(c, "neg", Tensor::neg, s -> normal(1, s));
        unary(c, "exp", Tensor::exp, s -> normal(2, s));
        unary(c, "log", Tensor::log, s -> uniform(3, 0.5, 3, s));
        unary(c, "reciprocal", Tensor::reciprocal, s -> awayFromZero(4, s));
        unary(c, "sqrt", Tensor::sqrt, s -> uniform(5, 0.5, 3, s));
        unary(c, "tanh", Tensor::tanh, s -> normal(6, s));
        unary(c, "sigmoid", Tensor::sigmoid, s -> normal(7, s).mul(3));
        unary(c, "relu", Tensor::relu, s -> awayFromZero(8, s));
        unary(c, "abs", Tensor::abs, s -> awayFromZero(9, s));
        unary(c, "erf", Tensor::erf, s -> normal(12, s).mul(2));
        unary(c, "softplus", Tensor::softplus, s -> awayFromZero(10, s).mul(3));
        unary(c, "square", Tensor::square, s -> normal(11, s));
        // extreme ranges: finite values and gradients at +-300
        Tensor extreme = Tensor.fromArray(new double[] {-300, -299.5, 0.25, 299.5, 300}, 5);
        c.add(new Case("sigmoid at +-300", xs -> xs[0].sigmoid(), extreme));
        c.add(new Case("softplus at +-300", xs -> xs[0].softplus(), extreme));
        c.add(new Case("logSumExp at +-300", xs -> xs[0].logSumExp(), extreme));
        c.add(new Case("logSumExp at +300 rows", xs -> xs[0].logSumExp(1),
                Tensor.fromArray(new double[] {300, 299, -300, -301, -300, -299.5}, 2, 3)));
        c.add(new Case("softmax at +-300", xs -> xs[0].softmax(0), extreme));
        c.add(new Case("logSoftmax at +-300", xs -> xs[0].logSoftmax(0), extreme));
        // binary elementwise with broadcasting
        binary(c, "add", Tensor::add, (s, t) -> new Tensor[] {normal(20, s), normal(21, t)});
        binary(c, "sub", Tensor::sub, (s, t) -> new Tensor[] {normal(22, s), normal(23, t)});
        binary(c, "mul", Tensor::mul, (s, t) -> new Tensor[] {normal(24, s), normal(25, t)});
        binary(c, "div", Tensor::div, (s, t) -> new Tensor[] {normal(26, s), awayFromZero(27, t)});
        binary(c, "pow", Tensor::pow, (s, t) -> new Tensor[] {uniform(28, 0.5, 2, s), normal(29, t)});
        binary(c, "maximum", Tensor::maximum, (s, t) -> new Tensor[] {normal(30, s), normal(31, t)});
        binary(c, "minimum", Tensor::minimum, (s, t) -> new Tensor[] {normal(32, s), normal(33, t)});
        c.add(new Case("add(double)", xs -> xs[0].add(2.5).mul(-1.5).sub(0.5).div(4.0).rsub(3.0), normal(34, 2, 3)));
        c.add(new Case("pow(double)", xs -> xs[0].pow(3.0), normal(35, 2, 3)));
        c.add(new Case("pow integer exponent of negative base", xs -> xs[0].pow(2.0), normal(36, 4)));
        c.add(new Case("clamp", xs -> xs[0].clamp(-0.5, 0.5), normal(37, 3, 3)));
        Tensor mask = Tensor.fromArray(new double[] {1, 0, 0, 1, 1, 0}, 2, 3);
        c.add(new Case("where", xs -> Tensor.where(mask, xs[0], xs[1]), normal(38, 2, 3), normal(39, 2, 3)));
        c.add(new Case("where broadcast", xs -> Tensor.where(mask.slice(0, 0, 1), xs[0], xs[1]), normal(40, 2, 1), normal(41)));
        // matmul: 2-D, vectors, batched with broadcast batch dimensions, empty, transposed variants
        // issue 14's fused layers: a convolution (stride, padding, dilation, groups, bias), the LSTM cell's parts
        c.add(new Case("conv 2-D", xs -> Fused.conv(xs[0], xs[1], xs[2], new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 2}, 1),
                normal(700, 2, 2, 5, 6), normal(701, 3, 2, 2, 2), normal(702, 3)));
        c.add(new Case("conv 1-D groups", xs -> Fused.conv(xs[0], xs[1], null, new int[] {1}, new int[] {1}, new int[] {1}, 2),
                normal(703, 2, 4, 5), normal(704, 4, 2, 3)));
        c.add(new Case("lstmCell", xs -> Fused.lstmCell(xs[0], xs[1]), normal(705, 2, 12), normal(706, 2, 3)));
        c.add(new Case("lstmHidden", xs -> Fused.lstmHidden(xs[0], xs[1]), normal(707, 2, 12), normal(708, 2, 3)));
        c.add(new Case("lstm cell and hidden", xs -> {
            Tensor c2 = Fused.lstmCell(xs[0], xs[1]);
            return Fused.lstmHidden(xs[0], c2).mul(c2);
        }, normal(709, 2, 8), normal(710, 2, 2)));
        c.add(new Case("matmul 2-D", xs -> xs[0].matmul(xs[1]), normal(50, 3, 4), normal(51, 4, 5)));
        c.add(new Case("matmul dot", xs -> xs[0].matmul(xs[1]), normal(52, 4), normal(53, 4)));
        c.add(new Case("matmul matrix-vector", xs -> xs[0].matmul(xs[1]), normal(54, 3, 4), normal(55, 4)));
        c.add(new Case("matmul vector-matrix", xs -> xs[0].matmul(xs[1]), normal(56, 4), normal(57, 4, 2)));
        c.add(new Case("matmul batched", xs -> xs[0].matmul(xs[1]), normal(58, 2, 3, 4), normal(59, 4, 5)));
        c.add(new Case("matmul broadcast batch", xs -> xs[0].matmul(xs[1]), normal(60, 2, 1, 3, 4), normal(61, 3, 4, 2)));
        c.add(new Case("matmul empty rows", xs -> xs[0].matmul(xs[1]), normal(62, 0, 4), normal(63, 4, 3)));
        c.add(new Case("matmul empty inner", xs -> xs[0].matmul(xs[1]), normal(64, 3, 0), normal(65, 0, 2)));
        c.add(new Case("matmulTransA", xs -> xs[0].matmulTransA(xs[1]), normal(66, 4, 3), normal(67, 4, 5)));
        c.add(new Case("matmulTransB", xs -> xs[0].matmulTransB(xs[1]), normal(68, 3, 4), normal(69, 5, 4)));
        c.add(new Case("matmul 1x1", xs -> xs[0].matmul(xs[1]), normal(70, 1, 1), normal(71, 1, 1)));
        // addmm: a bias per column, per row, scalar, of the whole product, and against a broadcast batch
        c.add(new Case("addmm row bias", xs -> xs[0].addmm(xs[1], xs[2]), normal(72, 5), normal(73, 3, 4), normal(74, 4, 5)));
        c.add(new Case("addmm column bias", xs -> xs[0].addmm(xs[1], xs[2]), normal(75, 3, 1), normal(76, 3, 4), normal(77, 4, 5)));
        c.add(new Case("addmm scalar bias", xs -> xs[0].addmm(xs[1], xs[2]), normal(78), normal(79, 2, 3), normal(150, 3, 2)));
        c.add(new Case("addmm batched", xs -> xs[0].addmm(xs[1], xs[2]), normal(151, 3, 2), normal(152, 2, 3, 4), normal(153, 4, 2)));
        c.add(new Case("addmm full bias, broadcast batch", xs -> xs[0].addmm(xs[1], xs[2]), normal(154, 2, 2, 3, 2),
                normal(155, 2, 1, 3, 4), normal(156, 2, 4, 2)));
        // reductions
        c.add(new Case("sum all", xs -> xs[0].sum(), normal(80, 3, 4)));
        c.add(new Case("sum axis", xs -> xs[0].sum(1), normal(81, 3, 4)));
        c.add(new Case("sum axes keepDims", xs -> xs[0].sum(true, 0, -1), normal(82, 2, 3, 4)));
        c.add(new Case("sum rank 0", xs -> xs[0].sum(), normal(83)));
        c.add(new Case("sum empty", xs -> xs[0].sum(0), normal(84, 0, 3)));
        c.add(new Case("mean", xs -> xs[0].mean(true, 1), normal(85, 3, 4)));
        c.add(new Case("max all", xs -> xs[0].max(), normal(86, 3, 4)));
        c.add(new Case("max axis", xs -> xs[0].max(0), normal(87, 3, 4)));
        c.add(new Case("min axes keepDims", xs -> xs[0].min(true, 0, 2), normal(88, 2, 3, 4)));
        c.add(new Case("min rank 0", xs -> xs[0].min(), normal(89)));
        c.add(new Case("logSumExp axis", xs -> xs[0].logSumExp(true, 1), normal(90, 3, 4)));
        c.add(new Case("softmax", xs -> xs[0].softmax(-1), normal(91, 3, 4)));
        c.add(new Case("logSoftmax", xs -> xs[0].logSoftmax(0), normal(92, 3, 4)));
        // movement
        c.add(new Case("reshape", xs -> xs[0].reshape(4, -1), normal(100, 2, 3, 2)));
        c.add(new Case("reshape to rank 0", xs -> xs[0].reshape(), normal(101, 1, 1)));
        c.add(new Case("flatten unsqueeze squeeze", xs -> xs[0].flatten().unsqueeze(0).squeeze(0), normal(102, 2, 3)));
        c.add(new Case("permute", xs -> xs[0].permute(2, 0, 1), normal(103, 2, 3, 4)));
        c.add(new Case("transpose", xs -> xs[0].transpose(0, 1), normal(104, 3, 4)));
        c.add(new Case("broadcastTo", xs -> xs[0].broadcastTo(2, 3, 4), normal(105, 3, 1)));
        c.add(new Case("broadcastTo from rank 0", xs -> xs[0].broadcastTo(2, 2), normal(106)));
        c.add(new Case("sumTo", xs -> xs[0].sumTo(3, 1), normal(107, 2, 3, 4)));
        c.add(new Case("slice", xs -> xs[0].slice(1, 1, 4), normal(108, 3, 5)));
        c.add(new Case("slice step negative start", xs -> xs[0].slice(0, -5, 7, 2), normal(109, 6, 2)));
        c.add(new Case("slice empty", xs -> xs[0].slice(1, 2, 2), normal(110, 3, 4)));
        c.add(new Case("concat", xs -> Tensor.concat(1, xs[0], xs[1], xs[0]), normal(111, 2, 3), normal(112, 2, 1)));
        c.add(new Case("stack", xs -> Tensor.stack(0, xs[0], xs[1]), normal(113, 2, 3), normal(114, 2, 3)));
        c.add(new Case("pad zero", xs -> xs[0].pad(new int[] {1, 0}, new int[] {2, 1}, 0.0), normal(115, 2, 3)));
        c.add(new Case("pad value", xs -> xs[0].pad(new int[] {0, 2}, new int[] {1, 0}, -1.5), normal(116, 2, 3)));
        c.add(new Case("indexSelect repeats", xs -> xs[0].indexSelect(0, 2, 0, 2, 1), normal(117, 3, 2)));
        c.add(new Case("indexAdd", xs -> xs[0].indexAdd(1, new int[] {0, 0, 2}, xs[1]), normal(118, 2, 3), normal(119, 2, 3)));
        Tensor index = Tensor.fromArray(new double[] {2, 0, 1, 1, 0, 0}, 2, 3);
        c.add(new Case("gather", xs -> xs[0].gather(1, index), normal(120, 2, 4)));
        c.add(new Case("scatterAdd", xs -> xs[0].scatterAdd(1, index, xs[1]), normal(121, 2, 4), normal(122, 2, 3)));
        c.add(new Case("unfold 2-D", xs -> xs[0].unfold(new int[] {2, 2}, new int[] {1, 2}, new int[] {1, 0},
                new int[] {1, 1}), normal(123, 2, 2, 4, 5)));
        c.add(new Case("unfold 1-D dilated", xs -> xs[0].unfold(new int[] {2}, new int[] {1}, new int[] {1},
                new int[] {2}), normal(124, 1, 2, 5)));
        c.add(new Case("fold", xs -> xs[0].fold(new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0},
                new int[] {1, 1}), normal(125, 1, 8, 4)));
        // compositions: a tiny MLP layer and the textbook function
        c.add(new Case("linear tanh layer", xs -> xs[0].matmul(xs[1]).add(xs[2]).tanh().sum(), normal(130, 4, 3),
                normal(131, 3, 2), normal(132, 2)));
        CustomOp mySoftplus = CustomOp.of("mySoftplus", xs -> xs[0].softplus(),
                (i, g, xs, y) -> g.mul(xs[0].sigmoid()), (xs, ts, y) -> ts[0].mul(xs[0].sigmoid()));
        c.add(new Case("customOp", xs -> mySoftplus.apply(xs[0].mul(xs[1])), normal(136, 2, 3), normal(137, 3)));
        c.add(new Case("textbook", xs -> xs[0].mul(xs[1]).add(xs[2]).neg().exp().add(1.0).reciprocal(),
                normal(133), normal(134), normal(135)));
        // ===== issue 16: reductions, scans and movement (composites, and the cumsum primitive)
        Tensor zeros1 = Tensor.fromArray(new double[] {2, 0, -3, 1.5, 0.5, -1, 2, 0.75}, 2, 4);
        Tensor zeros2 = Tensor.fromArray(new double[] {2, 0, -3, 0, 0.5, -1, 2, 0.75}, 2, 4);
        c.add(new Case("var all", xs -> xs[0].var(), normal(200, 3, 4)));
        c.add(new Case("var axis -1 keepDims correction 0", xs -> xs[0].var(0, true, -1), normal(201, 3, 4)));
        c.add(new Case("var size-1 axis correction 0", xs -> xs[0].var(0, false, 1), normal(202, 3, 1)));
        c.add(new Case("var empty batch", xs -> xs[0].var(1, false, 1), normal(203, 0, 3)));
        c.add(new Case("var correction 2", xs -> xs[0].var(2, false, 0, 2), normal(204, 2, 3, 2)));
        c.add(new Case("std axes", xs -> xs[0].std(1, false, 0), normal(205, 3, 4)));
        c.add(new Case("std all", xs -> xs[0].std(), normal(206, 5)));
        c.add(new Case("prod all", xs -> xs[0].prod(), normal(207, 2, 3)));
        c.add(new Case("prod axis -1 keepDims", xs -> xs[0].prod(true, -1), normal(208, 3, 5)));
        c.add(new Case("prod two axes", xs -> xs[0].prod(false, 0, 2), normal(209, 2, 3, 3)));
        c.add(new Case("prod one zero", xs -> xs[0].prod(false, 1), zeros1));
        c.add(new Case("prod two zeros", xs -> xs[0].prod(), zeros2));
        c.add(new Case("prod empty axis", xs -> xs[0].prod(false, 0), normal(210, 0, 3)));
        c.add(new Case("prod rank 0", xs -> xs[0].prod(), normal(211)));
        c.add(new Case("cumsum axis -1", xs -> xs[0].cumsum(-1), normal(212, 2, 3, 4)));
        c.add(new Case("cumsum axis 0", xs -> xs[0].cumsum(0), normal(213, 5, 2)));
        c.add(new Case("cumsum reverse of reverse", xs -> xs[0].cumsum(1).flip(1).cumsum(1), normal(214, 2, 4)));
        c.add(new Case("cumsum size-1 and empty", xs -> xs[0].cumsum(0).add(xs[1].cumsum(1).sum()), normal(215, 1, 3),
                normal(216, 2, 0)));
        c.add(new Case("cumsum rank 0", xs -> xs[0].cumsum(-1), normal(217)));
        c.add(new Case("cumprod zeros", xs -> xs[0].cumprod(1), zeros2));
        c.add(new Case("cumprod axis 0", xs -> xs[0].cumprod(0), normal(218, 7, 2)));
        c.add(new Case("logcumsumexp", xs -> xs[0].logcumsumexp(1), normal(219, 3, 6).mul(3)));
        c.add(new Case("logcumsumexp at +-300", xs -> xs[0].logcumsumexp(0), extreme));
        c.add(new Case("norm 2 all", xs -> xs[0].norm(), normal(220, 3, 4)));
        c.add(new Case("norm 2 axis keepDims", xs -> xs[0].norm(2, true, -1), normal(221, 3, 4)));
        c.add(new Case("norm Frobenius of a stack", xs -> xs[0].norm(2, false, -2, -1), normal(222, 2, 3, 4)));
        c.add(new Case("norm 1", xs -> xs[0].norm(1, false, 0), awayFromZero(223, 3, 4)));
        c.add(new Case("norm inf", xs -> xs[0].norm(Double.POSITIVE_INFINITY, false, 1), normal(224, 3, 4)));
        c.add(new Case("norm -inf", xs -> xs[0].norm(Double.NEGATIVE_INFINITY, false), normal(225, 3, 4)));
        c.add(new Case("flip", xs -> xs[0].flip(0, -1), normal(226, 2, 3, 4)));
        c.add(new Case("flip empty", xs -> xs[0].flip(1), normal(227, 2, 0)));
        c.add(new Case("roll", xs -> xs[0].roll(new int[] {1, -5, 2}, new int[] {0, 1, 1}), normal(228, 3, 4)));
        c.add(new Case("roll flat", xs -> xs[0].roll(-2), normal(229, 2, 3)));
        c.add(new Case("repeat new axes", xs -> xs[0].repeat(2, 1, 3), normal(230, 2, 3)));
        c.add(new Case("repeat zero times", xs -> xs[0].repeat(0, 2), normal(231, 2, 3)));
        c.add(new Case("tile", xs -> xs[0].tile(2), normal(232, 2, 3)));
        c.add(new Case("repeatInterleave", xs -> xs[0].repeatInterleave(3, -1), normal(233, 2, 2)));
        c.add(new Case("repeatInterleave counts", xs -> xs[0].repeatInterleave(new int[] {0, 2, 1}, 0), normal(234, 3, 2)));
        c.add(new Case("tril triu", xs -> xs[0].tril(1).add(xs[0].triu(-1)), normal(235, 2, 3, 4)));
        c.add(new Case("diag of a vector", xs -> xs[0].diag(-1), normal(236, 3)));
        c.add(new Case("diag of a matrix", xs -> xs[0].diag(2), normal(237, 3, 4)));
        c.add(new Case("diagonal", xs -> xs[0].diagonal(1, -1, 0), normal(238, 3, 2, 4)));
        c.add(new Case("trace", xs -> xs[0].trace(), normal(239, 3, 3)));
        c.add(new Case("chunk split", xs -> Tensor.concat(1, xs[0].chunk(2, 1)[1], xs[0].split(2, -1)[0]), normal(240, 2, 5)));
        c.add(new Case("maskedFill", xs -> xs[0].maskedFill(mask.slice(0, 0, 1), 3.0), normal(241, 2, 3)));
        // a function of several new ops, so that their second derivatives meet: std of a cumulative product's norm
        c.add(new Case("cumprod norm var", xs -> xs[0].cumprod(1).norm(2, false, 1).var(), normal(242, 3, 4)));
        // ===== issue 16: elementwise math (primitives), each in its domain, away from poles and jumps
        unary(c, "sin", Tensor::sin, s -> normal(300, s).mul(2));
        unary(c, "cos", Tensor::cos, s -> normal(301, s).mul(2));
        unary(c, "tan", Tensor::tan, s -> uniform(302, -1.3, 1.3, s));
        unary(c, "asin", Tensor::asin, s -> uniform(303, -0.9, 0.9, s));
        unary(c, "acos", Tensor::acos, s -> uniform(304, -0.9, 0.9, s));
        unary(c, "atan", Tensor::atan, s -> normal(305, s).mul(2));
        unary(c, "sinh", Tensor::sinh, s -> normal(306, s).mul(2));
        unary(c, "cosh", Tensor::cosh, s -> normal(307, s).mul(2));
        unary(c, "asinh", Tensor::asinh, s -> normal(308, s).mul(3));
        unary(c, "acosh", Tensor::acosh, s -> uniform(309, 1.2, 4, s));
        unary(c, "atanh", Tensor::atanh, s -> uniform(310, -0.9, 0.9, s));
        unary(c, "log1p", Tensor::log1p, s -> uniform(311, -0.8, 3, s));
        unary(c, "expm1", Tensor::expm1, s -> normal(312, s));
        unary(c, "log2", Tensor::log2, s -> uniform(313, 0.5, 3, s));
        unary(c, "log10", Tensor::log10, s -> uniform(314, 0.5, 3, s));
        unary(c, "exp2", Tensor::exp2, s -> normal(315, s).mul(2));
        unary(c, "rsqrt", Tensor::rsqrt, s -> uniform(316, 0.5, 3, s));
        // an integer plus 0.1 to 0.4: away from the jumps of all four (round's at the halves)
        unary(c, "floor", Tensor::floor, s -> normal(317, s).mul(3).floor().add(uniform(318, 0.1, 0.4, s)));
        unary(c, "ceil", Tensor::ceil, s -> normal(319, s).mul(3).floor().add(uniform(320, 0.1, 0.4, s)));
        unary(c, "round", Tensor::round, s -> normal(321, s).mul(3).floor().add(uniform(322, 0.1, 0.4, s)));
        unary(c, "trunc", Tensor::trunc, s -> normal(323, s).mul(3).floor().add(uniform(324, 0.1, 0.4, s)));
        binary(c, "atan2", Tensor::atan2, (s, t) -> new Tensor[] {awayFromZero(325, s), normal(326, t)});
        binary(c, "hypot", Tensor::hypot, (s, t) -> new Tensor[] {awayFromZero(327, s), normal(328, t)});
        binary(c, "logaddexp", Tensor::logaddexp, (s, t) -> new Tensor[] {normal(329, s).mul(3), normal(330, t).mul(3)});
        binary(c, "xlogy", Tensor::xlogy, (s, t) -> new Tensor[] {normal(331, s), uniform(332, 0.5, 3, t)});
        // x = 0 with y > 0: x log y is smooth in x there (d/dx = log y, as PyTorch); a tie in logaddexp (smooth too)
        c.add(new Case("xlogy at x = 0", xs -> xs[0].xlogy(xs[1]),
                Tensor.fromArray(new double[] {0, 1.5, 0, -0.5}, 4), uniform(333, 0.5, 3, 4)));
        c.add(new Case("logaddexp tie and far apart", xs -> xs[0].logaddexp(xs[1]),
                Tensor.fromArray(new double[] {0.5, -2, 300, -300}, 4), Tensor.fromArray(new double[] {0.5, -2, 299, 300}, 4)));
        c.add(new Case("elementwise math composite", xs -> xs[0].sin().mul(xs[1].atan()).logaddexp(xs[0].hypot(xs[1]).log1p())
                .add(xs[0].cos().xlogy(xs[1].cosh())).add(xs[0].tanh().asin().atan2(xs[1].exp2())), normal(334, 3, 4), normal(335, 4)));
        // dtype conversion: float32 inputs read in float64 (the finite differences run in float64; converting a float64
        // input to float32 would put rounding steps in them)
        c.add(new Case("to(float64) of float32 inputs", xs -> xs[0].to(DType.FLOAT64).exp().mul(xs[1].to(DType.FLOAT64)),
                normal(336, 3, 4).to(DType.FLOAT32), normal(337, 4).to(DType.FLOAT32)));
        return c.stream();
    }

    private static void unary(List<Case> c, String name, Function<Tensor, Tensor> op, Function<int[], Tensor> input) {
        for (int[] s : UNARY_SHAPES) {
            c.add(new Case(name + " " + java.util.Arrays.toString(s), xs -> op.apply(xs[0]), input.apply(s)));
        }
    }

    private static void binary(List<Case> c, String name, java.util.function.BinaryOperator<Tensor> op,
                               java.util.function.BiFunction<int[], int[], Tensor[]> inputs) {
        for (int[][] p : BINARY_SHAPES) {
            c.add(new Case(name + " " + java.util.Arrays.toString(p[0]) + " " + java.util.Arrays.toString(p[1]),
                    xs -> op.apply(xs[0], xs[1]), inputs.apply(p[0], p[1])));
            c.add(new Case(name + " " + java.util.Arrays.toString(p[1]) + " " + java.util.Arrays.toString(p[0]),
                    xs -> op.apply(xs[0], xs[1]), inputs.apply(p[1], p[0])));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradcheck(Case c) {
        GradCheck.of(c.fn()).tolerance(1e-6, 1e-5).seed(SEED).check(c.inputs());
    }

    /** With createGraph the backward pass runs other code paths (recorded adds, no in-place sums): same values. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void createGraphGivesTheSameGradients(Case c) {
        Tensor[] a = new Tensor[c.inputs().length];
        Tensor[] b = new Tensor[a.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = c.inputs()[i].detach().requiresGrad();
            b[i] = c.inputs()[i].detach().requiresGrad();
        }
        Tensor ya = c.fn().apply(a);
        Tensor yb = c.fn().apply(b);
        Tensor seed = Tensor.randn(SEED, ya.shape());
        if (!ya.needsGrad()) {
            return;
        }
        Tensor[] ga = Autodiff.grad(ya, seed, false, false, a);
        Tensor[] gb = Autodiff.grad(yb, seed, true, true, b);
        for (int i = 0; i < a.length; i++) {
            assertTrue(ga[i].allClose(gb[i], 1e-14, 1e-14), c + ": input " + i + " " + ga[i] + " vs " + gb[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradOfGrad(Case c) {
        GradCheck.of(c.fn()).tolerance(1e-6, 1e-5).seed(SEED).checkSecondOrder(c.inputs());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardValuesAndGradientsAreFinite(Case c) {
        Tensor[] leaves = new Tensor[c.inputs().length];
        for (int i = 0; i < leaves.length; i++) {
            leaves[i] = c.inputs()[i].detach().requiresGrad();
        }
        Tensor y = c.fn().apply(leaves);
        for (double v : y.toArray()) {
            assertTrue(Double.isFinite(v), c + ": forward value " + v);
        }
        Tensor[] g = Autodiff.grad(y.sum(), leaves);
        for (int i = 0; i < g.length; i++) {
            assertArrayEquals(leaves[i].shape(), g[i].shape(), c + ": gradient shape");
            for (double v : g[i].toArray()) {
                assertTrue(Double.isFinite(v), c + ": gradient " + v);
            }
        }
    }

    /** The kinds of primitive recorded in a case's graph. */
    private static Set<Primitive.Kind> kindsIn(Case c) {
        Tensor[] leaves = new Tensor[c.inputs().length];
        for (int i = 0; i < leaves.length; i++) {
            leaves[i] = c.inputs()[i].detach().requiresGrad();
        }
        Set<Primitive.Kind> kinds = EnumSet.noneOf(Primitive.Kind.class);
        Tensor y = c.fn().apply(leaves);
        if (y.op != null) {
            for (Tensor t : Backprop.postOrder("test", y)) {
                kinds.add(t.op.kind);
            }
        }
        return kinds;
    }

    /**
     * Every case is checked in forward and reverse mode, against each other, and to second order in all four
     * combinations, so a kind recorded in some case has all of those checks.
     */
    @Test
    void everyPrimitiveKindIsChecked() {
        Set<Primitive.Kind> covered = EnumSet.noneOf(Primitive.Kind.class);
        cases().forEach(c -> covered.addAll(kindsIn(c)));
        Set<Primitive.Kind> missing = EnumSet.allOf(Primitive.Kind.class);
        missing.removeAll(covered);
        assertTrue(missing.isEmpty(), "primitives with no gradcheck and grad-of-grad case: " + missing);
    }

    @Test
    void seededInputsAreReproducible() {
        SplittableRandom r = new SplittableRandom(SEED);
        assertArrayEquals(Tensor.randn(SEED, 3).toArray(),
                new double[] {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()});
    }
}
