package dev.autodiff.nn.conv;

/** 1-D transposed convolution over (N, C, L), as torch.nn.ConvTranspose1d; weight (in, out / groups, k). */
public final class ConvTranspose1d extends ConvTranspose {
    public ConvTranspose1d(int in, int out, int kernel, long seed) {
        this(in, out, kernel, 1, 0, 0, 1, 1, true, seed);
    }

    /** The order of {@link Conv1d}'s constructor with outputPadding after padding (PyTorch puts dilation last). */
    public ConvTranspose1d(int in, int out, int kernel, int stride, int padding, int outputPadding, int dilation, int groups,
            boolean bias, long seed) {
        super(in, out, new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {outputPadding},
                new int[] {dilation}, groups, bias, seed);
    }
}
