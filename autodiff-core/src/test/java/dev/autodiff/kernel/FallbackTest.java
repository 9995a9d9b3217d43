package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Without the incubator module the library runs, on its scalar kernels, and gets the same results; and with vectors
 * narrower than this machine's (an AVX2 machine's 256 bits), the GEMMs' vector paths for that width are right too.
 */
class FallbackTest {
    /** Run in a JVM started without --add-modules jdk.incubator.vector. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println("vector=" + VectorSupport.AVAILABLE + " engine=" + Gemm.BLOCKED);
            double[] a = operand(200 * 150, true);
            double[] b = operand(150 * 170, false);
            double[] c = new double[200 * 170];
            Gemm.gemm(false, true, 200, 170, 150, a, 0, b, 0, c, 0);
            double s = 0;
            for (double v : c) {
                s += v;
            }
            double[] e = Elementwise.unary(Elementwise.Unary.EXP, Arrays.copyOf(a, 1000));
            System.out.println("sum=" + s + " exp=" + e[999]);
        }
    }

    /** sin(i) or cos(i) for i < n: the same operands in both JVMs. */
    static double[] operand(int n, boolean sin) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = sin ? Math.sin(i) : Math.cos(i);
        }
        return d;
    }

    @Test
    void scalarKernelsWhenTheModuleIsAbsent() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Probe.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("vector=false engine=BLOCKED_SCALAR"), out);
        // the same computation in this JVM (with the module) gives the same numbers to rounding (GEMM)
        String[] parts = out.lines().filter(l -> l.startsWith("sum=")).findFirst().orElseThrow().split("[= ]");
        double[] a = operand(200 * 150, true);
        double[] b = operand(150 * 170, false);
        double s = 0;
        for (int i = 0; i < 200; i++) {
            for (int j = 0; j < 170; j++) {
                for (int k = 0; k < 150; k++) {
                    s += a[i * 150 + k] * b[j * 150 + k];
                }
            }
        }
        assertEquals(s, Double.parseDouble(parts[1]), 1e-9 * (1 + Math.abs(s)));
        // the transcendentals' scalar forms give the vector forms' bits (TranscendentalsTest)
        double[] e = Elementwise.unary(Elementwise.Unary.EXP, Arrays.copyOf(a, 1000));
        assertEquals(Double.doubleToLongBits(e[999]), Double.doubleToLongBits(Double.parseDouble(parts[3])), "exp without the Vector API");
    }

    /** Run in a JVM whose vectors are capped at 256 bits: every transpose combination of both GEMMs against a loop. */
    public static final class NarrowProbe {
        public static void main(String[] args) {
            System.out.println("lanes=" + jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length());
            int m = 37;
            int n = 70;
            int k = 45;
            double worst = 0;
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 2) != 0;
                boolean tb = (t & 1) != 0;
                double[] a = operand(m * k, true);
                double[] b = operand(k * n, false);
                float[] af = new float[a.length];
                float[] bf = new float[b.length];
                for (int i = 0; i < a.length; i++) {
                    af[i] = (float) a[i];
                }
                for (int i = 0; i < b.length; i++) {
                    bf[i] = (float) b[i];
                }
                double[] c = new double[m * n];
                float[] cf = new float[m * n];
                Gemm.gemm(ta, tb, m, n, k, a, 0, b, 0, c, 0);
                Gemm32.gemm(ta, tb, m, n, k, af, 0, bf, 0, cf, 0);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        double s32 = 0;
                        for (int p = 0; p < k; p++) {
                            int ai = ta ? p * m + i : i * k + p;
                            int bi = tb ? j * k + p : p * n + j;
                            s += a[ai] * b[bi];
                            s32 += (double) af[ai] * bf[bi];
                        }
                        worst = Math.max(worst, Math.abs(c[i * n + j] - s) / 1e-12);
                        worst = Math.max(worst, Math.abs(cf[i * n + j] - s32) / 1e-4);
                    }
                }
            }
            System.out.println("worst=" + worst);
        }
    }

    @Test
    void gemmsAreRightAtAnAvx2MachinesWidth() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=32", "-cp",
                System.getProperty("java.class.path"), NarrowProbe.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("lanes=4") || out.contains("lanes=2"), out);
        double worst = Double.parseDouble(out.lines().filter(l -> l.startsWith("worst=")).findFirst().orElseThrow()
                .substring("worst=".length()));
        assertTrue(worst <= 1, "errors beyond 1e-12 (float64) or 1e-4 (float32): " + out);
    }
}
