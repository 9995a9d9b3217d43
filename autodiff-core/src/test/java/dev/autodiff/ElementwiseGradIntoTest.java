package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The vjps of + - * / written into a gradient buffer (Binary.vjpInto): the bits of the vjp made as a tensor and then
 * added to (or stored in) the buffer, signed zeros, infinities and NaNs included, in both dtypes; and whole backward
 * passes whose tensors meet many such paths give the bits of the recorded pass (createGraph), which takes none of the
 * fast paths.
 */
class ElementwiseGradIntoTest {
    private static final Primitives.Binary[] OPS = {Primitives.ADD, Primitives.SUB, Primitives.MUL, Primitives.DIV};

    /** Values that exercise the rounding and the signs: ordinary numbers, signed zeros, infinities, a NaN, tiny ones. */
    private static double[] awkward(long seed, int n) {
        double[] v = Tensor.randn(seed, n).toArray();
        double[] special = {0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1e-310, -3e300};
        for (int k = 0; k < n; k += 5) {
            v[k] = special[(k / 5) % special.length];
        }
        return v;
    }

    private static Tensor tensor(double[] v, DType d, int... shape) {
        return Tensor.fromArray(v, shape).to(d);
    }

    private static long[] bits(Tensor t) {
        double[] v = t.toArray();
        long[] b = new long[v.length];
        for (int k = 0; k < v.length; k++) {
            b[k] = Double.doubleToLongBits(v[k]);
        }
        return b;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void intoGivesTheBitsOfTheVjpAddedOrStored(DType d) {
        int n = 35;
        int[][] others = {{7, 5}, {}}; // the other operand: of the output's shape, or 0-d (broadcast)
        int checked = 0;
        for (Primitives.Binary op : OPS) {
            for (int[] otherShape : others) {
                for (int i = 0; i < 2; i++) {
                    Tensor x = tensor(awkward(1, n), d, 7, 5);
                    Tensor other = tensor(awkward(2, otherShape.length == 0 ? 1 : n), d, otherShape);
                    Tensor[] in = i == 0 ? new Tensor[] {x, other} : new Tensor[] {other, x};
                    Tensor out;
                    try (GradScope s = Autodiff.noGrad()) {
                        out = op.apply(in);
                        Tensor g = tensor(awkward(3, n), d, 7, 5);
                        Tensor acc0 = tensor(awkward(4, n), d, 7, 5);
                        Tensor vjp = op.vjp(i, g, in, out);
                        for (boolean overwrite : new boolean[] {false, true}) {
                            Tensor acc = acc0.mul(1.0); // a copy
                            boolean took = d == DType.FLOAT64 ? op.vjpInto(i, g, in, out, acc.data, overwrite)
                                    : op.vjpInto32(i, g, in, out, acc.f32, overwrite);
                            assertTrue(took, op.name + " input " + i);
                            Tensor expected = overwrite ? vjp : acc0.add(vjp);
                            String what = op.name + " input " + i + " other " + otherShape.length + "-d overwrite " + overwrite;
                            assertEquals(d, acc.dtype(), what);
                            assertArrayEquals(bits(expected), bits(acc), what);
                            checked++;
                        }
                    }
                }
            }
        }
        assertEquals(4 * 2 * 2 * 2, checked);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void aBroadcastInputOrAnotherOpTakesTheGeneralPath(DType d) {
        Tensor row = Tensor.randn(5, 5).to(d);
        Tensor m = Tensor.randn(6, 7, 5).to(d);
        try (GradScope s = Autodiff.noGrad()) {
            Tensor[] in = {m, row};
            Tensor out = Primitives.MUL.apply(in);
            Tensor g = Tensor.randn(7, 7, 5).to(d);
            // the row's vjp sums over the broadcast rows: not one pass of products
            assertFalse(d == DType.FLOAT64 ? Primitives.MUL.vjpInto(1, g, in, out, new double[5], false)
                    : Primitives.MUL.vjpInto32(1, g, in, out, new float[5], false));
            Tensor[] same = {m, m};
            Tensor p = Primitives.POW.apply(same);
            assertFalse(d == DType.FLOAT64 ? Primitives.POW.vjpInto(0, g, same, p, new double[35], false)
                    : Primitives.POW.vjpInto32(0, g, same, p, new float[35], false));
        }
    }

    /** Every op of the four meets a tensor from both sides and many times; the leaves are used again after zeroGrad. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void backwardThroughManyPathsGivesTheRecordedPassesBits(DType d) {
        List<BinaryOperator<Tensor>> ops = List.of(Tensor::add, Tensor::sub, Tensor::mul, Tensor::div);
        for (int[] shape : new int[][] {{}, {3, 4}}) {
            Tensor[] fast = leaves(d, shape);
            Tensor[] recorded = leaves(d, shape);
            for (int step = 0; step < 3; step++) {
                for (Tensor[] ps : List.of(fast, recorded)) {
                    for (Tensor p : ps) {
                        p.zeroGrad();
                    }
                }
                loss(fast, ops).backward();
                loss(recorded, ops).backward(Tensor.scalar(1.0).to(d), false, true);
                for (int k = 0; k < fast.length; k++) {
                    String what = "shape " + shape.length + "-d, step " + step + ", leaf " + k;
                    assertEquals(d, fast[k].grad().dtype(), what);
                    assertArrayEquals(bits(recorded[k].grad().detach()), bits(fast[k].grad()), what);
                }
                for (Tensor[] ps : List.of(fast, recorded)) {
                    for (Tensor p : ps) {
                        try (GradScope s = Autodiff.noGrad()) {
                            p.addInPlace(p.grad().detach().tanh(), -0.01);
                        }
                    }
                }
            }
        }
    }

    private static Tensor[] leaves(DType d, int[] shape) {
        List<Tensor> ps = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            ps.add(Tensor.randn(10 + k, shape).add(2.0).to(d).requiresGrad());
        }
        return ps.toArray(new Tensor[0]);
    }

    /** Hidden units each fed by every leaf through every op, then mixed again: sums of many paths per tensor. */
    private static Tensor loss(Tensor[] p, List<BinaryOperator<Tensor>> ops) {
        Tensor[] h = new Tensor[4];
        for (int j = 0; j < h.length; j++) {
            Tensor acc = p[j % p.length];
            for (int k = 0; k < p.length; k++) {
                acc = ops.get((j + k) % 4).apply(acc, p[k]).tanh();
                acc = ops.get((j + 2 * k + 1) % 4).apply(p[(k + 1) % p.length], acc);
            }
            h[j] = acc.mul(0.5);
        }
        Tensor out = Tensor.scalar(0.0).to(p[0].dtype());
        for (int j = 0; j < h.length; j++) {
            for (int k = 0; k < h.length; k++) {
                out = out.add(ops.get((j * k) % 4).apply(h[j], h[k].add(3.0)).tanh().sum());
            }
        }
        return out;
    }
}
