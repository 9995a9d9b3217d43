package dev.autodiff.bench;

import dev.autodiff.Linalg;
import dev.autodiff.Tensor;
import java.util.concurrent.TimeUnit;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.decomposition.chol.CholeskyDecomposition_DDRB_to_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The factorisations behind {@link Linalg} against EJML 0.46.1 (ddense, row-major {@code DMatrixRMaj}) in
 * the same run, float64, one thread (EJML's dense row-major ops are single-threaded; ours get
 * {@code -Dautodiff.threads=1} in the fork). Each side does the whole call a user makes, copies included:
 * <ul>
 *   <li>{@code solve}: A X = B with B n x n; {@code solveVector}: one right-hand side (n x 1). EJML:
 *       {@code CommonOps_DDRM.solve}, LU with partial pivoting (it copies A, as our op does).</li>
 *   <li>{@code inv}: {@code CommonOps_DDRM.invert} (LU) against {@link Linalg#inv} (LU, then n right-hand sides).</li>
 *   <li>{@code cholesky} of a symmetric positive-definite A, the factor L returned: EJML's
 *       {@code DecompositionFactory_DDRM.chol} (which picks its unblocked row-major kernel below
 *       {@code EjmlParameters.SWITCH_BLOCK64_CHOLESKY}) and, as {@code ejmlCholeskyBlock}, its blocked one
 *       ({@code CholeskyDecomposition_DDRB_to_DDRM}) at every size.</li>
 *   <li>{@code det}: {@code CommonOps_DDRM.det} (LU).</li>
 * </ul>
 * A is Gaussian (well conditioned enough that partial pivoting is stable: |X| stays O(1)); the SPD matrix is
 * {@code M M^T / n + I}.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar LinalgBenchmark -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector", "-Dautodiff.threads=1"})
public class LinalgBenchmark {
    @State(Scope.Thread)
    public static class Operands {
        @Param({"64", "256", "512"})
        int n;

        Tensor a;
        Tensor b;
        Tensor b1;
        Tensor spd;
        DMatrixRMaj ea;
        DMatrixRMaj eb;
        DMatrixRMaj eb1;
        DMatrixRMaj espd;

        @Setup
        public void setup() {
            a = Tensor.randn(1, n, n);
            b = Tensor.randn(2, n, n);
            b1 = Tensor.randn(3, n, 1);
            Tensor m = Tensor.randn(4, n, n);
            spd = m.matmul(m.transpose(-2, -1)).div(n).add(Tensor.eye(n));
            ea = new DMatrixRMaj(n, n, true, a.toArray());
            eb = new DMatrixRMaj(n, n, true, b.toArray());
            eb1 = new DMatrixRMaj(n, 1, true, b1.toArray());
            espd = new DMatrixRMaj(n, n, true, spd.toArray());
        }
    }

    @Benchmark
    public Tensor solve(Operands o) {
        return Linalg.solve(o.a, o.b);
    }

    @Benchmark
    public DMatrixRMaj ejmlSolve(Operands o) {
        DMatrixRMaj x = new DMatrixRMaj(o.n, o.n);
        if (!CommonOps_DDRM.solve(o.ea, o.eb, x)) {
            throw new IllegalStateException("singular");
        }
        return x;
    }

    @Benchmark
    public Tensor solveVector(Operands o) {
        return Linalg.solve(o.a, o.b1);
    }

    @Benchmark
    public DMatrixRMaj ejmlSolveVector(Operands o) {
        DMatrixRMaj x = new DMatrixRMaj(o.n, 1);
        if (!CommonOps_DDRM.solve(o.ea, o.eb1, x)) {
            throw new IllegalStateException("singular");
        }
        return x;
    }

    @Benchmark
    public Tensor inv(Operands o) {
        return Linalg.inv(o.a);
    }

    @Benchmark
    public DMatrixRMaj ejmlInv(Operands o) {
        DMatrixRMaj x = new DMatrixRMaj(o.n, o.n);
        if (!CommonOps_DDRM.invert(o.ea, x)) {
            throw new IllegalStateException("singular");
        }
        return x;
    }

    @Benchmark
    public Tensor cholesky(Operands o) {
        return Linalg.cholesky(o.spd);
    }

    @Benchmark
    public DMatrixRMaj ejmlCholesky(Operands o) {
        return choleskyFactor(DecompositionFactory_DDRM.chol(o.n, true), o.espd);
    }

    @Benchmark
    public DMatrixRMaj ejmlCholeskyBlock(Operands o) {
        return choleskyFactor(new CholeskyDecomposition_DDRB_to_DDRM(true), o.espd);
    }

    private static DMatrixRMaj choleskyFactor(CholeskyDecomposition_F64<DMatrixRMaj> chol, DMatrixRMaj a) {
        DMatrixRMaj work = chol.inputModified() ? a.copy() : a;
        if (!chol.decompose(work)) {
            throw new IllegalStateException("not positive-definite");
        }
        return chol.getT(null);
    }

    @Benchmark
    public Tensor det(Operands o) {
        return Linalg.det(o.a);
    }

    @Benchmark
    public double ejmlDet(Operands o) {
        return CommonOps_DDRM.det(o.ea);
    }
}
