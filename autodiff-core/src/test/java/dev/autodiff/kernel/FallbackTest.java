package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Without the incubator module the library runs, on its scalar kernels, and gets the same results. */
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
            float[] t = Elementwise.unary32(Elementwise.Unary.TANH, floats(1000));
            System.out.println("sum=" + s + " exp=" + e[999] + " tanh32=" + Arrays.hashCode(t));
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

    /** 4 sin(i) in float32 for i < n. */
    static float[] floats(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (4 * Math.sin(i));
        }
        return f;
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
        // and so do the float32 ones (TranscendentalsFloat32Test): the hash of all the bits of tanh on 1000 floats
        float[] t = Elementwise.unary32(Elementwise.Unary.TANH, floats(1000));
        assertEquals(Arrays.hashCode(t), Integer.parseInt(parts[5]), "float32 tanh without the Vector API");
    }
}
