package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.Autodiff;
import dev.autodiff.Fn;
import dev.autodiff.Tensor;
import dev.autodiff.check.GradCheck;
import dev.autodiff.nn.conv.AdaptiveAvgPool1d;
import dev.autodiff.nn.conv.AdaptiveAvgPool2d;
import dev.autodiff.nn.conv.AvgPool1d;
import dev.autodiff.nn.conv.Conv;
import dev.autodiff.nn.conv.ConvTranspose;
import dev.autodiff.nn.conv.ConvTranspose1d;
import dev.autodiff.nn.conv.ConvTranspose2d;
import dev.autodiff.nn.conv.GlobalAvgPool;
import dev.autodiff.nn.conv.GlobalMaxPool;
import dev.autodiff.nn.conv.MaxPool1d;
import dev.autodiff.nn.conv.Upsample;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The layers of ConvPoolReferenceTest gradchecked in both modes and to second order (each is smooth, linear or
 * piecewise linear away from ties), and ConvTranspose proven the adjoint of Conv with the same weight:
 * <conv(x), y> = <x, convT(y)>, and convT(y) is conv's vector-Jacobian product at y, over random shapes,
 * strides, paddings, dilations and groups.
 */
class ConvPoolGradTest {
    static Stream<Arguments> functions() {
        MaxPool1d max = new MaxPool1d(3, 2, 1);
        AvgPool1d avg = new AvgPool1d(3, 2, 1, false);
        AdaptiveAvgPool1d a1 = new AdaptiveAvgPool1d(4);
        AdaptiveAvgPool2d a2 = new AdaptiveAvgPool2d(2, 3);
        GroupNorm gn = new GroupNorm(2, 4);
        randomise(gn, 1);
        InstanceNorm1d in1 = new InstanceNorm1d(4, 1e-5, 0.1, true, false);
        randomise(in1, 2);
        InstanceNorm2d in2 = new InstanceNorm2d(2, 1e-5, 0.1, false, true);
        ConvTranspose1d t1 = new ConvTranspose1d(4, 2, 3, 2, 1, 1, 1, 2, true, 3);
        ConvTranspose2d t2 = new ConvTranspose2d(2, 3, 2, 2, 1, 1, 2, 1, true, 4);
        return Stream.of(
                Arguments.of("maxPool1d padded", new int[] {2, 2, 5}, (Fn) xs -> max.forward(xs[0])),
                Arguments.of("avgPool1d excluding padding", new int[] {2, 2, 5}, (Fn) xs -> avg.forward(xs[0])),
                Arguments.of("adaptiveAvgPool1d", new int[] {2, 2, 7}, (Fn) xs -> a1.forward(xs[0])),
                Arguments.of("adaptiveAvgPool2d", new int[] {1, 2, 5, 4}, (Fn) xs -> a2.forward(xs[0])),
                Arguments.of("globalAvgPool", new int[] {2, 2, 3, 2}, (Fn) xs -> new GlobalAvgPool().forward(xs[0])),
                Arguments.of("globalMaxPool", new int[] {2, 2, 3, 2}, (Fn) xs -> new GlobalMaxPool().forward(xs[0])),
                Arguments.of("groupNorm", new int[] {2, 4, 3}, (Fn) xs -> gn.forward(xs[0])),
                Arguments.of("instanceNorm1d affine", new int[] {2, 4, 3}, (Fn) xs -> in1.forward(xs[0])),
                Arguments.of("instanceNorm2d tracking, training", new int[] {2, 2, 2, 3}, (Fn) xs -> in2.forward(xs[0])),
                Arguments.of("convTranspose1d grouped", new int[] {2, 4, 3}, (Fn) xs -> t1.forward(xs[0])),
                Arguments.of("convTranspose2d dilated", new int[] {1, 2, 2, 3}, (Fn) xs -> t2.forward(xs[0])),
                Arguments.of("upsample nearest 1.5", new int[] {1, 2, 2, 3}, (Fn) xs -> Upsample.ofScale("nearest", false, 1.5).forward(xs[0])),
                Arguments.of("upsample bilinear", new int[] {1, 2, 2, 3}, (Fn) xs -> Upsample.ofSize("bilinear", false, 3, 5).forward(xs[0])),
                Arguments.of("upsample bilinear alignCorners", new int[] {1, 2, 2, 3},
                        (Fn) xs -> Upsample.ofScale("bilinear", true, 2).forward(xs[0])),
                Arguments.of("upsample linear", new int[] {2, 2, 3}, (Fn) xs -> Upsample.ofScale("linear", false, 2.5).forward(xs[0])));
    }

    /** Parameters away from their initial ones and zeros, so the affine map and its gradient are exercised. */
    private static void randomise(Module m, long seed) {
        m.parameters().values().forEach(p -> p.assign(Tensor.randn(seed + p.size(), p.shape())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void gradcheckBothModesAndSecondOrder(String name, int[] shape, Fn f) {
        Tensor x = Tensor.randn(17, shape).mul(1.5);
        GradCheck.of(f).tolerance(1e-6, 1e-5).check(x);
        GradCheck.of(f).tolerance(1e-6, 1e-5).checkSecondOrder(x);
    }

    static LongStream seeds() {
        return LongStream.range(0, 40);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void convTransposeIsTheAdjointOfConv(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = 1 + rnd.nextInt(2);
        int groups = 1 + rnd.nextInt(2);
        int c = groups * (1 + rnd.nextInt(2));
        int o = groups * (1 + rnd.nextInt(2));
        int[] kernel = new int[d];
        int[] stride = new int[d];
        int[] padding = new int[d];
        int[] dilation = new int[d];
        int[] outputPadding = new int[d];
        int[] xShape = new int[d + 2];
        xShape[0] = 1 + rnd.nextInt(2);
        xShape[1] = c;
        for (int i = 0; i < d; i++) {
            kernel[i] = 1 + rnd.nextInt(3);
            stride[i] = 1 + rnd.nextInt(3);
            padding[i] = rnd.nextInt(kernel[i]);
            dilation[i] = 1 + rnd.nextInt(2);
            int span = dilation[i] * (kernel[i] - 1) + 1;
            int s = Math.max(1, span - 2 * padding[i]) + rnd.nextInt(5);
            xShape[i + 2] = s;
            outputPadding[i] = (s + 2 * padding[i] - span) % stride[i]; // the positions conv's last window leaves out
        }
        String what = "seed " + seed + ": x " + Arrays.toString(xShape) + ", kernel " + Arrays.toString(kernel) + ", stride "
                + Arrays.toString(stride) + ", padding " + Arrays.toString(padding) + ", dilation " + Arrays.toString(dilation)
                + ", groups " + groups;
        Conv conv = new Conv(c, o, kernel, stride, padding, dilation, groups, false, seed);
        ConvTranspose convT = new ConvTranspose(o, c, kernel, stride, padding, outputPadding, dilation, groups, false, seed + 1);
        convT.weight().assign(conv.weight()); // (O, C / groups, k...) read as (in, out / groups, k...)
        Tensor x = Tensor.randn(seed * 2 + 1, xShape).requiresGrad();
        Tensor cx = conv.forward(x);
        Tensor y = Tensor.randn(seed * 2 + 2, cx.shape());
        Tensor ty = convT.forward(y);
        assertArrayEquals(x.shape(), ty.shape(), what + ": convT(y) has x's shape");
        double left = cx.mul(y).sum().item();
        double right = x.mul(ty).sum().item();
        assertEquals(left, right, 1e-12 * Math.max(1, Math.abs(left)), what + ": <conv(x), y> = <x, convT(y)>");
        // and more: convT(y) is J^T y for J = d conv / dx, element by element
        Tensor vjp = Autodiff.grad(cx.mul(y).sum(), x)[0];
        double[] e = vjp.toArray();
        double[] a = ty.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-12 * Math.max(1, Math.abs(e[i])), what + " at " + i);
        }
    }
}
