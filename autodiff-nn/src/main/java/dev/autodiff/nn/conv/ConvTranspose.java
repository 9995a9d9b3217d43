package dev.autodiff.nn.conv;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * N-dimensional transposed convolution, as torch.nn.ConvTranspose1d/2d: the adjoint of {@link Conv} with the
 * same weight. Input (N, C_in, s...), weight (C_in, C_out / groups, k...) (PyTorch's layout, which is a
 * convolution's (O, C / groups, k...) read the other way), output (N, C_out, o...) with
 * o = (s - 1) stride - 2 padding + dilation (k - 1) + outputPadding + 1.
 *
 * <p>Where a convolution is unfold then matmul, this is matmul then fold: each input position's C_in values
 * times W^T give a block of C_out / groups * prod(k) values, per group ((G, C_in/G, M)^T @ (N, G, C_in/G, L)),
 * and fold sums the blocks into the full image of size (s - 1) stride + dilation (k - 1) + 1. The output is
 * o positions of it from index padding on: padding cropped at both ends, and outputPadding taking back that
 * many from the cropped end (zeros past the image when outputPadding > padding), as PyTorch. Initialisation as PyTorch: uniform on +-1/sqrt(C_out/groups * prod(k)) for weight and bias.
 */
public class ConvTranspose extends Module {
    private final int in;
    private final int out;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] outputPadding;
    private final int[] dilation;
    private final int groups;
    private final Tensor weight;
    private final Tensor bias;

    public ConvTranspose(int in, int out, int[] kernel, int[] stride, int[] padding, int[] outputPadding, int[] dilation,
            int groups, boolean bias, long seed) {
        String who = getClass().getSimpleName();
        Objects.requireNonNull(kernel, () -> who + ": kernel is null");
        Objects.requireNonNull(stride, () -> who + ": stride is null");
        Objects.requireNonNull(padding, () -> who + ": padding is null");
        Objects.requireNonNull(outputPadding, () -> who + ": outputPadding is null");
        Objects.requireNonNull(dilation, () -> who + ": dilation is null");
        int d = kernel.length;
        if (d == 0 || stride.length != d || padding.length != d || outputPadding.length != d || dilation.length != d) {
            throw new IllegalArgumentException(who + ": kernel, stride, padding, outputPadding and dilation need one entry per "
                    + "spatial dimension, got " + Arrays.toString(kernel) + ", " + Arrays.toString(stride) + ", "
                    + Arrays.toString(padding) + ", " + Arrays.toString(outputPadding) + ", " + Arrays.toString(dilation));
        }
        for (int i = 0; i < d; i++) {
            if (kernel[i] < 1 || stride[i] < 1 || padding[i] < 0 || dilation[i] < 1 || outputPadding[i] < 0) {
                throw new IllegalArgumentException(who + ": need kernel, stride, dilation >= 1 and padding, outputPadding >= 0, got "
                        + "kernel " + Arrays.toString(kernel) + ", stride " + Arrays.toString(stride) + ", padding "
                        + Arrays.toString(padding) + ", outputPadding " + Arrays.toString(outputPadding) + ", dilation "
                        + Arrays.toString(dilation));
            }
            // as PyTorch: a larger outputPadding would add positions no input position reaches
            if (outputPadding[i] >= Math.max(stride[i], dilation[i])) {
                throw new IllegalArgumentException(who + ": outputPadding must be smaller than stride or dilation, got "
                        + "outputPadding " + Arrays.toString(outputPadding) + ", stride " + Arrays.toString(stride)
                        + ", dilation " + Arrays.toString(dilation));
            }
        }
        if (in < 1 || out < 1 || groups < 1 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException(who + ": need in and out channels >= 1, both multiples of groups >= 1, got in "
                    + in + ", out " + out + ", groups " + groups);
        }
        long fan = out / groups;
        for (int k : kernel) {
            fan *= k;
            if (fan * in > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(who + ": a weight of " + in + " x " + out / groups + " x "
                        + Arrays.toString(kernel) + " has more than 2^31 - 1 elements");
            }
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel.clone();
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.outputPadding = outputPadding.clone();
        this.dilation = dilation.clone();
        this.groups = groups;
        int[] wShape = new int[d + 2];
        wShape[0] = in;
        wShape[1] = out / groups;
        System.arraycopy(kernel, 0, wShape, 2, d);
        double a = 1 / Math.sqrt(fan);
        this.weight = param("weight", Init.uniform(seed, -a, a, wShape));
        this.bias = bias ? param("bias", Init.uniform(seed + 1, -a, a, out)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, null);
    }

    /**
     * With {@code outputSize} (the spatial sizes, or null for the constructor's outputPadding), the outputPadding
     * that gives it, as PyTorch's forward(input, output_size): each size must lie in [o_min, o_min + max(stride,
     * dilation) - 1] with o_min the size for outputPadding 0.
     */
    public Tensor forward(Tensor x, int[] outputSize) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        int d = kernel.length;
        if (x.rank() == d + 1) {
            return forward(x.unsqueeze(0), outputSize).squeeze(0); // unbatched (C, s...), as PyTorch
        }
        if (x.rank() != d + 2 || x.dim(1) != in) {
            throw new IllegalArgumentException(describe() + ": input must be (N, " + in + ", " + d + " spatial dims) or ("
                    + in + ", " + d + " spatial dims), got " + Arrays.toString(x.shape()));
        }
        if (outputSize != null && outputSize.length != d) {
            throw new IllegalArgumentException(describe() + ": outputSize needs " + d + " spatial sizes, got " + Arrays.toString(outputSize));
        }
        int n = x.dim(0);
        int[] full = new int[d]; // the folded image before cropping: (s - 1) stride + dilation (k - 1) + 1
        int[] size = new int[d]; // the output
        double positions = 1;
        double fullSize = 1;
        for (int i = 0; i < d; i++) {
            int s = x.dim(i + 2);
            if (s == 0) {
                throw new IllegalArgumentException(describe() + ": the input's spatial axes must not be empty, got "
                        + Arrays.toString(x.shape()));
            }
            long f = (long) (s - 1) * stride[i] + (long) dilation[i] * (kernel[i] - 1) + 1;
            long min = f - 2L * padding[i];
            long o = min + outputPadding[i];
            if (outputSize != null) {
                long most = min + Math.max(stride[i], dilation[i]) - 1;
                if (outputSize[i] < min || outputSize[i] > most) {
                    throw new IllegalArgumentException(describe() + ": outputSize " + Arrays.toString(outputSize) + " is out of "
                            + "reach for input " + Arrays.toString(x.shape()) + ": dimension " + i + " must be in [" + min + ", "
                            + most + "]");
                }
                o = outputSize[i];
            }
            if (o < 1 || f > Integer.MAX_VALUE || o > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(describe() + ": input " + Arrays.toString(x.shape()) + " with stride "
                        + Arrays.toString(stride) + ", padding " + Arrays.toString(padding) + " and dilation "
                        + Arrays.toString(dilation) + " gives output size " + o + " in dimension " + i
                        + ", expected 1 to 2^31 - 1");
            }
            full[i] = (int) f;
            size[i] = (int) o;
            positions *= s;
            fullSize *= Math.max(f, padding[i] + o);
        }
        int k = kernelSize();
        int m = out / groups * k; // one input position's block per group
        if ((double) n * out * k * positions > Integer.MAX_VALUE || (double) n * out * fullSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(describe() + ": the input " + Arrays.toString(x.shape()) + " would fold through "
                    + "more than 2^31 - 1 elements");
        }
        int l = (int) positions;
        Tensor blocks = weight.reshape(groups, in / groups, m).matmulTransA(x.reshape(n, groups, in / groups, l)) // (N, G, M, L)
                .reshape(n, out * k, l);
        int[] zeros = new int[d];
        int[] ones = new int[d];
        Arrays.fill(ones, 1);
        Tensor image = blocks.fold(full, kernel, stride, zeros, dilation); // (N, C_out, full...)
        // crop padding from the start and the end; positions past the full image (outputPadding > padding) are zeros
        int r = d + 2;
        int[] before = new int[r];
        int[] after = new int[r];
        int[] start = new int[r];
        int[] end = new int[r];
        int[] step = new int[r];
        Arrays.fill(step, 1);
        end[0] = n;
        end[1] = out;
        boolean grow = false;
        for (int i = 0; i < d; i++) {
            after[i + 2] = Math.max(0, padding[i] + size[i] - full[i]);
            grow |= after[i + 2] > 0;
            start[i + 2] = padding[i];
            end[i + 2] = padding[i] + size[i];
        }
        Tensor y = (grow ? image.pad(before, after, 0.0) : image).slice(start, end, step);
        if (bias != null) {
            int[] perChannel = new int[r];
            Arrays.fill(perChannel, 1);
            perChannel[1] = out;
            y = y.add(bias.reshape(perChannel));
        }
        return y;
    }

    private int kernelSize() {
        int k = 1;
        for (int v : kernel) {
            k *= v;
        }
        return k;
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    @Override
    public String describe() {
        return getClass().getSimpleName() + "(" + in + " -> " + out + ", kernel " + Arrays.toString(kernel) + ")";
    }
}
