package dev.autodiff.bench;

import dev.autodiff.Linalg;
import dev.autodiff.Tensor;
import java.util.concurrent.TimeUnit;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
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
 * {@link Linalg}'s orthogonal factorisations (Householder QR, tridiagonal QL for eigh, one-sided Jacobi for svd)
 * against EJML 0.46.1's in the same run, float64, one thread, each returning what the user asked for: Q and R
 * (reduced); eigenvalues and eigenvectors of a symmetric matrix, and the eigenvalues alone; U, S and V^T (reduced)
 * and the singular values alone. EJML: {@code DecompositionFactory_DDRM.qr}, {@code eig(n, vectors, true)}
 * (symmetric), {@code svd(m, n, vectors, vectors, true)} (compact), on a copy of A as our ops copy theirs.
 *
 * <p>Run: {@code java -jar autodiff-bench/target/benchmarks.jar OrthogonalBenchmark -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "--add-modules", "jdk.incubator.vector", "-Dautodiff.threads=1"})
public class OrthogonalBenchmark {
    @State(Scope.Thread)
    public static class Operands {
        @Param({"64", "256"})
        int n;

        Tensor a;
        Tensor sym;
        DMatrixRMaj ea;
        DMatrixRMaj esym;

        @Setup
        public void setup() {
            a = Tensor.randn(1, n, n);
            sym = a.add(a.transpose(0, 1));
            ea = new DMatrixRMaj(n, n, true, a.toArray());
            esym = new DMatrixRMaj(n, n, true, sym.toArray());
        }
    }

    @Benchmark
    public Linalg.QR qr(Operands o) {
        return Linalg.qr(o.a);
    }

    @Benchmark
    public DMatrixRMaj[] ejmlQr(Operands o) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(o.n, o.n);
        if (!qr.decompose(o.ea.copy())) {
            throw new IllegalStateException("qr failed");
        }
        return new DMatrixRMaj[] {qr.getQ(null, true), qr.getR(null, true)};
    }

    @Benchmark
    public Linalg.Eigh eigh(Operands o) {
        return Linalg.eigh(o.sym);
    }

    @Benchmark
    public EigenDecomposition_F64<DMatrixRMaj> ejmlEigh(Operands o) {
        return eig(o, true);
    }

    @Benchmark
    public Tensor eigvalsh(Operands o) {
        return Linalg.eigvalsh(o.sym);
    }

    @Benchmark
    public EigenDecomposition_F64<DMatrixRMaj> ejmlEigvalsh(Operands o) {
        return eig(o, false);
    }

    private static EigenDecomposition_F64<DMatrixRMaj> eig(Operands o, boolean vectors) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(o.n, vectors, true);
        if (!eig.decompose(o.esym.copy())) {
            throw new IllegalStateException("eig failed");
        }
        if (vectors) {
            for (int i = 0; i < o.n; i++) {
                eig.getEigenVector(i); // the vectors the user reads
            }
        }
        return eig;
    }

    @Benchmark
    public Linalg.SVD svd(Operands o) {
        return Linalg.svd(o.a, false);
    }

    @Benchmark
    public DMatrixRMaj[] ejmlSvd(Operands o) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(o.n, o.n, true, true, true);
        if (!svd.decompose(o.ea.copy())) {
            throw new IllegalStateException("svd failed");
        }
        return new DMatrixRMaj[] {svd.getU(null, false), svd.getW(null), svd.getV(null, true)};
    }

    @Benchmark
    public Tensor svdvals(Operands o) {
        return Linalg.svdvals(o.a);
    }

    @Benchmark
    public double[] ejmlSvdvals(Operands o) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(o.n, o.n, false, false, true);
        if (!svd.decompose(o.ea.copy())) {
            throw new IllegalStateException("svd failed");
        }
        return svd.getSingularValues();
    }
}
