package dev.autodiff;

import static dev.autodiff.TorchFixtures.close;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
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
    private static final TorchFixtures FIXTURES = TorchFixtures.read("torch_linalg_qr_eigh.txt");
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
        return FIXTURES.fx(name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void matchesPyTorch(String name) {
        FIXTURES.replay(name, CASES.get(name), TorchFixtures.Replay.STRICT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueNames")
    void valuesMatchPyTorch(String name) {
        close(name, fx(name + ".value"), VALUES.get(name).apply(fx(name + ".x")));
    }

    @Test
    void everyGeneratorCaseIsReplayed() {
        assertEquals(FIXTURES.names().stream().filter(k -> k.endsWith(".y")).count(), CASES.size());
        assertEquals(FIXTURES.names().stream().filter(k -> k.endsWith(".value")).count(), VALUES.size());
    }

    @Test
    void modeRGivesAnEmptyQAsPyTorch() {
        assertArrayEquals(new int[] {0}, Linalg.qr(fx("qr_mode_r.x"), "r").q().shape());
    }
}
