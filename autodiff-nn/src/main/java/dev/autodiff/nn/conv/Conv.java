package dev.autodiff.nn.conv;

import dev.autodiff.Fused;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * N-dimensional convolution (cross-correlation, as PyTorch): input (N, C, s...), weight (O, C / groups, k...),
 * output (N, O, o...), computed by {@link Fused#conv} (unfold + matmul whose unfolded input is private to the op).
 * Default initialisation as PyTorch: uniform on +-1/sqrt(C/groups * prod(k)),
 * and a zero bias when that fan is 0. An unbatched input (C, s...) gives an unbatched output, as PyTorch.
 */
public class Conv extends Module {
    private final int in;
    private final int out;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final int groups;
    private final Tensor weight;
    private final Tensor bias;

    public Conv(int in, int out, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups, boolean bias, long seed) {
        String who = getClass().getSimpleName();
        Objects.requireNonNull(kernel, () -> who + ": kernel is null");
        Objects.requireNonNull(stride, () -> who + ": stride is null");
        Objects.requireNonNull(padding, () -> who + ": padding is null");
        Objects.requireNonNull(dilation, () -> who + ": dilation is null");
        int d = kernel.length;
        if (d == 0 || stride.length != d || padding.length != d || dilation.length != d) {
            throw new IllegalArgumentException(who + ": kernel, stride, padding and dilation need one entry per spatial dimension, got "
                    + Arrays.toString(kernel) + ", " + Arrays.toString(stride) + ", " + Arrays.toString(padding) + ", "
                    + Arrays.toString(dilation));
        }
        for (int i = 0; i < d; i++) {
            if (kernel[i] < 1 || stride[i] < 1 || padding[i] < 0 || dilation[i] < 1) {
                throw new IllegalArgumentException(who + ": need kernel, stride, dilation >= 1 and padding >= 0, got kernel "
                        + Arrays.toString(kernel) + ", stride " + Arrays.toString(stride) + ", padding "
                        + Arrays.toString(padding) + ", dilation " + Arrays.toString(dilation));
            }
        }
        if (in < 0 || out < 1 || groups < 1 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException(who + ": need in >= 0 and out >= 1 channels, both multiples of groups >= 1, got in "
                    + in + ", out " + out + ", groups " + groups);
        }
        long fan = in / groups;
        for (int k : kernel) {
            fan *= k;
            if (fan * out > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(who + ": a weight of " + out + " x " + in / groups + " x "
                        + Arrays.toString(kernel) + " has more than 2^31 - 1 elements");
            }
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel.clone();
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.dilation = dilation.clone();
        this.groups = groups;
        int[] wShape = new int[d + 2];
        wShape[0] = out;
        wShape[1] = in / groups;
        System.arraycopy(kernel, 0, wShape, 2, d);
        double a = fan > 0 ? 1 / Math.sqrt(fan) : 0.0;
        this.weight = param("weight", Init.uniform(seed, -a, a, wShape));
        this.bias = bias ? param("bias", Init.uniform(seed + 1, -a, a, out)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        int d = kernel.length;
        if (x.rank() == d + 1) {
            return forward(x.unsqueeze(0)).squeeze(0); // unbatched (C, s...), as PyTorch
        }
        if (x.rank() != d + 2 || x.dim(1) != in) {
            throw new IllegalArgumentException(describe() + ": input must be (N, " + in + ", " + d + " spatial dims) or ("
                    + in + ", " + d + " spatial dims), got " + Arrays.toString(x.shape()));
        }
        double positions = 1; // output positions per example, L (a double: the product is only compared)
        for (int i = 0; i < d; i++) {
            long padded = (long) x.dim(i + 2) + 2L * padding[i];
            long span = (long) dilation[i] * (kernel[i] - 1) + 1;
            if (padded < span) {
                int[] spatial = Arrays.copyOfRange(x.shape(), 2, d + 2);
                throw new IllegalArgumentException(describe() + ": the input's spatial size " + Arrays.toString(spatial)
                        + " padded by " + Arrays.toString(padding) + " is smaller than the kernel " + Arrays.toString(kernel)
                        + " with dilation " + Arrays.toString(dilation) + " (input shape " + Arrays.toString(x.shape()) + ")");
            }
            if (padded > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(describe() + ": padding " + Arrays.toString(padding) + " makes the input "
                        + Arrays.toString(x.shape()) + " larger than 2^31 - 1 along a spatial dimension");
            }
            positions *= (padded - span) / stride[i] + 1;
        }
        // the unfolded input (N, C k, L), which Fused.conv's differentiable rules (createGraph, forward mode, vmap)
        // make whole, and the output (N, O, L) must be arrays Java can hold
        double batch = x.dim(0);
        if (batch * in * kernelSize() * positions > Integer.MAX_VALUE || batch * out * positions > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(describe() + ": with padding " + Arrays.toString(padding) + ", stride "
                    + Arrays.toString(stride) + " and dilation " + Arrays.toString(dilation) + " the input "
                    + Arrays.toString(x.shape()) + " would unfold to more than 2^31 - 1 elements");
        }
        return Fused.conv(x, weight, bias, stride, padding, dilation, groups);
    }

    private double kernelSize() {
        double k = 1;
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
