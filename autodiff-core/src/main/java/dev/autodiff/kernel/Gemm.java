package dev.autodiff.kernel;

/**
 * General matrix multiply {@code C = op(A) op(B)} on row-major arrays with offsets, where op is the
 * identity or the transpose. One loop nest per access pattern (EJML's naming: {@code nn}, {@code nt},
 * {@code tn}, {@code tt}), so that matmul's backward ({@code g B^T}, {@code A^T g}) reads its operands in
 * place and never materialises a transpose. Each nest keeps the innermost loop on unit stride.
 */
public final class Gemm {
    private Gemm() {}

    /**
     * {@code C[m x n] = op(A)[m x k] op(B)[k x n]}; A is stored {@code m x k} (or {@code k x m} when
     * {@code transA}), B is stored {@code k x n} (or {@code n x k} when {@code transB}). C is overwritten.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k,
                            double[] a, int aOff, double[] b, int bOff, double[] c, int cOff) {
        if (!transA && !transB) {
            nn(m, n, k, a, aOff, b, bOff, c, cOff);
        } else if (!transA) {
            nt(m, n, k, a, aOff, b, bOff, c, cOff);
        } else if (!transB) {
            tn(m, n, k, a, aOff, b, bOff, c, cOff);
        } else {
            tt(m, n, k, a, aOff, b, bOff, c, cOff);
        }
    }

    /** C = A B: i-k-j, streaming rows of B into a row of C. */
    static void nn(int m, int n, int k, double[] a, int aOff, double[] b, int bOff, double[] c, int cOff) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            java.util.Arrays.fill(c, ci, ci + n, 0.0);
            for (int p = 0; p < k; p++) {
                double aip = a[aOff + i * k + p];
                int bp = bOff + p * n;
                for (int j = 0; j < n; j++) {
                    c[ci + j] += aip * b[bp + j];
                }
            }
        }
    }

    /** C = A B^T: each element is a dot product of two contiguous rows. */
    static void nt(int m, int n, int k, double[] a, int aOff, double[] b, int bOff, double[] c, int cOff) {
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * k;
            for (int j = 0; j < n; j++) {
                int bj = bOff + j * k;
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[ai + p] * b[bj + p];
                }
                c[cOff + i * n + j] = s;
            }
        }
    }

    /** C = A^T B with A stored k x m: k-i-j, rank-1 updates from row p of A and row p of B. */
    static void tn(int m, int n, int k, double[] a, int aOff, double[] b, int bOff, double[] c, int cOff) {
        java.util.Arrays.fill(c, cOff, cOff + m * n, 0.0);
        for (int p = 0; p < k; p++) {
            int ap = aOff + p * m;
            int bp = bOff + p * n;
            for (int i = 0; i < m; i++) {
                double api = a[ap + i];
                int ci = cOff + i * n;
                for (int j = 0; j < n; j++) {
                    c[ci + j] += api * b[bp + j];
                }
            }
        }
    }

    /** C = A^T B^T = (B A)^T: computed as B A into C's transpose positions. */
    static void tt(int m, int n, int k, double[] a, int aOff, double[] b, int bOff, double[] c, int cOff) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[aOff + p * m + i] * b[bOff + j * k + p];
                }
                c[cOff + i * n + j] = s;
            }
        }
    }
}
