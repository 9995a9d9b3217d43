package dev.autodiff.kernel;

/**
 * The Vector API engine's arithmetic in scalar code, bit for bit: what {@link Gemm} runs while the Vector API
 * kernels are still interpreted or in C1, where they are 5-50 times slower than this (the first 128 x 784 x 256
 * product of a fresh JVM took 0.79 s on them, 0.12 s on scalar code); see {@link Warmup}.
 *
 * <p>Each element of C in {@link VectorGemm} is one lane of one accumulator, so its value depends only on which
 * of VectorGemm's paths the shape takes, not on tiles, packing or threads. With {@code chain(P)} the fused
 * multiply-add chain {@code t = fma(A[i][p], B[p][j], t)} from +0 over p in P in order, and {@code blocks} k cut
 * into VectorGemm's equal k-blocks:
 * <ul>
 *   <li>packed (the general case): C = chain(block 1) (or C + chain(block 1)), then C += chain(block b) for each
 *       further block;</li>
 *   <li>direct (few rows, B read in place): C = chain(0..k) (or C + chain(0..k));</li>
 *   <li>few columns (C^T computed packed): C = (0 or C) + (chain(block 1) + chain(block 2) + ...);</li>
 *   <li>dot products (few rows, B transposed): C = (0 or C) + ((s_0 + s_1 + ... + s_{V-1}) + tail), s_l the
 *       chain over p = l, l + V, ... below k rounded down to V, the tail p's added as {@code t += a * b}.</li>
 * </ul>
 * A chain from +0 never yields -0, so "0 + t" and "t" are the same bits, as VectorGemm's edge and full tiles are.
 * {@code ColdGemmTest} compares this with VectorGemm bit for bit over every path.
 */
final class ColdGemm {
    private ColdGemm() {}

    /** The lanes of VectorGemm's vectors and its blocking, read from it once. */
    private static final int V = VectorGemm.lanes();

    /** As {@link Gemm.Multiplier#multiply}: C = op(A) op(B) when overwrite, else C += op(A) op(B); m, n, k > 0. */
    static void multiply(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int m, int n, int k, boolean overwrite) {
        int mr = VectorGemm.MR;
        int nr = VectorGemm.NR;
        if (!b.trans && m <= 4 * mr && (long) k * b.ld <= VectorGemm.DIRECT_B) {
            chains(a, b, c, cOff, m, n, 0, k, overwrite ? Store.SET : Store.ADD);
        } else if (n <= 4 * mr && n % nr != 0 && m > 4 * mr) {
            double[] ct = new double[m * n];
            blocked(a, b, ct, 0, m, n, k, true);
            for (int i = 0; i < m * n; i++) {
                c[cOff + i] = (overwrite ? 0.0 : c[cOff + i]) + ct[i];
            }
        } else if (b.trans && m < 2 * mr) {
            dots(a, b, c, cOff, m, n, k, overwrite);
        } else {
            blocked(a, b, c, cOff, m, n, k, overwrite);
        }
    }

    private enum Store { SET, ADD }

    /** C (row stride n) set to, or added, chain(from..to) of every element. */
    private static void chains(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int m, int n, int from, int to,
                               Store store) {
        double[] t = new double[n];
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(t, 0.0);
            for (int p = from; p < to; p++) {
                double x = a.get(i, p);
                if (b.trans) {
                    for (int j = 0; j < n; j++) {
                        t[j] = Math.fma(x, b.data[b.off + j * b.ld + p], t[j]);
                    }
                } else {
                    int row = b.off + p * b.ld;
                    for (int j = 0; j < n; j++) {
                        t[j] = Math.fma(x, b.data[row + j], t[j]);
                    }
                }
            }
            int ci = cOff + i * n;
            for (int j = 0; j < n; j++) {
                c[ci + j] = store == Store.SET ? t[j] : c[ci + j] + t[j];
            }
        }
    }

    /** The packed path: k-blocks as VectorGemm.blocked cuts them, the first stored when overwrite. */
    private static void blocked(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int m, int n, int k,
                                boolean overwrite) {
        int kc = VectorGemm.balanced(k, VectorGemm.KC);
        for (int pc = 0; pc < k; pc += kc) {
            chains(a, b, c, cOff, m, n, pc, Math.min(k, pc + kc), overwrite && pc == 0 ? Store.SET : Store.ADD);
        }
    }

    /** The dot-product path (B transposed: row j of B's array is column j of op(B)). */
    private static void dots(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int m, int n, int k,
                             boolean overwrite) {
        int bound = k - k % V;
        double[] lanes = new double[V];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int bj = b.off + j * b.ld;
                java.util.Arrays.fill(lanes, 0.0);
                for (int p = 0; p < bound; p += V) {
                    for (int l = 0; l < V; l++) {
                        lanes[l] = Math.fma(a.get(i, p + l), b.data[bj + p + l], lanes[l]);
                    }
                }
                double t = lanes[0];
                for (int l = 1; l < V; l++) {
                    t += lanes[l];
                }
                for (int p = bound; p < k; p++) {
                    t += a.get(i, p) * b.data[bj + p];
                }
                int ci = cOff + i * n + j;
                c[ci] = (overwrite ? 0.0 : c[ci]) + t;
            }
        }
    }
}
