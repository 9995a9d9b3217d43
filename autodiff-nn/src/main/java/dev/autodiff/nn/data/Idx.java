package dev.autodiff.nn.data;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST (gzip-compressed or not, told apart by the gzip magic): two zero
 * bytes, a type byte (0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double), the
 * rank, one big-endian int per dimension, then the elements, big-endian, row-major. A file whose header is not IDX,
 * whose data is shorter than its header says, or that has bytes after its data, gets an {@link IOException} naming
 * the file and what is wrong.
 */
public final class Idx {
    private Idx() {}

    /** The largest rank read; MNIST's files have rank 1 (labels) and 3 (images). */
    private static final int MAX_RANK = 16;

    /** An IDX file's contents: its shape and its elements as doubles (exact for every IDX type). */
    public record Array(int[] shape, double[] values) {
        /** The elements as a tensor of this shape. */
        public Tensor toTensor() {
            return Tensor.fromArray(values, shape);
        }

        /**
         * The elements as ints (labels); refuses a value that is not an integer.
         *
         * @throws IllegalArgumentException naming the first non-integer element
         */
        public int[] toInts() {
            int[] out = new int[values.length];
            for (int i = 0; i < values.length; i++) {
                double v = values[i];
                if (v != Math.rint(v) || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("Idx.toInts: element " + i + " is " + v + ", not an int");
                }
                out[i] = (int) v;
            }
            return out;
        }
    }

    /** Reads the IDX file at {@code path}, gzip-compressed or not. */
    public static Array read(Path path) throws IOException {
        Objects.requireNonNull(path, "Idx.read: path is null");
        try (Reader r = new Reader(path)) {
            double[] values = new double[r.count];
            r.readData(values, 1.0);
            return new Array(r.shape, values);
        }
    }

    /**
     * Reads the IDX file at {@code path} into a tensor of its shape, each element divided by {@code divisor}
     * (255 for pixels in [0, 1], as torchvision's {@code ToTensor}), holding the data only once in memory.
     */
    public static Tensor readTensor(Path path, double divisor) throws IOException {
        return readTensor(path, divisor, DType.FLOAT64);
    }

    /**
     * {@link #readTensor(Path, double)} into a tensor of {@code dtype}: in float32 each element is the float64 quotient
     * rounded once, and no float64 copy of the whole file is ever made (a float32 data set in half the memory).
     */
    public static Tensor readTensor(Path path, double divisor, DType dtype) throws IOException {
        Objects.requireNonNull(path, "Idx.readTensor: path is null");
        Objects.requireNonNull(dtype, "Idx.readTensor: dtype is null");
        try (Reader r = new Reader(path)) {
            IOException[] failed = new IOException[1];
            Tensor t = dtype == DType.FLOAT64
                    ? Tensor.filled(values -> r.readData(values, null, divisor, failed), r.shape)
                    : Tensor.filledFloat(values -> r.readData(null, values, divisor, failed), r.shape);
            if (failed[0] != null) {
                throw failed[0];
            }
            return t;
        }
    }

    /** An open IDX file whose header has been read and checked. */
    private static final class Reader implements AutoCloseable {
        final String file;
        final InputStream in;
        final int type;
        final int width;
        final int[] shape;
        final int count;

        Reader(Path path) throws IOException {
            InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
            try {
                raw.mark(2);
                boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
                raw.reset();
                file = path + (gzip ? " (gzip)" : "");
                try {
                    in = gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
                } catch (java.util.zip.ZipException e) {
                    throw new IOException(file + ": not a valid gzip stream: " + e.getMessage(), e);
                } catch (EOFException e) {
                    throw new IOException(file + ": truncated inside its gzip header", e);
                }
                int[] header = new int[4];
                for (int i = 0; i < 4; i++) {
                    header[i] = read();
                    if (header[i] < 0) {
                        throw new IOException(file + ": not an IDX file: it ends after " + i
                                + " bytes, inside the 4-byte header");
                    }
                }
                if (header[0] != 0 || header[1] != 0) {
                    throw new IOException(String.format("%s: not an IDX file: it starts with bytes 0x%02x 0x%02x, "
                            + "expected two zero bytes", file, header[0], header[1]));
                }
                type = header[2];
                width = switch (type) {
                    case 0x08, 0x09 -> 1;
                    case 0x0B -> 2;
                    case 0x0C, 0x0D -> 4;
                    case 0x0E -> 8;
                    default -> throw new IOException(String.format("%s: unknown IDX element type 0x%02x; expected "
                            + "0x08 (ubyte), 0x09 (byte), 0x0B (short), 0x0C (int), 0x0D (float) or 0x0E (double)",
                            file, type));
                };
                int rank = header[3];
                if (rank == 0 || rank > MAX_RANK) {
                    throw new IOException(file + ": IDX rank " + rank + " is outside [1, " + MAX_RANK + "]");
                }
                shape = new int[rank];
                long n = 1;
                byte[] dim = new byte[4];
                for (int d = 0; d < rank; d++) {
                    if (readFully(dim, 4) < 4) {
                        throw new IOException(file + ": truncated: the header ends inside dimension " + d + " of " + rank);
                    }
                    shape[d] = java.nio.ByteBuffer.wrap(dim).getInt();
                    if (shape[d] < 0) {
                        throw new IOException(file + ": dimension " + d + " is " + Integer.toUnsignedString(shape[d])
                                + ", more than an array can hold");
                    }
                    n *= shape[d];
                    if (n > Integer.MAX_VALUE - 8) {
                        throw new IOException(file + ": shape " + Arrays.toString(Arrays.copyOf(shape, d + 1))
                                + "... has more elements than an array can hold");
                    }
                }
                count = (int) n;
                long dataBytes = n * width;
                long headerBytes = 4 + 4L * rank;
                if (!gzip) {
                    // the file's length says whether the data is all there, before anything is allocated
                    long have = Files.size(path) - headerBytes;
                    if (have < dataBytes) {
                        throw truncated(have);
                    }
                    if (have > dataBytes) {
                        throw trailing();
                    }
                }
                // a compressed stream's length is known only by reading it: refuse at least a header whose
                // elements could never be held, rather than fail allocating them
                long maxHeap = Runtime.getRuntime().maxMemory();
                if (8 * n > maxHeap) {
                    throw new IOException(file + ": shape " + Arrays.toString(shape) + " needs " + 8 * n
                            + " bytes as doubles, more than this JVM's maximum heap (" + maxHeap + " bytes, -Xmx)");
                }
            } catch (IOException | RuntimeException e) {
                raw.close();
                throw e;
            }
        }

        private int read() throws IOException {
            try {
                return in.read();
            } catch (java.util.zip.ZipException | EOFException e) {
                throw corrupt(e);
            }
        }

        private int readFully(byte[] buf, int len) throws IOException {
            try {
                return in.readNBytes(buf, 0, len);
            } catch (java.util.zip.ZipException | EOFException e) {
                throw corrupt(e);
            }
        }

        private IOException corrupt(IOException e) {
            return new IOException(file + ": corrupt or truncated gzip stream"
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        }

        /** The data ends after {@code have} of the bytes the shape needs. */
        private IOException truncated(long have) {
            return new IOException(file + ": truncated: shape " + Arrays.toString(shape) + " needs "
                    + (long) count * width + " bytes of data after the header, the file has " + have);
        }

        private IOException trailing() {
            return new IOException(file + ": bytes follow the " + (long) count * width + " bytes of data that shape "
                    + Arrays.toString(shape) + " needs: not an IDX file of that shape");
        }

        /** Reads the count elements into out, divided by divisor, and checks that nothing follows them. */
        void readData(double[] out, double divisor) throws IOException {
            readData(out, null, divisor);
        }

        /** {@link #readData(double[], float[], double)} with its failure kept in {@code failed[0]} (for a writer lambda). */
        void readData(double[] out, float[] out32, double divisor, IOException[] failed) {
            try {
                readData(out, out32, divisor);
            } catch (IOException e) {
                failed[0] = e;
            }
        }

        /** Into out, or into out32 as float32 values: each buffer's elements decoded in float64, then rounded once. */
        private void readData(double[] out, float[] out32, double divisor) throws IOException {
            byte[] buf = new byte[1 << 16];
            int perBuf = buf.length / width;
            double[] chunk = out32 == null ? null : new double[perBuf];
            for (int done = 0; done < count; ) {
                int take = Math.min(perBuf, count - done);
                int bytes = take * width;
                int got = readFully(buf, bytes);
                if (got < bytes) {
                    throw truncated((long) done * width + got);
                }
                if (out32 == null) {
                    decode(type, buf, take, out, done, divisor);
                } else {
                    decode(type, buf, take, chunk, 0, divisor);
                    for (int i = 0; i < take; i++) {
                        out32[done + i] = (float) chunk[i];
                    }
                }
                done += take;
            }
            if (read() >= 0) {
                throw trailing();
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** {@code out[at + i] = element i of b / divisor}, big-endian as IDX; one loop per element type. */
    private static void decode(int type, byte[] b, int count, double[] out, int at, double divisor) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        switch (type) {
            case 0x08 -> {
                for (int i = 0; i < count; i++) {
                    out[at + i] = (b[i] & 0xff) / divisor;
                }
            }
            case 0x09 -> {
                for (int i = 0; i < count; i++) {
                    out[at + i] = b[i] / divisor;
                }
            }
            case 0x0B -> {
                for (int i = 0; i < count; i++) {
                    out[at + i] = bb.getShort(2 * i) / divisor;
                }
            }
            case 0x0C -> {
                for (int i = 0; i < count; i++) {
                    out[at + i] = bb.getInt(4 * i) / divisor;
                }
            }
            case 0x0D -> {
                for (int i = 0; i < count; i++) {
                    out[at + i] = bb.getFloat(4 * i) / divisor;
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    out[at + i] = bb.getDouble(8 * i) / divisor;
                }
            }
        }
    }
}
