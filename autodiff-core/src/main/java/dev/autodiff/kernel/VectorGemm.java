package dev.autodiff.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GotoBLAS-style GEMM on the Vector API. B is packed a KC x NC panel at a time into slivers NR columns
 * wide, A an MC x KC block at a time into slivers MR rows tall; the micro-kernel keeps an MR x NR tile of
 * C in registers (4 x 8 on AVX2: 8 accumulators, 2 B vectors and 1 broadcast, within the 16 ymm
 * registers; larger tiles spilled and ran at half speed in the prototype) and walks the two slivers with
 * fused multiply-adds. Sizes: a B sliver (512 x 8 x 8 B) fills the 32 KiB L1 and an A block (128 x 512 x 8 B)
 * the 512 KiB L2. KC = 256 kept both slivers in L1, but each k-block is one more pass of loads and stores
 * over C, and KC = 512 measured faster (same-JVM A/B, 1 thread, JDK 17: 512 from 34-38.6 to 38.5-40.6
 * GFLOP/s, 128x784x512 34.3 -> 38.5; JDK 25 +1-4%; 2 threads +0-5%). Loaded by name, only with the
 * incubator module.
 */
final class VectorGemm implements Gemm.Multiplier {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    static final int MR = 4;
    static final int NR = 2 * V;
    static final int KC = 512;
    static final int MC = 128;
    static final int NC = 2048;
    /** A B panel of at most this many elements (256 KiB, half of L2) is taken to be in cache when packed. */
    static final int CACHED_PANEL = 32 * 1024;
    /** The largest B (k x ldb elements, 1 MiB) read in place by products of up to 16 rows. */
    static final long DIRECT_B = 128 * 1024;

    @Override
    public void multiply(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int m, int n, int k, int tasks,
                         boolean overwrite) {
        // up to 16 rows no product is split over threads (Gemm gives it one task per 16 rows)
        if (!b.trans && m <= 4 * MR && (long) k * b.ld <= DIRECT_B) {
            // each element of B would serve at most 16 rows: packing it costs more than reading B in place
            // (a convolution's per-image product 16x150x100: 24.6 -> 28.3 GFLOP/s, same-run A/B). Only for a
            // small B: read in place, each row of B is another page for the TLB and the prefetcher, and a large
            // one ran at half the packed speed (16x1024x1024: 10.3 against 20.2, 6x2048x2048: 3.8 against 10.0)
            direct(a, b, c, cOff, n, m, n, k, overwrite);
            return;
        }
        if (b.trans && m < 2 * MR) {
            if (overwrite) {
                java.util.Arrays.fill(c, cOff, cOff + m * n, 0.0);
            }
            fewRows(a, b, c, cOff, n, m, n, k);
            return;
        }
        if (tasks > 1 && n > m) {
            // wide products (a batch of 128 rows times a layer) split by columns: each thread packs its own
            // part of B, so no packing is left serial
            Gemm.splitRows(n, NR, tasks,
                    (task, start, end) -> blocked(a, b.columns(start), c, cOff + start, n, m, end - start, k, 1, overwrite));
            return;
        }
        blocked(a, b, c, cOff, n, m, n, k, tasks, overwrite);
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
     * Few-row products with transposed B (B stored n x k), such as a gradient times a layer's weight
     * transposed: each element of C is a vectorized dot product of a row of op(A) and a row of the array B.
     */
    private static void fewRows(Gemm.Operand a, Gemm.Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
        double[] bd = b.data;
        double[] row = a.trans ? new double[k] : null;
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            double[] ad = a.data;
            int ao = a.off + i * a.ld;
            if (a.trans) {
                for (int p = 0; p < k; p++) {
                    row[p] = a.get(i, p);
                }
                ad = row;
                ao = 0;
            }
            int bound = S.loopBound(k);
            int j = 0;
            // four columns at a time: four independent FMA chains, and each A vector loaded once for four
            for (; j + 4 <= n; j += 4) {
                int b0 = b.off + j * b.ld;
                int b1 = b0 + b.ld;
                int b2 = b1 + b.ld;
                int b3 = b2 + b.ld;
                DoubleVector s0 = DoubleVector.zero(S);
                DoubleVector s1 = DoubleVector.zero(S);
                DoubleVector s2 = DoubleVector.zero(S);
                DoubleVector s3 = DoubleVector.zero(S);
                int p = 0;
                for (; p < bound; p += V) {
                    DoubleVector av = DoubleVector.fromArray(S, ad, ao + p);
                    s0 = av.fma(DoubleVector.fromArray(S, bd, b0 + p), s0);
                    s1 = av.fma(DoubleVector.fromArray(S, bd, b1 + p), s1);
                    s2 = av.fma(DoubleVector.fromArray(S, bd, b2 + p), s2);
                    s3 = av.fma(DoubleVector.fromArray(S, bd, b3 + p), s3);
                }
                double t0 = s0.reduceLanes(VectorOperators.ADD);
                double t1 = s1.reduceLanes(VectorOperators.ADD);
                double t2 = s2.reduceLanes(VectorOperators.ADD);
                double t3 = s3.reduceLanes(VectorOperators.ADD);
                for (; p < k; p++) {
                    double x = ad[ao + p];
                    t0 += x * bd[b0 + p];
                    t1 += x * bd[b1 + p];
                    t2 += x * bd[b2 + p];
                    t3 += x * bd[b3 + p];
                }
                c[ci + j] += t0;
                c[ci + j + 1] += t1;
                c[ci + j + 2] += t2;
                c[ci + j + 3] += t3;
            }
            for (; j < n; j++) {
                int bo = b.off + j * b.ld;
                DoubleVector s0 = DoubleVector.zero(S);
                int p = 0;
                for (; p < bound; p += V) {
                    s0 = DoubleVector.fromArray(S, ad, ao + p).fma(DoubleVector.fromArray(S, bd, bo + p), s0);
                }
                double t = s0.reduceLanes(VectorOperators.ADD);
                for (; p < k; p++) {
                    t += ad[ao + p] * bd[bo + p];
                }
                c[ci + j] += t;
            }
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
        for (int p = 0; p < k; p++) {
            int bi = bo + p * ldb;
            int ai = ao + p * MR;
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

    /** Slivers of NR columns: element (p, j) of sliver s at [(s * kc + p) * NR + j], zero beyond n. */
    private static void packB(Gemm.Operand b, int pc, int kc, int jc, int nc, double[] out) {
        double[] d = b.data;
        int full = nc - nc % NR;
        if (!b.trans && (long) kc * nc <= CACHED_PANEL) {
            // a panel this small was most likely just used (an LSTM's weight, step after step): one sliver at a
            // time, each written in order, was 6% faster than dealing rows out (32x64x512)
            for (int jr = 0; jr < nc; jr += NR) {
                int w = Math.min(NR, nc - jr);
                int src = b.off + pc * b.ld + jc + jr;
                for (int p = 0; p < kc; p++, src += b.ld) {
                    int o = jr * kc + p * NR;
                    if (w == NR) {
                        DoubleVector.fromArray(S, d, src).intoArray(out, o);
                        DoubleVector.fromArray(S, d, src + V).intoArray(out, o + V);
                    } else {
                        System.arraycopy(d, src, out, o, w);
                        java.util.Arrays.fill(out, o + w, o + NR, 0.0);
                    }
                }
            }
            return;
        }
        if (!b.trans) {
            // Row by row: each row of B is read in order and dealt out to the slivers, two vector copies per
            // sliver. Walking one sliver down all kc rows instead touched a new 4 KiB page per row, which the
            // hardware prefetcher does not follow: for a weight not in cache it was 1.6x slower (784 x 512).
            for (int p = 0; p < kc; p++) {
                int src = b.off + (pc + p) * b.ld + jc;
                for (int jr = 0; jr < full; jr += NR) {
                    int o = jr * kc + p * NR;
                    DoubleVector.fromArray(S, d, src + jr).intoArray(out, o);
                    DoubleVector.fromArray(S, d, src + jr + V).intoArray(out, o + V);
                }
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
            for (int p = 0; p < kc; p++) {
                int o = base + p * NR;
                for (int j = 0, q = src + p; j < w; j++, q += b.ld) {
                    out[o + j] = d[q];
                }
            }
        }
    }

    /** Slivers of MR rows: element (i, p) of sliver r at [(r * kc + p) * MR + i], zero beyond m. */
    private static void packA(Gemm.Operand a, int ic, int mc, int pc, int kc, double[] out) {
        double[] d = a.data;
        int full = mc - mc % MR;
        if (a.trans) {
            // A stored k x m: row p of the array holds element p of every row of op(A). Read it in order and
            // deal it out to the slivers (per sliver, it was a new page per p; see packB), a vector of MR at a
            // time where the vectors are that long (AVX2): the element loop cost 1.2 ns per element
            for (int p = 0; p < kc; p++) {
                int src = a.off + (pc + p) * a.ld + ic;
                for (int ir = 0; ir < full; ir += MR) {
                    if (V == MR) {
                        DoubleVector.fromArray(S, d, src + ir).intoArray(out, ir * kc + p * MR);
                    } else {
                        for (int i = 0; i < MR; i++) {
                            out[ir * kc + p * MR + i] = d[src + ir + i];
                        }
                    }
                }
                for (int i = full; i < mc; i++) {
                    out[full * kc + p * MR + i - full] = d[src + i];
                }
            }
        } else {
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
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR; // indices linear in p, so C2 can drop the range checks
            int ai = ao + p * MR;
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

    /** C[0..mr, 0..nr) (+)= (A sliver) (B sliver) through {@link #kernel}, an edge tile via {@code edge} (MR x NR). */
    private static void tile(int kc, double[] ap, int ao, double[] bp, int bo, double[] c, int co, int ldc,
                             int mr, int nr, boolean store, double[] edge) {
        if (mr == MR && nr == NR) {
            kernel(kc, ap, ao, bp, bo, c, co, ldc, store);
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
