package dev.autodiff.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Lambda;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Sequential;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Sgd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CheckpointTest {
    @TempDir
    Path dir;

    private static Sequential model(long seed) {
        return new Sequential(new Linear(3, 5, seed), new Lambda("tanh", Tensor::tanh), new Linear(5, 2, seed + 2));
    }

    private static double trainSteps(Sequential m, Adam opt, int steps) {
        Tensor x = Tensor.randn(1, 8, 3);
        Tensor y = Tensor.randn(2, 8, 2);
        double loss = 0;
        for (int i = 0; i < steps; i++) {
            opt.zeroGrad();
            Tensor l = Losses.mse(m.forward(x), y);
            l.backward();
            opt.step();
            loss = l.item();
        }
        return loss;
    }

    @Test
    void aFailedSaveLeavesThePreviousCheckpointIntact() throws IOException {
        Path ckpt = dir.resolve("model.safetensors");
        Map<String, Tensor> first = Map.of("w", Tensor.fromArray(new double[] {1, 2, 3}));
        SafeTensors.save(ckpt, first, Map.of());
        byte[] before = Files.readAllBytes(ckpt);
        Map<String, Tensor> second = Map.of("w", Tensor.fromArray(new double[] {7, 8, 9, 10}));
        for (long failAfter : new long[] {0, 5, 40, 70}) { // in the length, the header and the data (96 bytes in all)
            assertThrows(IOException.class, () -> SafeTensors.save(ckpt, second, Map.of(), failAfter));
            assertArrayEquals(before, Files.readAllBytes(ckpt), "after a failure at byte " + failAfter);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary files are left behind");
        }
        SafeTensors.save(ckpt, second, Map.of());
        assertArrayEquals(new double[] {7, 8, 9, 10}, SafeTensors.load(ckpt).tensors().get("w").toArray());
    }

    @Test
    void readsAFileWrittenByAnIndependentWriter() throws Exception {
        Path p = Path.of(CheckpointTest.class.getResource("/fixtures/python_written.safetensors").toURI());
        SafeTensors.Contents c = SafeTensors.load(p);
        assertArrayEquals(new int[] {2, 3}, c.tensors().get("weights").shape());
        assertArrayEquals(new double[] {0.5, -1.25, 3.0, 1e-300, -0.0, 123456.789}, c.tensors().get("weights").toArray());
        assertArrayEquals(new double[] {1.5, -2.25, (double) 0.1f, (double) 3.0e38f}, c.tensors().get("halfway").toArray());
        assertEquals(Math.PI, c.tensors().get("scalar").item());
        assertEquals(0, c.tensors().get("scalar").rank());
        assertEquals("python struct", c.metadata().get("source"));
        assertEquals("quote \" and \\ escapes", c.metadata().get("note"));
        // and what this library writes has the same layout: header length, JSON, little-endian data
        Path mine = dir.resolve("mine.safetensors");
        SafeTensors.save(mine, new LinkedHashMap<>(c.tensors()), c.metadata());
        SafeTensors.Contents back = SafeTensors.load(mine);
        assertArrayEquals(c.tensors().get("weights").toArray(), back.tensors().get("weights").toArray());
        byte[] raw = Files.readAllBytes(mine);
        long n = ByteBuffer.wrap(raw, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
        assertTrue(new String(raw, 8, (int) n, StandardCharsets.UTF_8).contains("\"dtype\":\"F64\""));
    }

    /** Builds a file from a raw header and a data length. */
    private Path file(String header, int dataBytes, long declaredHeaderLength) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredHeaderLength < 0 ? h.length : declaredHeaderLength).put(h);
        Path p = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    static Stream<Arguments> hostileFiles() {
        String ok = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}";
        return Stream.of(
                Arguments.of("truncated data", ok, 8, -1L, "cover 16 bytes"),
                Arguments.of("trailing bytes", ok, 24, -1L, "cover 16 bytes"),
                Arguments.of("huge header length", ok, 16, Long.MAX_VALUE, "impossible"),
                Arguments.of("header past the end", ok, 16, 4000L, "impossible"),
                Arguments.of("huge shape", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,4],\"data_offsets\":[0,16]}}",
                        16, -1L, "too large"),
                Arguments.of("offsets disagree with shape", "{\"a\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,16]}}",
                        16, -1L, "data_offsets"),
                Arguments.of("overlap", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                        + "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}", 16, -1L, "overlap"),
                Arguments.of("hole", "{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}", 16, -1L, "holes"),
                Arguments.of("bad JSON", "{\"a\":{\"dtype\":\"F64\",", 16, -1L, "JSON"),
                Arguments.of("duplicate key", "{\"a\":{},\"a\":{}}", 0, -1L, "duplicate"),
                Arguments.of("deep nesting", "[".repeat(5000) + "]".repeat(5000), 0, -1L, "nested"),
                Arguments.of("unsupported dtype", "{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16, -1L, "I64"),
                Arguments.of("negative dimension", "{\"a\":{\"dtype\":\"F64\",\"shape\":[-2],\"data_offsets\":[0,16]}}", 16, -1L, "shape"),
                Arguments.of("metadata not strings", "{\"__metadata__\":{\"k\":1}}", 0, -1L, "not a string"),
                Arguments.of("not an object", "[1,2]", 0, -1L, "not a JSON object"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileFiles")
    void corruptTruncatedOrHostileFilesGiveClearErrors(String name, String header, int dataBytes, long declared, String mention)
            throws IOException {
        Path p = file(header, dataBytes, declared);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.load(p));
        assertTrue(e.getMessage().contains(mention), name + ": " + e.getMessage());
    }

    @Test
    void aFileShorterThanItsHeaderLength() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.load(p));
        assertTrue(e.getMessage().contains("fewer than the 8"), e.getMessage());
    }
}
