package dev.autodiff.nn.conv;

/** 1-D convolution over (N, C, L). */
public final class Conv1d extends Conv {
    public Conv1d(int in, int out, int kernel, long seed) {
        this(in, out, kernel, 1, 0, 1, 1, true, seed);
    }

    public Conv1d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias, long seed) {
        super(in, out, new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {dilation}, groups, bias, seed);
    }
}
