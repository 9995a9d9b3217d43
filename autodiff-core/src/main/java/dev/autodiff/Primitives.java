package dev.autodiff;

import dev.autodiff.Primitive.Kind;
import dev.autodiff.kernel.Elementwise;
import dev.autodiff.kernel.Gemm;
import dev.autodiff.kernel.IndexMaps;
import dev.autodiff.kernel.Reductions;
import dev.autodiff.kernel.Shapes;
import java.util.Arrays;

/**
 * The primitive table. Every differentiable op in the library is one of these rows or a composition of
 * them (see {@link Tensor}); each row states its forward kernel and, beside it, one vjp formula per input.
 * Linear rows (neg, add, sub, sum, reshape, broadcastTo, take, scatterAdd, concat) state their transpose.
 */
final class Primitives {
    private Primitives() {}

    // ---- unary elementwise: y = f(x); the rule gets x, y and the output gradient g -------------------

    interface UnaryRule {
        Tensor vjp(Tensor x, Tensor y, Tensor g);
    }

    static final class Unary extends Primitive {
        final Elementwise.Unary code;
        final UnaryRule rule;

        Unary(Kind kind, Elementwise.Unary code, UnaryRule rule) {
            super(kind, kind.name().toLowerCase());
            this.code = code;
            this.rule = rule;
        }

        Tensor apply(Tensor x) {
            double[] y = x.shape == Shapes.SCALAR ? new double[] {Elementwise.unary(code, x.data[0])}
                    : Elementwise.unary(code, x.data);
            return record(new Tensor(y, x.shape), x);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return rule.vjp(in[0], out, g);
        }
    }

    static final Unary NEG = new Unary(Kind.NEG, Elementwise.Unary.NEG, (x, y, g) -> g.neg());
    // d/dx e^x = e^x: reuse the output
    static final Unary EXP = new Unary(Kind.EXP, Elementwise.Unary.EXP, (x, y, g) -> g.mul(y));
    // d/dx log x = 1/x
    static final Unary LOG = new Unary(Kind.LOG, Elementwise.Unary.LOG, (x, y, g) -> g.div(x));
    // d/dx 1/x = -1/x^2 = -y^2
    static final Unary RECIPROCAL = new Unary(Kind.RECIPROCAL, Elementwise.Unary.RECIPROCAL,
            (x, y, g) -> g.mul(y.mul(y)).neg());
    // d/dx sqrt x = 1/(2 sqrt x) = 1/(2y)
    static final Unary SQRT = new Unary(Kind.SQRT, Elementwise.Unary.SQRT, (x, y, g) -> g.div(y.mul(2.0)));
    // d/dx tanh x = 1 - y^2
    static final Unary TANH = new Unary(Kind.TANH, Elementwise.Unary.TANH, (x, y, g) -> g.mul(y.mul(y).rsub(1.0)));
    // d/dx sigmoid x = y (1 - y); finite for every finite or infinite x
    static final Unary SIGMOID = new Unary(Kind.SIGMOID, Elementwise.Unary.SIGMOID,
            (x, y, g) -> g.mul(y.mul(y.rsub(1.0))));
    // d/dx relu x = [x > 0]; 0 at x = 0, as PyTorch
    static final Unary RELU = new Unary(Kind.RELU, Elementwise.Unary.RELU, (x, y, g) -> g.mul(x.gt(0.0)));
    // d/dx |x| = sign x; 0 at x = 0, as PyTorch
    static final Unary ABS = new Unary(Kind.ABS, Elementwise.Unary.ABS, (x, y, g) -> g.mul(x.sign()));

    // ---- binary elementwise with broadcasting: each rule's result is summed back to its input's shape --

    interface BinaryRule {
        Tensor vjp(Tensor a, Tensor b, Tensor y, Tensor g);
    }

    static final class Binary extends Primitive {
        final Elementwise.Binary code;
        final BinaryRule da;
        final BinaryRule db;

        Binary(Kind kind, Elementwise.Binary code, BinaryRule da, BinaryRule db) {
            super(kind, kind.name().toLowerCase());
            this.code = code;
            this.da = da;
            this.db = db;
        }

        Tensor apply(Tensor a, Tensor b) {
            if (a.shape == Shapes.SCALAR && b.shape == Shapes.SCALAR) {
                return record(new Tensor(new double[] {Elementwise.binary(code, a.data[0], b.data[0])}, Shapes.SCALAR), a, b);
            }
            int[] shape = Shapes.broadcast(name, a.shape, b.shape);
            return record(new Tensor(Elementwise.binary(code, a.data, a.shape, b.data, b.shape, shape), shape), a, b);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor a = in[0];
            Tensor b = in[1];
            return i == 0 ? da.vjp(a, b, out, g).sumTo(a.shape) : db.vjp(a, b, out, g).sumTo(b.shape);
        }
    }

    static final Binary ADD = new Binary(Kind.ADD, Elementwise.Binary.ADD, (a, b, y, g) -> g, (a, b, y, g) -> g);
    static final Binary SUB = new Binary(Kind.SUB, Elementwise.Binary.SUB, (a, b, y, g) -> g, (a, b, y, g) -> g.neg());
    // product rule: d(ab) = b da + a db
    static final Binary MUL = new Binary(Kind.MUL, Elementwise.Binary.MUL,
            (a, b, y, g) -> g.mul(b), (a, b, y, g) -> g.mul(a));
    // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -y/b
    static final Binary DIV = new Binary(Kind.DIV, Elementwise.Binary.DIV,
            (a, b, y, g) -> g.div(b), (a, b, y, g) -> g.mul(y).div(b).neg());
    // d(a^b)/da = b a^(b-1), taken as 0 where b = 0; d(a^b)/db = a^b log a, taken as 0 where a = 0 and b >= 0
    static final Binary POW = new Binary(Kind.POW, Elementwise.Binary.POW,
            (a, b, y, g) -> Tensor.where(b.eq(0.0), Tensor.scalar(0.0), g.mul(b).mul(a.pow(b.sub(1.0)))),
            (a, b, y, g) -> Tensor.where(a.eq(0.0).mul(b.ge(0.0)), Tensor.scalar(0.0), g.mul(y).mul(a.log())));
    // the gradient goes to the larger input; on a tie each input gets half, as PyTorch's maximum
    static final Binary MAXIMUM = new Binary(Kind.MAXIMUM, Elementwise.Binary.MAXIMUM,
            (a, b, y, g) -> g.mul(winner(a, b)), (a, b, y, g) -> g.mul(winner(b, a)));
    static final Binary MINIMUM = new Binary(Kind.MINIMUM, Elementwise.Binary.MINIMUM,
            (a, b, y, g) -> g.mul(winner(b, a)), (a, b, y, g) -> g.mul(winner(a, b)));

    /** 1 where a > b, 1/2 where a == b, else 0: a constant mask. */
    private static Tensor winner(Tensor a, Tensor b) {
        return a.gt(b).add(a.eq(b).mul(0.5));
    }

    /** where(c, a, b): c is a constant mask (never differentiated); a gets g where c != 0, b elsewhere. */
    static final class Where extends Primitive {
        Where() {
            super(Kind.WHERE, "where");
        }

        Tensor apply(Tensor c, Tensor a, Tensor b) {
            int[] shape = Shapes.broadcast(name, Shapes.broadcast(name, c.shape, a.shape), b.shape);
            double[] out = Elementwise.where(c.data, c.shape, a.data, a.shape, b.data, b.shape, shape);
            return record(new Tensor(out, shape), c, a, b);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor zero = Tensor.scalar(0.0);
            switch (i) {
                case 1: return Tensor.where(in[0], g, zero).sumTo(in[1].shape);
                case 2: return Tensor.where(in[0], zero, g).sumTo(in[2].shape);
                default: throw new IllegalStateException("where: the condition is not differentiable");
            }
        }
    }

    static final Where WHERE = new Where();

    // ---- matmul: C = op(A) op(B) over broadcast batch dimensions; bilinear, so each vjp is a matmul ----

    static final class MatMul extends Primitive {
        final boolean ta;
        final boolean tb;

        MatMul(boolean ta, boolean tb) {
            super(Kind.MATMUL, "matmul" + (ta || tb ? (ta ? "T" : "N") + (tb ? "T" : "N") : ""));
            this.ta = ta;
            this.tb = tb;
        }

        Tensor apply(Tensor a, Tensor b) {
            if (a.rank() < 2 || b.rank() < 2) {
                throw new IllegalArgumentException(name + ": operands must have rank >= 2 here, got "
                        + Shapes.str(a.shape) + " and " + Shapes.str(b.shape));
            }
            int ra = a.rank();
            int rb = b.rank();
            int m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
            int ka = ta ? a.shape[ra - 2] : a.shape[ra - 1];
            int kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
            int n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
            if (ka != kb) {
                throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shapes.str(a.shape)
                        + (ta ? "^T" : "") + " @ " + Shapes.str(b.shape) + (tb ? "^T" : "") + " (" + ka + " vs " + kb + ")");
            }
            int[] aBatch = Arrays.copyOf(a.shape, ra - 2);
            int[] bBatch = Arrays.copyOf(b.shape, rb - 2);
            int[] batch = Shapes.broadcast("matmul (batch dimensions)", aBatch, bBatch);
            int[] shape = Arrays.copyOf(batch, batch.length + 2);
            shape[batch.length] = m;
            shape[batch.length + 1] = n;
            double[] c = new double[Shapes.size(shape)];
            int batches = Shapes.size(batch);
            int[] as = Shapes.broadcastStrides(aBatch, batch);
            int[] bs = Shapes.broadcastStrides(bBatch, batch);
            int[] idx = new int[batch.length];
            for (int p = 0; p < batches; p++) {
                int aOff = 0;
                int bOff = 0;
                for (int d = 0; d < batch.length; d++) {
                    aOff += idx[d] * as[d];
                    bOff += idx[d] * bs[d];
                }
                Gemm.gemm(ta, tb, m, n, ka, a.data, aOff * m * ka, b.data, bOff * ka * n, c, p * m * n);
                for (int d = batch.length - 1; d >= 0; d--) {
                    if (++idx[d] < batch[d]) {
                        break;
                    }
                    idx[d] = 0;
                }
            }
            return record(new Tensor(c, shape), a, b);
        }

        // C = op(A) op(B). dL/dop(A) = G op(B)^T and dL/dop(B) = op(A)^T G; transposing back where op is T.
        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor a = in[0];
            Tensor b = in[1];
            if (i == 0) {
                Tensor ga = ta ? matmul(b, tb, g, true) : matmul(g, false, b, !tb);
                return ga.sumTo(a.shape);
            }
            Tensor gb = tb ? matmul(g, true, a, ta) : matmul(a, !ta, g, false);
            return gb.sumTo(b.shape);
        }
    }

    private static final MatMul[] MATMULS = {
        new MatMul(false, false), new MatMul(false, true), new MatMul(true, false), new MatMul(true, true)};

    static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        return MATMULS[(transA ? 2 : 0) + (transB ? 1 : 0)].apply(a, b);
    }

    // ---- reductions ---------------------------------------------------------------------------------

    static final class Reduce extends Primitive {
        final Reductions.Op op;
        final boolean[] mask;
        final boolean keepDims;

        Reduce(Kind kind, Reductions.Op op, boolean[] mask, boolean keepDims) {
            super(kind, kind.name().toLowerCase());
            this.op = op;
            this.mask = mask;
            this.keepDims = keepDims;
        }

        Tensor apply(Tensor x) {
            if (op != Reductions.Op.SUM) {
                for (int d = 0; d < x.rank(); d++) {
                    if (mask[d] && x.shape[d] == 0) {
                        throw new IllegalArgumentException(name + ": cannot reduce over axis " + d
                                + " of size 0 in shape " + Shapes.str(x.shape) + " (the " + name + " of nothing is undefined)");
                    }
                }
            }
            double[] out = Reductions.reduce(op, x.data, x.shape, mask);
            return record(new Tensor(out, Shapes.reduced(x.shape, mask, keepDims)), x);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor x = in[0];
            int[] kept = Shapes.reduced(x.shape, mask, true);
            Tensor gk = g.reshape(kept);
            if (op == Reductions.Op.SUM) {
                return gk.broadcastTo(x.shape); // the transpose of sum is broadcast
            }
            // the gradient is shared equally among the elements that attain the extremum
            Tensor hit = x.eq(out.detach().reshape(kept));
            Tensor share = hit.div(hit.sum(true, maskedAxes()));
            return gk.mul(share);
        }

        private int[] maskedAxes() {
            int n = 0;
            for (boolean m : mask) {
                n += m ? 1 : 0;
            }
            int[] axes = new int[n];
            for (int d = 0, j = 0; d < mask.length; d++) {
                if (mask[d]) {
                    axes[j++] = d;
                }
            }
            return axes;
        }
    }

    static Tensor reduce(Kind kind, Tensor x, int[] axes, boolean keepDims) {
        String name = kind.name().toLowerCase();
        boolean[] mask = Shapes.axesMask(name, axes, x.rank());
        Reductions.Op op = kind == Kind.SUM ? Reductions.Op.SUM : kind == Kind.MAX ? Reductions.Op.MAX : Reductions.Op.MIN;
        return new Reduce(kind, op, mask, keepDims).apply(x);
    }

    // ---- movement -----------------------------------------------------------------------------------

    /** Same data, new shape; its own transpose is the reshape back. */
    static final class Reshape extends Primitive {
        Reshape() {
            super(Kind.RESHAPE, "reshape");
        }

        Tensor apply(Tensor x, int[] shape) {
            return record(new Tensor(x.data, shape), x);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return g.reshape(in[0].shape);
        }
    }

    static final Reshape RESHAPE = new Reshape();

    /** Broadcast copy; its transpose is summing back to the input's shape. */
    static final class BroadcastTo extends Primitive {
        BroadcastTo() {
            super(Kind.BROADCAST_TO, "broadcastTo");
        }

        Tensor apply(Tensor x, int[] shape) {
            return record(new Tensor(Elementwise.expand(x.data, x.shape, shape), shape), x);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return g.sumTo(in[0].shape);
        }
    }

    static final BroadcastTo BROADCAST_TO = new BroadcastTo();

    /**
     * {@code out[i] = x[map[i]]} (0 where map[i] < 0), the common form of permute, slice, indexSelect,
     * gather and unfold. Its transpose is {@link ScatterAdd} with the same map, and vice versa.
     */
    static final class Take extends Primitive {
        final String transposeName;
        final int[] map;
        final int[] shape;

        Take(String name, String transposeName, int[] map, int[] shape) {
            super(Kind.TAKE, name);
            this.transposeName = transposeName;
            this.map = map;
            this.shape = shape;
        }

        Tensor apply(Tensor x) {
            return record(new Tensor(IndexMaps.take(x.data, map), shape), x);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return new ScatterAdd(transposeName, name, map, in[0].shape).apply(g);
        }
    }

    /** {@code out[map[i]] += x[i]} into zeros of {@code shape}: pad, indexAdd, scatterAdd, fold. */
    static final class ScatterAdd extends Primitive {
        final String transposeName;
        final int[] map;
        final int[] shape;

        ScatterAdd(String name, String transposeName, int[] map, int[] shape) {
            super(Kind.SCATTER_ADD, name);
            this.transposeName = transposeName;
            this.map = map;
            this.shape = shape;
        }

        Tensor apply(Tensor x) {
            return record(new Tensor(IndexMaps.scatterAdd(x.data, map, Shapes.size(shape)), shape), x);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return new Take(transposeName, name, map, in[0].shape).apply(g);
        }
    }

    /** Joins tensors along one axis; the transpose slices the gradient back apart. */
    static final class Concat extends Primitive {
        final int axis;

        Concat(int axis) {
            super(Kind.CONCAT, "concat");
            this.axis = axis;
        }

        Tensor apply(Tensor[] xs) {
            int[] shape = xs[0].shape.clone();
            int total = 0;
            for (Tensor x : xs) {
                for (int d = 0; d < shape.length; d++) {
                    if (d != axis && x.shape[d] != shape[d]) {
                        throw new IllegalArgumentException("concat: shapes must match except along axis " + axis
                                + ", got " + Shapes.str(xs[0].shape) + " and " + Shapes.str(x.shape));
                    }
                }
                total += x.shape[axis];
            }
            shape[axis] = total;
            int outer = 1;
            for (int d = 0; d < axis; d++) {
                outer *= shape[d];
            }
            int inner = 1;
            for (int d = axis + 1; d < shape.length; d++) {
                inner *= shape[d];
            }
            double[] out = new double[Shapes.size(shape)];
            int rowLen = total * inner;
            int col = 0;
            for (Tensor x : xs) {
                int len = x.shape[axis] * inner;
                for (int o = 0; o < outer; o++) {
                    System.arraycopy(x.data, o * len, out, o * rowLen + col, len);
                }
                col += len;
            }
            return record(new Tensor(out, shape), xs.clone());
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            int start = 0;
            for (int j = 0; j < i; j++) {
                start += in[j].shape[axis];
            }
            return g.slice(axis, start, start + in[i].shape[axis]);
        }
    }
}
