package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The committed float32 kernels are what {@link Float32Sources} makes of today's float64 sources. */
class Float32SourcesTest {
    @Test
    void generatedKernelsAreCurrent() throws IOException {
        if (Boolean.getBoolean("autodiff.regenerate")) {
            Float32Sources.writeAll();
        }
        for (String s : Float32Sources.sources()) {
            String target = Float32Sources.CLASSES.get(s);
            String expected = Float32Sources.generate(s, Float32Sources.read(Float32Sources.DIR.resolve(s + ".java")));
            assertEquals(expected, Float32Sources.read(Float32Sources.DIR.resolve(target + ".java")),
                    target + ".java is not what Float32Sources makes of " + s + ".java: regenerate it with "
                            + "mvn -q -pl autodiff-core test -Dtest=Float32SourcesTest -Dautodiff.regenerate=true");
        }
    }

    @Test
    void rulesTouchCodeButNotStrings() {
        String src = "    double x = 0.0; // 0.5 double\n"
                + "    String s = \"double 1.5\";\n"
                + "    static final int KC = 512; // f32: static final int KC = 1024;\n"
                + "    DoubleVector v = Gemm.of(1e-3, 2.5e+4, 10); /* 3.5 */\n"
                + "    int y = VectorSupport.GEMM.hashCode() + a.b.c + 1.f(2);\n";
        String out = Float32Sources.generate("Gemm", src);
        assertEquals(Float32Sources.header("Gemm")
                + "    float x = 0.0f; // 0.5 float\n"
                + "    String s = \"double 1.5\";\n"
                + "    static final int KC = 1024;\n"
                + "    FloatVector v = Gemm32.of(1e-3f, 2.5e+4f, 10); /* 3.5 */\n"
                + "    int y = VectorSupport.GEMM32.hashCode() + a.b.c + 1.f(2);\n", out);
    }
}
