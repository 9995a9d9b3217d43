package dev.autodiff;

import dev.autodiff.Primitive.Kind;
import dev.autodiff.kernel.Buffers;
import dev.autodiff.kernel.Gemm;
import dev.autodiff.kernel.Gemm32;
import dev.autodiff.kernel.IndexMap;
import dev.autodiff.kernel.IndexMaps;
import dev.autodiff.kernel.LstmKernels;
import dev.autodiff.kernel.Shapes;
import java.util.Arrays;

/**
 * Layers as single primitives where their composite would make and keep large temporaries (issue 14): a
 * convolution whose unfolded input lives only inside its forward and backward, and the LSTM cell's pointwise part.
 * Each gives the composite's values (the same operations in the same order, see each op), and has the full set of
 * rules: a one-pass vjp when nothing is recorded, the vjp as differentiable ops otherwise (so any order), a jvp and
 * a batching rule.
 */
public final class Fused {
    private Fused() {}

    /**
     * N-dimensional convolution (cross-correlation, as torch.nn.functional.conv1d/conv2d/conv3d): input
     * {@code x (N, C, s...)}, {@code weight (O, C / groups, k...)}, {@code bias (O)} or null, output
     * {@code (N, O, o...)} with {@code o = (s + 2 padding - dilation (k - 1) - 1) / stride + 1}.
     *
     * <p>The values are those of {@code weight.reshape(G, O/G, K) @ x.unfold(...).reshape(N, G, K, L)} plus the bias
     * (the same products, bit for bit), but the unfolded input is one image's worth, private to the op and given back
     * to {@link Buffers} after the products: the graph saves x and the weight, not the unfolded copy, and the
     * backward unfolds again for the weight's gradient.
     */
    public static Tensor conv(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        Tensor.nonNull(x, "conv", "the input");
        Tensor.nonNull(weight, "conv", "the weight");
        if (weight.rank() < 3) {
            throw new IllegalArgumentException("conv: the weight must be (out, in / groups, kernel...) with at least one "
                    + "spatial dimension, got shape " + Shapes.str(weight.shape));
        }
        int d = weight.rank() - 2;
        int[] kernel = Arrays.copyOfRange(weight.shape, 2, weight.rank());
        Tensor.checkConvArgs("conv", kernel, stride, padding, dilation);
        if (x.rank() != d + 2) {
            throw new IllegalArgumentException("conv: the input must be (N, C, " + d + " spatial dimension" + (d == 1 ? "" : "s")
                    + ") for a weight of shape " + Shapes.str(weight.shape) + ", got shape " + Shapes.str(x.shape));
        }
        int out = weight.shape[0];
        if (groups < 1 || out % groups != 0 || (long) weight.shape[1] * groups != x.shape[1]) {
            throw new IllegalArgumentException("conv: need groups >= 1 dividing the weight's " + out + " output channels, and "
                    + "the input's channels (" + x.shape[1] + ") = groups x the weight's dimension 1 (" + weight.shape[1]
                    + "), got groups " + groups + " (input " + Shapes.str(x.shape) + ", weight " + Shapes.str(weight.shape) + ")");
        }
        if (bias != null && (bias.rank() != 1 || bias.shape[0] != out)) {
            throw new IllegalArgumentException("conv: the bias must have shape [" + out + "] (one per output channel), got "
                    + Shapes.str(bias.shape));
        }
        int[] outSpatial = Tensor.convOutput("conv", x.shape, kernel, stride, padding, dilation);
        int[] image = x.shape.clone();
        image[0] = 1;
        int l = Shapes.size("conv", outSpatial);
        Shapes.size("conv", new int[] {x.shape[1], Shapes.size("conv", kernel), l});
        int[] outShape = new int[d + 2];
        outShape[0] = x.shape[0];
        outShape[1] = out;
        System.arraycopy(outSpatial, 0, outShape, 2, d);
        Shapes.size("conv", outShape);
        Conv op = new Conv(kernel, stride.clone(), padding.clone(), dilation.clone(), groups, outSpatial,
                IndexMaps.unfold(image, kernel, stride, padding, dilation, outSpatial));
        return bias == null ? op.apply(x, weight) : op.apply(x, weight, bias);
    }

    /**
     * The convolution: inputs x, weight and optionally the bias. Its one-image map unfolds image b of x into
     * {@code cols (C k, L)}, read as G blocks {@code (K, L)}, K = C/G prod(k); output channel block g of image b is
     * {@code W_g (O/G, K) cols_g}. vjps: {@code dW_g = sum_b G_bg cols_bg^T}, {@code dx_b = fold(W_g^T G_bg)},
     * {@code db = sum over b and positions of G}.
     */
    static final class Conv extends Primitive {
        final int[] kernel;
        final int[] stride;
        final int[] padding;
        final int[] dilation;
        final int groups;
        final int[] outSpatial;
        /** The unfold map of one image (1, C, s...). */
        final IndexMap map;

        Conv(int[] kernel, int[] stride, int[] padding, int[] dilation, int groups, int[] outSpatial, IndexMap map) {
            super(Kind.CONV, "conv");
            this.kernel = kernel;
            this.stride = stride;
            this.padding = padding;
            this.dilation = dilation;
            this.groups = groups;
            this.outSpatial = outSpatial;
            this.map = map;
        }

        private int positions() {
            return Shapes.size(outSpatial);
        }

        private int[] outShape(int n, int out) {
            int[] s = new int[outSpatial.length + 2];
            s[0] = n;
            s[1] = out;
            System.arraycopy(outSpatial, 0, s, 2, outSpatial.length);
            return s;
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor x = in[0];
            Tensor w = in[1];
            int n = x.shape[0];
            int out = w.shape[0];
            int og = out / groups;
            int l = positions();
            int k = map.size / Math.max(1, groups * l);
            int image = map.targetSize;
            double[] y = Buffers.zeros(Shapes.size(name, outShape(n, out)));
            if (y.length > 0 && map.size > 0) {
                double[] cols = Buffers.zeros(map.size);
                for (int b = 0; b < n; b++) {
                    map.takeInto(x.data, b * image, cols);
                    for (int g = 0; g < groups; g++) {
                        Gemm.gemm(false, false, og, l, k, w.data, g * og * k, cols, g * k * l, y, (b * out + g * og) * l);
                    }
                }
                Buffers.recycle(cols); // made above and read only by the products
            }
            if (in.length == 3) {
                double[] bias = in[2].data;
                for (int b = 0; b < n; b++) {
                    for (int o = 0; o < out; o++) {
                        double v = bias[o];
                        int from = (b * out + o) * l;
                        for (int j = from; j < from + l; j++) {
                            y[j] += v; // the composite's y + bias.reshape(O, 1): the same sum
                        }
                    }
                }
            }
            return new Tensor(y, outShape(n, out));
        }

        /**
         * Every input float32: the forward's unfold and products on float arrays (Gemm32 accumulates in float32, as
         * OpenBLAS's SGEMM under PyTorch's float32 convolution); a float64 input among them takes the cold path.
         */
        @Override
        Tensor forwardMixed(Tensor[] in, DType dtype) {
            for (Tensor t : in) {
                if (t.f32 == null) {
                    return super.forwardMixed(in, dtype);
                }
            }
            if (dtype != DType.FLOAT32) {
                return super.forwardMixed(in, dtype);
            }
            Tensor x = in[0];
            Tensor w = in[1];
            int n = x.shape[0];
            int out = w.shape[0];
            int og = out / groups;
            int l = positions();
            int k = map.size / Math.max(1, groups * l);
            int image = map.targetSize;
            float[] y = Buffers.zeros32(Shapes.size(name, outShape(n, out)));
            if (y.length > 0 && map.size > 0) {
                float[] cols = Buffers.zeros32(map.size);
                for (int b = 0; b < n; b++) {
                    map.takeInto32(x.f32, b * image, cols);
                    for (int g = 0; g < groups; g++) {
                        Gemm32.gemm(false, false, og, l, k, w.f32, g * og * k, cols, g * k * l, y, (b * out + g * og) * l);
                    }
                }
                Buffers.recycle(cols); // made above and read only by the products
            }
            if (in.length == 3) {
                float[] bias = in[2].f32;
                for (int b = 0; b < n; b++) {
                    for (int o = 0; o < out; o++) {
                        float v = bias[o];
                        int from = (b * out + o) * l;
                        for (int j = from; j < from + l; j++) {
                            y[j] += v;
                        }
                    }
                }
            }
            return new Tensor(y, outShape(n, out));
        }

        /** {@link #gradInto} on float32 arrays: the same products and folds, in float32. */
        private void gradInto32(int i, Tensor g, Tensor x, Tensor w, float[] acc) {
            int n = x.shape[0];
            int out = w.shape[0];
            int og = out / groups;
            int l = positions();
            int k = map.size / Math.max(1, groups * l);
            int image = map.targetSize;
            if (map.size == 0 || g.size() == 0) {
                return;
            }
            float[] cols = Buffers.zeros32(map.size);
            for (int b = 0; b < n; b++) {
                if (i == 0) {
                    for (int gr = 0; gr < groups; gr++) {
                        Gemm32.gemm(true, false, k, l, og, w.f32, gr * og * k, g.f32, (b * out + gr * og) * l, cols, gr * k * l);
                    }
                    map.scatterAddInto32(cols, acc, b * image);
                } else {
                    map.takeInto32(x.f32, b * image, cols);
                    for (int gr = 0; gr < groups; gr++) {
                        Gemm32.gemmAccumulate(false, true, og, k, l, g.f32, (b * out + gr * og) * l, cols, gr * k * l,
                                acc, gr * og * k);
                    }
                }
            }
            Buffers.recycle(cols); // made here, read only above
        }

        /**
         * The bias's gradient from a float32 g (N, O, L): each channel's sum over images and positions, taken in
         * float64 and rounded once (the composite's float32 sum, which widens, gives a correctly rounded sum too).
         */
        private static float[] biasGrad32(float[] g, int n, int o, int l) {
            double[] sums = new double[o];
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < o; c++) {
                    double s = 0;
                    int from = (b * o + c) * l;
                    for (int j = from; j < from + l; j++) {
                        s += g[j];
                    }
                    sums[c] += s;
                }
            }
            float[] r = new float[o];
            for (int c = 0; c < o; c++) {
                r[c] = (float) sums[c];
            }
            return r;
        }

        /** Adds the vjp for x (i 0) or the weight (i 1) into acc, from plain arrays. */
        private void gradInto(int i, Tensor g, Tensor x, Tensor w, double[] acc) {
            int n = x.shape[0];
            int out = w.shape[0];
            int og = out / groups;
            int l = positions();
            int k = map.size / Math.max(1, groups * l);
            int image = map.targetSize;
            if (map.size == 0 || g.size() == 0) {
                return;
            }
            double[] cols = Buffers.zeros(map.size);
            for (int b = 0; b < n; b++) {
                if (i == 0) {
                    // the unfolded input's gradient W_g^T G_bg, then folded: the composite's matmul and fold in order
                    for (int gr = 0; gr < groups; gr++) {
                        Gemm.gemm(true, false, k, l, og, w.data, gr * og * k, g.data, (b * out + gr * og) * l, cols, gr * k * l);
                    }
                    map.scatterAddInto(cols, acc, b * image);
                } else {
                    // image b unfolded again; its products added into the weight's gradient, images in order
                    map.takeInto(x.data, b * image, cols);
                    for (int gr = 0; gr < groups; gr++) {
                        Gemm.gemmAccumulate(false, true, og, k, l, g.data, (b * out + gr * og) * l, cols, gr * k * l,
                                acc, gr * og * k);
                    }
                }
            }
            Buffers.recycle(cols); // made here, read only above
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor x = in[0];
            Tensor w = in[1];
            int n = x.shape[0];
            int o = w.shape[0];
            int l = positions();
            if (i == 2 && unrecorded32(g, in, out)) {
                return new Tensor(biasGrad32(g.f32, n, o, l), in[2].shape);
            }
            if (i == 2) {
                // the composite's bias.reshape(O, 1) broadcast over (N, O, L): g summed to (O, 1)
                return g.reshape(n, o, l).sumTo(o, 1).reshape(o);
            }
            if (unrecorded(g, in)) {
                double[] acc = Buffers.zeros(in[i].size());
                gradInto(i, g, x, w, acc);
                return new Tensor(acc, in[i].shape);
            }
            if (unrecorded32(g, in, out)) {
                float[] acc = Buffers.zeros32(in[i].size());
                gradInto32(i, g, x, w, acc);
                return new Tensor(acc, in[i].shape);
            }
            int k = map.size / Math.max(1, groups * l);
            Tensor gb = g.reshape(n, groups, o / groups, l);
            if (i == 0) {
                int[] spatial = Arrays.copyOfRange(x.shape, 2, x.rank());
                return w.reshape(groups, o / groups, k).matmulTransA(gb).reshape(n, groups * k, l)
                        .fold(spatial, kernel, stride, padding, dilation);
            }
            Tensor cols = x.unfold(kernel, stride, padding, dilation).reshape(n, groups, k, l);
            return gb.matmulTransB(cols).sum(0).reshape(w.shape);
        }

        @Override
        boolean vjpInto(int i, Tensor g, Tensor[] in, Tensor out, double[] acc, boolean overwrite) {
            if (i == 2) {
                return false;
            }
            if (overwrite) {
                Arrays.fill(acc, 0.0); // then vjp's sums into a new array
            }
            gradInto(i, g, in[0], in[1], acc);
            return true;
        }

        @Override
        boolean vjpInto32(int i, Tensor g, Tensor[] in, Tensor out, float[] acc, boolean overwrite) {
            if (i == 2) {
                return false;
            }
            if (overwrite) {
                Arrays.fill(acc, 0.0f); // then vjp's float32 sums into a new array
            }
            gradInto32(i, g, in[0], in[1], acc);
            return true;
        }

        @Override
        boolean freshVjp(int i) {
            return i < 2; // the bias's sum is g itself when there is one image of one position
        }

        /**
         * The convolution without bias of x and w, either of which may carry one extra leading (batch) dimension
         * ({@code xb}, {@code wb}): a batch of inputs is a batch of images, a batch of weights the composite with
         * matmul's broadcasting. Result {@code (B, N, O, o...)} when batched, else {@code (N, O, o...)}.
         */
        private Tensor linear(Tensor x, boolean xb, Tensor w, boolean wb) {
            int bs = xb ? x.shape[0] : wb ? w.shape[0] : 1;
            int n = x.shape[xb ? 1 : 0];
            int o = w.shape[wb ? 1 : 0];
            Tensor images = xb ? x.reshape(Batching.prepend(bs * n, Arrays.copyOfRange(x.shape, 2, x.rank()))) : x;
            if (!wb) {
                Tensor y = apply(images, w);
                return xb ? y.reshape(Batching.prepend(bs, outShape(n, o))) : y;
            }
            int l = positions();
            int k = map.size / Math.max(1, groups * l);
            Tensor cols = images.unfold(kernel, stride, padding, dilation);
            cols = xb ? cols.reshape(bs, n, groups, k, l) : cols.reshape(n, groups, k, l);
            Tensor y = w.reshape(bs, 1, groups, o / groups, k).matmul(cols);
            return y.reshape(Batching.prepend(bs, outShape(n, o)));
        }

        // the output is bilinear in (x, w) plus the bias: dy = conv(dx, w) + conv(x, dw) + db
        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            Tensor r = null;
            Tensor ref = null;
            Tensor refPrimal = null;
            if (t[0] != null) {
                r = linear(t[0], Tangents.batch(t[0], in[0]) == 1, in[1], false);
                ref = t[0];
                refPrimal = in[0];
            }
            if (t[1] != null) {
                Tensor term = linear(in[0], false, t[1], Tangents.batch(t[1], in[1]) == 1);
                r = r == null ? term : r.add(term);
                ref = t[1];
                refPrimal = in[1];
            }
            if (in.length == 3 && t[2] != null) {
                int[] channels = channelShape(in[2].shape[0]);
                // a batched tangent (B, O) meets (B, N, O, o...) as (B, 1, O, 1, ...)
                Tensor term = t[2].reshape(Tangents.batch(t[2], in[2]) == 1
                        ? Batching.prepend(t[2].shape[0], Batching.prepend(1, channels)) : channels);
                r = r == null ? term : r.add(term);
                ref = t[2];
                refPrimal = in[2];
            }
            if (r == null) {
                return null;
            }
            for (int j = 0; j < t.length; j++) {
                if (t[j] != null && Tangents.batch(t[j], in[j]) == 1) {
                    ref = t[j]; // the batch prefix comes from a batched tangent, if any
                    refPrimal = in[j];
                }
            }
            return Tangents.expand(r, ref, refPrimal, out);
        }

        /** (O, 1, ..., 1): a per-channel value against (N, O, o...) by broadcasting. */
        private int[] channelShape(int o) {
            int[] s = new int[kernel.length + 1];
            Arrays.fill(s, 1);
            s[0] = o;
            return s;
        }

        /**
         * A batch of inputs alone is one convolution of n N images; a batched weight or bias takes the composite
         * (unfold, matmul broadcast over the batch, the bias added).
         */
        @Override
        Tensor batch(Tensor[] x, boolean[] batched, int n) {
            boolean bias = x.length == 3;
            if (!batched[1] && !(bias && batched[2])) {
                int images = x[0].shape[1];
                Tensor[] args = x.clone();
                args[0] = x[0].reshape(Batching.prepend(n * images, Arrays.copyOfRange(x[0].shape, 2, x[0].rank())));
                Tensor y = apply(args);
                return y.reshape(Batching.prepend(n, outShape(images, y.shape[1])));
            }
            Tensor y = linear(x[0], batched[0], x[1], batched[1]);
            if (!bias) {
                return y; // the weight is batched, so y is
            }
            int o = x[1].shape[batched[1] ? 1 : 0];
            return y.add(batched[2] ? x[2].reshape(Batching.prepend(n, Batching.prepend(1, channelShape(o))))
                    : x[2].reshape(channelShape(o)));
        }
    }

    /**
     * The LSTM cell's new cell state {@code c' = sigmoid(P_f) c + sigmoid(P_i) tanh(P_g)} from a pre-activation
     * {@code pre (..., 4 H)} (gates input, forget, candidate, output, as torch.nn.LSTMCell) and the cell state
     * {@code c (..., H)}; with {@link #lstmHidden} the cell's pointwise part. The composite's values (see
     * {@link LstmKernels}) with one output array instead of nine, saving nothing but its inputs.
     */
    public static Tensor lstmCell(Tensor pre, Tensor c) {
        checkCell("lstmCell", pre, c, "the cell state c");
        return LSTM_CELL.apply(pre, c);
    }

    /** The LSTM cell's new hidden state {@code h' = sigmoid(P_o) tanh(c')}, c' from {@link #lstmCell}. */
    public static Tensor lstmHidden(Tensor pre, Tensor cellState) {
        checkCell("lstmHidden", pre, cellState, "the new cell state");
        return LSTM_HIDDEN.apply(pre, cellState);
    }

    private static void checkCell(String op, Tensor pre, Tensor c, String what) {
        Tensor.nonNull(pre, op, "the pre-activation");
        Tensor.nonNull(c, op, what);
        int r = c.rank();
        boolean ok = r >= 1 && pre.rank() == r && (long) pre.shape[r - 1] == 4L * c.shape[r - 1]
                && Arrays.equals(Arrays.copyOf(pre.shape, r - 1), Arrays.copyOf(c.shape, r - 1));
        if (!ok) {
            throw new IllegalArgumentException(op + ": the pre-activation must be (..., 4 H) for " + what + " (..., H), "
                    + "with the same leading dimensions; got " + Shapes.str(pre.shape) + " and " + Shapes.str(c.shape));
        }
    }

    /** Gate k (0 input, 1 forget, 2 candidate, 3 output) of a pre-activation (..., 4 H). */
    private static Tensor gate(Tensor pre, int k, int h) {
        return pre.slice(pre.rank() - 1, k * h, (k + 1) * h);
    }

    /** sigmoid's derivative from its value, as sigmoid's rule: {@code y (1 - y)}. */
    private static Tensor dSigmoid(Tensor y) {
        return y.mul(y.rsub(1.0));
    }

    /** tanh's derivative from its value, as tanh's rule: {@code 1 - y y}. */
    private static Tensor dTanh(Tensor y) {
        return y.mul(y).rsub(1.0);
    }

    /** The pointwise cell's two parts share the batching rule: rows are independent, so the inputs are lifted to the batch. */
    abstract static class CellPart extends Primitive {
        CellPart(Kind kind, String name) {
            super(kind, name);
        }

        @Override
        boolean freshVjp(int i) {
            return true;
        }

        /**
         * The vjp of float32 operands when nothing is recorded: the float64 kernel on them widened (exactly), the
         * gradient rounded once, as the forward's default float32 path computes (rather than a dozen float32 ops).
         */
        final Tensor widenedVjp(int i, Tensor g, Tensor[] in, Tensor out) {
            return vjp(i, g.widened(), new Tensor[] {in[0].widened(), in[1].widened()}, out).narrowed();
        }

        @Override
        final Tensor batch(Tensor[] x, boolean[] batched, int n) {
            Tensor[] args = new Tensor[2];
            for (int i = 0; i < 2; i++) {
                args[i] = batched[i] ? x[i] : x[i].unsqueeze(0).broadcastTo(Batching.prepend(n, x[i].shape));
            }
            return apply(args);
        }
    }

    /** c' from (P, c): the product and sum rules through the gates' activations. */
    static final class LstmCell extends CellPart {
        LstmCell() {
            super(Kind.LSTM_CELL, "lstmCell");
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor c = in[1];
            double[] out = Buffers.zeros(c.size());
            LstmKernels.cell(in[0].data, c.data, out, hidden(c));
            return new Tensor(out, c.shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor pre = in[0];
            Tensor c = in[1];
            int h = hidden(c);
            if (unrecorded(g, in)) {
                double[] acc = Buffers.zeros(in[i].size());
                if (i == 0) {
                    LstmKernels.cellGradPre(g.data, pre.data, c.data, acc, h);
                } else {
                    LstmKernels.cellGradC(g.data, pre.data, acc, h, false);
                }
                return new Tensor(acc, in[i].shape);
            }
            if (unrecorded32(g, in, out)) {
                return widenedVjp(i, g, in, out);
            }
            Tensor ig = gate(pre, 0, h).sigmoid();
            Tensor fg = gate(pre, 1, h).sigmoid();
            if (i == 1) {
                return g.mul(fg);
            }
            Tensor cg = gate(pre, 2, h).tanh();
            return Tensor.concat(pre.rank() - 1, g.mul(cg).mul(dSigmoid(ig)), g.mul(c).mul(dSigmoid(fg)),
                    g.mul(ig).mul(dTanh(cg)), Tensor.zeros(c.shape));
        }

        @Override
        boolean vjpInto(int i, Tensor g, Tensor[] in, Tensor out, double[] acc, boolean overwrite) {
            if (i == 0) {
                if (overwrite) {
                    Arrays.fill(acc, 0.0);
                }
                LstmKernels.cellGradPre(g.data, in[0].data, in[1].data, acc, hidden(in[1]));
            } else {
                LstmKernels.cellGradC(g.data, in[0].data, acc, hidden(in[1]), !overwrite);
            }
            return true;
        }

        // dc' = f dc + c f (1 - f) dP_f + tanh(P_g) i (1 - i) dP_i + i (1 - tanh(P_g)^2) dP_g
        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            Tensor pre = in[0];
            Tensor c = in[1];
            int h = hidden(c);
            Tensor fg = gate(pre, 1, h).sigmoid();
            Tensor r = null;
            int k = t[0] != null ? 0 : 1;
            if (t[0] != null) {
                Tensor ig = gate(pre, 0, h).sigmoid();
                Tensor cg = gate(pre, 2, h).tanh();
                r = gate(t[0], 1, h).mul(c.mul(dSigmoid(fg))).add(gate(t[0], 0, h).mul(cg.mul(dSigmoid(ig))))
                        .add(gate(t[0], 2, h).mul(ig.mul(dTanh(cg))));
            }
            if (t[1] != null) {
                Tensor term = t[1].mul(fg);
                r = r == null ? term : r.add(term);
                if (Tangents.batch(t[1], c) == 1) {
                    k = 1;
                }
            }
            return r == null ? null : Tangents.expand(r, t[k], in[k], out);
        }
    }

    /** h' from (P, c'): the product rule through the output gate and tanh. */
    static final class LstmHidden extends CellPart {
        LstmHidden() {
            super(Kind.LSTM_HIDDEN, "lstmHidden");
        }

        @Override
        Tensor forward(Tensor[] in) {
            Tensor c2 = in[1];
            double[] out = Buffers.zeros(c2.size());
            LstmKernels.hidden(in[0].data, c2.data, out, hidden(c2));
            return new Tensor(out, c2.shape);
        }

        @Override
        Tensor vjp(int i, Tensor g, Tensor[] in, Tensor out) {
            Tensor pre = in[0];
            Tensor c2 = in[1];
            int h = hidden(c2);
            if (unrecorded(g, in)) {
                double[] acc = Buffers.zeros(in[i].size());
                if (i == 0) {
                    LstmKernels.hiddenGradPre(g.data, pre.data, c2.data, acc, h);
                } else {
                    LstmKernels.hiddenGradC(g.data, pre.data, c2.data, acc, h, false);
                }
                return new Tensor(acc, in[i].shape);
            }
            if (unrecorded32(g, in, out)) {
                return widenedVjp(i, g, in, out);
            }
            Tensor og = gate(pre, 3, h).sigmoid();
            Tensor t = c2.tanh();
            if (i == 1) {
                return g.mul(og).mul(dTanh(t));
            }
            int[] rest = c2.shape.clone();
            rest[rest.length - 1] = 3 * h;
            return Tensor.concat(pre.rank() - 1, Tensor.zeros(rest), g.mul(t).mul(dSigmoid(og)));
        }

        @Override
        boolean vjpInto(int i, Tensor g, Tensor[] in, Tensor out, double[] acc, boolean overwrite) {
            if (i == 0) {
                if (overwrite) {
                    Arrays.fill(acc, 0.0);
                }
                LstmKernels.hiddenGradPre(g.data, in[0].data, in[1].data, acc, hidden(in[1]));
            } else {
                LstmKernels.hiddenGradC(g.data, in[0].data, in[1].data, acc, hidden(in[1]), !overwrite);
            }
            return true;
        }

        // dh' = tanh(c') o (1 - o) dP_o + o (1 - tanh(c')^2) dc'
        @Override
        Tensor jvp(Tensor[] in, Tensor[] t, Tensor out) {
            Tensor pre = in[0];
            Tensor c2 = in[1];
            int h = hidden(c2);
            Tensor og = gate(pre, 3, h).sigmoid();
            Tensor th = c2.tanh();
            Tensor r = null;
            int k = t[0] != null ? 0 : 1;
            if (t[0] != null) {
                r = gate(t[0], 3, h).mul(th.mul(dSigmoid(og)));
            }
            if (t[1] != null) {
                Tensor term = t[1].mul(og.mul(dTanh(th)));
                r = r == null ? term : r.add(term);
                if (Tangents.batch(t[1], c2) == 1) {
                    k = 1;
                }
            }
            return r == null ? null : Tangents.expand(r, t[k], in[k], out);
        }
    }

    private static int hidden(Tensor c) {
        return c.shape[c.rank() - 1];
    }

    static final LstmCell LSTM_CELL = new LstmCell();
    static final LstmHidden LSTM_HIDDEN = new LstmHidden();
}
