package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Linalg.qr, eigh and eigvalsh against PyTorch 1.13 in float64 (torch_linalg_qr_eigh.txt from gen_linalg_qr_eigh.py):
 * value, gradient of sum(y r), J v (one and two stacked tangents), H v three ways, to 1e-10 + 1e-10 |expected|;
 * values alone for mode "r", the complete QR of a tall matrix and eigh reading one triangle of a non-symmetric A.
 * Eigenvectors are compared as they are: the generator normalises PyTorch's to this library's sign convention.
 */
class LinalgQrEighTorchTest {
    private static final Map<String, Tensor> FIXTURES = read();
    static final Map<String, Function<Tensor, Tensor>> CASES = new LinkedHashMap<>();
    static final Map<String, Function<Tensor, Tensor>> VALUES = new LinkedHashMap<>();

    /** (..., a, b) -> (..., a b) */
    static Tensor flat(Tensor t) {
        int[] s = Arrays.copyOf(t.shape(), t.rank() - 1);
        s[s.length - 1] = -1;
        return t.reshape(s);
    }

    static Tensor qrPacked(Tensor x, String mode) {
        Linalg.QR f = Linalg.qr(x, mode);
        return Tensor.concat(-1, flat(f.q()), flat(f.r()));
    }

    static Tensor sym(Tensor x) {
        return x.add(x.transpose(-2, -1)).mul(0.5);
    }

    static Tensor eighPacked(Tensor a, String uplo) {
        Linalg.Eigh e = Linalg.eigh(a, uplo);
        return Tensor.concat(-1, e.eigenvalues(), flat(e.eigenvectors()));
    }

    static {
        for (String nm : new String[] {"qr_square", "qr_tall", "qr_wide", "qr_batched_tall", "qr_batched_wide"}) {
            CASES.put(nm, x -> qrPacked(x, "reduced"));
        }
        CASES.put("qr_complete_square", x -> qrPacked(x, "complete"));
        CASES.put("qr_complete_wide", x -> qrPacked(x, "complete"));
        CASES.put("qr_q_only", x -> Linalg.qr(x).q());
        CASES.put("qr_r_only", x -> Linalg.qr(x).r());
        for (String nm : new String[] {"eigh", "eigh_5", "eigh_batched", "eigh_1"}) {
            CASES.put(nm, x -> eighPacked(sym(x), "L"));
        }
        CASES.put("eigh_upper", x -> eighPacked(sym(x), "U"));
        CASES.put("eigh_vectors_only", x -> Linalg.eigh(sym(x)).eigenvectors());
        CASES.put("eigh_expm", x -> {
            Linalg.Eigh e = Linalg.eigh(sym(x));
            Tensor v = e.eigenvectors();
            return v.mul(e.eigenvalues().exp().unsqueeze(-2)).matmul(v.transpose(-2, -1));
        });
        CASES.put("eigh_values_only", x -> Linalg.eigh(sym(x)).eigenvalues());
        CASES.put("eigvalsh", x -> Linalg.eigvalsh(sym(x)));
        CASES.put("eigvalsh_upper", x -> Linalg.eigvalsh(sym(x), "U"));
        VALUES.put("qr_mode_r", x -> Linalg.qr(x, "r").r());
        VALUES.put("qr_complete_tall", x -> qrPacked(x, "complete"));
        VALUES.put("qr_zero_column", x -> qrPacked(x, "reduced"));
        VALUES.put("qr_negative_zero", x -> qrPacked(x, "reduced"));
        VALUES.put("eigh_reads_lower", x -> eighPacked(x, "L"));
        VALUES.put("eigh_reads_upper", x -> eighPacked(x, "U"));
        VALUES.put("eigvalsh_10", x -> Linalg.eigvalsh(x.matmul(x.transpose(-2, -1)).sub(Tensor.eye(10).mul(3))));
    }

    static Stream<String> names() {
        return CASES.keySet().stream();
    }

    static Stream<String> valueNames() {
        return VALUES.keySet().stream();
    }

    static Tensor fx(String name) {
        Tensor t = FIXTURES.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no fixture named " + name);
        }
        return t;
    }

    private static void close(String what, Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - a[i]) <= 1e-10 + 1e-10 * Math.abs(e[i]),
                    what + ": element " + i + " expected " + e[i] + " got " + a[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void matchesPyTorch(String name) {
        Function<Tensor, Tensor> f = CASES.get(name);
        Tensor x = fx(name + ".x");
        Tensor r = fx(name + ".r");
        Tensor v = fx(name + ".v");
        close(name + " value", fx(name + ".y"), f.apply(x));
        Function<Tensor, Tensor> loss = t -> f.apply(t).mul(r).sum();
        Tensor xl = x.detach().requiresGrad();
        close(name + " grad", fx(name + ".grad"), Autodiff.grad(loss.apply(xl), xl)[0]);
        Tensor jv = fx(name + ".jvp");
        close(name + " jvp", jv, Autodiff.jvp(f, x, v).tangent());
        Tensor both = Autodiff.jvp(f, x, Tensor.stack(0, v, v.mul(-2.0))).tangent();
        close(name + " batched jvp", jv.mul(-2.0), both.slice(0, 1, 2).squeeze(0));
        Tensor hv = fx(name + ".hvp");
        Tensor x2 = x.detach().requiresGrad();
        Tensor g = Autodiff.grad(loss.apply(x2), true, x2)[0];
        close(name + " hvp reverse over reverse", hv, Autodiff.grad(g.mul(v).sum(), x2)[0]);
        close(name + " hvp forward over reverse", hv, Autodiff.hvp(loss, x, v));
        Tensor x3 = x.detach().requiresGrad();
        close(name + " hvp reverse over forward", hv, Autodiff.grad(Autodiff.jvp(loss, x3, v).tangent(), x3)[0]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueNames")
    void valuesMatchPyTorch(String name) {
        close(name, fx(name + ".value"), VALUES.get(name).apply(fx(name + ".x")));
    }

    @Test
    void everyGeneratorCaseIsReplayed() {
        assertEquals(FIXTURES.keySet().stream().filter(k -> k.endsWith(".y")).count(), CASES.size());
        assertEquals(FIXTURES.keySet().stream().filter(k -> k.endsWith(".value")).count(), VALUES.size());
    }

    @Test
    void modeRGivesAnEmptyQAsPyTorch() {
        assertArrayEquals(new int[] {0}, Linalg.qr(fx("qr_mode_r.x"), "r").q().shape());
    }

    private static Map<String, Tensor> read() {
        Map<String, Tensor> m = new HashMap<>();
        try (InputStream in = LinalgQrEighTorchTest.class.getResourceAsStream("torch_linalg_qr_eigh.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split(" ", -1);
                int[] shape = f[1].isEmpty() ? new int[0] : Arrays.stream(f[1].split(",")).mapToInt(Integer::parseInt).toArray();
                double[] v = new double[f.length - 2];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Double.parseDouble(f[i + 2]);
                }
                m.put(f[0], Tensor.fromArray(v, shape));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }
}
