package dev.autodiff.nn.conv;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Module;
import java.util.Arrays;

/**
 * N-dimensional convolution (cross-correlation, as PyTorch) as unfold + matmul: input (N, C, s...),
 * weight (O, C / groups, k...), output (N, O, o...). Groups fall out of matmul's batch broadcasting:
 * (G, O/G, K) @ (N, G, K, L). Default initialisation as PyTorch: uniform on +-1/sqrt(C/groups * prod(k)).
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
        int d = kernel.length;
        if (d == 0 || stride.length != d || padding.length != d || dilation.length != d) {
            throw new IllegalArgumentException("Conv: kernel, stride, padding and dilation need one entry per spatial dimension, got "
                    + Arrays.toString(kernel) + ", " + Arrays.toString(stride) + ", " + Arrays.toString(padding) + ", "
                    + Arrays.toString(dilation));
        }
        if (groups < 1 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv: in (" + in + ") and out (" + out + ") channels must be multiples of groups ("
                    + groups + ")");
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
        int fanIn = in / groups * Arrays.stream(kernel).reduce(1, (a, b) -> a * b);
        double a = 1 / Math.sqrt(fanIn);
        this.weight = param("weight", Init.uniform(seed, -a, a, wShape));
        this.bias = bias ? param("bias", Init.uniform(seed + 1, -a, a, out)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        int d = kernel.length;
        if (x.rank() != d + 2 || x.dim(1) != in) {
            throw new IllegalArgumentException(describe() + ": input must be (N, " + in + ", " + d + " spatial dims), got "
                    + Arrays.toString(x.shape()));
        }
        int n = x.dim(0);
        Tensor cols = x.unfold(kernel, stride, padding, dilation); // (N, C k, L)
        int l = cols.dim(2);
        int k = cols.dim(1) / groups;
        Tensor y = weight.reshape(groups, out / groups, k).matmul(cols.reshape(n, groups, k, l)).reshape(n, out, l);
        if (bias != null) {
            y = y.add(bias.reshape(out, 1));
        }
        int[] shape = new int[d + 2];
        shape[0] = n;
        shape[1] = out;
        int[] spatial = x.shape();
        for (int i = 0; i < d; i++) {
            int span = dilation[i] * (kernel[i] - 1) + 1;
            shape[i + 2] = (spatial[i + 2] + 2 * padding[i] - span) / stride[i] + 1;
        }
        return y.reshape(shape);
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
