package dev.autodiff.kernel;

/**
 * The blocked engine without the Vector API. B is packed a KC x NC block at a time into separate row
 * arrays, and each row of C is updated through a temporary with an inner loop in which every array is
 * indexed by the same plain {@code j}: the form C2 auto-vectorizes (PERF-NOTES: 14-16 GFLOP/s float64,
 * against 3-5 for i-k-j on flat arrays, where possible aliasing stops it). Four rows of B are folded
 * into each pass over the temporary to halve its loads and stores.
 */
final class ScalarBlocked {
    private ScalarBlocked() {}

    static final int KC = 256;
    static final int NC = 256;

    static void multiply(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int ldc, int m, int n, int k, int tasks) {
        double[][] rows = new double[KC][NC];
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                for (int p = 0; p < kc; p++) {
                    double[] row = rows[p];
                    for (int j = 0; j < nc; j++) {
                        row[j] = b.get(pc + p, jc + j);
                    }
                }
                int jc0 = jc;
                int pc0 = pc;
                Gemm.splitRows(m, 4, tasks, (task, start, end) -> rowsOf(a, rows, c, cOff, ldc, start, end, jc0, nc, pc0, kc));
            }
        }
    }

    private static void rowsOf(Gemm.Operand a, double[][] rows, double[] c, int cOff, int ldc,
                               int start, int end, int jc, int nc, int pc, int kc) {
        double[] t = new double[nc];
        for (int i = start; i < end; i++) {
            int ci = cOff + i * ldc + jc;
            System.arraycopy(c, ci, t, 0, nc);
            int p = 0;
            for (; p + 3 < kc; p += 4) {
                double a0 = a.get(i, pc + p);
                double a1 = a.get(i, pc + p + 1);
                double a2 = a.get(i, pc + p + 2);
                double a3 = a.get(i, pc + p + 3);
                double[] b0 = rows[p];
                double[] b1 = rows[p + 1];
                double[] b2 = rows[p + 2];
                double[] b3 = rows[p + 3];
                for (int j = 0; j < nc; j++) {
                    t[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
                }
            }
            for (; p < kc; p++) {
                double a0 = a.get(i, pc + p);
                double[] b0 = rows[p];
                for (int j = 0; j < nc; j++) {
                    t[j] += a0 * b0[j];
                }
            }
            System.arraycopy(t, 0, c, ci, nc);
        }
    }
}
