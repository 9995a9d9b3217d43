package dev.autodiff.nn.conv;

/**
 * 2-D transposed convolution over (N, C, H, W), as torch.nn.ConvTranspose2d; square kernel, stride, padding,
 * outputPadding and dilation (the {@link ConvTranspose} constructor takes one per axis); weight (in, out / groups, k, k).
 */
public final class ConvTranspose2d extends ConvTranspose {
    public ConvTranspose2d(int in, int out, int kernel, long seed) {
        this(in, out, kernel, 1, 0, 0, 1, 1, true, seed);
    }

    /** The order of {@link Conv2d}'s constructor with outputPadding after padding. */
    public ConvTranspose2d(int in, int out, int kernel, int stride, int padding, int outputPadding, int dilation, int groups,
            boolean bias, long seed) {
        super(in, out, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding},
                new int[] {outputPadding, outputPadding}, new int[] {dilation, dilation}, groups, bias, seed);
    }
}
