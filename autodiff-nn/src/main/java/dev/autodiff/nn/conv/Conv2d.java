package dev.autodiff.nn.conv;

/** 2-D convolution over (N, C, H, W); square kernel, stride, padding and dilation. */
public final class Conv2d extends Conv {
    public Conv2d(int in, int out, int kernel, long seed) {
        this(in, out, kernel, 1, 0, 1, 1, true, seed);
    }

    public Conv2d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias, long seed) {
        super(in, out, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding},
                new int[] {dilation, dilation}, groups, bias, seed);
    }
}
