package dev.autodiff.nn.conv;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * Upsampling (or downsampling) of (N, C, spatial...) to a given size or by a scale factor, as
 * torch.nn.Upsample: mode "nearest" (1 to 3 spatial axes), "linear" (N, C, L) or "bilinear" (N, C, H, W),
 * with alignCorners for the interpolating modes. A scale factor s gives the size floor(in s).
 *
 * <p>Each axis is resampled in turn (the interpolation is separable), by picking input positions with
 * {@code indexSelect}, so the gradient is PyTorch's scatter-add of the output's. With ratio r = 1 / s when a
 * scale factor is given and in / out otherwise, as PyTorch:
 * <ul>
 * <li>nearest: output i reads input min(floor(i r), in - 1), the product taken in float32 as PyTorch's kernel
 *     does, so that a boundary case rounds the same way;
 * <li>linear: output i sits at src = r (i + 0.5) - 0.5 clamped to >= 0 (alignCorners false), or at
 *     src = i (in - 1) / (out - 1) (alignCorners true, 0 for one output), and takes
 *     (1 - l) x[i0] + l x[i1] with i0 = min(floor(src), in - 1), i1 = min(i0 + 1, in - 1), l = clamp(src - i0, 0, 1).
 * </ul>
 */
public final class Upsample extends Module {
    private final int[] size;
    private final double[] scaleFactor;
    private final String mode;
    private final boolean alignCorners;

    /**
     * PyTorch's constructor: exactly one of {@code size} and {@code scaleFactor} (one value for every spatial axis,
     * or one per axis); {@code alignCorners} null (false) or, for "linear" and "bilinear" only, true or false.
     */
    public Upsample(int[] size, double[] scaleFactor, String mode, Boolean alignCorners) {
        Objects.requireNonNull(mode, "Upsample: mode is null");
        if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("bilinear")) {
            throw new IllegalArgumentException("Upsample: mode must be \"nearest\", \"linear\" or \"bilinear\", got \"" + mode + "\"");
        }
        if ((size == null) == (scaleFactor == null)) {
            throw new IllegalArgumentException("Upsample: give exactly one of size and scaleFactor, got size "
                    + Arrays.toString(size) + " and scaleFactor " + Arrays.toString(scaleFactor));
        }
        if (size != null && (size.length == 0 || Arrays.stream(size).anyMatch(v -> v < 1))) {
            throw new IllegalArgumentException("Upsample: size needs one or more values >= 1, got " + Arrays.toString(size));
        }
        if (scaleFactor != null && (scaleFactor.length == 0
                || Arrays.stream(scaleFactor).anyMatch(v -> !(v > 0 && v < Double.POSITIVE_INFINITY)))) {
            throw new IllegalArgumentException("Upsample: scaleFactor needs one or more finite values > 0, got "
                    + Arrays.toString(scaleFactor));
        }
        if (alignCorners != null && mode.equals("nearest")) {
            throw new IllegalArgumentException("Upsample: alignCorners can only be set with the interpolating modes "
                    + "(linear, bilinear), got mode nearest");
        }
        this.size = size == null ? null : size.clone();
        this.scaleFactor = scaleFactor == null ? null : scaleFactor.clone();
        this.mode = mode;
        this.alignCorners = alignCorners != null && alignCorners;
    }

    /** To a given size (one for every spatial axis, or one per axis). */
    public static Upsample ofSize(String mode, boolean alignCorners, int... size) {
        Objects.requireNonNull(size, "Upsample: size is null");
        return new Upsample(size, null, mode, "nearest".equals(mode) && !alignCorners ? null : alignCorners);
    }

    /** By a scale factor (one for every spatial axis, or one per axis). */
    public static Upsample ofScale(String mode, boolean alignCorners, double... scaleFactor) {
        Objects.requireNonNull(scaleFactor, "Upsample: scaleFactor is null");
        return new Upsample(null, scaleFactor, mode, "nearest".equals(mode) && !alignCorners ? null : alignCorners);
    }

    @Override
    public Tensor forward(Tensor x) {
        Objects.requireNonNull(x, () -> describe() + ": the input x is null");
        int r = x.rank();
        boolean rankOk = mode.equals("nearest") ? r >= 3 && r <= 5 : r == (mode.equals("linear") ? 3 : 4);
        String expected = mode.equals("nearest") ? "(N, C, L), (N, C, H, W) or (N, C, D, H, W)"
                : mode.equals("linear") ? "(N, C, L)" : "(N, C, H, W)";
        if (!rankOk) {
            throw new IllegalArgumentException(describe() + ": input must be " + expected + ", got " + Arrays.toString(x.shape()));
        }
        int d = r - 2;
        int given = size != null ? size.length : scaleFactor.length;
        if (given != 1 && given != d) {
            throw new IllegalArgumentException(describe() + ": " + (size != null ? "size" : "scaleFactor") + " has " + given
                    + " values but the input " + Arrays.toString(x.shape()) + " has " + d + " spatial axes");
        }
        Tensor y = x;
        for (int i = 0; i < d; i++) {
            int in = x.dim(i + 2);
            double sf = scaleFactor == null ? 0 : scaleFactor[given == 1 ? 0 : i];
            long out = size != null ? size[given == 1 ? 0 : i] : (long) Math.floor(in * sf);
            if (in == 0 || out < 1 || out > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(describe() + ": input " + Arrays.toString(x.shape()) + " gives output size "
                        + out + " on spatial axis " + i + ", expected input and output sizes from 1 to 2^31 - 1");
            }
            if ((double) y.size() / in * out > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(describe() + ": upsampling " + Arrays.toString(x.shape())
                        + " would give more than 2^31 - 1 elements");
            }
            y = mode.equals("nearest") ? nearest(y, i + 2, in, (int) out, sf) : linear(y, i + 2, in, (int) out, sf);
        }
        return y;
    }

    private static Tensor nearest(Tensor x, int axis, int in, int out, double sf) {
        float ratio = (float) (sf > 0 ? 1.0 / sf : (double) in / out);
        int[] at = new int[out];
        for (int i = 0; i < out; i++) {
            at[i] = Math.min((int) Math.floor(i * ratio), in - 1); // i * ratio in float32, as PyTorch
        }
        return x.indexSelect(axis, at);
    }

    private Tensor linear(Tensor x, int axis, int in, int out, double sf) {
        double ratio = alignCorners ? (out > 1 ? (double) (in - 1) / (out - 1) : 0) : sf > 0 ? 1.0 / sf : (double) in / out;
        int[] lo = new int[out];
        int[] hi = new int[out];
        double[] wLo = new double[out];
        double[] wHi = new double[out];
        for (int i = 0; i < out; i++) {
            double src = alignCorners ? ratio * i : Math.max(ratio * (i + 0.5) - 0.5, 0);
            lo[i] = Math.min((int) Math.floor(src), in - 1);
            hi[i] = Math.min(lo[i] + 1, in - 1);
            wHi[i] = Math.min(Math.max(src - lo[i], 0), 1);
            wLo[i] = 1 - wHi[i];
        }
        int[] along = new int[x.rank()];
        Arrays.fill(along, 1);
        along[axis] = out;
        // the weights in x's dtype (rounded, as PyTorch computes them in float32 for a float32 input): no promotion
        Tensor a = Tensor.fromArray(wLo, along).to(x.dtype());
        Tensor b = Tensor.fromArray(wHi, along).to(x.dtype());
        return x.indexSelect(axis, lo).mul(a).add(x.indexSelect(axis, hi).mul(b));
    }

    @Override
    public String describe() {
        return "Upsample(" + (size != null ? "size " + Arrays.toString(size) : "scaleFactor " + Arrays.toString(scaleFactor))
                + ", " + mode + (alignCorners ? ", alignCorners true" : "") + ")";
    }
}
