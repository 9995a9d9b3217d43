package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import dev.autodiff.nn.io.Checkpoints;
import dev.autodiff.nn.io.SafeTensors;
import dev.autodiff.nn.io.TorchWeights;
import dev.autodiff.nn.optim.Adam;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints in float32: F32 written for float32 tensors (F64 still for float64), F16, BF16, F32 and F64 read and
 * converted into the model's dtype. The F16 and BF16 decoders are checked against bit patterns decoded by hand
 * (normal numbers, subnormals, the extremes, infinities, NaN, signed zeros) and against a file of PyTorch's own
 * float16 and bfloat16 bits (generate_float32.py, torch_float16.safetensors) with its float64 values.
 */
class Float32CheckpointTest {
    @TempDir
    Path dir;

    /** A safetensors file by hand: one tensor per entry, dtype and little-endian data bytes given. */
    private static void write(Path p, Object... nameDtypeShapeBytes) throws IOException {
        StringBuilder h = new StringBuilder("{");
        ByteBuffer data = ByteBuffer.allocate(1 << 12);
        long offset = 0;
        for (int i = 0; i < nameDtypeShapeBytes.length; i += 4) {
            byte[] b = (byte[]) nameDtypeShapeBytes[i + 3];
            h.append(i > 0 ? "," : "").append('"').append(nameDtypeShapeBytes[i]).append("\":{\"dtype\":\"")
                    .append(nameDtypeShapeBytes[i + 1]).append("\",\"shape\":").append(nameDtypeShapeBytes[i + 2])
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + b.length).append("]}");
            data.put(b);
            offset += b.length;
        }
        byte[] header = h.append('}').toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(p)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            out.write(data.array(), 0, data.position());
        }
    }

    private static byte[] shorts(int... bits) {
        ByteBuffer b = ByteBuffer.allocate(2 * bits.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : bits) {
            b.putShort((short) v);
        }
        return b.array();
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    private static byte[] doubles(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) {
            b.putDouble(x);
        }
        return b.array();
    }

    private static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                    what + " at " + i + ": want " + want[i] + ", got " + got[i]);
        }
    }

    @Test
    void float16DecodedAsByHand() throws IOException {
        // sign | exponent (5 bits, bias 15) | fraction (10 bits); each value worked out from the fields
        int[] bits = {
            0x0000, // +0
            0x8000, // -0
            0x3c00, // 2^0 = 1
            0xc000, // -2^1 = -2
            0x3555, // 2^(13 - 15) (1 + 341 / 1024) = 0.333251953125
            0x7bff, // 2^15 (1 + 1023 / 1024) = 65504, the largest
            0x0400, // 2^-14, the smallest normal
            0x03ff, // 1023 * 2^-24, the largest subnormal
            0x0001, // 2^-24, the smallest subnormal
            0x8003, // -3 * 2^-24
            0x7c00, // +infinity
            0xfc00, // -infinity
            0x7e00, // NaN (quiet): fraction 0x200 moves to 0x200 << 13 = 0x400000 of float32's
            0x7c01, // NaN (signalling): fraction 1 << 13
        };
        float[] want = {0f, -0f, 1f, -2f, 0.333251953125f, 65504f, 0x1p-14f, 1023 * 0x1p-24f, 0x1p-24f, -3 * 0x1p-24f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc00000), Float.intBitsToFloat(0x7f802000)};
        Path p = dir.resolve("f16.safetensors");
        write(p, "h", "F16", "[2,7]", shorts(bits));
        Tensor t = SafeTensors.load(p).tensors().get("h");
        assertEquals(DType.FLOAT32, t.dtype(), "F16 is read as float32, which holds each value exactly");
        assertArrayEquals(new int[] {2, 7}, t.shape());
        assertBits(want, t.toFloatArray(), "F16");
    }

    @Test
    void bfloat16DecodedAsByHand() throws IOException {
        // bfloat16 is the top 16 bits of a float32: sign | exponent (8 bits, bias 127) | fraction (7 bits)
        int[] bits = {0x0000, 0x8000, 0x3f80, 0xc000, 0x3eab, 0x7f7f, 0x0080, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0xffc1};
        float[] want = {0f, -0f, 1f, -2f,
            0.333984375f,                  // 2^(125 - 127) (1 + 43 / 128)
            0x1.fep127f,                   // the largest, 2^127 (1 + 127 / 128)
            0x1p-126f,                     // the smallest normal
            0x1p-133f,                     // the smallest subnormal, 2^-126 * 2^-7
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.intBitsToFloat(0x7fc00000), Float.intBitsToFloat(0xffc10000)};
        Path p = dir.resolve("bf16.safetensors");
        write(p, "b", "BF16", "[12]", shorts(bits));
        Tensor t = SafeTensors.load(p).tensors().get("b");
        assertEquals(DType.FLOAT32, t.dtype());
        assertBits(want, t.toFloatArray(), "BF16");
    }

    /** PyTorch's own float16, bfloat16, float32 and float64 bits of the same values, against torch's .double(). */
    @Test
    void readsPyTorchsReducedPrecisionBits() throws Exception {
        TorchFixtures f = new TorchFixtures("torch_float32.txt");
        Path p = Path.of(Float32CheckpointTest.class.getResource("/fixtures/torch_float16.safetensors").toURI());
        Map<String, Tensor> t = SafeTensors.load(p).tensors();
        for (String name : new String[] {"f16", "bf16", "f32", "f64"}) {
            Tensor got = t.get(name);
            assertEquals(name.equals("f64") ? DType.FLOAT64 : DType.FLOAT32, got.dtype(), name);
            double[] want = f.get("dtypes." + name).toArray();
            double[] have = got.toArray();
            assertArrayEquals(f.get("dtypes." + name).shape(), got.shape(), name);
            for (int i = 0; i < want.length; i++) {
                assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(have[i]),
                        name + " at " + i + ": torch " + want[i] + ", here " + have[i]);
            }
        }
    }

    @Test
    void savesFloat32AsF32AndFloat64AsF64() throws IOException {
        Path p = dir.resolve("mixed.safetensors");
        Tensor a = Tensor.randn(1, DType.FLOAT32, 3, 2);
        Tensor b = Tensor.randn(2, 4);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", a);
        m.put("b", b);
        SafeTensors.save(p, m, null);
        byte[] raw = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(raw, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(raw, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"a\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]}"), header);
        assertTrue(header.contains("\"b\":{\"dtype\":\"F64\",\"shape\":[4],\"data_offsets\":[24,56]}"), header);
        assertEquals(8 + n + 24 + 32, raw.length);
        ByteBuffer data = ByteBuffer.wrap(raw, (int) (8 + n), 24).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = a.toFloatArray();
        for (float v : f) {
            assertEquals(Float.floatToRawIntBits(v), Float.floatToRawIntBits(data.getFloat()), "the float32 bits as written");
        }
        Map<String, Tensor> back = SafeTensors.load(p).tensors();
        assertEquals(DType.FLOAT32, back.get("a").dtype());
        assertBits(f, back.get("a").toFloatArray(), "round trip");
        assertEquals(DType.FLOAT64, back.get("b").dtype());
        assertArrayEquals(b.toArray(), back.get("b").toArray(), 0.0);
    }

    /** A file of any float dtype loads into a model of either dtype: each value converted to the model's. */
    @Test
    void loadsEveryFloatDtypeIntoTheModelsDtype() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        // a Linear(2, 3): weight (2, 3) in F16, bias (3) in BF16
        int[] w16 = {0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x8400};
        float[] w = {1f, -2f, 0.333251953125f, 0x1p-24f, 65504f, -0x1p-14f};
        int[] b16 = {0x3f80, 0x3eab, 0xbf00};
        float[] b = {1f, 0.333984375f, -0.5f};
        write(p, "model.weight", "F16", "[2,3]", shorts(w16), "model.bias", "BF16", "[3]", shorts(b16));
        for (DType dtype : DType.values()) {
            Linear l = new Linear(2, 3, 1);
            l.to(dtype);
            Checkpoints.load(p, l, null);
            assertEquals(dtype, l.parameters().get("weight").dtype(), "the model keeps its dtype");
            assertBits(w, l.parameters().get("weight").toFloatArray(), "weight in " + dtype);
            assertBits(b, l.parameters().get("bias").toFloatArray(), "bias in " + dtype);
        }
        // F64 into float32 rounds to nearest, F32 into float64 widens exactly
        Path q = dir.resolve("wide.safetensors");
        double[] wide = {0.1, 1.0 / 3, -2.5, 1e-40, 3.4e38, 1e300};
        write(q, "model.weight", "F64", "[2,3]", doubles(wide), "model.bias", "F32", "[3]", floats(0.1f, -0f, 7f));
        Linear l = new Linear(2, 3, 1);
        l.to(DType.FLOAT32);
        Checkpoints.load(q, l, null);
        float[] rounded = new float[wide.length];
        for (int i = 0; i < wide.length; i++) {
            rounded[i] = (float) wide[i];
        }
        assertBits(rounded, l.parameters().get("weight").toFloatArray(), "F64 rounded into float32 (1e300 to infinity)");
        Linear l64 = new Linear(2, 3, 1);
        Checkpoints.load(q, l64, null);
        assertArrayEquals(wide, l64.parameters().get("weight").toArray(), 0.0);
        assertArrayEquals(new double[] {0.1f, -0.0, 7}, l64.parameters().get("bias").toArray(), 0.0);
    }

    @Test
    void float32ModelAndOptimizerRoundTripThroughACheckpoint() throws IOException {
        Module net = new Sequential(new Linear(3, 4, 1), new BatchNorm(4)).to(DType.FLOAT32);
        Adam opt = new Adam(net.parameters().values(), 0.01);
        for (int s = 0; s < 2; s++) {
            opt.zeroGrad();
            net.forward(Tensor.randn(s, DType.FLOAT32, 5, 3)).square().mean().backward();
            opt.step();
        }
        Path p = dir.resolve("f32.ckpt");
        Checkpoints.save(p, net, opt);
        Map<String, Tensor> file = SafeTensors.load(p).tensors();
        file.forEach((k, v) -> {
            // parameters, buffers and Adam's moments are float32; the per-parameter step counts are float64 scalars
            assertEquals(k.contains(".step.") ? DType.FLOAT64 : DType.FLOAT32, v.dtype(), k);
        });
        Module again = new Sequential(new Linear(3, 4, 2), new BatchNorm(4)).to(DType.FLOAT32);
        Adam opt2 = new Adam(again.parameters().values(), 0.01);
        Checkpoints.load(p, again, opt2);
        for (Map.Entry<String, Tensor> e : net.parameters().entrySet()) {
            assertBits(e.getValue().toFloatArray(), again.parameters().get(e.getKey()).toFloatArray(), e.getKey());
        }
        for (Map.Entry<String, Tensor> e : opt.state().entrySet()) {
            assertEquals(e.getValue().dtype(), opt2.state().get(e.getKey()).dtype(), e.getKey());
            assertArrayEquals(e.getValue().toArray(), opt2.state().get(e.getKey()).toArray(), 0.0, e.getKey());
        }
        // the same file into a float64 model: the float32 values widened, the optimizer state in float64
        Module wide = new Sequential(new Linear(3, 4, 3), new BatchNorm(4));
        Adam opt3 = new Adam(wide.parameters().values(), 0.01);
        Checkpoints.load(p, wide, opt3);
        assertEquals(DType.FLOAT64, wide.parameters().get("0.weight").dtype());
        assertTrue(opt3.state().entrySet().stream().allMatch(e -> e.getValue().dtype() == DType.FLOAT64));
        assertArrayEquals(net.parameters().get("0.weight").toArray(), wide.parameters().get("0.weight").toArray(), 0.0);
    }

    @Test
    void torchWeightsWritesTheModelsDtype() throws IOException {
        Module net = new Sequential(new Linear(3, 4, 1), new Lambda("Tanh", Tensor::tanh), new Linear(4, 2, 2));
        net.to(DType.FLOAT32);
        Map<String, Tensor> sd = TorchWeights.stateDict(net);
        assertTrue(sd.values().stream().allMatch(t -> t.dtype() == DType.FLOAT32), "a float32 state_dict");
        Path p = dir.resolve("torch.safetensors");
        TorchWeights.save(p, net);
        String header = new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
        assertTrue(header.contains("\"dtype\":\"F32\"") && !header.contains("\"dtype\":\"F64\""), header.substring(0, 200));
        Module back = new Sequential(new Linear(3, 4, 5), new Lambda("Tanh", Tensor::tanh), new Linear(4, 2, 6));
        TorchWeights.load(p, back);
        assertEquals(DType.FLOAT64, back.parameters().get("0.weight").dtype(), "loaded into a float64 model: widened");
        assertArrayEquals(net.parameters().get("0.weight").toArray(), back.parameters().get("0.weight").toArray(), 0.0);
    }

    /** A failed save of a float32 tensor leaves the previous file whole (the atomic rename, as for float64). */
    @Test
    void failedFloat32SaveLeavesThePreviousFile() throws Exception {
        Path p = dir.resolve("keep.safetensors");
        SafeTensors.save(p, Map.of("w", Tensor.fromArray(new float[] {1, 2, 3})), null);
        byte[] before = Files.readAllBytes(p);
        java.lang.reflect.Method save = SafeTensors.class.getDeclaredMethod("save", Path.class, Map.class, Map.class, long.class);
        save.setAccessible(true);
        for (long failAfter : new long[] {0, 9, 100, 130}) {
            Throwable e = assertThrows(java.lang.reflect.InvocationTargetException.class,
                    () -> save.invoke(null, p, Map.of("w", Tensor.fromArray(new float[64])), null, failAfter)).getCause();
            assertTrue(e instanceof IOException, e.toString());
            assertArrayEquals(before, Files.readAllBytes(p), "after a failure at byte " + failAfter);
            try (var files = Files.list(dir)) {
                assertEquals(1, files.count(), "no temporary file left");
            }
        }
    }
}
