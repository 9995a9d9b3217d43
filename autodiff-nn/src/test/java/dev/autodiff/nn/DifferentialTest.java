package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.autodiff.Autodiff;
import dev.autodiff.DType;
import dev.autodiff.Linalg;
import dev.autodiff.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The differential test against PyTorch 1.13 (float64; and a float32 set, see below): random programs written, with
 * their expected numbers, by {@code autodiff-nn/fixtures/differential.py} into {@code differential/programs.txt.gz},
 * and replayed here through the public API only (no Python at test time). Each program is its own test case, named
 * by its id, family, dtype, ops and seed (the generator's docstring describes the families and the file format).
 *
 * <p>A program is a DAG of 1-8 ops (plus, where a node would otherwise be unread, a {@code sum} and
 * {@code add} folding it into the output) over 1-3 inputs of rank 0-4, dims 0-5, operands broadcasting; the
 * "big" family has 64 to 80000 elements per tensor, so that the vector kernels, blocked matrix products and
 * threads run too. For each one this checks, against the fixture:
 * <ul>
 *   <li>the value y, by plain evaluation and as the value of {@link Autodiff#jvp} and {@link Autodiff#vjp};
 *   <li>the gradient of L = sum(y r) for the recorded cotangent r, by {@link Autodiff#grad}, by
 *       {@link Tensor#backward()} and by {@link Autodiff#vjp}'s pullback of r;
 *   <li>J v by {@link Autodiff#jvp}, and J v for 2-3 tangents at once (a tangent with one extra leading
 *       dimension);
 *   <li>the Hessian-vector product H v of L, three ways: reverse-over-reverse ({@code grad(..., createGraph)},
 *       then grad of the dot product with v), forward-over-reverse (jvp of a function computing the gradient by
 *       {@link Autodiff#valueAndGrad}; and {@link Autodiff#hvp} for one-input programs) and
 *       reverse-over-forward (grad of r . jvp); and v^T H v forward-over-forward (jvp of a jvp);
 *   <li>when the inputs hold at most 12 numbers: the full Hessian ({@link Autodiff#hessian}) of L and the
 *       Jacobian of y by {@link Autodiff#jacrev} and {@link Autodiff#jacfwd} (batched and not), all with
 *       respect to the inputs flattened and concatenated in order.
 * </ul>
 * Tolerance (float64 programs): |a - b| <= 1e-10 + 1e-9 |b| (NaN equals NaN, equal infinities are equal), every
 * result float64; for a big program's arrays, recorded as weighted sums, the same bound summed with the weights,
 * plus its first values and largest magnitude elementwise. The generator keeps a random ("generic") program only
 * if every recorded number moves by less than 1e-7 + 1e-6 |b| when the inputs move by 1e-11 relative, and keeps
 * operands of kinks, ties and comparisons either exactly on them (only where any correct implementation computes
 * the same bits) or clearly away, so that this tolerance is a fair demand of any correct float64 implementation.
 *
 * <p>Where PyTorch itself is wrong the fixture holds something else (the generator's docstring has the
 * evidence):
 * <ul>
 *   <li>{@code pow(a, b)} with exponents exactly 0 (the "powzero" family, tol=fd): PyTorch masks the gradient of
 *       the base with {@code where(b == 0, 0, ...)}, losing the cross derivative d/db (d/da a^b) = 1/a (its
 *       reverse-over-reverse and forward-over-reverse Hessians even differ). Recorded: Richardson-extrapolated
 *       central differences of PyTorch's correct first derivative, checked converged to 1e-9 and checked to
 *       differ from PyTorch's; compared here within 1e-6 + 1e-6 |b| (second order only).
 *   <li>{@code prelu}'s double backward drops the dependence on the incoming gradient when that gradient is
 *       not contiguous (prelu(x, a) * c.t(), or prelu then pad: d/dc (dL/dx) comes back 0), and
 *       {@code binary_cross_entropy}'s adds eps = 1e-12 to p and 1 - p (relative error 2e-12 / p). For every
 *       program containing either, the second order recorded is that of the same function written as a
 *       composition (where(x > 0, x, a x); -mean(t log p + (1 - t) log(1 - p)) with the -100 clamps inactive),
 *       exact, so the usual tolerance applies; the generator checks those against finite differences too.
 *   <li>{@code logsumexp}'s backward exp(x - result) with a rounded result (gradient 1 instead of 1/n for n tied
 *       elements near 1e300): recorded from m + log(sum(exp(x - m))) with the max m held constant;
 *       {@code logcumsumexp}'s likewise (wrong already near 1e15), recorded from
 *       y_i = m_i + log(sum_{j <= i} exp(x_j - m_i)) with the running max m_i held constant.
 *   <li>{@code binary_cross_entropy}'s gradient at p exactly 0 or 1 uses eps = 1e-12f (9.99999996e-13), not the
 *       documented double 1e-12: the "bce01" family is compared at 1e-8 relative.
 *   <li>{@code vector_norm}'s double backward (p other than 1, 2, +-inf) is NaN at an exact zero element for
 *       p &lt; 3 and at a lane of zeros (where the true second derivative is 0 for 2 &lt; p &lt; 3, as the library
 *       gives): such convention programs hold first order only.
 * </ul>
 *
 * <p>Issue 16's ops are replayed under the fixture's names: Tensor's elementwise math, var, std, prod, norm, the
 * scans, all/any, the selections ({@code sort}, {@code argsort}, {@code topk}, {@code kthvalue}, {@code median},
 * {@code medianDim}, and {@code ...Indices} for the index results), the movement ops ({@code chunk} and
 * {@code split} pick one piece), {@link Tensor#einsum}, and {@link Linalg}'s solve, solveTriangular, inv, det,
 * cholesky, slogdet's log|det| ({@code logAbsDet}), qr, eigh, eigvalsh, svd, svdvals, pinv, matrixNorm and
 * vectorNorm. A linear-algebra node's matrix is built inside the program from its operand a, as a + c I, or
 * a a^T + c I when spd = 1, or a + a^T + c I when sym = 1 (see {@link #shifted}), so that it is well conditioned
 * (or symmetric). Eigenvectors and singular vectors are unique only up to sign, so eigh and svd are read through
 * sign-invariant functions of their results ({@link #eighOut}, {@link #svdOut}); qr's Q and R (LAPACK's signs)
 * as they are. The "linval" family (values only) has qr's non-differentiable modes (mode "r", "complete" with
 * m &gt; n), where differentiating must throw naming qr, as PyTorch raises, and eigh/eigvalsh of matrices that are
 * not symmetric.
 *
 * <p>The float32 programs (marked {@code dtype=float32}; the generator's docstring and its TOL32 and check32 have
 * the details): generic and big programs over every op but those whose result is an index ({@link #INDEX_OPS}: the
 * library keeps indices float64, exact above 2^24, so a program reading one as a number would turn float64 where
 * PyTorch's int64 and float32 make float32), with float32-exact inputs, constants, cotangent and tangents, built
 * here as float32 tensors and run in float32. Every check above then also demands that each value, gradient,
 * tangent, Hessian-vector product, Hessian and Jacobian be float32, within |a - b| <= 1e-5 + 1e-4 |b| of PyTorch's
 * float64 results on the same inputs (big programs, whose elements are float32 reductions over up to 80000 terms:
 * 3e-5 + 3e-4 |b|, summed as above; a big program's v^T H v within the hvp's bound summed with the weights |v_i|,
 * see {@link Program#vhvTol}). float32's unit roundoff being 6e-8, that leaves a result of up to 8 ops a condition
 * number of about 100. The generator keeps a float32 program only if PyTorch's own float32 run is within half that
 * tolerance, and so are float64 runs with 2-4 float32 ulps of noise on every operand of every node: so that any
 * correct float32 implementation can meet it, and ill-conditioned programs are filtered there, not special-cased
 * here. The float32 set must hold at least {@value #MIN_FLOAT32_PROGRAMS} small and {@value #MIN_FLOAT32_BIG} big
 * programs, {@value #MIN_FLOAT32_GEMM} of them with a matrix product of 96^3 multiply-adds or more and
 * {@value #MIN_FLOAT32_THREADED} with 65536-element inputs (the library's float32 GEMM, vector kernels and threads),
 * and cover every op but the index ones.
 *
 * <p>Besides the programs: the number loaded must be the header's count and at least {@value #MIN_PROGRAMS},
 * and every op this replayer knows (every public Tensor op and nn functional) must occur in some program.
 */
class DifferentialTest {
    static final int MIN_PROGRAMS = 5000;
    static final int MIN_FLOAT32_PROGRAMS = 400;
    static final int MIN_FLOAT32_BIG = 150;
    /** Big float32 programs with a matrix product of at least 96^3 multiply-adds (threaded blocked GEMM). */
    static final int MIN_FLOAT32_GEMM = 10;
    /** Big float32 programs with an input of at least 65536 elements (threaded elementwise ops and reductions). */
    static final int MIN_FLOAT32_THREADED = 30;
    /** The ops whose result is an index, kept out of the float32 programs (see the class comment). */
    static final Set<String> INDEX_OPS = Set.of("argmax", "argmin", "argsort", "topkIndices", "kthvalueIndices",
            "medianDimIndices");
    static final String RESOURCE = "/differential/programs.txt.gz";

    /** The ops this replayer maps onto the library, by the fixture's names. */
    static final Set<String> OPS = new TreeSet<>(List.of(
            "add", "sub", "mul", "div", "pow", "maximum", "minimum",
            "addScalar", "subScalar", "mulScalar", "divScalar", "powScalar", "maximumScalar", "minimumScalar", "rsub",
            "neg", "exp", "log", "reciprocal", "sqrt", "square", "tanh", "sigmoid", "relu", "abs", "erf", "softplus",
            "sign", "detach", "clamp",
            "gt", "ge", "lt", "le", "eq", "ne", "gtScalar", "geScalar", "ltScalar", "leScalar", "eqScalar", "neScalar",
            "where", "matmul", "matmulTransA", "matmulTransB", "addmm",
            "sum", "mean", "max", "min", "logSumExp", "argmax", "argmin", "softmax", "logSoftmax", "sumTo",
            "reshape", "flatten", "unsqueeze", "squeeze", "permute", "transpose", "broadcastTo", "slice", "sliceAll",
            "concat", "stack", "pad", "indexSelect", "indexAdd", "gather", "scatterAdd", "unfold", "fold",
            "act.sigmoid", "act.tanh", "act.relu", "act.leakyRelu", "act.elu", "act.selu", "act.softplus", "act.swish",
            "act.gelu", "act.hardSigmoid", "act.hardTanh", "act.softmax", "act.logSoftmax", "act.prelu",
            "loss.mse", "loss.bce", "loss.bceWithLogits", "loss.crossEntropy", "loss.nll", "loss.l1Penalty",
            "loss.l2Penalty",
            // issue 16's
            "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log1p", "expm1",
            "log2", "log10", "exp2", "rsqrt", "floor", "ceil", "round", "trunc", "atan2", "hypot", "logaddexp", "xlogy",
            "var", "std", "prod", "norm", "cumsum", "cumprod", "logcumsumexp", "all", "any",
            "sort", "argsort", "topk", "topkIndices", "kthvalue", "kthvalueIndices", "median", "medianDim",
            "medianDimIndices",
            "flip", "roll", "repeat", "tile", "repeatInterleave", "tril", "triu", "diag", "diagonal", "trace", "chunk",
            "split", "maskedFill", "einsum",
            "solve", "solveTriangular", "inv", "det", "logAbsDet", "cholesky",
            "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrixNorm", "vectorNorm"));

    private static final Fixture FIXTURE = Fixture.load();

    // ============================================================================== the tests

    @TestFactory
    Stream<DynamicTest> programs() {
        return FIXTURE.programs.stream().map(p -> DynamicTest.dynamicTest(p.title(), () -> replay(p)));
    }

    @Test
    void everyProgramIsLoaded() {
        assertEquals(FIXTURE.count, FIXTURE.programs.size(), "programs in " + RESOURCE + " vs its header's count");
        assertTrue(FIXTURE.programs.size() >= MIN_PROGRAMS,
                "only " + FIXTURE.programs.size() + " programs, expected at least " + MIN_PROGRAMS);
    }

    @Test
    void everyOpIsCovered() {
        Set<String> used = new TreeSet<>();
        for (Program p : FIXTURE.programs) {
            for (Node n : p.nodes) {
                used.add(n.op);
            }
        }
        Set<String> never = new TreeSet<>(OPS);
        never.removeAll(used);
        assertTrue(never.isEmpty(), "ops never covered by any program: " + never);
        Set<String> unknown = new TreeSet<>(used);
        unknown.removeAll(OPS);
        assertTrue(unknown.isEmpty(), "ops in the fixture this replayer does not know: " + unknown);
        assertEquals(OPS, new TreeSet<>(FIXTURE.headerOps), "the generator's op list vs the replayer's");
    }

    @Test
    void theFloat32SetCoversEveryNonIndexOp() {
        int small = 0;
        int big = 0;
        Set<String> used = new TreeSet<>();
        for (Program p : FIXTURE.programs) {
            if (p.dtype == DType.FLOAT32) {
                if ("big".equals(p.family)) {
                    big++;
                } else {
                    small++;
                }
                for (Node n : p.nodes) {
                    used.add(n.op);
                }
            }
        }
        assertTrue(small >= MIN_FLOAT32_PROGRAMS, "only " + small + " small float32 programs, expected at least "
                + MIN_FLOAT32_PROGRAMS);
        assertTrue(big >= MIN_FLOAT32_BIG, "only " + big + " big float32 programs, expected at least "
                + MIN_FLOAT32_BIG);
        int gemm = 0;
        int threaded = 0;
        for (Program p : FIXTURE.programs) {
            if (p.dtype != DType.FLOAT32 || !"big".equals(p.family)) {
                continue;
            }
            boolean large = false;
            for (Arr a : p.inputs) {
                large |= size(a.shape) >= 65536;
            }
            threaded += large ? 1 : 0;
            if (gemm >= MIN_FLOAT32_GEMM
                    || p.nodes.stream().noneMatch(n -> n.op.startsWith("matmul") || "addmm".equals(n.op))) {
                continue; // (enough seen, or none here: spare the forward pass)
            }
            Map<String, Tensor> env = new HashMap<>();
            p.run(env, p.plain());
            long most = 0;
            for (Node n : p.nodes) {
                if (n.op.startsWith("matmul") || "addmm".equals(n.op)) {
                    Tensor x = env.get(n.args.get("addmm".equals(n.op) ? 1 : 0));
                    Tensor y = env.get(n.ref);
                    // (multiply-adds per matrix of the result: its rows times columns times the inner dimension)
                    int k = "matmulTransA".equals(n.op) ? x.dim(-2) : x.dim(-1);
                    most = Math.max(most, y.rank() < 2 ? 0 : (long) y.dim(-2) * y.dim(-1) * k);
                }
            }
            gemm += most >= 96L * 96 * 96 ? 1 : 0;
        }
        assertTrue(gemm >= MIN_FLOAT32_GEMM, "only " + gemm + " big float32 programs with a 96^3 matrix product");
        assertTrue(threaded >= MIN_FLOAT32_THREADED, "only " + threaded + " big float32 programs with 65536 elements");
        Set<String> never = new TreeSet<>(OPS);
        never.removeAll(INDEX_OPS);
        never.removeAll(used);
        assertTrue(never.isEmpty(), "ops never covered by a float32 program: " + never);
    }

    // ============================================================================== replaying one program

    private static final double ATOL = 1e-10;
    private static final double RTOL = 1e-9;
    // float32 programs (the generator's TOL32, where the reasoning is): small ones, and big ones (reductions over up
    // to 80000 float32 terms)
    private static final double ATOL32 = 1e-5;
    private static final double RTOL32 = 1e-4;
    private static final double ATOL32_BIG = 3e-5;
    private static final double RTOL32_BIG = 3e-4;

    /** A tolerance, |a - b| <= atol + rtol |b|, and the dtype every checked tensor must have. */
    private record Tol(double atol, double rtol, DType dtype) {
    }

    private static void replay(Program p) {
        List<String> failures = new ArrayList<>();
        Tol first;
        Tol second;
        if (p.dtype == DType.FLOAT32) {
            first = "big".equals(p.family) ? new Tol(ATOL32_BIG, RTOL32_BIG, p.dtype)
                    : new Tol(ATOL32, RTOL32, p.dtype);
            second = first;
        } else {
            first = new Tol(ATOL, "bce01".equals(p.tol) ? 1e-8 : RTOL, p.dtype);
            second = "fd".equals(p.tol) ? new Tol(1e-6, 1e-6, p.dtype) : first;
        }
        int n = p.inputs.size();
        if (p.valueOnly) {
            attempt(failures, "value", () -> compare(failures, "y", p.y, p.run(p.plain()), first));
            if ("linval".equals(p.family)) {
                attempt(failures, "qr's modes without derivatives", () -> qrRefusesDerivatives(p, failures));
            }
            if (!failures.isEmpty()) {
                fail(p.title() + ": " + failures.size() + " mismatch(es)\n  " + String.join("\n  ", failures)
                        + "\nprogram:\n" + p.listing());
            }
            return;
        }
        Tensor r = p.r.tensor(p.dtype);

        attempt(failures, "value and Autodiff.grad", () -> {
            Tensor[] xs = p.leaves();
            Tensor y = p.run(xs);
            compare(failures, "y", p.y, y, first);
            Tensor loss = y.mul(r).sum();
            Tensor[] g = loss.needsGrad() ? Autodiff.grad(loss, xs) : p.zerosLikeInputs();
            for (int i = 0; i < n; i++) {
                compare(failures, "grad[" + i + "]", p.grads.get(i), g[i], first);
            }
        });
        attempt(failures, "backward()", () -> {
            Tensor[] xs = p.leaves();
            Tensor loss = p.run(xs).mul(r).sum();
            if (!loss.needsGrad()) {
                return;
            }
            loss.backward();
            for (int i = 0; i < n; i++) {
                Tensor g = xs[i].grad() == null ? Tensor.zeros(p.dtype, p.inputs.get(i).shape) : xs[i].grad();
                compare(failures, "backward grad[" + i + "]", p.grads.get(i), g, first);
            }
        });
        attempt(failures, "Autodiff.vjp", () -> {
            Autodiff.Vjp vjp = Autodiff.vjp(xs -> p.run(xs), p.plain());
            compare(failures, "vjp value", p.y, vjp.value(), first);
            Tensor[] g = vjp.pullback(r);
            for (int i = 0; i < n; i++) {
                compare(failures, "vjp pullback[" + i + "]", p.grads.get(i), g[i], first);
            }
        });
        attempt(failures, "Autodiff.jvp", () -> {
            Autodiff.Jvp j = Autodiff.jvp(xs -> p.run(xs), p.plain(), tensors(p.vs, p.dtype));
            compare(failures, "jvp value", p.y, j.value(), first);
            compare(failures, "jvp", p.jvp, j.tangent(), first);
        });
        attempt(failures, "Autodiff.jvp batched", () -> {
            Autodiff.Jvp j = Autodiff.jvp(xs -> p.run(xs), p.plain(), tensors(p.vbs, p.dtype));
            compare(failures, "batched jvp", p.jvpb, j.tangent(), first);
        });
        if (p.hvps != null) {
            attempt(failures, "hvp reverse-over-reverse", () -> {
                Tensor[] xs = p.leaves();
                Tensor loss = p.run(xs).mul(r).sum();
                Tensor[] hv = p.zerosLikeInputs();
                if (loss.needsGrad()) {
                    Tensor[] g = Autodiff.grad(loss, true, xs);
                    Tensor s = null;
                    for (int i = 0; i < n; i++) {
                        if (g[i].needsGrad()) {
                            Tensor t = g[i].mul(p.vs.get(i).tensor(p.dtype)).sum();
                            s = s == null ? t : s.add(t);
                        }
                    }
                    if (s != null && s.needsGrad()) {
                        hv = Autodiff.grad(s, xs);
                    }
                }
                for (int i = 0; i < n; i++) {
                    compare(failures, "hvp RoR[" + i + "]", p.hvps.get(i), hv[i], second);
                }
            });
            attempt(failures, "hvp forward-over-reverse", () -> {
                Tensor flat = Autodiff.jvp(xs -> flatConcat(
                        Autodiff.valueAndGrad(ws -> p.run(ws).mul(r).sum(), xs).grads()), p.plain(), tensors(p.vs, p.dtype)).tangent();
                compareFlat(failures, "hvp FoR", p.hvps, flat, second);
            });
            attempt(failures, "hvp reverse-over-forward", () -> {
                Tensor[] xs = p.leaves();
                Tensor s = Autodiff.jvp(ws -> p.run(ws), xs, tensors(p.vs, p.dtype)).tangent().mul(r).sum();
                Tensor[] hv = s.needsGrad() ? Autodiff.grad(s, xs) : p.zerosLikeInputs();
                for (int i = 0; i < n; i++) {
                    compare(failures, "hvp RoF[" + i + "]", p.hvps.get(i), hv[i], second);
                }
            });
            attempt(failures, "vHv forward-over-forward", () -> {
                Tensor[] vs = tensors(p.vs, p.dtype);
                Tensor vhv = Autodiff.jvp(xs -> Autodiff.jvp(ws -> p.run(ws).mul(r).sum(), xs, vs).tangent(),
                        p.plain(), vs).tangent();
                compare(failures, "vHv FoF", p.vhv, vhv, p.vhvTol(second));
            });
            if (n == 1) {
                attempt(failures, "Autodiff.hvp", () -> {
                    Tensor hv = Autodiff.hvp(x -> p.run(x).mul(r).sum(), p.plain()[0], p.vs.get(0).tensor(p.dtype));
                    compare(failures, "Autodiff.hvp", p.hvps.get(0), hv, second);
                });
            }
        }
        if (p.hess != null) {
            attempt(failures, "Autodiff.hessian", () -> {
                Tensor h = Autodiff.hessian(z -> p.run(p.split(z)).mul(r).sum(), p.flatInputs());
                compare(failures, "hessian", p.hess, h, second);
            });
        }
        if (p.jac != null) {
            int[] jShape = concat(p.y.shape, new int[] {p.totalInputSize()});
            Arr expected = new Arr(jShape, p.jac.data);
            Function<Tensor, Tensor> f = z -> p.run(p.split(z));
            attempt(failures, "Autodiff.jacrev", () -> compare(failures, "jacrev", expected,
                    Autodiff.jacrev(f, p.flatInputs()), first));
            attempt(failures, "Autodiff.jacfwd", () -> compare(failures, "jacfwd", expected,
                    Autodiff.jacfwd(f, p.flatInputs()), first));
            attempt(failures, "Autodiff.jacfwd unbatched", () -> compare(failures, "jacfwd unbatched", expected,
                    Autodiff.jacfwd(f, p.flatInputs(), false), first));
        }
        if (!failures.isEmpty()) {
            fail(p.title() + ": " + failures.size() + " mismatch(es)\n  " + String.join("\n  ", failures)
                    + "\nprogram:\n" + p.listing());
        }
    }

    private interface Check {
        void run();
    }

    /**
     * In a linval program with qr in mode "r", or "complete" with m &gt; n, differentiating (reverse or forward)
     * must throw naming qr, as PyTorch 1.13 raises there (the generator's selftest shows it).
     */
    private static void qrRefusesDerivatives(Program p, List<String> failures) {
        Map<String, Tensor> env = new HashMap<>();
        p.run(env, p.plain());
        boolean refused = false;
        for (Node n : p.nodes) {
            Tensor a = env.get(n.args.get(0));
            refused |= "qr".equals(n.op) && ("r".equals(n.s("mode")) || "complete".equals(n.s("mode")) && a.dim(-2) > a.dim(-1));
        }
        if (!refused) {
            return;
        }
        Tensor[] tangents = p.plain();
        for (int i = 0; i < tangents.length; i++) {
            tangents[i] = Tensor.ones(tangents[i].shape());
        }
        List<Check> ways = List.of(
                () -> {
                    Tensor[] xs = p.leaves();
                    Autodiff.grad(p.run(xs).sum(), xs);
                },
                () -> Autodiff.jvp(xs -> p.run(xs), p.plain(), tangents));
        for (int w = 0; w < ways.size(); w++) {
            String what = w == 0 ? "Autodiff.grad" : "Autodiff.jvp";
            try {
                ways.get(w).run();
                failures.add(what + " through qr without derivatives did not throw");
            } catch (IllegalStateException e) {
                // run() wraps a node's exception with the node
                Throwable c = e.getCause();
                if (!(c instanceof IllegalArgumentException) || !c.getMessage().startsWith("qr: ")) {
                    failures.add(what + " threw " + e + ", expected an IllegalArgumentException naming qr");
                }
            } catch (IllegalArgumentException e) {
                if (!e.getMessage().startsWith("qr: ")) {
                    failures.add(what + " threw " + e + ", expected an IllegalArgumentException naming qr");
                }
            }
        }
    }

    private static void attempt(List<String> failures, String what, Check c) {
        try {
            c.run();
        } catch (RuntimeException | AssertionError e) {
            failures.add(what + " threw " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static Tensor[] tensors(List<Arr> arrs, DType dtype) {
        Tensor[] t = new Tensor[arrs.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = arrs.get(i).tensor(dtype);
        }
        return t;
    }

    private static Tensor flatConcat(Tensor[] ts) {
        Tensor[] flat = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            flat[i] = ts[i].reshape(ts[i].size());
        }
        return Tensor.concat(0, flat);
    }

    private static boolean close(double e, double a, double atol, double rtol) {
        if (Double.isNaN(e) && Double.isNaN(a)) {
            return true;
        }
        if (e == a) {
            return true;
        }
        return Math.abs(a - e) <= atol + rtol * Math.abs(e);
    }

    private static void compare(List<String> failures, String what, Arr expected, Tensor actual, Tol tol) {
        if (actual.dtype() != tol.dtype()) {
            failures.add(what + ": dtype " + actual.dtype() + ", expected " + tol.dtype());
        }
        if (!Arrays.equals(expected.shape, actual.shape())) {
            failures.add(what + ": shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape));
            return;
        }
        if (expected.proj != null) {
            compareProjections(failures, what, expected.proj, actual.toArray(), tol.atol(), tol.rtol());
            return;
        }
        compareData(failures, what, expected.data, actual.toArray(), tol.atol(), tol.rtol());
    }

    /** The projection weights of the generator's project(): multiples of 1/4 in [-1.5, 1.5]. */
    static double weight(int k, int i) {
        return ((i * (2L * k + 1) * 7 + 3L * k + 1) % 13 - 6) / 4.0;
    }

    /**
     * A big array against its recorded projections p_k = sum_i w_k(i) b_i (within atol sum |w_k| + rtol
     * sum |w_k b_i|, what the elementwise tolerance allows), its largest magnitude, its NaN count and its first
     * values (elementwise).
     */
    private static void compareProjections(List<String> failures, String what, double[] proj, double[] a, double atol,
                                           double rtol) {
        List<String> bad = new ArrayList<>();
        for (int k = 0; k < PROJ; k++) {
            double p = 0;
            double w = 0;
            for (int i = 0; i < a.length; i++) {
                double wi = weight(k, i);
                p += wi * a[i];
                w += Math.abs(wi);
            }
            double e = proj[k];
            double tol = atol * w + rtol * proj[PROJ + k] + 1e-14 * proj[PROJ + k];
            if (!(Double.isNaN(e) && Double.isNaN(p)) && !(e == p) && !(Math.abs(p - e) <= tol)) {
                bad.add("projection " + k + " expected " + e + " got " + p + " (tolerance " + String.format("%.3g", tol) + ")");
            }
        }
        double max = 0;
        int nans = 0;
        for (double v : a) {
            if (Double.isNaN(v)) {
                nans++;
            } else {
                max = Math.max(max, Math.abs(v));
            }
        }
        if (!close(proj[2 * PROJ], max, atol, rtol)) {
            bad.add("largest magnitude expected " + proj[2 * PROJ] + " got " + max);
        }
        if (nans != (int) proj[2 * PROJ + 1]) {
            bad.add(nans + " NaNs, expected " + (int) proj[2 * PROJ + 1]);
        }
        int head = proj.length - 2 * PROJ - 2;
        for (int i = 0; i < head && i < a.length; i++) {
            double e = proj[2 * PROJ + 2 + i];
            if (!close(e, a[i], atol, rtol)) {
                bad.add("[" + i + "] expected " + e + " got " + a[i]);
            }
        }
        if (!bad.isEmpty()) {
            failures.add(what + " (" + a.length + " elements, by projection): " + String.join(", ", bad));
        }
    }

    static final int PROJ = 4;

    private static void compareFlat(List<String> failures, String what, List<Arr> expected, Tensor actual, Tol tol) {
        if (actual.dtype() != tol.dtype()) {
            failures.add(what + ": dtype " + actual.dtype() + ", expected " + tol.dtype());
        }
        int total = 0;
        for (Arr a : expected) {
            total += size(a.shape);
        }
        if (!Arrays.equals(new int[] {total}, actual.shape())) {
            failures.add(what + ": shape " + Arrays.toString(actual.shape()) + ", expected [" + total + "]");
            return;
        }
        double[] flat = actual.toArray();
        int off = 0;
        for (int i = 0; i < expected.size(); i++) {
            Arr e = expected.get(i);
            int n = size(e.shape);
            double[] part = Arrays.copyOfRange(flat, off, off + n);
            off += n;
            // (part holds the flat tensor's values exactly, so back in its dtype they are the same numbers)
            Tensor t = e.shape.length == 0 ? Tensor.scalar(part[0]) : Tensor.fromArray(part, e.shape);
            compare(failures, what + "[" + i + "]", e, t.to(tol.dtype()), tol);
        }
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    private static void compareData(List<String> failures, String what, double[] e, double[] a, double atol, double rtol) {
        int bad = 0;
        StringBuilder sb = new StringBuilder();
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            if (!close(e[i], a[i], atol, rtol)) {
                if (bad < 4) {
                    sb.append(bad == 0 ? "" : ", ").append('[').append(i).append("] expected ").append(e[i])
                            .append(" got ").append(a[i]);
                }
                double d = Math.abs(a[i] - e[i]) / (atol + rtol * Math.abs(e[i]));
                worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
                bad++;
            }
        }
        if (bad > 0) {
            failures.add(what + ": " + bad + " of " + e.length + " elements differ (worst " + String.format("%.3g", worst)
                    + "x the tolerance): " + sb + (bad > 4 ? ", ..." : ""));
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] s = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, s, a.length, b.length);
        return s;
    }

    // ============================================================================== the fixture

    /** An array of the fixture: a shape and its values in row-major order. */
    record Arr(int[] shape, double[] data, double[] proj) {
        Arr(int[] shape, double[] data) {
            this(shape, data, null);
        }

        /** The generator's formula(): (i A + B) mod M / D + O, times F where (7 i + B) mod 3 == 0. */
        static Arr formula(String[] f, int from) {
            int[] shape = parseShape(f[from]);
            long a = Long.parseLong(f[from + 1]);
            long b = Long.parseLong(f[from + 2]);
            long m = Long.parseLong(f[from + 3]);
            double d = Double.parseDouble(f[from + 4]);
            double o = Double.parseDouble(f[from + 5]);
            double sign = Double.parseDouble(f[from + 6]);
            int n = 1;
            for (int s : shape) {
                n *= s;
            }
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = (double) ((i * a + b) % m) / d + o;
                if (sign != 1 && (7L * i + b) % 3 == 0) {
                    v[i] *= sign;
                }
            }
            return new Arr(shape, v);
        }

        /** The generator's project(): PROJ projections, their magnitude sums, the largest magnitude, NaNs, head. */
        static Arr projections(String[] f, int from) {
            int[] shape = parseShape(f[from]);
            double[] p = new double[f.length - from - 1];
            for (int i = 0; i < p.length; i++) {
                p[i] = Double.parseDouble(f[from + 1 + i]);
            }
            return new Arr(shape, null, p);
        }

        /** The values in the given dtype (float32: rounded, exact for the fixture's float32-exact arrays). */
        Tensor tensor(DType dtype) {
            return (shape.length == 0 ? Tensor.scalar(data[0]) : Tensor.fromArray(data, shape)).to(dtype);
        }

        /** Whether every value is a float32 (as a float32 program's inputs, constants, cotangent and tangents). */
        boolean float32Exact() {
            for (double v : data) {
                if ((double) (float) v != v && !Double.isNaN(v)) {
                    return false;
                }
            }
            return true;
        }

        static Arr parse(String[] f, int from) {
            int[] shape = parseShape(f[from]);
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            if (f.length - from - 1 != n) {
                throw new IllegalStateException("array of shape " + Arrays.toString(shape) + " has " + (f.length - from - 1)
                        + " values");
            }
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = Double.parseDouble(f[from + 1 + i]);
            }
            return new Arr(shape, v);
        }

        static int[] parseShape(String s) {
            if (s.equals("_")) {
                return new int[0];
            }
            return ints(s);
        }
    }

    static int[] ints(String s) {
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] p = s.split(",");
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Integer.parseInt(p[i]);
        }
        return out;
    }

    record Node(String ref, String op, List<String> args, Map<String, String> params) {
        double d(String k) {
            return Double.parseDouble(need(k));
        }

        int i(String k) {
            return Integer.parseInt(need(k));
        }

        int[] is(String k) {
            return ints(need(k));
        }

        boolean b(String k) {
            return i(k) != 0;
        }

        String s(String k) {
            return need(k);
        }

        boolean has(String k) {
            return params.containsKey(k);
        }

        private String need(String k) {
            String v = params.get(k);
            if (v == null) {
                throw new IllegalStateException("node " + ref + " (" + op + ") lacks parameter " + k);
            }
            return v;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(ref).append(" = ").append(op).append('(').append(String.join(", ", args));
            params.forEach((k, v) -> sb.append(", ").append(k).append('=').append(v));
            return sb.append(')').toString();
        }
    }

    static final class Program {
        int id;
        String family;
        String tol;
        String seed;
        String ops;
        DType dtype = DType.FLOAT64;
        final List<Arr> inputs = new ArrayList<>();
        final List<Arr> consts = new ArrayList<>();
        final List<Node> nodes = new ArrayList<>();
        Arr y;
        Arr r;
        final List<Arr> grads = new ArrayList<>();
        final List<Arr> vs = new ArrayList<>();
        Arr jvp;
        final List<Arr> vbs = new ArrayList<>();
        Arr jvpb;
        List<Arr> hvps;
        Arr vhv;
        /** A big float32 program's sum |(H v)_i v_i|, for the tolerance of v^T H v (see {@link #vhvTol}). */
        Arr vhvAbs;
        Arr hess;
        boolean valueOnly;
        Arr jac;

        String title() {
            return String.format("p%04d %s%s [%s] seed=%s%s", id, family, dtype == DType.FLOAT32 ? " float32" : "", ops, seed,
                    "strict".equals(tol) ? "" : " tol=" + tol);
        }

        String listing() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < inputs.size(); i++) {
                sb.append("  x").append(i).append(" = ").append(show(inputs.get(i))).append('\n');
            }
            for (int i = 0; i < consts.size(); i++) {
                sb.append("  c").append(i).append(" = ").append(show(consts.get(i))).append('\n');
            }
            for (Node n : nodes) {
                sb.append("  ").append(n).append('\n');
            }
            if (r != null) {
                sb.append("  r = ").append(show(r)).append('\n');
            }
            for (int i = 0; i < vs.size(); i++) {
                sb.append("  v").append(i).append(" = ").append(show(vs.get(i))).append('\n');
            }
            return sb.toString();
        }

        private static String show(Arr a) {
            String vals = a.data == null ? "(projections) " + Arrays.toString(a.proj) : Arrays.toString(a.data);
            if (vals.length() > 600) {
                vals = vals.substring(0, 600) + "...";
            }
            return "shape " + Arrays.toString(a.shape) + " " + vals;
        }

        /**
         * The tolerance of v^T H v: the given one, but for a big float32 program, whose v^T H v sums thousands of
         * terms, the hvp's bound summed with the weights |v_i|, atol sum |v_i| + rtol sum |(H v)_i v_i| (as a
         * projection's): float32's rounding of the sum grows with its terms, not with the sum.
         */
        Tol vhvTol(Tol t) {
            if (vhvAbs == null) {
                return t;
            }
            double vAbs = 0;
            for (Arr v : vs) {
                for (double d : v.tensor(dtype).toArray()) {
                    vAbs += Math.abs(d);
                }
            }
            return new Tol(t.atol() * vAbs + t.rtol() * vhvAbs.data[0], 0, t.dtype());
        }

        Tensor[] leaves() {
            Tensor[] xs = new Tensor[inputs.size()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = inputs.get(i).tensor(dtype).requiresGrad();
            }
            return xs;
        }

        Tensor[] plain() {
            Tensor[] xs = new Tensor[inputs.size()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = inputs.get(i).tensor(dtype);
            }
            return xs;
        }

        Tensor[] zerosLikeInputs() {
            Tensor[] z = new Tensor[inputs.size()];
            for (int i = 0; i < z.length; i++) {
                z[i] = Tensor.zeros(dtype, inputs.get(i).shape);
            }
            return z;
        }

        int totalInputSize() {
            int n = 0;
            for (Arr a : inputs) {
                n += a.data.length;
            }
            return n;
        }

        Tensor flatInputs() {
            double[] z = new double[totalInputSize()];
            int off = 0;
            for (Arr a : inputs) {
                System.arraycopy(a.data, 0, z, off, a.data.length);
                off += a.data.length;
            }
            return Tensor.fromArray(z, z.length).to(dtype);
        }

        /** The inputs as slices of one flat vector (for the Hessian and the Jacobians). */
        Tensor[] split(Tensor z) {
            Tensor[] xs = new Tensor[inputs.size()];
            int off = 0;
            for (int i = 0; i < xs.length; i++) {
                int n = inputs.get(i).data.length;
                xs[i] = z.slice(0, off, off + n).reshape(inputs.get(i).shape);
                off += n;
            }
            return xs;
        }

        /** Evaluates the program on the given inputs. */
        Tensor run(Tensor... xs) {
            return run(new HashMap<>(), xs);
        }

        /** Runs the program, leaving every input's, constant's and node's value in env. */
        Tensor run(Map<String, Tensor> env, Tensor... xs) {
            for (int i = 0; i < xs.length; i++) {
                env.put("x" + i, xs[i]);
            }
            for (int i = 0; i < consts.size(); i++) {
                env.put("c" + i, consts.get(i).tensor(dtype));
            }
            Tensor last = null;
            for (Node n : nodes) {
                Tensor[] a = new Tensor[n.args.size()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = env.get(n.args.get(i));
                }
                try {
                    last = apply(n, a);
                } catch (RuntimeException e) {
                    throw new IllegalStateException(n + ": " + e, e);
                }
                env.put(n.ref, last);
            }
            return last;
        }
    }

    /** One op of a program, through the library's public API. */
    static Tensor apply(Node n, Tensor[] a) {
        switch (n.op) {
            case "add": return a[0].add(a[1]);
            case "sub": return a[0].sub(a[1]);
            case "mul": return a[0].mul(a[1]);
            case "div": return a[0].div(a[1]);
            case "pow": return a[0].pow(a[1]);
            case "maximum": return a[0].maximum(a[1]);
            case "minimum": return a[0].minimum(a[1]);
            case "addScalar": return a[0].add(n.d("c"));
            case "subScalar": return a[0].sub(n.d("c"));
            case "mulScalar": return a[0].mul(n.d("c"));
            case "divScalar": return a[0].div(n.d("c"));
            case "powScalar": return a[0].pow(n.d("c"));
            case "maximumScalar": return a[0].maximum(n.d("c"));
            case "minimumScalar": return a[0].minimum(n.d("c"));
            case "rsub": return a[0].rsub(n.d("c"));
            case "neg": return a[0].neg();
            case "exp": return a[0].exp();
            case "log": return a[0].log();
            case "reciprocal": return a[0].reciprocal();
            case "sqrt": return a[0].sqrt();
            case "square": return a[0].square();
            case "tanh": return a[0].tanh();
            case "sigmoid": return a[0].sigmoid();
            case "relu": return a[0].relu();
            case "abs": return a[0].abs();
            case "erf": return a[0].erf();
            case "softplus": return a[0].softplus();
            case "sign": return a[0].sign();
            case "detach": return a[0].detach();
            case "clamp": return a[0].clamp(n.d("lo"), n.d("hi"));
            case "gt": return a[0].gt(a[1]);
            case "ge": return a[0].ge(a[1]);
            case "lt": return a[0].lt(a[1]);
            case "le": return a[0].le(a[1]);
            case "eq": return a[0].eq(a[1]);
            case "ne": return a[0].ne(a[1]);
            case "gtScalar": return a[0].gt(n.d("c"));
            case "geScalar": return a[0].ge(n.d("c"));
            case "ltScalar": return a[0].lt(n.d("c"));
            case "leScalar": return a[0].le(n.d("c"));
            case "eqScalar": return a[0].eq(n.d("c"));
            case "neScalar": return a[0].ne(n.d("c"));
            case "where": return Tensor.where(a[0], a[1], a[2]);
            case "matmul": return a[0].matmul(a[1]);
            case "matmulTransA": return a[0].matmulTransA(a[1]);
            case "matmulTransB": return a[0].matmulTransB(a[1]);
            case "addmm": return a[0].addmm(a[1], a[2]);
            case "sum": return a[0].sum(n.b("keep"), n.is("axes"));
            case "mean": return a[0].mean(n.b("keep"), n.is("axes"));
            case "max": return a[0].max(n.b("keep"), n.is("axes"));
            case "min": return a[0].min(n.b("keep"), n.is("axes"));
            case "logSumExp": return a[0].logSumExp(n.b("keep"), n.is("axes"));
            case "argmax": return a[0].argmax(n.i("axis"), n.b("keep"));
            case "argmin": return a[0].argmin(n.i("axis"), n.b("keep"));
            case "softmax": return a[0].softmax(n.i("axis"));
            case "logSoftmax": return a[0].logSoftmax(n.i("axis"));
            case "sumTo": return a[0].sumTo(n.is("shape"));
            case "reshape": return a[0].reshape(n.is("shape"));
            case "flatten": return a[0].flatten();
            case "unsqueeze": return a[0].unsqueeze(n.i("axis"));
            case "squeeze": return a[0].squeeze(n.i("axis"));
            case "permute": return a[0].permute(n.is("perm"));
            case "transpose": return a[0].transpose(n.i("a0"), n.i("a1"));
            case "broadcastTo": return a[0].broadcastTo(n.is("shape"));
            case "slice": return a[0].slice(n.i("axis"), n.i("start"), n.i("end"), n.i("step"));
            case "sliceAll": return a[0].slice(n.is("start"), n.is("end"), n.is("step"));
            case "concat": return Tensor.concat(n.i("axis"), a);
            case "stack": return Tensor.stack(n.i("axis"), a);
            case "pad": return a[0].pad(n.is("before"), n.is("after"), n.d("value"));
            case "indexSelect": return a[0].indexSelect(n.i("axis"), n.is("indices"));
            case "indexAdd": return a[0].indexAdd(n.i("axis"), n.is("indices"), a[1]);
            case "gather": return a[0].gather(n.i("axis"), a[1]);
            case "scatterAdd": return a[0].scatterAdd(n.i("axis"), a[1], a[2]);
            case "unfold": return a[0].unfold(n.is("kernel"), n.is("stride"), n.is("padding"), n.is("dilation"));
            case "fold": return a[0].fold(n.is("output"), n.is("kernel"), n.is("stride"), n.is("padding"), n.is("dilation"));
            case "act.sigmoid": return Activations.sigmoid(a[0]);
            case "act.tanh": return Activations.tanh(a[0]);
            case "act.relu": return Activations.relu(a[0]);
            case "act.leakyRelu": return Activations.leakyRelu(a[0], n.d("slope"));
            case "act.elu": return Activations.elu(a[0], n.d("alpha"));
            case "act.selu": return Activations.selu(a[0]);
            case "act.softplus": return Activations.softplus(a[0]);
            case "act.swish": return Activations.swish(a[0], a[1]);
            case "act.gelu": return Activations.gelu(a[0]);
            case "act.hardSigmoid": return Activations.hardSigmoid(a[0]);
            case "act.hardTanh": return Activations.hardTanh(a[0]);
            case "act.softmax": return Activations.softmax(a[0], n.i("axis"));
            case "act.logSoftmax": return Activations.logSoftmax(a[0], n.i("axis"));
            case "act.prelu": return Activations.prelu(a[0], a[1]);
            case "loss.mse": return Losses.mse(a[0], a[1]);
            case "loss.bce": return Losses.binaryCrossEntropy(a[0], a[1]);
            case "loss.bceWithLogits": return Losses.binaryCrossEntropyWithLogits(a[0], a[1]);
            case "loss.crossEntropy": return Losses.crossEntropy(a[0], n.is("labels"));
            case "loss.nll": return Losses.nll(a[0], n.is("labels"));
            case "loss.l1Penalty": return Losses.l1Penalty(List.of(a));
            case "loss.l2Penalty": return Losses.l2Penalty(List.of(a));
            case "sin": return a[0].sin();
            case "cos": return a[0].cos();
            case "tan": return a[0].tan();
            case "asin": return a[0].asin();
            case "acos": return a[0].acos();
            case "atan": return a[0].atan();
            case "sinh": return a[0].sinh();
            case "cosh": return a[0].cosh();
            case "asinh": return a[0].asinh();
            case "acosh": return a[0].acosh();
            case "atanh": return a[0].atanh();
            case "log1p": return a[0].log1p();
            case "expm1": return a[0].expm1();
            case "log2": return a[0].log2();
            case "log10": return a[0].log10();
            case "exp2": return a[0].exp2();
            case "rsqrt": return a[0].rsqrt();
            case "floor": return a[0].floor();
            case "ceil": return a[0].ceil();
            case "round": return a[0].round();
            case "trunc": return a[0].trunc();
            case "atan2": return a[0].atan2(a[1]);
            case "hypot": return a[0].hypot(a[1]);
            case "logaddexp": return a[0].logaddexp(a[1]);
            case "xlogy": return a[0].xlogy(a[1]);
            case "var": return a[0].var(n.d("correction"), n.b("keep"), n.is("axes"));
            case "std": return a[0].std(n.d("correction"), n.b("keep"), n.is("axes"));
            case "prod": return a[0].prod(n.b("keep"), n.is("axes"));
            case "norm": return a[0].norm(n.d("p"), n.b("keep"), n.is("axes"));
            case "cumsum": return a[0].cumsum(n.i("axis"));
            case "cumprod": return a[0].cumprod(n.i("axis"));
            case "logcumsumexp": return a[0].logcumsumexp(n.i("axis"));
            case "all": return a[0].all(n.b("keep"), n.is("axes"));
            case "any": return a[0].any(n.b("keep"), n.is("axes"));
            case "sort": return a[0].sort(n.i("axis"), n.b("desc"), true).values();
            case "argsort": return a[0].argsort(n.i("axis"), n.b("desc"), true);
            case "topk": return a[0].topk(n.i("k"), n.i("axis"), n.b("largest"), true).values();
            case "topkIndices": return a[0].topk(n.i("k"), n.i("axis"), n.b("largest"), true).indices();
            case "kthvalue": return a[0].kthvalue(n.i("k"), n.i("axis"), n.b("keep")).values();
            case "kthvalueIndices": return a[0].kthvalue(n.i("k"), n.i("axis"), n.b("keep")).indices();
            case "median": return a[0].median();
            case "medianDim": return a[0].median(n.i("axis"), n.b("keep")).values();
            case "medianDimIndices": return a[0].median(n.i("axis"), n.b("keep")).indices();
            case "flip": return a[0].flip(n.is("axes"));
            case "roll": return n.is("axes").length == 0 ? a[0].roll(n.is("shifts")[0]) : a[0].roll(n.is("shifts"), n.is("axes"));
            case "repeat": return a[0].repeat(n.is("reps"));
            case "tile": return a[0].tile(n.is("reps"));
            case "repeatInterleave":
                if (n.has("counts")) {
                    return a[0].repeatInterleave(n.is("counts"), n.i("axis"));
                }
                return n.has("axis") ? a[0].repeatInterleave(n.i("repeats"), n.i("axis")) : a[0].repeatInterleave(n.i("repeats"));
            case "tril": return a[0].tril(n.i("k"));
            case "triu": return a[0].triu(n.i("k"));
            case "diag": return a[0].diag(n.i("k"));
            case "diagonal": return a[0].diagonal(n.i("offset"), n.i("a1"), n.i("a2"));
            case "trace": return a[0].trace();
            case "chunk": return a[0].chunk(n.i("chunks"), n.i("axis"))[n.i("pick")];
            case "split":
                return (n.has("sizes") ? a[0].split(n.is("sizes"), n.i("axis")) : a[0].split(n.i("size"), n.i("axis")))[n.i("pick")];
            case "maskedFill": return a[0].maskedFill(a[1], n.d("value"));
            case "einsum": return Tensor.einsum(n.s("eq"), a);
            case "solve": return Linalg.solve(shifted(a[0], n), a[1], n.b("left"));
            case "solveTriangular": return Linalg.solveTriangular(shifted(a[0], n), a[1], n.b("upper"), n.b("left"), n.b("unit"));
            case "inv": return Linalg.inv(shifted(a[0], n));
            case "det": return Linalg.det(shifted(a[0], n));
            case "logAbsDet": return Linalg.slogdet(shifted(a[0], n))[1];
            case "cholesky": return Linalg.cholesky(shifted(a[0], n), n.b("upper"));
            case "qr": {
                Linalg.QR qr = Linalg.qr(a[0], n.s("mode"));
                return "q".equals(n.s("pick")) ? qr.q() : qr.r();
            }
            case "eigh": return eighOut(shifted(a[0], n), n);
            case "eigvalsh": return Linalg.eigvalsh(shifted(a[0], n), n.s("uplo"));
            case "svd": return svdOut(a[0], n);
            case "svdvals": return Linalg.svdvals(a[0]);
            case "pinv": {
                Tensor m = n.b("herm") ? shifted(a[0], n) : a[0];
                return n.has("rtol") ? Linalg.pinv(m, n.d("rtol"), n.b("herm")) : Linalg.pinv(m);
            }
            case "matrixNorm": {
                String ord = n.s("ord");
                return "fro".equals(ord) || "nuc".equals(ord) ? Linalg.matrixNorm(a[0], ord, n.is("dims"), n.b("keep"))
                        : Linalg.matrixNorm(a[0], Double.parseDouble(ord), n.is("dims"), n.b("keep"));
            }
            case "vectorNorm": {
                int[] axes = n.is("axes");
                return Linalg.vectorNorm(a[0], n.d("p"), axes.length == 0 ? null : axes, n.b("keep"));
            }
            default: throw new IllegalStateException("unknown op " + n.op);
        }
    }

    /**
     * The matrix a linear-algebra node works on, built inside the program (as the generator's shifted()) so that
     * it is well conditioned: a + c I, or with spd = 1, a a^T + c I.
     */
    private static Tensor shifted(Tensor a, Node n) {
        Tensor m = n.has("spd") && n.b("spd") ? a.matmulTransB(a) : n.has("sym") && n.b("sym") ? a.add(a.transpose(-2, -1)) : a;
        return m.add(Tensor.eye(a.dim(-1)).mul(n.d("c")).to(a.dtype()));
    }

    /**
     * A sign-invariant function of eigh's result (as the generator's eigh_impl): out = vals (the eigenvalues), vv
     * (V * V elementwise) or fn (V diag(w) V^T, w_j = j + 1).
     */
    private static Tensor eighOut(Tensor m, Node n) {
        Linalg.Eigh e = Linalg.eigh(m, n.s("uplo"));
        Tensor v = e.eigenvectors();
        switch (n.s("out")) {
            case "vals": return e.eigenvalues();
            case "vv": return v.mul(v);
            default: return spectral(v, v.transpose(-2, -1));
        }
    }

    /**
     * A sign-invariant function of svd's result (as the generator's svd_impl), of U's first k = min(m, n) columns
     * and Vh's first k rows: out = vals (S), uu (U * U), vv (Vh * Vh) or fn (U diag(w) Vh, w_j = j + 1).
     */
    private static Tensor svdOut(Tensor a, Node n) {
        Linalg.SVD f = Linalg.svd(a, n.b("full"));
        int k = f.s().dim(-1);
        Tensor u = f.u().slice(-1, 0, k);
        Tensor vh = f.vh().slice(-2, 0, k);
        switch (n.s("out")) {
            case "vals": return f.s();
            case "uu": return u.mul(u);
            case "vv": return vh.mul(vh);
            default: return spectral(u, vh);
        }
    }

    /** left diag(w) right with the fixed weights w_j = j + 1. */
    private static Tensor spectral(Tensor left, Tensor right) {
        double[] w = new double[left.dim(-1)];
        for (int j = 0; j < w.length; j++) {
            w[j] = j + 1;
        }
        return left.mul(Tensor.fromArray(w, w.length).to(left.dtype())).matmul(right);
    }

    static final class Fixture {
        int count = -1;
        final List<String> headerOps = new ArrayList<>();
        final List<Program> programs = new ArrayList<>();

        static Fixture load() {
            Fixture fx = new Fixture();
            try (InputStream raw = DifferentialTest.class.getResourceAsStream(RESOURCE)) {
                if (raw == null) {
                    throw new IllegalStateException(RESOURCE + " is missing from the test resources; run "
                            + "autodiff-nn/fixtures/differential.py");
                }
                BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
                Program p = null;
                int lineNo = 0;
                for (String line; (line = in.readLine()) != null; ) {
                    lineNo++;
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    String[] f = line.split(" ");
                    try {
                        p = fx.parse(p, f);
                    } catch (RuntimeException e) {
                        throw new IllegalStateException(RESOURCE + " line " + lineNo + ": " + e.getMessage(), e);
                    }
                }
                if (p != null) {
                    throw new IllegalStateException(RESOURCE + ": the last program has no 'end'");
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return fx;
        }

        private Program parse(Program p, String[] f) {
            switch (f[0]) {
                case "count":
                    count = Integer.parseInt(f[1]);
                    return p;
                case "ops":
                    headerOps.addAll(new LinkedHashSet<>(Arrays.asList(f[1].split(","))));
                    return p;
                case "program":
                    Program q = new Program();
                    q.id = Integer.parseInt(f[1]);
                    Map<String, String> kv = keyValues(f, 2);
                    q.family = kv.get("family");
                    q.tol = kv.get("tol");
                    q.seed = kv.get("seed");
                    q.ops = kv.get("ops");
                    q.valueOnly = "value".equals(kv.get("checks"));
                    if ("float32".equals(kv.get("dtype"))) {
                        q.dtype = DType.FLOAT32;
                    }
                    return q;
                case "in": p.inputs.add(exact32(p, Arr.parse(f, 1))); return p;
                case "ingen": p.inputs.add(Arr.formula(f, 1)); return p;
                case "rgen": p.r = Arr.formula(f, 1); return p;
                case "vgen": p.vs.add(Arr.formula(f, 1)); return p;
                case "vbgen": p.vbs.add(Arr.formula(f, 1)); return p;
                case "yP": p.y = Arr.projections(f, 1); return p;
                case "gradP": p.grads.add(Arr.projections(f, 1)); return p;
                case "jvpP": p.jvp = Arr.projections(f, 1); return p;
                case "jvpbP": p.jvpb = Arr.projections(f, 1); return p;
                case "hvpP":
                    if (p.hvps == null) {
                        p.hvps = new ArrayList<>();
                    }
                    p.hvps.add(Arr.projections(f, 1));
                    return p;
                case "const": p.consts.add(exact32(p, Arr.parse(f, 1))); return p;
                case "node": {
                    List<String> args = new ArrayList<>();
                    Map<String, String> prm = new java.util.LinkedHashMap<>();
                    for (int i = 3; i < f.length; i++) {
                        int eq = f[i].indexOf('=');
                        if (eq < 0) {
                            args.add(f[i]);
                        } else {
                            prm.put(f[i].substring(0, eq), f[i].substring(eq + 1));
                        }
                    }
                    p.nodes.add(new Node(f[1], f[2], args, prm));
                    return p;
                }
                case "y": p.y = Arr.parse(f, 1); return p;
                case "r": p.r = exact32(p, Arr.parse(f, 1)); return p;
                case "grad": p.grads.add(Arr.parse(f, 1)); return p;
                case "v": p.vs.add(exact32(p, Arr.parse(f, 1))); return p;
                case "jvp": p.jvp = Arr.parse(f, 1); return p;
                case "vb": p.vbs.add(exact32(p, Arr.parse(f, 1))); return p;
                case "jvpb": p.jvpb = Arr.parse(f, 1); return p;
                case "hvp":
                    if (p.hvps == null) {
                        p.hvps = new ArrayList<>();
                    }
                    p.hvps.add(Arr.parse(f, 1));
                    return p;
                case "vhv": p.vhv = Arr.parse(f, 1); return p;
                case "vhvabs": p.vhvAbs = Arr.parse(f, 1); return p;
                case "hess": p.hess = Arr.parse(f, 1); return p;
                case "jac": p.jac = Arr.parse(f, 1); return p;
                case "end":
                    if (p.valueOnly && p.y != null) {
                        programs.add(p);
                        return null;
                    }
                    if (p.y == null || p.r == null || p.jvp == null || p.jvpb == null || p.grads.size() != p.inputs.size()
                            || p.vs.size() != p.inputs.size() || p.vbs.size() != p.inputs.size()
                            || (p.hvps != null && (p.hvps.size() != p.inputs.size() || p.vhv == null))) {
                        throw new IllegalStateException("program " + p.id + " is incomplete");
                    }
                    programs.add(p);
                    return null;
                default:
                    throw new IllegalStateException("unknown line kind '" + f[0] + "'");
            }
        }

        /** A float32 program's array that the replayer makes float32: it must be float32-exact in the fixture. */
        private static Arr exact32(Program p, Arr a) {
            if (p.dtype == DType.FLOAT32 && !a.float32Exact()) {
                throw new IllegalStateException("program " + p.id + " is float32 but holds a value float32 cannot represent");
            }
            return a;
        }

        private static Map<String, String> keyValues(String[] f, int from) {
            Map<String, String> kv = new HashMap<>();
            for (int i = from; i < f.length; i++) {
                int eq = f[i].indexOf('=');
                kv.put(f[i].substring(0, eq), f[i].substring(eq + 1));
            }
            return kv;
        }
    }
}
