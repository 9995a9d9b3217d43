package dev.autodiff;

import dev.autodiff.Primitive.Kind;
import dev.autodiff.kernel.Buffers;
import dev.autodiff.kernel.Elementwise;
import dev.autodiff.kernel.Gemm;
import dev.autodiff.kernel.Gemm32;
import dev.autodiff.kernel.IndexMap;
import dev.autodiff.kernel.IndexMaps;
import dev.autodiff.kernel.Reductions;
import dev.autodiff.kernel.Shapes;
import java.util.Arrays;

/**
 * The primitive table. Every differentiable op in the library is one of these rows or a composition of
 * them (see {@link Tensor}). Following JAX's classification, most rules are derived: an elementwise op
 * states its partial derivatives once and both vjp ({@code g * d}) and jvp ({@code t * d}) use them; a
 * linear op (neg, add, sub, sum, reshape, broadcastTo, take, scatterAdd, concat) is its own jvp and
 * states its transpose as the vjp; matmul is bilinear, so each rule is another matmul.
 */
final class Primitives {
    private Primitives() {}

    // ---- unary elementwise: y = f(x) with dy/dx stated once as a function of x and y -------------------

    interface Derivative {
        Tensor of(Tensor x, Tensor y);
    }

    static final class Unary extends Primitive {
        final Elementwise.Unary code;
        final Derivative d; // null for a linear op (neg): the rules apply the op itself

        Unary(Kind kind, Elementwise.Unary code, Derivative d) {
            super(kind, kind.name().toLowerCase());
            this.code = code;
            this.d = d;
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor x = in[0];
            double[] y = x.shape == Shapes.SCALAR ? new double[] {Elementwise.unary(code, x.data[0])}
                    : Elementwise.unary(code, x.data);
            return new Tensor(y, x.shape);
        }

        /** A float32 input: the float64 loops on chunks, rounded back (the cold path's bits, in one pass). */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            return new Tensor(Elementwise.unary32(code, in[0].f32), in[0].shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor x = in[0];
            if (Elementwise.hasFusedGrad(code) && Arrays.equals(g.shape, x.shape) && unrecorded(g, in)) {
                // nothing recorded: g times the derivative in one pass, without making the derivative (the same
                // bits as the rule below)
                double[] gx = Buffers.zeros(x.size());
                Elementwise.unaryGrad(code, g.data, x.data, out.data, gx);
                return new Tensor(gx, x.shape);
            }
            if (Elementwise.hasFusedGrad(code) && Arrays.equals(g.shape, x.shape) && unrecorded32(g, in, out)) {
                float[] gx = Buffers.zeros32(x.size()); // the same, float32
                Elementwise.unaryGrad32(code, g.f32, x.f32, out.f32, gx);
                return new Tensor(gx, x.shape);
            }
            return d == null ? apply(g) : g.mul(d.of(x, out));
        }

        @Override
        boolean freshVjp(int i) {
            return true; // g times the derivative, or the linear op applied to g: a new array either way
        }

        @Override
        boolean vjpOverwrite(Tensor g, Tensor[] in, Tensor out) {
            Tensor x = in[0];
            if (!Elementwise.hasFusedGrad(code) || !Arrays.equals(g.shape, x.shape)) {
                return false;
            }
            if (g.f32 != null) {
                Elementwise.unaryGrad32(code, g.f32, x.f32, out.f32, g.f32);
            } else {
                Elementwise.unaryGrad(code, g.data, x.data, out.data, g.data);
            }
            return true;
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            return d == null ? apply(t[0]) : t[0].mul(d.of(in[0], out));
        }

        /** Elementwise: the op on the batch as it is. */
        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return apply(x[0]);
        }
    }

    static final Unary NEG = new Unary(Kind.NEG, Elementwise.Unary.NEG, null);
    // d/dx e^x = e^x: reuse the output
    static final Unary EXP = new Unary(Kind.EXP, Elementwise.Unary.EXP, (x, y) -> y);
    // d/dx log x = 1/x
    static final Unary LOG = new Unary(Kind.LOG, Elementwise.Unary.LOG, (x, y) -> x.reciprocal());
    // d/dx 1/x = -1/x^2 = -y^2
    static final Unary RECIPROCAL = new Unary(Kind.RECIPROCAL, Elementwise.Unary.RECIPROCAL, (x, y) -> y.mul(y).neg());
    // d/dx sqrt x = 1/(2 sqrt x) = 0.5/y
    static final Unary SQRT = new Unary(Kind.SQRT, Elementwise.Unary.SQRT, (x, y) -> y.reciprocal().mul(0.5));
    // d/dx tanh x = 1 - y^2
    static final Unary TANH = new Unary(Kind.TANH, Elementwise.Unary.TANH, (x, y) -> y.mul(y).rsub(1.0));
    // d/dx sigmoid x = y (1 - y); finite for every x
    static final Unary SIGMOID = new Unary(Kind.SIGMOID, Elementwise.Unary.SIGMOID, (x, y) -> y.mul(y.rsub(1.0)));
    // d/dx relu x = [x > 0]; 0 at x = 0, as PyTorch
    static final Unary RELU = new Unary(Kind.RELU, Elementwise.Unary.RELU, (x, y) -> x.gt(0.0));
    // d/dx erf x = 2/sqrt(pi) e^(-x^2)
    static final Unary ERF = new Unary(Kind.ERF, Elementwise.Unary.ERF,
            (x, y) -> x.square().neg().exp().mul(1.1283791670955126));
    // d/dx |x| = sign x; 0 at x = 0, as PyTorch
    static final Unary ABS = new Unary(Kind.ABS, Elementwise.Unary.ABS, (x, y) -> x.sign());

    /** PyTorch's softplus threshold (beta 1): above it softplus(x) is x. */
    static final double SOFTPLUS_THRESHOLD = 20.0;
    private static final Tensor SIGMOID_AT_THRESHOLD = Tensor.scalar(SOFTPLUS_THRESHOLD).sigmoid();

    // softplus x = log(1 + e^x), x above 20; d/dx = sigmoid x up to 20, 1 above, as PyTorch's softplus_backward.
    // At 20 itself the derivative is the constant sigmoid(20), so that the second derivative is 0 from 20 on,
    // as PyTorch's double backward; below, it is sigmoid'(x) (1/4 at 0).
    static final Unary SOFTPLUS = new Unary(Kind.SOFTPLUS, Elementwise.Unary.SOFTPLUS,
            (x, y) -> Tensor.where(x.ge(SOFTPLUS_THRESHOLD),
                    Tensor.where(x.gt(SOFTPLUS_THRESHOLD), Tensor.wrap(1.0), SIGMOID_AT_THRESHOLD), x.sigmoid()));

    // ---- binary elementwise with broadcasting -----------------------------------------------------------

    interface Partial {
        Tensor of(Tensor a, Tensor b, Tensor y);
    }

    /**
     * y = f(a, b) with its partial derivatives da = dy/da and db = dy/db (null meaning the constant 1, and
     * {@code negB} flipping the sign of db, so that add and sub cost no multiplications).
     * vjp: {@code sumTo(g * da, shape(a))}; jvp: {@code ta * da + tb * db}.
     */
    static final class Binary extends Primitive {
        final Elementwise.Binary code;
        final Partial da;
        final Partial db;
        final boolean negB;

        Binary(Kind kind, Elementwise.Binary code, Partial da, Partial db, boolean negB) {
            super(kind, kind.name().toLowerCase());
            this.code = code;
            this.da = da;
            this.db = db;
            this.negB = negB;
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor a = in[0];
            Tensor b = in[1];
            if (a.shape == Shapes.SCALAR && b.shape == Shapes.SCALAR) {
                return new Tensor(new double[] {Elementwise.binary(code, a.data[0], b.data[0])}, Shapes.SCALAR);
            }
            int[] shape = Shapes.broadcast(name, a.shape, b.shape);
            return new Tensor(Elementwise.binary(code, a.data, a.shape, b.data, b.shape, shape), shape);
        }

        /**
         * A float32 result from operands that are float32 arrays of the result's shape or scalars (of either dtype): the
         * float64 loops on chunks, rounded back in one pass; other broadcasts take the cold path (the same bits).
         */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            Tensor a = in[0];
            Tensor b = in[1];
            int[] shape = Shapes.broadcast(name, a.shape, b.shape);
            int n = Shapes.size(shape);
            boolean aWhole = a.f32 != null && a.size() == n && a.rank() == shape.length;
            boolean bWhole = b.f32 != null && b.size() == n && b.rank() == shape.length;
            if (dtype != DType.FLOAT32) {
                return super.forwardMixed(in, dtype);
            }
            if (!(aWhole || a.rank() == 0) || !(bWhole || b.rank() == 0)) {
                if (a.f32 == null || b.f32 == null) {
                    return super.forwardMixed(in, dtype);
                }
                float[] out = Buffers.zeros32(n); // a broadcast of float32 arrays (a bias row, a column of scales)
                Elementwise.binaryInto32(code, a.f32, a.shape, b.f32, b.shape, out, shape);
                return new Tensor(out, shape);
            }
            return new Tensor(Elementwise.binary32(code, aWhole ? a.f32 : null, aWhole ? 0 : a.item(),
                    bWhole ? b.f32 : null, bWhole ? 0 : b.item(), n), shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor a = in[0];
            Tensor b = in[1];
            if (i == 0) {
                return (da == null ? g : g.mul(da.of(a, b, out))).sumTo(a.shape);
            }
            Tensor gb = db == null ? g : g.mul(db.of(a, b, out));
            return (negB ? gb.neg() : gb).sumTo(b.shape);
        }

        @Override
        boolean freshVjp(int i) {
            return i == 0 ? da != null : db != null || negB; // a product (or negation) of g; else g itself unless summed
        }

        /**
         * + - * / without broadcasting onto input i: acc (+)= g p or acc (-)= g p, p the partial ({@link #da} or
         * {@link #db}, of the output's size or one element) or 1. The product is rounded before the add, as Java never
         * fuses a multiply and an add, so acc holds the bits of the vjp made first and then added (or stored). A node
         * whose input has many consumers (a weight at every step, a hidden unit feeding a layer) then sums its
         * gradient in one buffer instead of a new tensor per path.
         */
        @Override
        boolean vjpInto(int i, Tensor g, Tensor[] in, Tensor out, double[] acc, boolean overwrite) {
            if (!elementwiseOnto(i, in, out)) {
                return false;
            }
            Tensor p = partial(i, in, out);
            if (p != null && (p.data == null || !fits(p, out))) {
                return false;
            }
            Elementwise.addProduct(g.data, p == null ? null : p.data, i == 1 && negB, acc, overwrite);
            return true;
        }

        /** {@link #vjpInto} in float32: the products and sums in float, as the float32 vjp and its add. */
        @Override
        boolean vjpInto32(int i, Tensor g, Tensor[] in, Tensor out, float[] acc, boolean overwrite) {
            if (!elementwiseOnto(i, in, out)) {
                return false;
            }
            Tensor p = partial(i, in, out);
            if (p != null && (p.f32 == null || !fits(p, out))) {
                return false;
            }
            Elementwise.addProduct32(g.f32, p == null ? null : p.f32, i == 1 && negB, acc, overwrite);
            return true;
        }

        /** Whether input i's vjp is g times its partial with no sum over a broadcast: one of + - * / onto an input of the output's shape. */
        private boolean elementwiseOnto(int i, Tensor[] in, Tensor out) {
            return (kind == Kind.ADD || kind == Kind.SUB || kind == Kind.MUL || kind == Kind.DIV)
                    && (in[i].shape == out.shape || Arrays.equals(in[i].shape, out.shape));
        }

        /** The partial dy/d(input i) as the vjp multiplies g by it, or null for 1. */
        private Tensor partial(int i, Tensor[] in, Tensor out) {
            Partial d = i == 0 ? da : db;
            return d == null ? null : d.of(in[0], in[1], out);
        }

        /** A partial read element by element against g, or as one number for all of it. */
        private static boolean fits(Tensor p, Tensor out) {
            return p.size() == out.size() || p.size() == 1;
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            Tensor a = in[0];
            Tensor b = in[1];
            Tensor r = null;
            Tensor ref = t[0] != null ? t[0] : t[1];
            Tensor refPrimal = t[0] != null ? a : b;
            if (ref == null) {
                return null;
            }
            if (t[0] != null) {
                Tensor ta = Tangents.lift(t[0], a, out.rank());
                r = da == null ? ta : ta.mul(da.of(a, b, out));
            }
            if (t[1] != null) {
                Tensor tb = Tangents.lift(t[1], b, out.rank());
                Tensor term = db == null ? tb : tb.mul(db.of(a, b, out));
                r = r == null ? (negB ? term.neg() : term) : (negB ? r.sub(term) : r.add(term));
            }
            return Tangents.expand(r, ref, refPrimal, out);
        }

        /** Broadcasting: batched inputs lifted to the other's rank, then the op on the physical forms. */
        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return apply(Batching.lifted(x, batched));
        }
    }

    static final Binary ADD = new Binary(Kind.ADD, Elementwise.Binary.ADD, null, null, false);
    static final Binary SUB = new Binary(Kind.SUB, Elementwise.Binary.SUB, null, null, true);
    // product rule: d(ab) = b da + a db
    static final Binary MUL = new Binary(Kind.MUL, Elementwise.Binary.MUL, (a, b, y) -> b, (a, b, y) -> a, false);
    // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -y/b
    static final Binary DIV = new Binary(Kind.DIV, Elementwise.Binary.DIV,
            (a, b, y) -> b.reciprocal(), (a, b, y) -> y.div(b), true);
    // d(a^b)/da = b a^(b-1), which is 0 where b = 0 (a^0 = 1 for every a, as PyTorch); d(a^b)/db = a^b log a,
    // taken as 0 where a = 0 and b >= 0 (as PyTorch). Both partials are written so that no branch holds
    // 0 * inf, at any order: where a^(b-1) or log a would be infinite or NaN at those points, the base is
    // replaced by 1 (a where whose discarded side is a constant), which gives the value 0 there and keeps every
    // derivative of the rule finite. Elsewhere the rule is the plain formula, so its derivative in b is right
    // at b = 0 too (d/db of b a^(b-1) is 1/a there; PyTorch's mask gives 0).
    static final Binary POW = new Binary(Kind.POW, Elementwise.Binary.POW,
            (a, b, y) -> b.mul(Tensor.where(b.eq(0.0).mul(a.eq(0.0).add(a.ne(a))), Tensor.wrap(1.0), a).pow(b.sub(1.0))),
            (a, b, y) -> y.mul(Tensor.where(a.eq(0.0).mul(b.ge(0.0)), Tensor.wrap(1.0), a).log()), false);
    // the larger input gets the gradient; on a tie each gets half, as PyTorch's maximum
    static final Binary MAXIMUM = new Binary(Kind.MAXIMUM, Elementwise.Binary.MAXIMUM,
            (a, b, y) -> winner(a, b), (a, b, y) -> winner(b, a), false);
    static final Binary MINIMUM = new Binary(Kind.MINIMUM, Elementwise.Binary.MINIMUM,
            (a, b, y) -> winner(b, a), (a, b, y) -> winner(a, b), false);

    /** 1 where a > b, 1/2 where a == b, else 0: a constant mask. */
    private static Tensor winner(Tensor a, Tensor b) {
        return a.gt(b).add(a.eq(b).mul(0.5));
    }

    /** where(c, a, b): c is a constant mask (never differentiated); a gets g where c != 0, b elsewhere. */
    static final class Where extends Primitive {
        Where() {
            super(Kind.WHERE, "where");
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor c = in[0];
            Tensor a = in[1];
            Tensor b = in[2];
            int[] shape = Shapes.broadcast(name, Shapes.broadcast(name, c.shape, a.shape), b.shape);
            return new Tensor(Elementwise.where(c.data, c.shape, a.data, a.shape, b.data, b.shape, shape), shape);
        }

        /** The branches' dtype: the condition (a mask) does not take part. */
        @Override
        DType resultDtype(Tensor[] in) {
            return Primitive.resultType(new Tensor[] {in[1], in[2]});
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor zero = Tensor.wrap(0.0);
            switch (i) {
                case 1: return Tensor.where(in[0], g, zero).sumTo(in[1].shape);
                case 2: return Tensor.where(in[0], zero, g).sumTo(in[2].shape);
                default: throw new IllegalStateException("where: the condition is not differentiable");
            }
        }

        @Override
        boolean freshVjp(int i) {
            return true;
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            int k = t[1] != null ? 1 : 2;
            if (t[k] == null) {
                return null;
            }
            Tensor zero = Tensor.wrap(0.0);
            Tensor ta = t[1] == null ? zero : Tangents.lift(t[1], in[1], out.rank());
            Tensor tb = t[2] == null ? zero : Tangents.lift(t[2], in[2], out.rank());
            return Tangents.expand(Tensor.where(in[0], ta, tb), t[k], in[k], out);
        }

        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return apply(Batching.lifted(x, batched));
        }
    }

    static final Where WHERE = new Where();

    // ---- matmul: C = op(A) op(B) over broadcast batch dimensions; bilinear, so every rule is a matmul ----

    static final class MatMul extends Primitive {
        final boolean ta;
        final boolean tb;

        MatMul(boolean ta, boolean tb) {
            super(Kind.MATMUL, ta && tb ? "matmulTransAB" : ta ? "matmulTransA" : tb ? "matmulTransB" : "matmul");
            this.ta = ta;
            this.tb = tb;
        }

        @Override
        Tensor forward(Tensor[] in) {
            return multiply(in[0], in[1], false);
        }

        /** Two float32 operands: the float32 GEMM (accumulating in float32, as OpenBLAS's SGEMM). */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            if (dtype == DType.FLOAT32 && in[0].f32 != null && in[1].f32 != null) {
                return multiply(in[0], in[1], true);
            }
            return super.forwardMixed(in, dtype);
        }

        /** op(A) op(B), batched; float32 operands and result when {@code f32}, else float64. */
        private Tensor multiply(Tensor a, Tensor b, boolean f32) {
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
                throw new IllegalArgumentException(name + ": inner dimensions differ: " + Shapes.str(a.shape)
                        + (ta ? "^T" : "") + " @ " + Shapes.str(b.shape) + (tb ? "^T" : "") + " (" + ka + " vs " + kb + ")");
            }
            int[] aBatch = Arrays.copyOf(a.shape, ra - 2);
            int[] bBatch = Arrays.copyOf(b.shape, rb - 2);
            int[] batch = Shapes.broadcast(name + ": batch dimensions", aBatch, bBatch);
            int[] shape = Arrays.copyOf(batch, batch.length + 2);
            shape[batch.length] = m;
            shape[batch.length + 1] = n;
            int size = Shapes.size(name, shape);
            if (f32) {
                float[] c = Buffers.zeros32(size);
                if (rb == 2 && !ta && ra > 2) {
                    Gemm32.gemm(false, tb, a.size() / Math.max(1, ka), n, ka, a.f32, 0, b.f32, 0, c, 0);
                } else {
                    eachProduct(a, b, batch, (xo, yo, p) -> Gemm32.gemm(ta, tb, m, n, ka, a.f32, xo * m * ka, b.f32,
                            yo * ka * n, c, p * m * n));
                }
                return new Tensor(c, shape);
            }
            double[] c = Buffers.zeros(size);
            if (rb == 2 && !ta && ra > 2) {
                // a stack of matrices times one matrix is one product: (batch * m, k) @ op(B)
                Gemm.gemm(false, tb, a.size() / Math.max(1, ka), n, ka, a.data, 0, b.data, 0, c, 0);
                return new Tensor(c, shape);
            }
            products(a, ta, b, tb, m, n, ka, batch, c, null, false, true);
            return new Tensor(c, shape);
        }

        /** One product of the batch: matrix xOff of X times matrix yOff of Y, for result matrix p. */
        private interface Product {
            void at(int xOff, int yOff, int p);
        }

        /** Runs {@code product} for every index p of the broadcast batch shape, in order. */
        private static void eachProduct(Tensor x, Tensor y, int[] batch, Product product) {
            int[] xs = Shapes.broadcastStrides(Arrays.copyOf(x.shape, x.rank() - 2), batch);
            int[] ys = Shapes.broadcastStrides(Arrays.copyOf(y.shape, y.rank() - 2), batch);
            int batches = Shapes.size(batch);
            int[] idx = new int[batch.length];
            for (int p = 0; p < batches; p++) {
                int xOff = 0;
                int yOff = 0;
                for (int d = 0; d < batch.length; d++) {
                    xOff += idx[d] * xs[d];
                    yOff += idx[d] * ys[d];
                }
                product.at(xOff, yOff, p);
                for (int d = batch.length - 1; d >= 0; d--) {
                    if (++idx[d] < batch[d]) {
                        break;
                    }
                    idx[d] = 0;
                }
            }
        }

        /**
         * op(X_p) op(Y_p) for every index p of the broadcast batch shape {@code batch}, written to C's matrix p,
         * or, with {@code sumBatches}, all added into C's one matrix; {@code overwrite} stores instead of adding
         * (only without sumBatches). C is {@code c} (float64 operands) or {@code c32} (float32 operands), the other
         * null.
         */
        private static void products(Tensor x, boolean tx, Tensor y, boolean ty, int m, int n, int k, int[] batch,
                                     double[] c, float[] c32, boolean sumBatches, boolean overwrite) {
            eachProduct(x, y, batch, (xOff, yOff, p) -> {
                int cOff = sumBatches ? 0 : p * m * n;
                int xo = xOff * m * k;
                int yo = yOff * k * n;
                if (c32 != null && overwrite) {
                    Gemm32.gemm(tx, ty, m, n, k, x.f32, xo, y.f32, yo, c32, cOff);
                } else if (c32 != null) {
                    Gemm32.gemmAccumulate(tx, ty, m, n, k, x.f32, xo, y.f32, yo, c32, cOff);
                } else if (overwrite) {
                    Gemm.gemm(tx, ty, m, n, k, x.data, xo, y.data, yo, c, cOff);
                } else {
                    Gemm.gemmAccumulate(tx, ty, m, n, k, x.data, xo, y.data, yo, c, cOff);
                }
            });
        }

        /**
         * The vjp's product added into the gradient buffer: dL/dop(A) = G op(B)^T and dL/dop(B) = op(A)^T G,
         * each a product that lands in the stored layout of A or B. Summed over the batch when the input was
         * broadcast over all of it (a layer's weight against a batch of inputs), one matrix per batch index
         * when it has the whole batch shape; other partial broadcasts take the general path.
         */
        @Override
        boolean vjpInto(int i, Tensor g, Tensor[] in, Tensor out, double[] acc, boolean overwrite) {
            return gradInto(i, g, in, acc, null, overwrite);
        }

        /** {@link #vjpInto} in float32: the float32 GEMM into a float32 buffer. */
        @Override
        boolean vjpInto32(int i, Tensor g, Tensor[] in, Tensor out, float[] acc, boolean overwrite) {
            return gradInto(i, g, in, null, acc, overwrite);
        }

        private boolean gradInto(int i, Tensor g, Tensor[] in, double[] acc, float[] acc32, boolean overwrite) {
            Tensor a = in[0];
            Tensor b = in[1];
            if (i == 0) {
                return ta ? productInto(b, tb, g, true, a.shape, acc, acc32, overwrite)
                        : productInto(g, false, b, !tb, a.shape, acc, acc32, overwrite);
            }
            return tb ? productInto(g, true, a, ta, b.shape, acc, acc32, overwrite)
                    : productInto(a, !ta, g, false, b.shape, acc, acc32, overwrite);
        }

        /**
         * Overwriting gives {@link #vjp}'s bits in its two cases that make no reduction of their own: all three
         * operands matrices (vjp's one product), and a matrix summed over a broadcast batch (vjp's summing path
         * into a zeroed buffer); elsewhere it declines.
         */
        private static boolean productInto(Tensor x, boolean tx, Tensor y, boolean ty, int[] target, double[] acc,
                                           float[] acc32, boolean overwrite) {
            int r = target.length;
            int m = target[r - 2];
            int n = target[r - 1];
            int k = tx ? x.shape[x.rank() - 2] : x.shape[x.rank() - 1];
            int[] batch = Shapes.broadcast("matmul", Arrays.copyOf(x.shape, x.rank() - 2), Arrays.copyOf(y.shape, y.rank() - 2));
            int[] targetBatch = Arrays.copyOf(target, r - 2);
            boolean sum = Shapes.size(targetBatch) == 1;
            if (!sum && !Arrays.equals(targetBatch, batch)) {
                return false;
            }
            boolean matrices = r == 2 && x.rank() == 2 && y.rank() == 2;
            if (overwrite && !matrices) {
                if (!(r == 2 && Shapes.size(batch) > 1)) {
                    return false;
                }
                if (acc32 != null) {
                    Arrays.fill(acc32, 0.0f);
                } else {
                    Arrays.fill(acc, 0.0);
                }
            }
            products(x, tx, y, ty, m, n, k, batch, acc, acc32, sum, overwrite && matrices);
            return true;
        }

        @Override
        boolean freshVjp(int i) {
            return true;
        }

        // C = op(A) op(B). dL/dop(A) = G op(B)^T and dL/dop(B) = op(A)^T G; transposed back where op is T.
        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor a = in[0];
            Tensor b = in[1];
            Tensor x = in[i];
            boolean broadcast = g.rank() > 2 && Shapes.size(Arrays.copyOf(x.shape, x.rank() - 2)) == 1
                    && Shapes.size(Arrays.copyOf(g.shape, g.rank() - 2)) > 1;
            if (broadcast && unrecorded(g, in)) {
                // x (a layer's weight, say) was broadcast over the batch and nothing here would be recorded:
                // sum the batch's products in one buffer instead of making one per batch index and reducing
                double[] acc = Buffers.zeros(x.size());
                vjpInto(i, g, in, out, acc, false);
                return new Tensor(acc, x.shape);
            }
            if (broadcast && unrecorded32(g, in, out)) {
                float[] acc = Buffers.zeros32(x.size()); // the same in float32
                vjpInto32(i, g, in, out, acc, false);
                return new Tensor(acc, x.shape);
            }
            if (i == 0) {
                Tensor ga = ta ? matmul(b, tb, g, true) : matmul(g, false, b, !tb);
                return ga.sumTo(a.shape);
            }
            Tensor gb = tb ? matmul(g, true, a, ta) : matmul(a, !ta, g, false);
            return gb.sumTo(b.shape);
        }

        // dC = op(dA) op(B) + op(A) op(dB)
        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            int rank = Math.max(in[0].rank(), in[1].rank());
            Tensor r = t[0] == null ? null : matmul(Tangents.lift(t[0], in[0], rank), ta, in[1], tb);
            if (t[1] != null) {
                Tensor term = matmul(in[0], ta, Tangents.lift(t[1], in[1], rank), tb);
                r = r == null ? term : r.add(term);
            }
            return r;
        }

        /**
         * A batch of products is a product over one more batch dimension: the batched operands lifted to the other's
         * rank, so that a batch of vectors times one matrix is a single (n m, k) @ (k, p) product.
         */
        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return apply(Batching.lifted(x, batched));
        }
    }

    private static final MatMul[] MATMULS = {
        new MatMul(false, false), new MatMul(false, true), new MatMul(true, false), new MatMul(true, true)};

    static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        return MATMULS[(transA ? 2 : 0) + (transB ? 1 : 0)].apply(a, b);
    }

    /**
     * {@code bias + a @ b} (PyTorch's addmm, a layer's x W + b): the product's array takes the bias in place,
     * saving the separate add its output array and pass. The rules are add's and matmul's: the bias gets g
     * summed to its shape, the operands matmul's vjps of g, and the tangent is the sum of both ops' tangents.
     */
    static final class AddMatMul extends Primitive {
        private static final MatMul PRODUCT = MATMULS[0];

        AddMatMul() {
            super(Kind.ADDMM, "addmm");
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor bias = in[0];
            Tensor y = checkBias(in, PRODUCT.forward(new Tensor[] {in[1], in[2]}));
            Elementwise.binaryInto(Elementwise.Binary.ADD, y.data, y.shape, bias.data, bias.shape, y.data, y.shape);
            return y;
        }

        /**
         * Float32 operands: the float32 GEMM, then the bias added as float32 addition does (each sum rounded once); the
         * product's shape is checked against the bias as in {@link #forward}.
         */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            if (dtype != DType.FLOAT32 || in[1].f32 == null || in[2].f32 == null) {
                return super.forwardMixed(in, dtype);
            }
            Tensor y = checkBias(in, PRODUCT.forwardMixed(new Tensor[] {in[1], in[2]}, dtype));
            Tensor bias = in[0];
            if (bias.f32 == null) {
                return ADD.forwardMixed(new Tensor[] {y, bias}, dtype);
            }
            Elementwise.binaryInto32(Elementwise.Binary.ADD, y.f32, y.shape, bias.f32, bias.shape, y.f32, y.shape);
            return y;
        }

        /** The product y, once the bias in[0] is known to broadcast to its shape. */
        private Tensor checkBias(Tensor[] in, Tensor y) {
            int[] shape = Shapes.broadcast(name, in[0].shape, y.shape);
            if (!Arrays.equals(shape, y.shape)) {
                throw new IllegalArgumentException("addmm: the bias of shape " + Shapes.str(in[0].shape)
                        + " does not broadcast to the product's shape " + Shapes.str(y.shape) + " (" + Shapes.str(in[1].shape)
                        + " @ " + Shapes.str(in[2].shape) + ")");
            }
            return y;
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return i == 0 ? ADD.vjp(0, g, new Tensor[] {in[0], out}, out) : PRODUCT.vjp(i - 1, g, operands(in), out);
        }

        @Override
        boolean vjpInto(int i, Tensor g, Tensor[] in, Tensor out, double[] acc, boolean overwrite) {
            return i > 0 && PRODUCT.vjpInto(i - 1, g, operands(in), out, acc, overwrite);
        }

        @Override
        boolean vjpInto32(int i, Tensor g, Tensor[] in, Tensor out, float[] acc, boolean overwrite) {
            return i > 0 && PRODUCT.vjpInto32(i - 1, g, operands(in), out, acc, overwrite);
        }

        @Override
        boolean freshVjp(int i) {
            return i > 0; // the bias's g.sumTo(shape) is g itself when nothing is summed
        }

        @Override
        boolean passesGOnlyTo(int i) {
            return i == 0; // the operands' vjps are new products of g
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            Tensor product = t[1] == null && t[2] == null ? null : PRODUCT.jvp(operands(in), new Tensor[] {t[1], t[2]}, out);
            // out stands for the product's primal in add's rule: it has the product's shape
            return ADD.jvp(new Tensor[] {in[0], out}, new Tensor[] {t[0], product}, out);
        }

        private static Tensor[] operands(Tensor[] in) {
            return new Tensor[] {in[1], in[2]};
        }

        /** The product batched as matmul is, then the bias added (the sum addmm forms, in the same order). */
        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            Tensor product = batched[1] || batched[2]
                    ? PRODUCT.batch(operands(x), new boolean[] {batched[1], batched[2]}, n) : PRODUCT.apply(operands(x));
            if (!batched[0]) {
                return product.add(x[0]);
            }
            return product.add(Batching.lift(x[0], product.rank() - (batched[1] || batched[2] ? 1 : 0)));
        }
    }

    static final AddMatMul ADDMM = new AddMatMul();

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

        @Override
        Tensor forward(Tensor[] in) {
            Tensor x = in[0];
            checkNotEmpty(x);
            return new Tensor(Reductions.reduce(op, x.data, x.shape, mask), Shapes.reduced(x.shape, mask, keepDims));
        }

        /**
         * The float32 kernel, which reads x's floats (no float64 copy of x) and gives the float64 reduction of them,
         * bit for bit (see Reductions), rounded here once: the cold path's result without its full-size temporary.
         */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            Tensor x = in[0];
            if (x.f32 == null || dtype != DType.FLOAT32) {
                return super.forwardMixed(in, dtype);
            }
            checkNotEmpty(x);
            return new Tensor(Reductions.reduce(op, x.f32, x.shape, mask), Shapes.reduced(x.shape, mask, keepDims)).narrowed();
        }

        /** Max and min of an empty axis are undefined (a sum of nothing is 0). */
        private void checkNotEmpty(Tensor x) {
            if (op != Reductions.Op.SUM) {
                for (int d = 0; d < x.rank(); d++) {
                    if (mask[d] && x.shape[d] == 0) {
                        throw new IllegalArgumentException(name + ": cannot reduce over axis " + d
                                + " of size 0 in shape " + Shapes.str(x.shape) + " (the " + name + " of nothing is undefined)");
                    }
                }
            }
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor x = in[0];
            Tensor gk = g.reshape(Shapes.reduced(x.shape, mask, true));
            // sum: the transpose of summing is broadcasting; max, min: only the extremal elements, equally
            return op == Reductions.Op.SUM ? gk.broadcastTo(x.shape) : gk.mul(share(x, out));
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            Tensor tx = t[0];
            int nb = Tangents.batch(tx, in[0]);
            Reduce sum = new Reduce(Kind.SUM, Reductions.Op.SUM, Tangents.mask(mask, nb), keepDims);
            return sum.apply(op == Reductions.Op.SUM ? tx : tx.mul(share(in[0], out)));
        }

        /** The same reduction with the batch axis kept. */
        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return new Reduce(kind, op, Batching.prepend(false, mask), keepDims).apply(x[0]);
        }

        /** For max and min: 1/k at each of the k elements that attain the extremum, else 0 (a constant). */
        private Tensor share(Tensor x, Tensor out) {
            Tensor hit = x.eq(out.detach().reshape(Shapes.reduced(x.shape, mask, true)));
            return hit.div(hit.sum(true, axes()));
        }

        private int[] axes() {
            return java.util.stream.IntStream.range(0, mask.length).filter(d -> mask[d]).toArray();
        }
    }

    static Tensor reduce(Kind kind, Tensor x, int[] axes, boolean keepDims) {
        String name = kind.name().toLowerCase();
        boolean[] mask = Shapes.axesMask(name, axes, x.rank());
        Reductions.Op op = kind == Kind.SUM ? Reductions.Op.SUM : kind == Kind.MAX ? Reductions.Op.MAX : Reductions.Op.MIN;
        return new Reduce(kind, op, mask, keepDims).apply(x);
    }

    // ---- movement (all linear) ----------------------------------------------------------------------

    /** Same data, new shape; its transpose is the reshape back. */
    static final class Reshape extends Primitive {
        final int[] shape;

        Reshape(int[] shape) {
            super(Kind.RESHAPE, "reshape");
            this.shape = shape;
        }

        @Override
        Tensor forward(Tensor[] in) {
            return in[0].view(shape);
        }

        /** A view in either dtype. */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            return forward(in);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return g.reshape(in[0].shape);
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            return t[0].reshape(Tangents.batched(t[0], in[0], shape));
        }

        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return new Reshape(Batching.prepend(n, shape)).apply(x[0]);
        }
    }

    /** Broadcast copy; its transpose sums back to the input's shape. */
    static final class BroadcastTo extends Primitive {
        final int[] shape;

        BroadcastTo(int[] shape) {
            super(Kind.BROADCAST_TO, "broadcastTo");
            this.shape = shape;
        }

        @Override
        Tensor forward(Tensor[] in) {
            return new Tensor(Elementwise.expand(in[0].data, in[0].shape, shape), shape);
        }

        /** A float32 copy (a sum's backward broadcasts its gradient so): no float64 array of the output's size. */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            Tensor x = in[0];
            if (x.f32 == null || dtype != DType.FLOAT32) {
                return super.forwardMixed(in, dtype);
            }
            return new Tensor(Elementwise.expand(x.f32, x.shape, shape), shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return g.sumTo(in[0].shape);
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            return Tangents.lift(t[0], in[0], shape.length).broadcastTo(Tangents.batched(t[0], in[0], shape));
        }

        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return new BroadcastTo(Batching.prepend(n, shape)).apply(Batching.lift(x[0], shape.length));
        }
    }

    /**
     * {@code out[i] = x[map[i]]} (0 where map[i] < 0), the common form of permute, slice, indexSelect,
     * gather and unfold. Its transpose is {@link ScatterAdd} with the same map, and vice versa.
     */
    static final class Take extends Primitive {
        final String transposeName;
        final IndexMap map;
        final int[] shape;

        Take(String name, String transposeName, IndexMap map, int[] shape) {
            super(Kind.TAKE, name);
            this.transposeName = transposeName;
            this.map = map;
            this.shape = shape;
        }

        @Override
        Tensor forward(Tensor[] in) {
            return new Tensor(map.take(in[0].data), shape);
        }

        /** A float32 input: its elements picked as they are (a batch of rows of a large data set, not widened). */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            return new Tensor(map.take32(in[0].f32), shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return new ScatterAdd(transposeName, name, map, in[0].shape).apply(g);
        }

        @Override
        boolean vjpInto(int i, Tensor g, Tensor[] in, Tensor out, double[] acc, boolean overwrite) {
            if (overwrite) {
                Arrays.fill(acc, 0.0); // then the same sums as vjp's scatter into a new array
            }
            map.scatterAddInto(g.data, acc);
            return true;
        }

        @Override
        boolean vjpInto32(int i, Tensor g, Tensor[] in, Tensor out, float[] acc, boolean overwrite) {
            if (overwrite) {
                Arrays.fill(acc, 0.0f); // then the same float sums as vjp's scatter into a new array
            }
            map.scatterAddInto32(g.f32, acc);
            return true;
        }

        @Override
        boolean freshVjp(int i) {
            return true;
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            if (Tangents.batch(t[0], in[0]) == 0) {
                return apply(t[0]);
            }
            int n = t[0].shape[0];
            return new Take(name, transposeName, map.batched(n),
                    Tangents.batched(t[0], in[0], shape)).apply(t[0]);
        }

        /** The map repeated once per example, as for a batched tangent. */
        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return new Take(name, transposeName, map.batched(n), Batching.prepend(n, shape)).apply(x[0]);
        }
    }

    /** {@code out[map[i]] += x[i]} into zeros of {@code shape}: pad, indexAdd, scatterAdd, fold. */
    static final class ScatterAdd extends Primitive {
        final String transposeName;
        final IndexMap map;
        final int[] shape;

        ScatterAdd(String name, String transposeName, IndexMap map, int[] shape) {
            super(Kind.SCATTER_ADD, name);
            this.transposeName = transposeName;
            this.map = map;
            this.shape = shape;
        }

        @Override
        Tensor forward(Tensor[] in) {
            return new Tensor(map.scatterAdd(in[0].data), shape);
        }

        /** A float32 input: summed in float32, as PyTorch's float32 scatter_add (see {@link IndexMap#scatterAdd32}). */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            return new Tensor(map.scatterAdd32(in[0].f32), shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return new Take(transposeName, name, map, in[0].shape).apply(g);
        }

        @Override
        boolean freshVjp(int i) {
            return true;
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            if (Tangents.batch(t[0], in[0]) == 0) {
                return apply(t[0]);
            }
            int n = t[0].shape[0];
            return new ScatterAdd(name, transposeName, map.batched(n),
                    Tangents.batched(t[0], in[0], shape)).apply(t[0]);
        }

        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return new ScatterAdd(name, transposeName, map.batched(n), Batching.prepend(n, shape)).apply(x[0]);
        }
    }

    /**
     * torch.gather, or the scatter of torch.scatter_add into zeros of {@code shape}, with the index an input rather
     * than a fixed map: what they are when the index is batched inside vmap, so that each example picks its own
     * positions (as a selection's indices do). Inputs (x, index); the index is detached (constant). The batching
     * rule is the same op on the physical tensors along the shifted axis, one index map over every example (a plain
     * {@link Take} or {@link ScatterAdd} once the index is plain); the reverse rule of each is the other, by the
     * same index, and the tangent is the op applied to the tangent.
     */
    static final class ByIndex extends Primitive {
        final boolean scatter;
        final int axis;
        final int[] shape;

        private ByIndex(boolean scatter, int axis, int[] shape) {
            super(scatter ? Kind.SCATTER_ADD : Kind.TAKE, scatter ? "scatterAdd" : "gather");
            this.scatter = scatter;
            this.axis = axis;
            this.shape = shape;
        }

        /** x gathered along axis by index, shapes already checked: a fixed map when the index is plain. */
        static Tensor gather(Tensor x, int axis, Tensor index) {
            if (index.batch != null) {
                return new ByIndex(false, axis, index.shape).apply(x, index.detach());
            }
            return take(x.shape, axis, index).apply(x);
        }

        /** src added into zeros of {@code shape} where gather along axis by index would read, shapes already checked. */
        static Tensor scatter(int[] shape, int axis, Tensor index, Tensor src) {
            if (index.batch != null) {
                return new ByIndex(true, axis, shape).apply(src, index.detach());
            }
            return scatterAdd(shape, axis, index).apply(src);
        }

        private static Take take(int[] shape, int axis, Tensor index) {
            return new Take("gather", "scatterAdd", IndexMaps.gather(shape, axis,
                    Tensor.indexValues("gather", axis, index, shape), index.shape), index.shape);
        }

        private static ScatterAdd scatterAdd(int[] shape, int axis, Tensor index) {
            return new ScatterAdd("scatterAdd", "gather", IndexMaps.gather(shape, axis,
                    Tensor.indexValues("scatterAdd", axis, index, shape), index.shape), shape);
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor[] x = {in[0]};
            return scatter ? scatterAdd(shape, axis, in[1]).forward(x) : take(in[0].shape, axis, in[1]).forward(x);
        }

        /** The values' dtype: the index (whole numbers) does not take part. */
        @Override
        DType resultDtype(Tensor[] in) {
            return in[0].dtype();
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            if (i != 0) {
                throw new IllegalStateException(name + ": the index is not differentiable");
            }
            return scatter ? gather(g, axis, in[1]) : scatter(in[0].shape, axis, in[1], g);
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            if (t[0] == null) {
                return null;
            }
            if (Tangents.batch(t[0], in[0]) == 0) {
                return scatter ? scatter(shape, axis, in[1], t[0]) : gather(t[0], axis, in[1]);
            }
            // n tangents at once: the same index for each
            int n = t[0].shape[0];
            Tensor index = in[1].unsqueeze(0).broadcastTo(Batching.prepend(n, in[1].shape));
            return scatter ? scatter(Batching.prepend(n, shape), axis + 1, index, t[0]) : gather(t[0], axis + 1, index);
        }

        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            Tensor v = Batching.materialize(x[0], batched[0], n);
            Tensor index = Batching.materialize(x[1], batched[1], n);
            return scatter ? scatter(Batching.prepend(n, shape), axis + 1, index, v) : gather(v, axis + 1, index);
        }
    }

    /** Joins tensors along one axis; the transpose slices the gradient back apart. */
    static final class Concat extends Primitive {
        final int axis;

        Concat(int axis) {
            super(Kind.CONCAT, "concat");
            this.axis = axis;
        }

        @Override
        Tensor forward(Tensor[] xs) {
            int[] shape = xs[0].shape.clone();
            int total = 0;
            for (Tensor x : xs) {
                for (int d = 0; d < shape.length; d++) {
                    if (d != axis && x.shape[d] != shape[d]) {
                        throw new IllegalArgumentException("concat: shapes must match except along axis " + axis
                                + ", got " + Shapes.str(xs[0].shape) + " and " + Shapes.str(x.shape));
                    }
                }
                total = Shapes.add(name, total, x.shape[axis], "dimension " + axis + " of the result");
            }
            shape[axis] = total;
            Shapes.size(name, shape);
            int outer = 1;
            for (int d = 0; d < axis; d++) {
                outer *= shape[d];
            }
            int inner = 1;
            for (int d = axis + 1; d < shape.length; d++) {
                inner *= shape[d];
            }
            double[] out = Buffers.zeros(Shapes.size(shape));
            int rowLen = total * inner;
            int col = 0;
            for (Tensor x : xs) {
                int len = x.shape[axis] * inner;
                for (int o = 0; o < outer; o++) {
                    System.arraycopy(x.data, o * len, out, o * rowLen + col, len);
                }
                col += len;
            }
            return new Tensor(out, shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            int start = 0;
            for (int j = 0; j < i; j++) {
                start += in[j].shape[axis];
            }
            return g.slice(axis, start, start + in[i].shape[axis]);
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            int k = 0;
            while (k < t.length && t[k] == null) {
                k++;
            }
            if (k == t.length) {
                return null;
            }
            int nb = Tangents.batch(t[k], in[k]);
            Tensor[] parts = new Tensor[t.length];
            for (int i = 0; i < t.length; i++) {
                parts[i] = t[i] != null ? t[i] : Tensor.zeros(Tangents.batched(t[k], in[k], in[i].shape));
            }
            return new Concat(axis + nb).apply(parts);
        }

        /** Along the next axis, with every part given the batch axis (unbatched ones copied per example). */
        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            Tensor[] parts = new Tensor[x.length];
            for (int i = 0; i < x.length; i++) {
                parts[i] = Batching.materialize(x[i], batched[i], n);
            }
            return new Concat(axis + 1).apply(parts);
        }
    }

    // ===== issue 16: reductions, scans and movement ==================================================

    /**
     * Inclusive running sum along one axis, from the front ({@code cumsum}) or, with {@code reverse}, from the back.
     * A primitive rather than a composite because a composite scan (log2 n rounds of slice, add and concat, or a
     * product with a triangular matrix) costs log n or n passes over the tensor where this is one. Linear: its
     * transpose is the running sum the other way (the transpose of a lower-triangular matrix of ones is upper),
     * and its jvp is itself applied to the tangent.
     */
    static final class CumSum extends Primitive {
        final int axis;
        final boolean reverse;

        CumSum(int axis, boolean reverse) {
            super(Kind.CUMSUM, reverse ? "cumsumReverse" : "cumsum");
            this.axis = axis;
            this.reverse = reverse;
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor x = in[0];
            return new Tensor(Reductions.cumsum(x.data, x.shape, axis, reverse), x.shape);
        }

        /** The float32 scan: float64 running sums rounded once each, the cold path's bits without a float64 copy. */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            Tensor x = in[0];
            if (x.f32 == null || dtype != DType.FLOAT32) {
                return super.forwardMixed(in, dtype);
            }
            return new Tensor(Reductions.cumsum(x.f32, x.shape, axis, reverse), x.shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return new CumSum(axis, !reverse).apply(g);
        }

        @Override
        boolean freshVjp(int i) {
            return true;
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            return new CumSum(axis + Tangents.batch(t[0], in[0]), reverse).apply(t[0]);
        }

        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return new CumSum(axis + 1, reverse).apply(x[0]);
        }
    }

    // ===== issue 16: elementwise math ===================================================================
    // Primitives where a composition would be inaccurate (log1p, expm1, exp2, log2, log10, the inverse functions near their
    // poles, hypot, logaddexp) or cannot have the right derivative (a rounding op composed of others would have
    // no zero gradient; xlogy's conventions at x = 0), or where it costs several passes for one kernel call.
    // Each derivative is stated once, as a function of x and y = f(x), and used by both vjp and jvp. Where
    // 1 - x^2 or x^2 - 1 appears it has the value of (1 - x)(1 + x) (no cancellation as |x| nears 1, where PyTorch's
    // 1 - x*x loses digits) and the derivatives of 1 - x*x (see oneMinusSquare).

    // d/dx sin x = cos x
    static final Unary SIN = new Unary(Kind.SIN, Elementwise.Unary.SIN, (x, y) -> x.cos());
    // d/dx cos x = -sin x
    static final Unary COS = new Unary(Kind.COS, Elementwise.Unary.COS, (x, y) -> x.sin().neg());
    // d/dx tan x = 1 + tan^2 x = 1 + y^2
    static final Unary TAN = new Unary(Kind.TAN, Elementwise.Unary.TAN, (x, y) -> y.square().add(1.0));
    // d/dx asin x = 1/sqrt(1 - x^2): +inf at x = +-1, as PyTorch
    static final Unary ASIN = new Unary(Kind.ASIN, Elementwise.Unary.ASIN, (x, y) -> oneMinusSquare(x).rsqrt());
    // d/dx acos x = -1/sqrt(1 - x^2): -inf at x = +-1
    static final Unary ACOS = new Unary(Kind.ACOS, Elementwise.Unary.ACOS, (x, y) -> oneMinusSquare(x).rsqrt().neg());
    // d/dx atan x = 1/(1 + x^2)
    static final Unary ATAN = new Unary(Kind.ATAN, Elementwise.Unary.ATAN, (x, y) -> x.square().add(1.0).reciprocal());
    // d/dx sinh x = cosh x
    static final Unary SINH = new Unary(Kind.SINH, Elementwise.Unary.SINH, (x, y) -> x.cosh());
    // d/dx cosh x = sinh x
    static final Unary COSH = new Unary(Kind.COSH, Elementwise.Unary.COSH, (x, y) -> x.sinh());
    // d/dx asinh x = 1/sqrt(x^2 + 1)
    static final Unary ASINH = new Unary(Kind.ASINH, Elementwise.Unary.ASINH, (x, y) -> x.square().add(1.0).rsqrt());
    // d/dx acosh x = 1/sqrt(x^2 - 1): +inf at x = 1, as PyTorch
    static final Unary ACOSH = new Unary(Kind.ACOSH, Elementwise.Unary.ACOSH, (x, y) -> squareMinusOne(x).rsqrt());
    // d/dx atanh x = 1/(1 - x^2): +inf at x = +-1
    static final Unary ATANH = new Unary(Kind.ATANH, Elementwise.Unary.ATANH, (x, y) -> oneMinusSquare(x).reciprocal());
    // d/dx log(1 + x) = 1/(1 + x): +inf at x = -1
    static final Unary LOG1P = new Unary(Kind.LOG1P, Elementwise.Unary.LOG1P, (x, y) -> x.add(1.0).reciprocal());
    // d/dx (e^x - 1) = e^x = y + 1
    static final Unary EXPM1 = new Unary(Kind.EXPM1, Elementwise.Unary.EXPM1, (x, y) -> y.add(1.0));
    static final double LN2 = 0.6931471805599453; // Math.log(2), as M_LN2
    static final double LN10 = 2.302585092994046; // Math.log(10), as M_LN10

    // d/dx 2^x = 2^x ln 2
    static final Unary EXP2 = new Unary(Kind.EXP2, Elementwise.Unary.EXP2, (x, y) -> y.mul(LN2));
    // d/dx log2 x = 1/(x ln 2); a primitive so that log2(2^k) = k exactly (log(x) / ln 2 is off by an ulp at some k)
    static final Unary LOG2 = new Unary(Kind.LOG2, Elementwise.Unary.LOG2, (x, y) -> x.mul(LN2).reciprocal());
    // d/dx log10 x = 1/(x ln 10); a primitive for log10(10^k) = k
    static final Unary LOG10 = new Unary(Kind.LOG10, Elementwise.Unary.LOG10, (x, y) -> x.mul(LN10).reciprocal());
    // d/dx x^(-1/2) = -x^(-3/2)/2 = -y^3/2: -inf at 0, as PyTorch (a composite reciprocal(sqrt x) gives NaN there)
    static final Unary RSQRT = new Unary(Kind.RSQRT, Elementwise.Unary.RSQRT, (x, y) -> y.mul(y).mul(y).mul(-0.5));

    /**
     * 1 - x^2 with the value of (1 - x)(1 + x) and the derivatives of 1 - x*x (-2x, then -2): the difference of
     * the two forms, 0 in exact arithmetic, is added as a constant. The product form's own rule would multiply the
     * infinite gradient at a pole x = +-1 by 1 -+ x = 0 (NaN at second order, where PyTorch has +-infinity), and
     * 1 - x*x alone loses digits near the poles. At x = +-1 the value is +0 (so rsqrt gives +infinity).
     */
    private static Tensor oneMinusSquare(Tensor x) {
        Tensor c = x.detach();
        return withValueOf(x.mul(x).rsub(1.0), c.rsub(1.0).mul(c.add(1.0)));
    }

    /** x^2 - 1 as {@link #oneMinusSquare}: the value of (x - 1)(x + 1), +0 at x = +-1, the derivatives of x*x - 1. */
    private static Tensor squareMinusOne(Tensor x) {
        Tensor c = x.detach();
        return withValueOf(x.mul(x).sub(1.0), c.sub(1.0).mul(c.add(1.0)));
    }

    /**
     * plain + (exact - plain) with the difference a constant: exact's value, plain's derivatives. Where the
     * difference is NaN (infinite x: inf - inf) plain is kept.
     */
    private static Tensor withValueOf(Tensor plain, Tensor exact) {
        Tensor d = exact.sub(plain.detach());
        return plain.add(Tensor.where(d.ne(d), Tensor.wrap(0.0), d));
    }

    /**
     * floor, ceil, round (half to even) and trunc: piecewise constant, so the gradient is 0 everywhere (at the
     * jumps too, as PyTorch's zeros_like(grad)), a zero that NaN or infinite incoming gradients do not turn into
     * NaN; the tangent is a symbolic zero.
     */
    static final class Rounding extends Primitive {
        final Elementwise.Unary code;

        Rounding(Kind kind, Elementwise.Unary code) {
            super(kind, kind.name().toLowerCase());
            this.code = code;
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor x = in[0];
            double[] y = x.shape == Shapes.SCALAR ? new double[] {Elementwise.unary(code, x.data[0])}
                    : Elementwise.unary(code, x.data);
            return new Tensor(y, x.shape);
        }

        /** A float32 input: the float64 loops on chunks, rounded back (the cold path's bits, in one pass). */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            return new Tensor(Elementwise.unary32(code, in[0].f32), in[0].shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return Tensor.zeros(in[0].shape);
        }

        @Override
        boolean freshVjp(int i) {
            return true;
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            return null;
        }

        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return apply(x[0]);
        }
    }

    static final Rounding FLOOR = new Rounding(Kind.FLOOR, Elementwise.Unary.FLOOR);
    static final Rounding CEIL = new Rounding(Kind.CEIL, Elementwise.Unary.CEIL);
    static final Rounding ROUND = new Rounding(Kind.ROUND, Elementwise.Unary.ROUND);
    static final Rounding TRUNC = new Rounding(Kind.TRUNC, Elementwise.Unary.TRUNC);

    // atan2(a, b), the angle of (b, a): d/da = b/(a^2 + b^2), d/db = -a/(a^2 + b^2); NaN at (0, 0), as PyTorch
    static final Binary ATAN2 = new Binary(Kind.ATAN2, Elementwise.Binary.ATAN2,
            (a, b, y) -> b.div(a.square().add(b.square())), (a, b, y) -> a.div(a.square().add(b.square())), true);
    // hypot(a, b) = sqrt(a^2 + b^2) without overflow: d/da = a/y, d/db = b/y; NaN at (0, 0), as PyTorch
    static final Binary HYPOT = new Binary(Kind.HYPOT, Elementwise.Binary.HYPOT,
            (a, b, y) -> a.div(y), (a, b, y) -> b.div(y), false);
    // log(e^a + e^b): d/da = e^a/(e^a + e^b) = sigmoid(a - b), d/db = sigmoid(b - a). A primitive because a
    // composite stable for large arguments needs max and |a - b|, whose masks lose the second derivative at a
    // tie (1/4 there); these partials are smooth, so every order is exact, ties included.
    static final Binary LOGADDEXP = new Binary(Kind.LOGADDEXP, Elementwise.Binary.LOGADDEXP,
            (a, b, y) -> a.sub(b).sigmoid(), (a, b, y) -> b.sub(a).sigmoid(), false);
    // xlogy(x, y) = x log y, 0 where x = 0 (NaN where y is NaN). As torch.xlogy's rules: d/dx = log y, taken as 0
    // where x = 0 and y <= 0 (the base replaced by 1 under a where, so no NaN reaches a higher order either);
    // d/dy = x/y (NaN at (0, 0), as PyTorch).
    static final Binary XLOGY = new Binary(Kind.XLOGY, Elementwise.Binary.XLOGY,
            (a, b, y) -> Tensor.where(a.eq(0.0).mul(b.le(0.0)), Tensor.wrap(1.0), b).log(),
            (a, b, y) -> a.div(b), false);

    /** Conversion to another dtype (float64 to float32 rounds to nearest); its transpose converts back. */
    static final class Cast extends Primitive {
        final DType to;

        Cast(DType to) {
            super(Kind.CAST, "to(" + to + ")");
            this.to = to;
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor x = in[0];
            Tensor y = to == DType.FLOAT32 ? x.widened().narrowed() : x.widened();
            return y == x ? x.view(x.shape) : y; // a new tensor, never the input itself
        }

        /** Reads either dtype itself (the default would widen its input first). */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            return forward(in);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return g.to(in[0].dtype());
        }

        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            return t[0].to(to);
        }

        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            return x[0].to(to);
        }
    }
}
