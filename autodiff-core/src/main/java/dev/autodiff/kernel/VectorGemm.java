package dev.autodiff.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * GotoBLAS-style GEMM on the Vector API. B is packed a KC x NC panel at a time into slivers NR columns
 * wide, A an MC x KC block at a time into slivers MR rows tall; the micro-kernel keeps an MR x NR tile of
 * C in registers and walks the two slivers with fused multiply-adds. MR = 6, NR = 2 vectors: 12 accumulators,
 * 2 B vectors and 1 broadcast, within AVX2's 16 ymm registers (BLIS's 6 x 8 Haswell kernel); 4 x 2 vectors, 8
 * accumulators, left the two FMA ports short of independent work (4-cycle latency, 2 per cycle) and ran at
 * 33-50% of the machine's FMA peak on an AVX-512 Xeon (77% for X^T G); 6 rows measured 1.2-1.6x faster there
 * (BENCHMARKS.md, issue 14), and no slower with -XX:UseAVX=2. Sizes: a B sliver (512 x 8 x 8 B) fills the
 * 32 KiB L1 and an A block (64 x 512 x 8 B) half the 512 KiB L2, leaving the other half to the B slivers
 * streaming through. KC = 256 kept both slivers in L1, but each k-block is one more pass of loads and stores over C, and KC = 512 measured faster (same-JVM
 * A/B, 1 thread, JDK 17: 512 from 34-38.6 to 38.5-40.6 GFLOP/s, 128x784x512 34.3 -> 38.5; JDK 25 +1-4%;
 * 2 threads +0-5%). With it, MC = 128 filled L2 with the A block alone; MC = 64 gained 0-5% on every shape
 * tried (MLP layers and their backward products, 512, 1024; both JDKs; 1 and 2 threads), and 32 or 96 did
 * no better. Loaded by name, only with the incubator module.
 */
final class VectorGemm implements Gemm.Multiplier {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    static final int MR = 6;
    /** Products of at most this many rows read a small B in place (see multiply). */
    static final int DIRECT_ROWS = 16;
    /** Products of at most this many columns (not a multiple of NR) are computed transposed. */
    static final int FEW_COLUMNS = 16;
    /** Products of fewer rows than this with B transposed are dot products. */
    static final int DOT_ROWS = 8;
    static final int NR = 2 * V;
    static final int KC = 512;
    static final int MC = 64;
    static final int NC = 2048;
    /** Rows of B (or of A stored transposed) copied per pass over the slivers when packing. */
    static final int PACK_ROWS = 8;
    /** The largest B (k x ldb elements, 1 MiB) read in place by products of up to 16 rows. */
    static final long DIRECT_B = 128 * 1024;

    @Override
    public void multiply(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int ldc, int m, int n, int k, int tasks,
                         boolean overwrite) {
        // up to 16 rows no product is split over threads (Gemm gives it one task per 16 rows)
        if (!b.trans && m <= DIRECT_ROWS && (long) k * b.ld <= DIRECT_B) {
            // each element of B would serve at most 16 rows: packing it costs more than reading B in place
            // (a convolution's per-image product 16x150x100: 24.6 -> 28.3 GFLOP/s, same-run A/B). Only for a
            // small B: read in place, each row of B is another page for the TLB and the prefetcher, and a large
            // one ran at half the packed speed (16x1024x1024: 10.3 against 20.2, 6x2048x2048: 3.8 against 10.0)
            direct(a, b, c, cOff, ldc, m, n, k, overwrite);
            return;
        }
        if (n <= FEW_COLUMNS && n % NR != 0 && m > DIRECT_ROWS) {
            // Few columns (a 10-way output layer h W and its weight gradient h^T g): C^T = op(B)^T op(A)^T
            // computed into a scratch and transposed. Its tiles are MR rows of C^T tall instead of NR = 8
            // columns of C wide, so less of each is padding (n = 10: 1/6 instead of 3/8). Same-JVM A/B, JDK 25,
            // 1 thread: 512x128x10:tn 10.3 -> 12.0 GFLOP/s, 128x64x4:tn 6.9 -> 14.0; 128x512x10 in the MLP step
            // 85 -> 75 us. Reading A's array in place was slower (a 4 KiB stride per k-step); dot products of A's
            // rows and B's columns were as fast at their best, but C2 unrolls their loop and spills, on JDK 25
            // in some runs down to 130 us.
            Gemm.Operand bt = b.transposed();
            Gemm.Operand at = a.transposed();
            double[] ct = new double[n * m];
            Gemm.splitRows(m, NR, tasks, (task, start, end) -> blocked(bt, at.columns(start), ct, start, m, n, end - start, k, 1, true));
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int ci = cOff + i * ldc + j;
                    c[ci] = (overwrite ? 0.0 : c[ci]) + ct[j * m + i];
                }
            }
            return;
        }
        if (b.trans && m < DOT_ROWS) {
            if (overwrite) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
                }
            }
            byDots(a, b, c, cOff, ldc, m, n, k, tasks);
            return;
        }
        if (tasks > 1 && n > m) {
            // wide products (a batch of 128 rows times a layer) split by columns: each thread packs its own
            // part of B, so no packing is left serial
            Gemm.splitRows(n, NR, tasks,
                    (task, start, end) -> blocked(a, b.columns(start), c, cOff + start, ldc, m, end - start, k, 1, overwrite));
            return;
        }
        blocked(a, b, c, cOff, ldc, m, n, k, tasks, overwrite);
    }

    /**
     * The packed product into C with row stride ldc, its rows split over {@code tasks}; with {@code overwrite}
     * the first k-block stores its tiles without reading C (every element of C belongs to exactly one tile).
     */
    private static void blocked(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int ldc, int m, int n, int k,
                                int tasks, boolean overwrite) {
        // equal blocks no larger than the limits: k = 784 is 4 x 196, not 3 x 256 + 16
        int kcMax = balanced(k, KC);
        int ncMax = roundUp(balanced(n, NC), NR);
        double[] bPack = scratch(PACK_B, kcMax * ncMax);
        int rowsPerTask = (m + tasks - 1) / tasks;
        int mcMax = roundUp(balanced(Math.min(m, rowsPerTask + MR), MC), MR);
        for (int jc = 0; jc < n; jc += ncMax) {
            int nc = Math.min(ncMax, n - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                packB(b, pc, kc, jc, nc, bPack);
                int jc0 = jc;
                int pc0 = pc;
                boolean store = overwrite && pc == 0;
                Gemm.splitRows(m, MR, tasks, (task, start, end) -> {
                    int mcTask = Math.min(mcMax, roundUp(balanced(end - start, MC), MR));
                    // the A block buffer of the thread running this task (a thread runs one task at a time)
                    double[] aPack = scratch(PACK_A, mcMax * kcMax);
                    double[] edge = new double[MR * NR];
                    for (int ic = start; ic < end; ic += mcTask) {
                        int mc = Math.min(mcTask, end - ic);
                        packA(a, ic, mc, pc0, kc, aPack);
                        for (int jr = 0; jr < nc; jr += NR) {
                            for (int ir = 0; ir < mc; ir += MR) {
                                tile(kc, aPack, ir * kc, bPack, jr * kc, c, cOff + (ic + ir) * ldc + jc0 + jr, ldc,
                                        Math.min(MR, mc - ir), Math.min(NR, nc - jr), store, edge);
                            }
                        }
                    }
                });
            }
        }
    }

    // the B panel (up to 8 MiB) and the A block are reused by each thread across calls instead of allocated
    // each time (for a batch of small products the allocation cost about as much as the packing)
    private static final ThreadLocal<double[][]> PACK_B = ThreadLocal.withInitial(() -> new double[1][0]);
    private static final ThreadLocal<double[][]> PACK_A = ThreadLocal.withInitial(() -> new double[1][0]);

    private static double[] scratch(ThreadLocal<double[][]> holder, int size) {
        double[][] h = holder.get();
        if (h[0].length < size) {
            h[0] = new double[size];
        }
        return h[0];
    }

    /** The size of ceil(total / limit) equal blocks covering total. */
    private static int balanced(int total, int limit) {
        int blocks = Math.max(1, (total + limit - 1) / limit);
        return (total + blocks - 1) / blocks;
    }

    private static int roundUp(int x, int step) {
        return (x + step - 1) / step * step;
    }

    /**
     * Few-row products with transposed B (B stored n x k, as a gradient times a layer's weight transposed):
     * each element of C is a dot product of a row of op(A) (copied to a row first when A is stored
     * transposed) and a row of B's array. C is added to.
     */
    private static void byDots(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int ldc, int m, int n, int k,
                               int tasks) {
        Gemm.Operand ar = a.trans ? rows(a, m, k, scratch(PACK_A, m * k)) : a;
        Gemm.splitRows(m, 2, tasks, (task, start, end) -> dots(ar.data, ar.off + start * ar.ld, ar.ld, b.data, b.off,
                b.ld, c, cOff + start * ldc, ldc, end - start, n, k));
    }

    /** The rows x cols matrix x copied into {@code out} row-major, as an operand. */
    private static Gemm.Operand rows(Gemm.Operand x, int rows, int cols, double[] out) {
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++) {
                out[i * cols + j] = x.get(i, j);
            }
        }
        return new Gemm.Operand(out, 0, cols, false);
    }

    /**
     * {@code C[i][j] += sum_p A[ao + i*lda + p] B[bo + j*ldb + p]}: blocks of 2 rows x 4 columns, eight
     * independent FMA chains (one row's four were bound by the FMA latency: 4x512x512:nt 15.5 -> 22.7 GFLOP/s,
     * same-JVM A/B, JDK 25), each A vector loaded once for four columns. A last odd row or short column group
     * repeats a row or column and drops its results. C2 unrolls the loop four times and spills some
     * accumulators there; still the faster of the two.
     */
    private static void dots(double[] ad, int ao, int lda, double[] bd, int bo, int ldb, double[] c, int cOff, int ldc,
                             int m, int n, int k) {
        int bound = S.loopBound(k);
        double[] lanes = new double[8 * V];
        for (int i = 0; i < m; i += 2) {
            int a0 = ao + i * lda;
            int a1 = i + 1 < m ? a0 + lda : a0;
            int ci = cOff + i * ldc;
            for (int j = 0; j < n; j += 4) {
                int b0 = bo + j * ldb;
                int b1 = bo + Math.min(j + 1, n - 1) * ldb;
                int b2 = bo + Math.min(j + 2, n - 1) * ldb;
                int b3 = bo + Math.min(j + 3, n - 1) * ldb;
                DoubleVector s00 = DoubleVector.zero(S);
                DoubleVector s01 = DoubleVector.zero(S);
                DoubleVector s02 = DoubleVector.zero(S);
                DoubleVector s03 = DoubleVector.zero(S);
                DoubleVector s10 = DoubleVector.zero(S);
                DoubleVector s11 = DoubleVector.zero(S);
                DoubleVector s12 = DoubleVector.zero(S);
                DoubleVector s13 = DoubleVector.zero(S);
                for (int p = 0; p < bound; p += V) {
                    DoubleVector x0 = DoubleVector.fromArray(S, ad, a0 + p);
                    DoubleVector x1 = DoubleVector.fromArray(S, ad, a1 + p);
                    DoubleVector y = DoubleVector.fromArray(S, bd, b0 + p);
                    s00 = x0.fma(y, s00);
                    s10 = x1.fma(y, s10);
                    y = DoubleVector.fromArray(S, bd, b1 + p);
                    s01 = x0.fma(y, s01);
                    s11 = x1.fma(y, s11);
                    y = DoubleVector.fromArray(S, bd, b2 + p);
                    s02 = x0.fma(y, s02);
                    s12 = x1.fma(y, s12);
                    y = DoubleVector.fromArray(S, bd, b3 + p);
                    s03 = x0.fma(y, s03);
                    s13 = x1.fma(y, s13);
                }
                // lanes summed in lane order: reduceLanes(ADD) leaves its order open, and its compiled form (a
                // tree) and interpreted form (a loop) gave results an ulp apart, so C changed with the JIT tier
                s00.intoArray(lanes, 0);
                s01.intoArray(lanes, V);
                s02.intoArray(lanes, 2 * V);
                s03.intoArray(lanes, 3 * V);
                s10.intoArray(lanes, 4 * V);
                s11.intoArray(lanes, 5 * V);
                s12.intoArray(lanes, 6 * V);
                s13.intoArray(lanes, 7 * V);
                double t00 = sumLanes(lanes, 0);
                double t01 = sumLanes(lanes, V);
                double t02 = sumLanes(lanes, 2 * V);
                double t03 = sumLanes(lanes, 3 * V);
                double t10 = sumLanes(lanes, 4 * V);
                double t11 = sumLanes(lanes, 5 * V);
                double t12 = sumLanes(lanes, 6 * V);
                double t13 = sumLanes(lanes, 7 * V);
                for (int p = bound; p < k; p++) {
                    double x0 = ad[a0 + p];
                    double x1 = ad[a1 + p];
                    t00 += x0 * bd[b0 + p];
                    t01 += x0 * bd[b1 + p];
                    t02 += x0 * bd[b2 + p];
                    t03 += x0 * bd[b3 + p];
                    t10 += x1 * bd[b0 + p];
                    t11 += x1 * bd[b1 + p];
                    t12 += x1 * bd[b2 + p];
                    t13 += x1 * bd[b3 + p];
                }
                int w = Math.min(4, n - j);
                addDots(c, ci + j, w, t00, t01, t02, t03);
                if (i + 1 < m) {
                    addDots(c, ci + ldc + j, w, t10, t11, t12, t13);
                }
            }
        }
    }

    /** lanes[o] + lanes[o + 1] + ... + lanes[o + V - 1], left to right: the same sum in every JIT tier. */
    private static double sumLanes(double[] lanes, int o) {
        double s = lanes[o];
        for (int l = 1; l < V; l++) {
            s += lanes[o + l];
        }
        return s;
    }

    /** The first w of four dot products added to C's row from {@code co}. */
    private static void addDots(double[] c, int co, int w, double t0, double t1, double t2, double t3) {
        c[co] += t0;
        if (w > 1) {
            c[co + 1] += t1;
        }
        if (w > 2) {
            c[co + 2] += t2;
        }
        if (w > 3) {
            c[co + 3] += t3;
        }
    }

    /**
     * The few-row product with row-major B: B is read in place, A (at most 4 MR rows) is packed once
     * into MR-row slivers and reused for every column block, and each MR x NR tile accumulates in registers
     * as in {@link #kernel}.
     */
    private static void direct(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int ldc, int m, int n, int k,
                               boolean overwrite) {
        double[] aPack = scratch(PACK_A, roundUp(m, MR) * k);
        packA(a, 0, m, 0, k, aPack);
        int full = n - n % NR;
        double[] edge = new double[MR * NR];
        for (int j = 0; j < full; j += NR) {
            for (int i = 0; i < m; i += MR) {
                int co = cOff + i * ldc + j;
                int rows = Math.min(MR, m - i);
                if (rows == MR) {
                    directKernel(k, aPack, i * k, b.data, b.off + j, b.ld, c, co, ldc, overwrite);
                } else if (rows == 4) {
                    directKernel4(k, aPack, i * k, b.data, b.off + j, b.ld, c, co, ldc, overwrite);
                } else {
                    directKernel(k, aPack, i * k, b.data, b.off + j, b.ld, edge, 0, NR, true);
                    addEdge(edge, c, co, ldc, rows, NR, overwrite);
                }
            }
        }
        if (full < n) {
            // the last n % NR columns: one sliver of B packed (zero-padded to NR) and the packed kernel's edge
            // tile (dot products per element were a fifth of the time of 16x150x100)
            double[] bPack = scratch(PACK_B, k * NR);
            packB(b, 0, k, full, n - full, bPack);
            for (int i = 0; i < m; i += MR) {
                tile(k, aPack, i * k, bPack, 0, c, cOff + i * ldc + full, ldc, Math.min(MR, m - i), n - full,
                        overwrite, edge);
            }
        }
    }

    /**
     * {@link #kernel} for a full NR-column tile with B read from its rows (stride ldb) instead of a sliver.
     * A copy on purpose: giving {@link #kernel} the stride as a parameter made both paths slower (JMH, same
     * run: 512 from 32-37 to 29-31 GFLOP/s, 6x25x784 from 22-23 to 16-19).
     */
    private static void directKernel(int k, double[] ap, int ao, double[] bd, int bo, int ldb, double[] c, int co, int ldc,
                                     boolean store) {
        DoubleVector c00 = DoubleVector.zero(S);
        DoubleVector c01 = DoubleVector.zero(S);
        DoubleVector c10 = DoubleVector.zero(S);
        DoubleVector c11 = DoubleVector.zero(S);
        DoubleVector c20 = DoubleVector.zero(S);
        DoubleVector c21 = DoubleVector.zero(S);
        DoubleVector c30 = DoubleVector.zero(S);
        DoubleVector c31 = DoubleVector.zero(S);
        DoubleVector c40 = DoubleVector.zero(S);
        DoubleVector c41 = DoubleVector.zero(S);
        DoubleVector c50 = DoubleVector.zero(S);
        DoubleVector c51 = DoubleVector.zero(S);
        // A's index is the loop variable, as in kernel (JDK 17, same-JVM A/B: 16x150x100 28.5 -> 31.6 GFLOP/s,
        // 6x25x784 20.8 -> 23.5; JDK 25 +0-4%)
        int end = ao + k * MR;
        for (int ai = ao, bi = bo; ai < end; ai += MR, bi += ldb) {
            DoubleVector b0 = DoubleVector.fromArray(S, bd, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, bd, bi + V);
            DoubleVector a0 = DoubleVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            DoubleVector a4 = DoubleVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            DoubleVector a5 = DoubleVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        // written out rather than through a helper: a call C2 did not inline (no profile yet when the loop was
        // compiled on stack) made it box the accumulators and run the loop at ~1 GFLOP/s
        if (store) {
            c00.intoArray(c, co);
            c01.intoArray(c, co + V);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, co + ldc + V);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + V);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + V);
            c40.intoArray(c, co + 4 * ldc);
            c41.intoArray(c, co + 4 * ldc + V);
            c50.intoArray(c, co + 5 * ldc);
            c51.intoArray(c, co + 5 * ldc + V);
        } else {
            DoubleVector.fromArray(S, c, co).add(c00).intoArray(c, co);
            DoubleVector.fromArray(S, c, co + V).add(c01).intoArray(c, co + V);
            DoubleVector.fromArray(S, c, co + ldc).add(c10).intoArray(c, co + ldc);
            DoubleVector.fromArray(S, c, co + ldc + V).add(c11).intoArray(c, co + ldc + V);
            DoubleVector.fromArray(S, c, co + 2 * ldc).add(c20).intoArray(c, co + 2 * ldc);
            DoubleVector.fromArray(S, c, co + 2 * ldc + V).add(c21).intoArray(c, co + 2 * ldc + V);
            DoubleVector.fromArray(S, c, co + 3 * ldc).add(c30).intoArray(c, co + 3 * ldc);
            DoubleVector.fromArray(S, c, co + 3 * ldc + V).add(c31).intoArray(c, co + 3 * ldc + V);
            DoubleVector.fromArray(S, c, co + 4 * ldc).add(c40).intoArray(c, co + 4 * ldc);
            DoubleVector.fromArray(S, c, co + 4 * ldc + V).add(c41).intoArray(c, co + 4 * ldc + V);
            DoubleVector.fromArray(S, c, co + 5 * ldc).add(c50).intoArray(c, co + 5 * ldc);
            DoubleVector.fromArray(S, c, co + 5 * ldc + V).add(c51).intoArray(c, co + 5 * ldc + V);
        }
    }

    /** Slivers of NR columns: element (p, j) of sliver s at [(s * kc + p) * NR + j], zero beyond n. */
    private static void packB(Gemm.Operand b, int pc, int kc, int jc, int nc, double[] out) {
        double[] d = b.data;
        int full = nc - nc % NR;
        if (!b.trans) {
            // PACK_ROWS rows at a time: each row of B is read in order and dealt out to the slivers, two vector
            // copies per sliver per row. Walking one sliver down all kc rows touched a new 4 KiB page per row,
            // which the hardware prefetcher does not follow (for a weight not in cache, 1.6x slower at 784 x 512);
            // one row at a time wrote 64 bytes to each sliver in turn, each store on another page (the MLP step's
            // packing of B: 560-600 us row by row, 415-430 in blocks of 8 rows; 4, 16 and 32 did worse). Small
            // panels recently used (an LSTM's weight) packed a sliver at a time were no faster than this
            // (32x64x512 JDK 25: 28.3 GFLOP/s against 31.6)
            for (int p0 = 0; p0 < kc; p0 += PACK_ROWS) {
                int p1 = Math.min(kc, p0 + PACK_ROWS);
                for (int jr = 0; jr < full; jr += NR) {
                    for (int p = p0; p < p1; p++) {
                        int src = b.off + (pc + p) * b.ld + jc + jr;
                        int o = jr * kc + p * NR;
                        DoubleVector.fromArray(S, d, src).intoArray(out, o);
                        DoubleVector.fromArray(S, d, src + V).intoArray(out, o + V);
                    }
                }
            }
            for (int p = 0; p < kc; p++) {
                int src = b.off + (pc + p) * b.ld + jc;
                if (full < nc) {
                    int o = full * kc + p * NR;
                    System.arraycopy(d, src + full, out, o, nc - full);
                    java.util.Arrays.fill(out, o + nc - full, o + NR, 0.0);
                }
            }
            return;
        }
        for (int jr = 0; jr < nc; jr += NR) {
            int w = Math.min(NR, nc - jr);
            int base = jr * kc;
            if (w < NR) {
                java.util.Arrays.fill(out, base, base + kc * NR, 0.0);
            }
            // B stored n x k: column j of the sliver is row jc + jr + j of the array. Walk k in the outer
            // loop, so that the sliver is written in order while w rows of the array are read side by side
            // (column by column, each write landed on another cache line)
            int src = b.off + (jc + jr) * b.ld + pc;
            int p = 0;
            if (TRANSPOSE && w == NR) {
                // V x V blocks transposed in registers: rows j..j+V-1 of the array, columns p..p+V-1 (element by
                // element this loop was 30% of the float32 MLP step's products G W^T)
                for (; p + V <= kc; p += V) {
                    for (int j = 0; j < NR; j += V) {
                        transpose(d, src + j * b.ld + p, b.ld, out, base + p * NR + j, NR);
                    }
                }
            }
            for (; p < kc; p++) {
                int o = base + p * NR;
                for (int j = 0, q = src + p; j < w; j++, q += b.ld) {
                    out[o + j] = d[q];
                }
            }
        }
    }

    /** Whether {@link #transpose} can run: vectors of 4, 8 or 16 lanes. */
    private static final boolean TRANSPOSE = V == 4 || V == 8 || V == 16;
    // Stage s of the transpose (s = 1, 2, 4, 8 while s < V) pairs the vectors i and i + s (i without bit s) and swaps
    // their blocks of s lanes: lanes with bit s of the first take the second's lanes s below them (UP), lanes without
    // it of the second take the first's lanes s above (DOWN); HIGH masks the lanes with bit s. After the last stage
    // vector i holds column i.
    private static final VectorShuffle<Double> UP1 = shift(1, true);
    private static final VectorShuffle<Double> UP2 = shift(2, true);
    private static final VectorShuffle<Double> UP4 = shift(4, true);
    private static final VectorShuffle<Double> UP8 = shift(8, true);
    private static final VectorShuffle<Double> DOWN1 = shift(1, false);
    private static final VectorShuffle<Double> DOWN2 = shift(2, false);
    private static final VectorShuffle<Double> DOWN4 = shift(4, false);
    private static final VectorShuffle<Double> DOWN8 = shift(8, false);
    private static final VectorMask<Double> HIGH1 = high(1);
    private static final VectorMask<Double> HIGH2 = high(2);
    private static final VectorMask<Double> HIGH4 = high(4);
    private static final VectorMask<Double> HIGH8 = high(8);

    private static VectorShuffle<Double> shift(int s, boolean up) {
        if (!TRANSPOSE || s >= V) {
            return null;
        }
        return VectorShuffle.fromOp(S, l -> (l & s) != 0 ? (up ? l - s : l) : (up ? l : l + s));
    }

    private static VectorMask<Double> high(int s) {
        if (!TRANSPOSE || s >= V) {
            return null;
        }
        boolean[] lanes = new boolean[V];
        for (int l = 0; l < V; l++) {
            lanes[l] = (l & s) != 0;
        }
        return VectorMask.fromArray(S, lanes, 0);
    }

    /**
     * The V x V block of x at rows {@code src + r*ld} (r < V, V elements each) written transposed: its column c as V
     * contiguous values at {@code out[o + c*stride]}. One-vector shuffles and blends, log2(V) stages: the two-vector
     * rearrange is not compiled on JDK 17 (9x slower than element copies), these are (V = 4, JDK 17 0.69 -> 0.57 ns
     * per element, JDK 25 0.66 -> 0.31, for packing 4 rows of A).
     */
    private static void transpose(double[] x, int src, int ld, double[] out, int o, int stride) {
        if (V == 4) {
            transpose4(x, src, ld, out, o, stride);
        } else if (V == 8) {
            transpose8(x, src, ld, out, o, stride);
        } else {
            transpose16(x, src, ld, out, o, stride);
        }
    }

    // the three unrolled forms, written by a script (one vector per row; an array of vectors would be boxed)

    private static void transpose4(double[] x, int src, int ld, double[] out, int o, int stride) {
        DoubleVector r0 = DoubleVector.fromArray(S, x, src);
        DoubleVector r1 = DoubleVector.fromArray(S, x, src + ld);
        DoubleVector r2 = DoubleVector.fromArray(S, x, src + 2 * ld);
        DoubleVector r3 = DoubleVector.fromArray(S, x, src + 3 * ld);
        DoubleVector a0 = r0.blend(r1.rearrange(UP1), HIGH1);
        DoubleVector a1 = r0.rearrange(DOWN1).blend(r1, HIGH1);
        DoubleVector a2 = r2.blend(r3.rearrange(UP1), HIGH1);
        DoubleVector a3 = r2.rearrange(DOWN1).blend(r3, HIGH1);
        a0.blend(a2.rearrange(UP2), HIGH2).intoArray(out, o);
        a0.rearrange(DOWN2).blend(a2, HIGH2).intoArray(out, o + 2 * stride);
        a1.blend(a3.rearrange(UP2), HIGH2).intoArray(out, o + stride);
        a1.rearrange(DOWN2).blend(a3, HIGH2).intoArray(out, o + 3 * stride);
    }

    private static void transpose8(double[] x, int src, int ld, double[] out, int o, int stride) {
        DoubleVector r0 = DoubleVector.fromArray(S, x, src);
        DoubleVector r1 = DoubleVector.fromArray(S, x, src + ld);
        DoubleVector r2 = DoubleVector.fromArray(S, x, src + 2 * ld);
        DoubleVector r3 = DoubleVector.fromArray(S, x, src + 3 * ld);
        DoubleVector r4 = DoubleVector.fromArray(S, x, src + 4 * ld);
        DoubleVector r5 = DoubleVector.fromArray(S, x, src + 5 * ld);
        DoubleVector r6 = DoubleVector.fromArray(S, x, src + 6 * ld);
        DoubleVector r7 = DoubleVector.fromArray(S, x, src + 7 * ld);
        DoubleVector a0 = r0.blend(r1.rearrange(UP1), HIGH1);
        DoubleVector a1 = r0.rearrange(DOWN1).blend(r1, HIGH1);
        DoubleVector a2 = r2.blend(r3.rearrange(UP1), HIGH1);
        DoubleVector a3 = r2.rearrange(DOWN1).blend(r3, HIGH1);
        DoubleVector a4 = r4.blend(r5.rearrange(UP1), HIGH1);
        DoubleVector a5 = r4.rearrange(DOWN1).blend(r5, HIGH1);
        DoubleVector a6 = r6.blend(r7.rearrange(UP1), HIGH1);
        DoubleVector a7 = r6.rearrange(DOWN1).blend(r7, HIGH1);
        DoubleVector b0 = a0.blend(a2.rearrange(UP2), HIGH2);
        DoubleVector b2 = a0.rearrange(DOWN2).blend(a2, HIGH2);
        DoubleVector b1 = a1.blend(a3.rearrange(UP2), HIGH2);
        DoubleVector b3 = a1.rearrange(DOWN2).blend(a3, HIGH2);
        DoubleVector b4 = a4.blend(a6.rearrange(UP2), HIGH2);
        DoubleVector b6 = a4.rearrange(DOWN2).blend(a6, HIGH2);
        DoubleVector b5 = a5.blend(a7.rearrange(UP2), HIGH2);
        DoubleVector b7 = a5.rearrange(DOWN2).blend(a7, HIGH2);
        b0.blend(b4.rearrange(UP4), HIGH4).intoArray(out, o);
        b0.rearrange(DOWN4).blend(b4, HIGH4).intoArray(out, o + 4 * stride);
        b1.blend(b5.rearrange(UP4), HIGH4).intoArray(out, o + stride);
        b1.rearrange(DOWN4).blend(b5, HIGH4).intoArray(out, o + 5 * stride);
        b2.blend(b6.rearrange(UP4), HIGH4).intoArray(out, o + 2 * stride);
        b2.rearrange(DOWN4).blend(b6, HIGH4).intoArray(out, o + 6 * stride);
        b3.blend(b7.rearrange(UP4), HIGH4).intoArray(out, o + 3 * stride);
        b3.rearrange(DOWN4).blend(b7, HIGH4).intoArray(out, o + 7 * stride);
    }

    private static void transpose16(double[] x, int src, int ld, double[] out, int o, int stride) {
        DoubleVector r0 = DoubleVector.fromArray(S, x, src);
        DoubleVector r1 = DoubleVector.fromArray(S, x, src + ld);
        DoubleVector r2 = DoubleVector.fromArray(S, x, src + 2 * ld);
        DoubleVector r3 = DoubleVector.fromArray(S, x, src + 3 * ld);
        DoubleVector r4 = DoubleVector.fromArray(S, x, src + 4 * ld);
        DoubleVector r5 = DoubleVector.fromArray(S, x, src + 5 * ld);
        DoubleVector r6 = DoubleVector.fromArray(S, x, src + 6 * ld);
        DoubleVector r7 = DoubleVector.fromArray(S, x, src + 7 * ld);
        DoubleVector r8 = DoubleVector.fromArray(S, x, src + 8 * ld);
        DoubleVector r9 = DoubleVector.fromArray(S, x, src + 9 * ld);
        DoubleVector r10 = DoubleVector.fromArray(S, x, src + 10 * ld);
        DoubleVector r11 = DoubleVector.fromArray(S, x, src + 11 * ld);
        DoubleVector r12 = DoubleVector.fromArray(S, x, src + 12 * ld);
        DoubleVector r13 = DoubleVector.fromArray(S, x, src + 13 * ld);
        DoubleVector r14 = DoubleVector.fromArray(S, x, src + 14 * ld);
        DoubleVector r15 = DoubleVector.fromArray(S, x, src + 15 * ld);
        DoubleVector a0 = r0.blend(r1.rearrange(UP1), HIGH1);
        DoubleVector a1 = r0.rearrange(DOWN1).blend(r1, HIGH1);
        DoubleVector a2 = r2.blend(r3.rearrange(UP1), HIGH1);
        DoubleVector a3 = r2.rearrange(DOWN1).blend(r3, HIGH1);
        DoubleVector a4 = r4.blend(r5.rearrange(UP1), HIGH1);
        DoubleVector a5 = r4.rearrange(DOWN1).blend(r5, HIGH1);
        DoubleVector a6 = r6.blend(r7.rearrange(UP1), HIGH1);
        DoubleVector a7 = r6.rearrange(DOWN1).blend(r7, HIGH1);
        DoubleVector a8 = r8.blend(r9.rearrange(UP1), HIGH1);
        DoubleVector a9 = r8.rearrange(DOWN1).blend(r9, HIGH1);
        DoubleVector a10 = r10.blend(r11.rearrange(UP1), HIGH1);
        DoubleVector a11 = r10.rearrange(DOWN1).blend(r11, HIGH1);
        DoubleVector a12 = r12.blend(r13.rearrange(UP1), HIGH1);
        DoubleVector a13 = r12.rearrange(DOWN1).blend(r13, HIGH1);
        DoubleVector a14 = r14.blend(r15.rearrange(UP1), HIGH1);
        DoubleVector a15 = r14.rearrange(DOWN1).blend(r15, HIGH1);
        DoubleVector b0 = a0.blend(a2.rearrange(UP2), HIGH2);
        DoubleVector b2 = a0.rearrange(DOWN2).blend(a2, HIGH2);
        DoubleVector b1 = a1.blend(a3.rearrange(UP2), HIGH2);
        DoubleVector b3 = a1.rearrange(DOWN2).blend(a3, HIGH2);
        DoubleVector b4 = a4.blend(a6.rearrange(UP2), HIGH2);
        DoubleVector b6 = a4.rearrange(DOWN2).blend(a6, HIGH2);
        DoubleVector b5 = a5.blend(a7.rearrange(UP2), HIGH2);
        DoubleVector b7 = a5.rearrange(DOWN2).blend(a7, HIGH2);
        DoubleVector b8 = a8.blend(a10.rearrange(UP2), HIGH2);
        DoubleVector b10 = a8.rearrange(DOWN2).blend(a10, HIGH2);
        DoubleVector b9 = a9.blend(a11.rearrange(UP2), HIGH2);
        DoubleVector b11 = a9.rearrange(DOWN2).blend(a11, HIGH2);
        DoubleVector b12 = a12.blend(a14.rearrange(UP2), HIGH2);
        DoubleVector b14 = a12.rearrange(DOWN2).blend(a14, HIGH2);
        DoubleVector b13 = a13.blend(a15.rearrange(UP2), HIGH2);
        DoubleVector b15 = a13.rearrange(DOWN2).blend(a15, HIGH2);
        DoubleVector c0 = b0.blend(b4.rearrange(UP4), HIGH4);
        DoubleVector c4 = b0.rearrange(DOWN4).blend(b4, HIGH4);
        DoubleVector c1 = b1.blend(b5.rearrange(UP4), HIGH4);
        DoubleVector c5 = b1.rearrange(DOWN4).blend(b5, HIGH4);
        DoubleVector c2 = b2.blend(b6.rearrange(UP4), HIGH4);
        DoubleVector c6 = b2.rearrange(DOWN4).blend(b6, HIGH4);
        DoubleVector c3 = b3.blend(b7.rearrange(UP4), HIGH4);
        DoubleVector c7 = b3.rearrange(DOWN4).blend(b7, HIGH4);
        DoubleVector c8 = b8.blend(b12.rearrange(UP4), HIGH4);
        DoubleVector c12 = b8.rearrange(DOWN4).blend(b12, HIGH4);
        DoubleVector c9 = b9.blend(b13.rearrange(UP4), HIGH4);
        DoubleVector c13 = b9.rearrange(DOWN4).blend(b13, HIGH4);
        DoubleVector c10 = b10.blend(b14.rearrange(UP4), HIGH4);
        DoubleVector c14 = b10.rearrange(DOWN4).blend(b14, HIGH4);
        DoubleVector c11 = b11.blend(b15.rearrange(UP4), HIGH4);
        DoubleVector c15 = b11.rearrange(DOWN4).blend(b15, HIGH4);
        c0.blend(c8.rearrange(UP8), HIGH8).intoArray(out, o);
        c0.rearrange(DOWN8).blend(c8, HIGH8).intoArray(out, o + 8 * stride);
        c1.blend(c9.rearrange(UP8), HIGH8).intoArray(out, o + stride);
        c1.rearrange(DOWN8).blend(c9, HIGH8).intoArray(out, o + 9 * stride);
        c2.blend(c10.rearrange(UP8), HIGH8).intoArray(out, o + 2 * stride);
        c2.rearrange(DOWN8).blend(c10, HIGH8).intoArray(out, o + 10 * stride);
        c3.blend(c11.rearrange(UP8), HIGH8).intoArray(out, o + 3 * stride);
        c3.rearrange(DOWN8).blend(c11, HIGH8).intoArray(out, o + 11 * stride);
        c4.blend(c12.rearrange(UP8), HIGH8).intoArray(out, o + 4 * stride);
        c4.rearrange(DOWN8).blend(c12, HIGH8).intoArray(out, o + 12 * stride);
        c5.blend(c13.rearrange(UP8), HIGH8).intoArray(out, o + 5 * stride);
        c5.rearrange(DOWN8).blend(c13, HIGH8).intoArray(out, o + 13 * stride);
        c6.blend(c14.rearrange(UP8), HIGH8).intoArray(out, o + 6 * stride);
        c6.rearrange(DOWN8).blend(c14, HIGH8).intoArray(out, o + 14 * stride);
        c7.blend(c15.rearrange(UP8), HIGH8).intoArray(out, o + 7 * stride);
        c7.rearrange(DOWN8).blend(c15, HIGH8).intoArray(out, o + 15 * stride);
    }


    /** Slivers of MR rows: element (i, p) of sliver r at [(r * kc + p) * MR + i], zero beyond m. */
    private static void packA(Gemm.Operand a, int ic, int mc, int pc, int kc, double[] out) {
        double[] d = a.data;
        int full = mc - mc % MR;
        if (a.trans) {
            // A stored k x m: row p of the array holds element p of every row of op(A). Read it in order and
            // deal it out to the slivers (per sliver, it was a new page per p; see packB), PACK_ROWS rows at a
            // time as in packB. (With MR = 4 a sliver's row was one AVX2 vector and was copied as one; this loop
            // costs 1.2 ns per element. A 6-row sliver's row is not one vector.)
            for (int p0 = 0; p0 < kc; p0 += PACK_ROWS) {
                int p1 = Math.min(kc, p0 + PACK_ROWS);
                for (int ir = 0; ir < full; ir += MR) {
                    for (int p = p0; p < p1; p++) {
                        int src = a.off + (pc + p) * a.ld + ic + ir;
                        for (int i = 0; i < MR; i++) {
                            out[ir * kc + p * MR + i] = d[src + i];
                        }
                    }
                }
            }
            for (int p = 0; p < kc; p++) {
                int src = a.off + (pc + p) * a.ld + ic;
                for (int i = full; i < mc; i++) {
                    out[full * kc + p * MR + i - full] = d[src + i];
                }
            }
        } else {
            // (with MR = 4, an AVX2 4 x 4 transpose filled a whole sliver; a 6-row sliver is copied by element)
            for (int ir = 0; ir < mc; ir += MR) {
                int h = Math.min(MR, mc - ir);
                for (int i = 0; i < h; i++) {
                    int src = a.off + (ic + ir + i) * a.ld + pc;
                    for (int p = 0; p < kc; p++) {
                        out[ir * kc + p * MR + i] = d[src + p];
                    }
                }
            }
        }
        if (full < mc) {
            for (int p = 0; p < kc; p++) {
                for (int i = mc - full; i < MR; i++) {
                    out[full * kc + p * MR + i] = 0.0;
                }
            }
        }
    }

    /**
     * C[0..MR, 0..NR) += (A sliver) (B sliver), the tile accumulated in registers over kc; with {@code store},
     * = instead of +=. Whole tiles only: C2 (seen on JDK 25) boxed accumulators inside the loop, one
     * allocation per step, when the method also held the edge case (LeNet-5's step went from 17 to 43 ms).
     */
    private static void kernel(int kc, double[] ap, int ao, double[] bp, int bo, double[] c, int co, int ldc,
                               boolean store) {
        DoubleVector c00 = DoubleVector.zero(S);
        DoubleVector c01 = DoubleVector.zero(S);
        DoubleVector c10 = DoubleVector.zero(S);
        DoubleVector c11 = DoubleVector.zero(S);
        DoubleVector c20 = DoubleVector.zero(S);
        DoubleVector c21 = DoubleVector.zero(S);
        DoubleVector c30 = DoubleVector.zero(S);
        DoubleVector c31 = DoubleVector.zero(S);
        DoubleVector c40 = DoubleVector.zero(S);
        DoubleVector c41 = DoubleVector.zero(S);
        DoubleVector c50 = DoubleVector.zero(S);
        DoubleVector c51 = DoubleVector.zero(S);
        // B's index is the loop variable: JDK 17 then loads B straight off the counter, where with a counter p and
        // both indices computed from it (bo + p*NR, ao + p*MR) it spent 14 integer instructions per step on them.
        // A's loads keep two range checks. Same-JVM A/B, 1 thread: JDK 17 512 38.1 -> 41.4 GFLOP/s, 128x784x512
        // 37.3 -> 41.5, 784x128x512:tn 38.2 -> 42.0; JDK 25 +3-7%; the same loop on every run of either JDK.
        int end = bo + kc * NR;
        for (int bi = bo, ai = ao; bi < end; bi += NR, ai += MR) {
            DoubleVector b0 = DoubleVector.fromArray(S, bp, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, bp, bi + V);
            DoubleVector a0 = DoubleVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            DoubleVector a4 = DoubleVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            DoubleVector a5 = DoubleVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        // written out, as in directKernel; with store, C is not read (it may not be in cache: for a small kc,
        // zeroing the tile and adding cost 10-20%, 64x32x512:tn 28.5 -> 21.9-26.3 GFLOP/s)
        if (store) {
            c00.intoArray(c, co);
            c01.intoArray(c, co + V);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, co + ldc + V);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + V);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + V);
            c40.intoArray(c, co + 4 * ldc);
            c41.intoArray(c, co + 4 * ldc + V);
            c50.intoArray(c, co + 5 * ldc);
            c51.intoArray(c, co + 5 * ldc + V);
        } else {
            DoubleVector.fromArray(S, c, co).add(c00).intoArray(c, co);
            DoubleVector.fromArray(S, c, co + V).add(c01).intoArray(c, co + V);
            DoubleVector.fromArray(S, c, co + ldc).add(c10).intoArray(c, co + ldc);
            DoubleVector.fromArray(S, c, co + ldc + V).add(c11).intoArray(c, co + ldc + V);
            DoubleVector.fromArray(S, c, co + 2 * ldc).add(c20).intoArray(c, co + 2 * ldc);
            DoubleVector.fromArray(S, c, co + 2 * ldc + V).add(c21).intoArray(c, co + 2 * ldc + V);
            DoubleVector.fromArray(S, c, co + 3 * ldc).add(c30).intoArray(c, co + 3 * ldc);
            DoubleVector.fromArray(S, c, co + 3 * ldc + V).add(c31).intoArray(c, co + 3 * ldc + V);
            DoubleVector.fromArray(S, c, co + 4 * ldc).add(c40).intoArray(c, co + 4 * ldc);
            DoubleVector.fromArray(S, c, co + 4 * ldc + V).add(c41).intoArray(c, co + 4 * ldc + V);
            DoubleVector.fromArray(S, c, co + 5 * ldc).add(c50).intoArray(c, co + 5 * ldc);
            DoubleVector.fromArray(S, c, co + 5 * ldc + V).add(c51).intoArray(c, co + 5 * ldc + V);
        }
    }

    /**
     * {@link #kernel} for the top 4 rows of an MR-row sliver: a last group of 4 rows (16 = 6 + 6 + 4, LeNet-5's
     * 16 channels) written straight to C instead of computed as a 6-row edge tile and copied (the 4 x 2V kernel
     * of before MR was 6, unchanged).
     */
    private static void kernel4(int kc, double[] ap, int ao, double[] bp, int bo, double[] c, int co, int ldc,
                               boolean store) {
        DoubleVector c00 = DoubleVector.zero(S);
        DoubleVector c01 = DoubleVector.zero(S);
        DoubleVector c10 = DoubleVector.zero(S);
        DoubleVector c11 = DoubleVector.zero(S);
        DoubleVector c20 = DoubleVector.zero(S);
        DoubleVector c21 = DoubleVector.zero(S);
        DoubleVector c30 = DoubleVector.zero(S);
        DoubleVector c31 = DoubleVector.zero(S);
        // B's index is the loop variable: JDK 17 then loads B straight off the counter, where with a counter p and
        // both indices computed from it (bo + p*NR, ao + p*MR) it spent 14 integer instructions per step on them.
        // A's loads keep two range checks. Same-JVM A/B, 1 thread: JDK 17 512 38.1 -> 41.4 GFLOP/s, 128x784x512
        // 37.3 -> 41.5, 784x128x512:tn 38.2 -> 42.0; JDK 25 +3-7%; the same loop on every run of either JDK.
        int end = bo + kc * NR;
        for (int bi = bo, ai = ao; bi < end; bi += NR, ai += MR) {
            DoubleVector b0 = DoubleVector.fromArray(S, bp, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, bp, bi + V);
            DoubleVector a0 = DoubleVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        // written out, as in directKernel; with store, C is not read (it may not be in cache: for a small kc,
        // zeroing the tile and adding cost 10-20%, 64x32x512:tn 28.5 -> 21.9-26.3 GFLOP/s)
        if (store) {
            c00.intoArray(c, co);
            c01.intoArray(c, co + V);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, co + ldc + V);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + V);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + V);
        } else {
            DoubleVector.fromArray(S, c, co).add(c00).intoArray(c, co);
            DoubleVector.fromArray(S, c, co + V).add(c01).intoArray(c, co + V);
            DoubleVector.fromArray(S, c, co + ldc).add(c10).intoArray(c, co + ldc);
            DoubleVector.fromArray(S, c, co + ldc + V).add(c11).intoArray(c, co + ldc + V);
            DoubleVector.fromArray(S, c, co + 2 * ldc).add(c20).intoArray(c, co + 2 * ldc);
            DoubleVector.fromArray(S, c, co + 2 * ldc + V).add(c21).intoArray(c, co + 2 * ldc + V);
            DoubleVector.fromArray(S, c, co + 3 * ldc).add(c30).intoArray(c, co + 3 * ldc);
            DoubleVector.fromArray(S, c, co + 3 * ldc + V).add(c31).intoArray(c, co + 3 * ldc + V);
        }
    }

    /** {@link #directKernel} for the top 4 rows of an MR-row sliver (a last group of 4 rows, as m = 16 leaves). */
    private static void directKernel4(int k, double[] ap, int ao, double[] bd, int bo, int ldb, double[] c, int co, int ldc,
                                     boolean store) {
        DoubleVector c00 = DoubleVector.zero(S);
        DoubleVector c01 = DoubleVector.zero(S);
        DoubleVector c10 = DoubleVector.zero(S);
        DoubleVector c11 = DoubleVector.zero(S);
        DoubleVector c20 = DoubleVector.zero(S);
        DoubleVector c21 = DoubleVector.zero(S);
        DoubleVector c30 = DoubleVector.zero(S);
        DoubleVector c31 = DoubleVector.zero(S);
        // A's index is the loop variable, as in kernel (JDK 17, same-JVM A/B: 16x150x100 28.5 -> 31.6 GFLOP/s,
        // 6x25x784 20.8 -> 23.5; JDK 25 +0-4%)
        int end = ao + k * MR;
        for (int ai = ao, bi = bo; ai < end; ai += MR, bi += ldb) {
            DoubleVector b0 = DoubleVector.fromArray(S, bd, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, bd, bi + V);
            DoubleVector a0 = DoubleVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        // written out rather than through a helper: a call C2 did not inline (no profile yet when the loop was
        // compiled on stack) made it box the accumulators and run the loop at ~1 GFLOP/s
        if (store) {
            c00.intoArray(c, co);
            c01.intoArray(c, co + V);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, co + ldc + V);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + V);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + V);
        } else {
            DoubleVector.fromArray(S, c, co).add(c00).intoArray(c, co);
            DoubleVector.fromArray(S, c, co + V).add(c01).intoArray(c, co + V);
            DoubleVector.fromArray(S, c, co + ldc).add(c10).intoArray(c, co + ldc);
            DoubleVector.fromArray(S, c, co + ldc + V).add(c11).intoArray(c, co + ldc + V);
            DoubleVector.fromArray(S, c, co + 2 * ldc).add(c20).intoArray(c, co + 2 * ldc);
            DoubleVector.fromArray(S, c, co + 2 * ldc + V).add(c21).intoArray(c, co + 2 * ldc + V);
            DoubleVector.fromArray(S, c, co + 3 * ldc).add(c30).intoArray(c, co + 3 * ldc);
            DoubleVector.fromArray(S, c, co + 3 * ldc + V).add(c31).intoArray(c, co + 3 * ldc + V);
        }
    }

    /** C[0..mr, 0..nr) (+)= (A sliver) (B sliver) through {@link #kernel}, an edge tile via {@code edge} (MR x NR). */
    private static void tile(int kc, double[] ap, int ao, double[] bp, int bo, double[] c, int co, int ldc,
                             int mr, int nr, boolean store, double[] edge) {
        if (mr == MR && nr == NR) {
            kernel(kc, ap, ao, bp, bo, c, co, ldc, store);
            return;
        }
        if (mr == 4 && nr == NR) {
            kernel4(kc, ap, ao, bp, bo, c, co, ldc, store);
            return;
        }
        kernel(kc, ap, ao, bp, bo, edge, 0, NR, true);
        addEdge(edge, c, co, ldc, mr, nr, store);
    }

    /** C[0..mr, 0..nr) = (or +=) the top-left corner of an MR x NR tile. */
    private static void addEdge(double[] edge, double[] c, int co, int ldc, int mr, int nr, boolean store) {
        for (int i = 0; i < mr; i++) {
            for (int j = 0; j < nr; j++) {
                int ci = co + i * ldc + j;
                c[ci] = (store ? 0.0 : c[ci]) + edge[i * NR + j];
            }
        }
    }
}
