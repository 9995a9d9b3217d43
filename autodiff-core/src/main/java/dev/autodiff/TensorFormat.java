package dev.autodiff;

/** Nested-bracket printing of tensor values, abbreviated as NumPy does beyond 1000 elements. */
final class TensorFormat {
    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;

    private TensorFormat() {}

    static void values(StringBuilder sb, double[] data, int[] shape) {
        if (shape.length == 0) {
            sb.append(number(data[0]));
            return;
        }
        nest(sb, data, shape, 0, 0, data.length > THRESHOLD);
    }

    private static void nest(StringBuilder sb, double[] data, int[] shape, int axis, int offset, boolean abbreviate) {
        int n = shape[axis];
        int stride = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            stride *= shape[d];
        }
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (abbreviate && n > 2 * EDGE && i == EDGE) {
                sb.append("..., ");
                i = n - EDGE;
            }
            if (axis == shape.length - 1) {
                sb.append(number(data[offset + i]));
            } else {
                nest(sb, data, shape, axis + 1, offset + i * stride, abbreviate);
            }
            if (i < n - 1) {
                sb.append(", ");
            }
        }
        sb.append(']');
    }

    /** Up to 6 significant digits, without trailing zeros: 0.25, -1, 1.5e-10. */
    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        String s = String.format(java.util.Locale.ROOT, "%.6g", v);
        int e = s.indexOf('e');
        String mantissa = e < 0 ? s : s.substring(0, e);
        String exponent = e < 0 ? "" : s.substring(e);
        if (mantissa.indexOf('.') >= 0) {
            mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        if (!exponent.isEmpty()) {
            exponent = exponent.replace("e+0", "e").replace("e-0", "e-").replace("e+", "e");
        }
        return mantissa + exponent;
    }
}
