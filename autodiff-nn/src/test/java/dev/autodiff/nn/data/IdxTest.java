package dev.autodiff.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX files written here byte by byte, as the format's description says, and read back. */
class IdxTest {
    @TempDir
    Path dir;

    /** The header: two zero bytes, the type, the rank, the dimensions as big-endian ints. */
    private static byte[] header(int type, int... dims) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.write(new byte[] {0, 0, (byte) type, (byte) dims.length});
        for (int d : dims) {
            out.writeInt(d);
        }
        return b.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    private Path write(String name, byte[] bytes, boolean gzip) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            out.write(bytes);
        }
        return p;
    }

    @Test
    void unsignedBytesInBothFormsAndTheirShape() throws IOException {
        byte[] data = {0, 1, (byte) 127, (byte) 128, (byte) 254, (byte) 255};
        byte[] file = concat(header(0x08, 1, 2, 3), data);
        for (boolean gzip : new boolean[] {false, true}) {
            Idx.Array a = Idx.read(write("u8" + gzip, file, gzip));
            assertArrayEquals(new int[] {1, 2, 3}, a.shape());
            assertArrayEquals(new double[] {0, 1, 127, 128, 254, 255}, a.values(), 0.0);
            Tensor t = Idx.readTensor(dir.resolve("u8" + gzip), 255.0);
            assertArrayEquals(new int[] {1, 2, 3}, t.shape());
            assertArrayEquals(new double[] {0, 1 / 255.0, 127 / 255.0, 128 / 255.0, 254 / 255.0, 1}, t.toArray(), 0.0);
        }
    }

    @Test
    void float32TensorsHoldEachQuotientRoundedOnce() throws IOException {
        byte[] data = new byte[256];
        for (int k = 0; k < 256; k++) {
            data[k] = (byte) k;
        }
        Path p = write("all-bytes", concat(header(0x08, 16, 16), data), true);
        Tensor t = Idx.readTensor(p, 255.0, DType.FLOAT32);
        assertEquals(DType.FLOAT32, t.dtype());
        assertArrayEquals(new int[] {16, 16}, t.shape());
        float[] v = t.toFloatArray();
        for (int k = 0; k < 256; k++) {
            assertEquals((float) (k / 255.0), v[k], 0f, "byte " + k);
        }
        assertEquals(1f, v[255], 0f);
        // more elements than one read buffer holds: the float32 copy of every buffer lands in its place
        byte[] big = new byte[200_000];
        for (int k = 0; k < big.length; k++) {
            big[k] = (byte) (k * 7);
        }
        float[] w = Idx.readTensor(write("big", concat(header(0x08, big.length), big), false), 255.0, DType.FLOAT32)
                .toFloatArray();
        double[] wide = Idx.readTensor(dir.resolve("big"), 255.0).toArray();
        for (int k = 0; k < big.length; k++) {
            assertEquals((float) wide[k], w[k], 0f, "element " + k);
        }
        NullPointerException e = assertThrows(NullPointerException.class, () -> Idx.readTensor(p, 255.0, null));
        assertTrue(e.getMessage().contains("Idx.readTensor: dtype is null"), e.getMessage());
    }

    @Test
    void everyElementType() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.write(header(0x09, 3));
        out.write(new byte[] {-128, -1, 127});
        assertArrayEquals(new double[] {-128, -1, 127}, Idx.read(write("i8", b.toByteArray(), false)).values(), 0.0);

        b.reset();
        out.write(header(0x0B, 2));
        out.writeShort(-30000);
        out.writeShort(1234);
        assertArrayEquals(new double[] {-30000, 1234}, Idx.read(write("i16", b.toByteArray(), false)).values(), 0.0);

        b.reset();
        out.write(header(0x0C, 2));
        out.writeInt(Integer.MIN_VALUE);
        out.writeInt(70000);
        Idx.Array ints = Idx.read(write("i32", b.toByteArray(), false));
        assertArrayEquals(new int[] {Integer.MIN_VALUE, 70000}, ints.toInts());

        b.reset();
        out.write(header(0x0D, 2));
        out.writeFloat(0.1f);
        out.writeFloat(-3.5f);
        assertArrayEquals(new double[] {0.1f, -3.5}, Idx.read(write("f32", b.toByteArray(), false)).values(), 0.0);

        b.reset();
        out.write(header(0x0E, 1, 2));
        out.writeDouble(Math.PI);
        out.writeDouble(-0.0);
        Idx.Array d = Idx.read(write("f64", b.toByteArray(), true));
        assertEquals(Double.doubleToRawLongBits(Math.PI), Double.doubleToRawLongBits(d.values()[0]));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(d.values()[1]));
    }

    @Test
    void dataLongerThanOneReadBuffer() throws IOException {
        int n = 200_000; // spans several 64 KiB reads
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i * 31);
        }
        Idx.Array a = Idx.read(write("big", concat(header(0x08, n), data), true));
        for (int i = 0; i < n; i += 997) {
            assertEquals((i * 31) & 0xff, a.values()[i], "element " + i);
        }
        assertEquals((199_999 * 31) & 0xff, a.values()[n - 1]);
    }

    private void assertRefused(String name, byte[] bytes, boolean gzip, String... phrases) throws IOException {
        Path p = write(name, bytes, gzip);
        for (boolean tensor : new boolean[] {false, true}) {
            IOException e = assertThrows(IOException.class, () -> {
                if (tensor) {
                    Idx.readTensor(p, 1.0);
                } else {
                    Idx.read(p);
                }
            });
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            for (String phrase : phrases) {
                assertTrue(e.getMessage().contains(phrase), "'" + phrase + "' missing from: " + e.getMessage());
            }
        }
    }

    @Test
    void badFilesAreRefusedNamingTheFileAndTheProblem() throws IOException {
        byte[] good = concat(header(0x08, 2, 3), new byte[6]);
        for (boolean gzip : new boolean[] {false, true}) {
            String z = gzip ? "gz" : "raw";
            assertRefused("truncated-data" + z, Arrays.copyOf(good, good.length - 1), gzip, "truncated", "needs 6 bytes",
                    "has 5");
            assertRefused("trailing" + z, concat(good, new byte[] {9}), gzip, "bytes follow");
            assertRefused("truncated-header" + z, Arrays.copyOf(good, 6), gzip, "truncated", "dimension 0");
            assertRefused("short" + z, new byte[] {0, 0}, gzip, "ends after 2 bytes");
            assertRefused("empty" + z, new byte[0], gzip, "ends after 0 bytes");
            assertRefused("magic" + z, concat(new byte[] {1, 0}, Arrays.copyOfRange(good, 2, good.length)), gzip,
                    "not an IDX file", "0x01 0x00");
            assertRefused("type" + z, concat(header(0x07, 2), new byte[2]), gzip, "unknown IDX element type 0x07");
            assertRefused("rank0" + z, header(0x08), gzip, "rank 0");
            assertRefused("huge" + z, header(0x08, 65536, 65536), gzip, "more elements than an array can hold");
            assertRefused("negative" + z, header(0x08, -1), gzip, "more than an array can hold");
            // a header that claims far more data than the file holds is refused before anything is allocated: by
            // the file's length when it is not compressed, by the heap's size when it is (the test JVM's -Xmx4g)
            assertRefused("claims" + z, concat(header(0x0E, 65536, 30000), new byte[8]), gzip,
                    gzip ? "maximum heap" : "truncated");
        }
        // a gzip header cut short
        Path header = dir.resolve("header.gz");
        Files.write(header, new byte[] {0x1f, (byte) 0x8b, 8, 0});
        IOException h = assertThrows(IOException.class, () -> Idx.read(header));
        assertTrue(h.getMessage().contains(header.toString()) && h.getMessage().contains("gzip header"), h.getMessage());
        // a gzip stream cut short
        Path whole = write("whole", concat(header(0x08, 1000), new byte[1000]), true);
        byte[] cut = Files.readAllBytes(whole);
        Path p = dir.resolve("cut.gz");
        Files.write(p, Arrays.copyOf(cut, cut.length - 12));
        IOException e = assertThrows(IOException.class, () -> Idx.read(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void toIntsRefusesFractions() {
        Idx.Array a = new Idx.Array(new int[] {2}, new double[] {1, 2.5});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, a::toInts);
        assertTrue(e.getMessage().contains("element 1 is 2.5"), e.getMessage());
    }

    // ---- Fashion-MNIST's layout, with files made here (nothing is downloaded)

    private void fashionFiles(Path folder, int trainCount, int testCount) throws IOException {
        Files.createDirectories(folder);
        for (String[] split : new String[][] {{"train", "" + trainCount}, {"t10k", "" + testCount}}) {
            int n = Integer.parseInt(split[1]);
            byte[] px = new byte[n * 784];
            byte[] labels = new byte[n];
            for (int i = 0; i < n; i++) {
                px[i * 784 + (i % 784)] = (byte) 255; // image i has one white pixel, at i mod 784
                labels[i] = (byte) (i % 10);
            }
            Files.write(folder.resolve(split[0] + "-labels-idx1-ubyte"), concat(header(0x08, n), labels));
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(folder.resolve(split[0]
                    + "-images-idx3-ubyte.gz")))) {
                out.write(concat(header(0x08, n, 28, 28), px));
            }
        }
    }

    @Test
    void fashionMnistFromAFolder() throws IOException {
        Path folder = dir.resolve("fm");
        fashionFiles(folder, 60_000, 10_000);
        FashionMnist fm = FashionMnist.load(folder);
        assertEquals(60_000, fm.train().size());
        assertArrayEquals(new int[] {60_000, 1, 28, 28}, fm.train().images().shape());
        assertArrayEquals(new int[] {10_000, 1, 28, 28}, fm.test().images().shape());
        Tensor img = fm.train().images().slice(0, 1234, 1235).reshape(784);
        assertEquals(1.0, img.toArray()[1234 % 784], 0.0);
        assertEquals(1.0, img.sum().item(), 0.0);
        assertEquals(4, fm.train().labels()[1234]);
        assertEquals(9, fm.test().labels()[9999]);
    }

    @Test
    void fashionMnistInFloat32() throws IOException {
        Path folder = dir.resolve("fm32");
        fashionFiles(folder, 60_000, 10_000);
        FashionMnist fm = FashionMnist.load(folder, DType.FLOAT32);
        assertEquals(DType.FLOAT32, fm.train().images().dtype());
        assertEquals(DType.FLOAT32, fm.test().images().dtype());
        assertArrayEquals(new int[] {60_000, 1, 28, 28}, fm.train().images().shape());
        float[] img = fm.train().images().slice(0, 1234, 1235).reshape(784).toFloatArray();
        assertEquals(1f, img[1234 % 784], 0f);
        assertEquals(4, fm.train().labels()[1234]);
        // a batch drawn from it stays float32
        TensorDataset ds = TensorDataset.of(fm.test().images().reshape(10_000, 784), fm.test().labels());
        Batch b = DataLoader.of(ds).batchSize(100).shuffle(3).epoch(0).iterator().next();
        assertEquals(DType.FLOAT32, b.input().dtype());
        NullPointerException e = assertThrows(NullPointerException.class, () -> FashionMnist.load(folder, null));
        assertTrue(e.getMessage().contains("FashionMnist.load: dtype is null"), e.getMessage());
    }

    @Test
    void fashionMnistSaysWhatIsMissing() throws IOException {
        IOException none = assertThrows(IOException.class, () -> FashionMnist.load(dir.resolve("nowhere")));
        assertTrue(none.getMessage().contains("is not a folder"), none.getMessage());
        Path folder = dir.resolve("small");
        fashionFiles(folder, 100, 10);
        IOException wrong = assertThrows(IOException.class, () -> FashionMnist.load(folder));
        assertTrue(wrong.getMessage().contains("100 images") && wrong.getMessage().contains("60000"), wrong.getMessage());
        Files.delete(folder.resolve("t10k-labels-idx1-ubyte"));
        fashionFiles(dir.resolve("partial"), 60_000, 10_000);
        Files.delete(dir.resolve("partial").resolve("t10k-labels-idx1-ubyte"));
        IOException missing = assertThrows(IOException.class, () -> FashionMnist.load(dir.resolve("partial")));
        assertTrue(missing.getMessage().contains("t10k-labels-idx1-ubyte"), missing.getMessage());
    }

    @Test
    void theDebianFolderWhenInstalled() throws IOException {
        Path debian = Path.of(FashionMnist.DEBIAN_FOLDER);
        if (!Files.isDirectory(debian)) {
            IOException e = assertThrows(IOException.class, FashionMnist::load);
            assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
            return;
        }
        FashionMnist fm = FashionMnist.load();
        // the distribution's own facts: 6,000 training images per class, 1,000 test images per class
        int[] perClass = new int[10];
        for (int y : fm.train().labels()) {
            perClass[y]++;
        }
        assertArrayEquals(new int[] {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}, perClass);
        double max = fm.test().images().max().item();
        assertEquals(1.0, max, 0.0);
    }
}
