package dev.autodiff.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.Tensor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The safetensors file: round trips, failed saves, litter, tensors beyond 2 GiB. */
class CheckpointTest {
    @TempDir
    Path dir;

    private List<Path> files() throws IOException {
        try (Stream<Path> f = Files.list(dir)) {
            return f.sorted().collect(Collectors.toList());
        }
    }

    // ------------------------------------------------------------------------------------------- round trips

    @Test
    void readsAFileWrittenByAnIndependentWriter() throws Exception {
        Path p = Path.of(CheckpointTest.class.getResource("/fixtures/python_written.safetensors").toURI());
        SafeTensors.Contents c = SafeTensors.load(p);
        assertArrayEquals(new int[] {2, 3}, c.tensors().get("weights").shape());
        assertArrayEquals(new double[] {0.5, -1.25, 3.0, 1e-300, -0.0, 123456.789}, c.tensors().get("weights").toArray());
        assertArrayEquals(new double[] {1.5, -2.25, (double) 0.1f, (double) 3.0e38f}, c.tensors().get("halfway").toArray(),
                "F32");
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

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void randomTensorsRoundTripBitForBit(long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int k = 0; k < 6; k++) {
            int[] shape = r.ints(r.nextInt(4), 0, 5).toArray();
            double[] d = new double[Arrays.stream(shape).reduce(1, (x, y) -> x * y)];
            for (int i = 0; i < d.length; i++) {
                d[i] = Double.longBitsToDouble(r.nextLong()); // every bit pattern, NaNs and infinities included
            }
            tensors.put("t" + k + "\u00e9\"\\\n\ud83d\ude00", shape.length == 0 ? Tensor.scalar(d[0]) : Tensor.fromArray(d, shape));
        }
        Path p = dir.resolve("random.safetensors");
        SafeTensors.save(p, tensors, Map.of("seed", Long.toString(seed), "k\u0001", "\u0000\u2028"));
        SafeTensors.Contents c = SafeTensors.load(p);
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(c.tensors().keySet()), "seed " + seed);
        tensors.forEach((n, t) -> {
            assertArrayEquals(t.shape(), c.tensors().get(n).shape(), "seed " + seed + ", " + n);
            assertArrayEquals(Arrays.stream(t.toArray()).mapToLong(Double::doubleToRawLongBits).toArray(),
                    Arrays.stream(c.tensors().get(n).toArray()).mapToLong(Double::doubleToRawLongBits).toArray(),
                    "seed " + seed + ", " + n);
        });
        assertEquals("\u0000\u2028", c.metadata().get("k\u0001"));
    }

    // ------------------------------------------------------------------------------------------- failed saves

    @Test
    void aFailedSaveLeavesThePreviousCheckpointIntactAndNoTemporaryFile() throws IOException {
        Path ckpt = dir.resolve("model.safetensors");
        SafeTensors.save(ckpt, Map.of("w", Tensor.fromArray(new double[] {1, 2, 3})), Map.of());
        byte[] before = Files.readAllBytes(ckpt);
        Map<String, Tensor> second = Map.of("w", Tensor.fromArray(new double[] {7, 8, 9, 10}));
        for (long failAfter : new long[] {0, 5, 8, 40, 70, 95}) { // in the length, the header and the data (96 bytes in all)
            assertThrows(IOException.class, () -> SafeTensors.save(ckpt, second, Map.of(), failAfter));
            assertArrayEquals(before, Files.readAllBytes(ckpt), "after a failure at byte " + failAfter);
            assertEquals(List.of(ckpt), files(), "no temporary file is left behind, failure at byte " + failAfter);
        }
        SafeTensors.save(ckpt, second, Map.of());
        assertArrayEquals(new double[] {7, 8, 9, 10}, SafeTensors.load(ckpt).tensors().get("w").toArray());
    }

    @Test
    void aRefusedSaveTouchesNothing() throws IOException {
        Path ckpt = dir.resolve("model.safetensors");
        SafeTensors.save(ckpt, Map.of("w", Tensor.fromArray(new double[] {1, 2, 3})), Map.of("k", "v"));
        byte[] before = Files.readAllBytes(ckpt);
        Map<String, Tensor> nullTensor = new LinkedHashMap<>();
        nullTensor.put("w", null);
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);
        Tensor w = Tensor.ones(2);
        assertThrows(NullPointerException.class, () -> SafeTensors.save(ckpt, nullTensor, null));
        assertThrows(NullPointerException.class, () -> SafeTensors.save(ckpt, Map.of("w", w), nullValue));
        IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.save(ckpt, Map.of("__metadata__", w), null));
        assertTrue(reserved.getMessage().contains("'__metadata__' is reserved"), reserved.getMessage());
        IllegalArgumentException surrogate = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.save(ckpt, Map.of("w\ud800", w), null));
        assertTrue(surrogate.getMessage().contains("tensor name \"w\ud800\" has an unpaired surrogate U+D800 at index 1"),
                surrogate.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(ckpt, Map.of("w", w), Map.of("k", "\udc00")));
        IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.save(ckpt, Map.of("x".repeat(100_000_001), Tensor.ones(1)), null));
        assertTrue(tooBig.getMessage().contains("over the format's limit of 100000000"), tooBig.getMessage());
        assertArrayEquals(before, Files.readAllBytes(ckpt));
        assertEquals(List.of(ckpt), files());

        Path sub = Files.createDirectory(dir.resolve("sub.safetensors"));
        IOException e = assertThrows(IOException.class, () -> SafeTensors.save(sub, Map.of("w", w), null));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertEquals(List.of(ckpt, sub), files());
    }

    // ------------------------------------------------------------------------------------------- litter

    @Test
    void aDeadWritersPartialFileIsRemovedByTheNextLoadOrSave() throws IOException {
        Path ckpt = dir.resolve("m.safetensors");
        SafeTensors.save(ckpt, Map.of("w", Tensor.ones(2)), null);
        // as a killed process leaves them: named as ours, by another process, and locked by nobody
        Path other = dir.resolve(".other.safetensors.autodiff-4242-kx2v1c3-00ff00ff00ff00ff.partial");
        Path mine = dir.resolve(".m.safetensors.autodiff-1-abc-0123456789abcdef.partial");
        Files.write(other, new byte[1000]);
        Files.write(mine, new byte[10]);
        // and files that only look similar, which are not ours to delete
        List<Path> keep = Stream.of(".m.safetensors.tmp", ".m.safetensors.123.tmp", "m.partial",
                ".m.safetensors.autodiff-1-abc-0123456789abcdef.partial.bak", "x.autodiff-1-abc-0123456789abcdef.partial")
                .map(dir::resolve).collect(Collectors.toList());
        for (Path k : keep) {
            Files.write(k, new byte[1]);
        }
        SafeTensors.load(ckpt);
        Predicate<Path> gone = p -> !Files.exists(p);
        assertTrue(gone.test(other) && gone.test(mine), "stale partial files removed by a load: " + files());
        assertTrue(keep.stream().allMatch(Files::exists), "other files kept: " + files());

        Files.write(mine, new byte[10]);
        SafeTensors.save(ckpt, Map.of("w", Tensor.ones(3)), null);
        assertTrue(gone.test(mine), "stale partial files removed by a save: " + files());
        assertTrue(keep.stream().allMatch(Files::exists), "other files kept: " + files());
    }

    @Test
    void aPartialFileOfThisProcessIsLeftToItsSave() throws IOException {
        Path ckpt = dir.resolve("m.safetensors");
        SafeTensors.save(ckpt, Map.of("w", Tensor.ones(2)), null);
        PartialFiles.Partial live = PartialFiles.create(ckpt); // as a save on another thread holds it
        try (FileChannel ch = live.channel()) {
            assertTrue(PartialFiles.isPartial(live.path()), live.path().toString());
            SafeTensors.load(ckpt);
            SafeTensors.save(ckpt, Map.of("w", Tensor.ones(3)), null);
            assertTrue(Files.exists(live.path()), "a live save's file is not removed");
            Files.delete(live.path());
        }
    }

    // ------------------------------------------------------------------------------------------- beyond 2 GiB

    /** A sparse file holding a header for tensor "a" of the given dtype and shape, and its (unwritten) data. */
    private Path sparse(String name, String dtype, long[] shape, long bytes) throws IOException {
        String h = "{\"a\":{\"dtype\":\"" + dtype + "\",\"shape\":" + Arrays.toString(shape).replace(" ", "")
                + ",\"data_offsets\":[0," + bytes + "]}}";
        h += " ".repeat((8 - h.length() % 8) % 8);
        Path p = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length()).flip());
            ch.write(ByteBuffer.wrap(h.getBytes(StandardCharsets.US_ASCII)));
            ch.write(ByteBuffer.allocate(1), 8 + h.length() + bytes - 1); // the file's full size, without writing it
        }
        return p;
    }

    @Test
    void aTensorTooLargeForATensorIsRefusedBeforeAnyAllocation() throws IOException {
        Runtime rt = Runtime.getRuntime();
        Object[][] cases = {
            {"F32", new long[] {1L << 31}, 4L << 31, "has 2147483648 elements; a Tensor here holds at most 2147483639"},
            {"F64", new long[] {3, 1L << 30}, 24L << 30, "has 3221225472 elements"},
            {"F64", new long[] {Integer.MAX_VALUE - 7}, 8L * (Integer.MAX_VALUE - 7), "has 2147483640 elements"},
        };
        for (Object[] c : cases) {
            Path p = sparse("huge-" + c[0] + ".safetensors", (String) c[0], (long[]) c[1], (long) c[2]);
            long used = rt.totalMemory() - rt.freeMemory();
            IOException e = assertThrows(IOException.class, () -> SafeTensors.load(p));
            assertTrue(e.getMessage().startsWith("safetensors: " + p + ": tensor 'a' of shape ")
                    && e.getMessage().contains((String) c[3]), e.getMessage());
            assertTrue(rt.totalMemory() - rt.freeMemory() - used < 64 << 20, "refused without allocating the tensor");
            Files.delete(p);
        }
    }

    @Test
    void dataIsReadAtPositionsBeyondFourGiB() throws IOException {
        Path p = dir.resolve("far.bin");
        long far = (5L << 30) + 4; // past 2^32: an int position would wrap
        double[] want = {1.5, -2.25, Math.PI, Double.MIN_VALUE};
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : want) {
                b.putDouble(v);
            }
            for (double v : want) {
                b.putFloat((float) v);
            }
            ch.write(b.flip(), far);
            double[] d = new double[4];
            SafeTensors.readInto(p, ch, far, d, false);
            assertArrayEquals(want, d);
            SafeTensors.readInto(p, ch, far + 32, d, true);
            assertArrayEquals(Arrays.stream(want).map(v -> (float) v).toArray(), d);
        }
    }

    /** The values at some indices of a tensor of 2^28 + 2 doubles (2 GiB + 16 bytes), around the 2 GiB mark. */
    private static final long N = (1L << 28) + 2;
    private static final long[] AT = {0, (1L << 28) - 1, 1L << 28, N - 1};

    private Path overTwoGiB() throws IOException {
        Path p = sparse("over2GiB.safetensors", "F64", new long[] {N}, 8 * N);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            long start = ch.size() - 8 * N;
            for (long i : AT) {
                ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(i + 0.5).flip(), start + 8 * i);
            }
        }
        return p;
    }

    private static String loadInChild(Path p, String heap) throws IOException, InterruptedException {
        String[] args = Stream.concat(Stream.of("load", p.toString()), Arrays.stream(AT).mapToObj(Long::toString))
                .toArray(String[]::new);
        Process child = CheckpointChild.jvm(heap, args).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, child.waitFor(), out);
        return out;
    }

    @Test
    void aTensorOverTwoGiBThatTheHeapCannotHoldIsRefusedClearly() throws Exception {
        Path p = overTwoGiB();
        String out = loadInChild(p, "512m");
        assertTrue(out.startsWith("refused: safetensors: " + p + ": tensor 'a' has 268435458 elements (2147483664 bytes as "
                + "doubles), more than this JVM's heap can give"), out);
    }

    /**
     * Opt-in (-Dautodiff.largeFiles=true): a child JVM with a 6 GiB heap reads 2 GiB from a sparse file, about
     * 6 s and 4.5 GiB of memory, too much for every CI run. The refusal above and the reads beyond 4 GiB run
     * always.
     */
    @Test
    void aTensorOverTwoGiBIsReadCorrectly() throws Exception {
        assumeTrue(Boolean.getBoolean("autodiff.largeFiles"), "set -Dautodiff.largeFiles=true to run");
        long free = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getFreeMemorySize();
        assumeTrue(free > 8L << 30, "needs 8 GiB of free memory for a child JVM with two 2 GiB arrays; " + free + " free");
        String out = loadInChild(overTwoGiB(), "6g");
        assertEquals("shape [" + N + "] 0.5 " + ((1L << 28) - 0.5) + " " + ((1L << 28) + 0.5) + " " + (N - 0.5), out);
    }
}
