// GENERATED from Gemm.java by Float32Sources (autodiff-core's tests): float32 in place of float64.
// Do not edit: edit Gemm.java and regenerate (see Float32Sources). Comments are the source's.
package dev.autodiff.kernel;

import java.util.Arrays;

/**
 * General matrix multiply {@code C = op(A) op(B)} on row-major arrays with offsets, op the identity or
 * the transpose, so that matmul's backward ({@code G B^T}, {@code A^T G}) reads its operands in place and
 * never materialises a transpose.
 *
 * <p>Three engines ({@link Engine}): plain loops for small products, where packing costs more than it
 * saves; and for the rest a blocked engine that packs panels of A and B (GotoBLAS) for the cache sizes
 * of the target machine (L1 32 KiB, L2 512 KiB per core): the Vector API micro-kernel when
 * {@code jdk.incubator.vector} is present at run time, else a scalar form that C2 auto-vectorizes.
 * Large products split their rows over the kernels' {@link Workers}, the calling thread taking a share.
 */
public final class Gemm32 {
    private Gemm32() {}

    /** The implementations, each checked against a naive reference by a test that counts them. */
    public enum Engine { SMALL, BLOCKED_SCALAR, BLOCKED_VECTOR }

    /** Below this many multiply-adds the plain loops win. */
    static final long SMALL_WORK = 32L * 32 * 32;
    /** Above this many multiply-adds the rows are split over threads. */
    static final long PARALLEL_WORK = 96L * 96 * 96;

    /** The blocked engine used on this JVM: the Vector API one when its module is present. */
    public static final Engine BLOCKED = VectorSupport.AVAILABLE ? Engine.BLOCKED_VECTOR : Engine.BLOCKED_SCALAR;

    /**
     * {@code C[m x n] = op(A)[m x k] op(B)[k x n]}; A is stored {@code m x k} (or {@code k x m} when
     * {@code transA}), B is stored {@code k x n} (or {@code n x k} when {@code transB}). C is overwritten.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k,
                            float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        long work = (long) m * n * k;
        gemm(work < SMALL_WORK ? Engine.SMALL : BLOCKED, work >= PARALLEL_WORK, transA, transB, m, n, k,
                a, aOff, b, bOff, c, cOff);
    }

    /** {@code C += op(A) op(B)}: adds the product to C's current values (a gradient summed over paths, say). */
    public static void gemmAccumulate(boolean transA, boolean transB, int m, int n, int k,
                                      float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        long work = (long) m * n * k;
        run(work < SMALL_WORK ? Engine.SMALL : BLOCKED, work >= PARALLEL_WORK, false, transA, transB, m, n, k,
                a, aOff, b, bOff, c, cOff);
    }

    /** As {@link #gemm(boolean, boolean, int, int, int, float[], int, float[], int, float[], int)} with a chosen engine. */
    public static void gemm(Engine engine, boolean parallel, boolean transA, boolean transB, int m, int n, int k,
                            float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        run(engine, parallel, true, transA, transB, m, n, k, a, aOff, b, bOff, c, cOff);
    }

    /** {@code C = op(A) op(B)} when {@code overwrite}, else {@code C += op(A) op(B)}. */
    static void run(Engine engine, boolean parallel, boolean overwrite, boolean transA, boolean transB,
                            int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        if (overwrite && (engine != Engine.BLOCKED_VECTOR || k == 0)) {
            Arrays.fill(c, cOff, cOff + m * n, 0.0f); // the vector engine writes every element itself
            overwrite = false;
        }
        run(engine, parallel, overwrite, m, n, k, new Operand(a, aOff, transA ? m : k, transA),
                new Operand(b, bOff, transB ? k : n, transB), c, cOff, n);
    }

    /**
     * {@code C += op(A) op(B)} on blocks inside larger row-major arrays: op(A) is m x k with row stride lda
     * (the stride of A as stored), op(B) k x n with ldb, C m x n with ldc. For the factorisations' trailing
     * updates, which work on sub-blocks of one n x n matrix in place.
     */
    static void accumulate(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                           float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        long work = (long) m * n * k;
        accumulate(work < SMALL_WORK ? Engine.SMALL : BLOCKED, work >= PARALLEL_WORK, transA, transB, m, n, k,
                a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }

    /** As {@link #accumulate(boolean, boolean, int, int, int, float[], int, int, float[], int, int, float[], int, int)} with a chosen engine. */
    static void accumulate(Engine engine, boolean parallel, boolean transA, boolean transB, int m, int n, int k,
                           float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        run(engine, parallel, false, m, n, k, new Operand(a, aOff, lda, transA), new Operand(b, bOff, ldb, transB),
                c, cOff, ldc);
    }

    private static void run(Engine engine, boolean parallel, boolean overwrite, int m, int n, int k,
                            Operand aa, Operand bb, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0 || k == 0) {
            return;
        }
        if (engine == Engine.SMALL) {
            small(aa, bb, m, n, k, c, cOff, ldc);
            return;
        }
        if (engine == Engine.BLOCKED_VECTOR && !VectorSupport.AVAILABLE) {
            throw new IllegalStateException("gemm: the Vector API engine needs the JVM option --add-modules jdk.incubator.vector");
        }
        int tasks = parallel ? Math.min(Threads.COUNT, Math.max(1, m / 16)) : 1;
        if (engine == Engine.BLOCKED_VECTOR) {
            VectorSupport.GEMM32.multiply(aa, bb, c, cOff, ldc, m, n, k, tasks, overwrite);
        } else {
            ScalarBlocked32.multiply(aa, bb, c, cOff, ldc, m, n, k, tasks);
        }
    }

    /**
     * A row-major matrix read as op(X): element (i, j) of op(X) is {@code data[off + i*ld + j]}, or
     * {@code data[off + j*ld + i]} when transposed.
     */
    static final class Operand {
        final float[] data;
        final int off;
        final int ld;
        final boolean trans;

        Operand(float[] data, int off, int ld, boolean trans) {
            this.data = data;
            this.off = off;
            this.ld = ld;
            this.trans = trans;
        }

        float get(int i, int j) {
            return trans ? data[off + j * ld + i] : data[off + i * ld + j];
        }

        /** The same array read as op(X)^T. */
        Operand transposed() {
            return new Operand(data, off, ld, !trans);
        }

        /** The same matrix from column {@code j} on. */
        Operand columns(int j) {
            return new Operand(data, trans ? off + j * ld : off + j, ld, trans);
        }
    }

    /** The Vector API engine's entry, implemented in a class loaded only when the module is present. */
    interface Multiplier {
        /**
         * C = op(A) op(B) when {@code overwrite} (C's old values are never read), else C += op(A) op(B); C has row
         * stride ldc.
         */
        void multiply(Operand a, Operand b, float[] c, int cOff, int ldc, int m, int n, int k, int tasks, boolean overwrite);
    }

    /** Runs {@code body(task, start, end)} over row ranges of [0, m) aligned to {@code step}, in at most {@code tasks} parts. */
    static void splitRows(int m, int step, int tasks, RowBody body) {
        if (tasks <= 1) {
            body.run(0, 0, m);
            return;
        }
        int blocks = (m + step - 1) / step;
        int per = (blocks + tasks - 1) / tasks;
        int rows = per * step;
        Workers.run((m + rows - 1) / rows, task -> body.run(task, task * rows, Math.min(m, (task + 1) * rows)));
    }

    interface RowBody {
        void run(int task, int start, int end);
    }

    // ---- small: one loop nest per access pattern, innermost loop on unit stride ----------------------

    private static void small(Operand a, Operand b, int m, int n, int k, float[] c, int cOff, int ldc) {
        boolean ta = a.trans;
        boolean tb = b.trans;
        float[] ad = a.data;
        float[] bd = b.data;
        int aOff = a.off;
        int bOff = b.off;
        int lda = a.ld;
        int ldb = b.ld;
        if (!ta && !tb) {
            // C = A B: i-k-j, streaming rows of B into a row of C
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                for (int p = 0; p < k; p++) {
                    float aip = ad[aOff + i * lda + p];
                    int bp = bOff + p * ldb;
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += aip * bd[bp + j];
                    }
                }
            }
        } else if (!ta) {
            // C = A B^T: each element is a dot product of two contiguous rows
            for (int i = 0; i < m; i++) {
                int ai = aOff + i * lda;
                for (int j = 0; j < n; j++) {
                    int bj = bOff + j * ldb;
                    float s = 0;
                    for (int p = 0; p < k; p++) {
                        s += ad[ai + p] * bd[bj + p];
                    }
                    c[cOff + i * ldc + j] += s;
                }
            }
        } else if (!tb) {
            // C = A^T B with A stored k x m: rank-1 updates from row p of A and row p of B
            for (int p = 0; p < k; p++) {
                int ap = aOff + p * lda;
                int bp = bOff + p * ldb;
                for (int i = 0; i < m; i++) {
                    float api = ad[ap + i];
                    int ci = cOff + i * ldc;
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += api * bd[bp + j];
                    }
                }
            }
        } else {
            // C = A^T B^T
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int p = 0; p < k; p++) {
                        s += ad[aOff + p * lda + i] * bd[bOff + j * ldb + p];
                    }
                    c[cOff + i * ldc + j] += s;
                }
            }
        }
    }
}
