package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Init's dtype overloads. The oracle of a float32 result is the float64 overload's result (same seed and arguments)
 * rounded by Java's {@code (float)} cast, element by element: the bits must be equal. The float64 overload must give
 * the float64 initialiser's bits, and every bad argument the float64 initialiser's exception and message.
 */
class InitDtypeTest {
    /** An initialiser without a dtype ({@code plain}) and its overload with one ({@code typed}), given a shape. */
    record Init2(String name, Function<int[], Tensor> plain, BiFunction<DType, int[], Tensor> typed) {
        Tensor call(int... shape) {
            return plain.apply(shape);
        }

        Tensor call(DType dtype, int... shape) {
            return typed.apply(dtype, shape);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Init2> inits() {
        return Stream.of(
                new Init2("zeros", s -> Init.zeros(s), (d, s) -> Init.zeros(d, s)),
                new Init2("constant", s -> Init.constant(0.1, s), (d, s) -> Init.constant(0.1, d, s)),
                new Init2("uniform", s -> Init.uniform(7, -0.3, 0.7, s), (d, s) -> Init.uniform(7, -0.3, 0.7, d, s)),
                new Init2("normal", s -> Init.normal(7, 0.5, 2, s), (d, s) -> Init.normal(7, 0.5, 2, d, s)),
                new Init2("xavierUniform", s -> Init.xavierUniform(7, 5, 3, s), (d, s) -> Init.xavierUniform(7, 5, 3, d, s)),
                new Init2("xavierNormal", s -> Init.xavierNormal(7, 5, 3, s), (d, s) -> Init.xavierNormal(7, 5, 3, d, s)),
                new Init2("heUniform", s -> Init.heUniform(7, 5, s), (d, s) -> Init.heUniform(7, 5, d, s)),
                new Init2("heNormal", s -> Init.heNormal(7, 5, s), (d, s) -> Init.heNormal(7, 5, d, s)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inits")
    void float32IsTheFloat64DrawRoundedOnce(Init2 init) {
        for (int[] shape : List.of(new int[] {5, 3}, new int[] {4, 3, 2, 2}, new int[] {}, new int[] {0, 3}, new int[] {1000})) {
            Tensor wide = init.call(shape);
            Tensor narrow = init.call(DType.FLOAT32, shape);
            assertEquals(DType.FLOAT32, narrow.dtype(), init + ": dtype");
            assertArrayEquals(shape, narrow.shape(), init + ": shape");
            double[] w = wide.toArray();
            float[] expected = new float[w.length];
            for (int i = 0; i < w.length; i++) {
                expected[i] = (float) w[i];
            }
            assertArrayEquals(expected, narrow.toFloatArray(), init + ": the float64 values rounded");
            Tensor same = init.call(DType.FLOAT64, shape);
            assertEquals(DType.FLOAT64, same.dtype());
            assertArrayEquals(w, same.toArray(), init + ": float64 is the initialiser without a dtype");
            assertTrue(!narrow.needsGrad() && !same.needsGrad(), init + ": a plain tensor");
        }
    }

    @Test
    void theFloat32DrawsAreRandomAndRoundedNotRedrawn() {
        // the rounding is visible (so the test above compares something): the float64 draws are not float32 values
        double[] w = Init.normal(7, 0, 1, 1000).toArray();
        float[] f = Init.normal(7, 0, 1, DType.FLOAT32, 1000).toFloatArray();
        int inexact = 0;
        for (int i = 0; i < w.length; i++) {
            inexact += (double) f[i] != w[i] ? 1 : 0;
            assertTrue(Math.abs(f[i] - w[i]) <= Math.ulp((float) w[i]) / 2, "round to nearest at " + i);
        }
        assertTrue(inexact > 990, "float64 draws need rounding: " + inexact);
        assertNotEquals(f[0], Init.normal(8, 0, 1, DType.FLOAT32, 1000).toFloatArray()[0], "the seed matters");
    }

    /** A layer built from the float32 draws is the float64 layer converted with Module.to: the same model. */
    @Test
    void aLayerFromFloat32DrawsIsTheConvertedLayer() {
        double b = 1 / Math.sqrt(6);
        Linear converted = new Linear(6, 4, 11);
        converted.to(DType.FLOAT32);
        Linear built = new Linear(Init.uniform(11, -b, b, DType.FLOAT32, 6, 4), Init.uniform(12, -b, b, DType.FLOAT32, 4));
        assertEquals(DType.FLOAT32, built.dtype());
        assertArrayEquals(converted.weight().toFloatArray(), built.weight().toFloatArray(), "weight");
        assertArrayEquals(converted.bias().toFloatArray(), built.bias().toFloatArray(), "bias");
    }

    /** Each bad argument: the float64 initialiser's exception, whose message the dtype overloads must repeat. */
    static Stream<Init2> bad() {
        return Stream.of(
                new Init2("heUniform, negative fan", s -> Init.heUniform(1, -3, s), (d, s) -> Init.heUniform(1, -3, d, s)),
                new Init2("heUniform, zero fan", s -> Init.heUniform(1, 0, s), (d, s) -> Init.heUniform(1, 0, d, s)),
                new Init2("heNormal, zero fan", s -> Init.heNormal(1, 0, s), (d, s) -> Init.heNormal(1, 0, d, s)),
                new Init2("xavierUniform, zero fans", s -> Init.xavierUniform(1, 0, 0, s), (d, s) -> Init.xavierUniform(1, 0, 0, d, s)),
                new Init2("xavierNormal, negative fan", s -> Init.xavierNormal(1, -1, 2, s), (d, s) -> Init.xavierNormal(1, -1, 2, d, s)),
                new Init2("xavierUniform, fans overflowing int",
                        s -> Init.xavierUniform(1, -1, Integer.MAX_VALUE, s), (d, s) -> Init.xavierUniform(1, -1, Integer.MAX_VALUE, d, s)),
                new Init2("uniform, low > high", s -> Init.uniform(1, 1, 0, s), (d, s) -> Init.uniform(1, 1, 0, d, s)),
                new Init2("uniform, infinite width", s -> Init.uniform(1, -1e308, 1e308, s), (d, s) -> Init.uniform(1, -1e308, 1e308, d, s)),
                new Init2("normal, infinite std", s -> Init.normal(1, 0, Double.POSITIVE_INFINITY, s), (d, s) -> Init.normal(1, 0, Double.POSITIVE_INFINITY, d, s)),
                new Init2("normal, NaN mean", s -> Init.normal(1, Double.NaN, 1, s), (d, s) -> Init.normal(1, Double.NaN, 1, d, s)),
                new Init2("zeros, negative dimension", s -> Init.zeros(-1), (d, s) -> Init.zeros(d, -1)),
                new Init2("constant, negative dimension", s -> Init.constant(1, 2, -1), (d, s) -> Init.constant(1, d, 2, -1)),
                new Init2("uniform, too many elements", s -> Init.uniform(1, 0, 1, 65_536, 65_536), (d, s) -> Init.uniform(1, 0, 1, d, 65_536, 65_536)),
                new Init2("heNormal, shape null", s -> Init.heNormal(1, 3, (int[]) null), (d, s) -> Init.heNormal(1, 3, d, (int[]) null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bad")
    void errorsAreTheFloat64Ones(Init2 init) {
        RuntimeException wide = assertThrows(RuntimeException.class, () -> init.call(2, 2), init.name());
        assertTrue(wide.getMessage().startsWith("Init."), init + ": " + wide.getMessage());
        for (DType d : DType.values()) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> init.call(d, 2, 2), init + " in " + d);
            assertSame(wide.getClass(), e.getClass(), init + " in " + d);
            assertEquals(wide.getMessage(), e.getMessage(), init + " in " + d);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inits")
    void aNullDtypeIsNamed(Init2 init) {
        NullPointerException e = assertThrows(NullPointerException.class, () -> init.call((DType) null, 2));
        assertEquals("Init." + init.name() + ": dtype is null", e.getMessage());
    }
}
