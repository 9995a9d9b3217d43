package dev.autodiff.nn.io;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON beginning with
 * '{' ({@code {"name": {"dtype": "F64", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
 * {string: string}}}), then the raw little-endian data, tensor after tensor with no holes up to the end
 * of the file. Writes a float64 tensor as F64 and a float32 one as F32. Reads F64 as float64 tensors; F32, F16 and
 * BF16 as float32 tensors (every F16 and BF16 value is a float32 exactly, NaN payloads, infinities, signed zeros and
 * F16's subnormals included); and the integer dtypes I64 and I32 (as PyTorch keeps batch norm's
 * num_batches_tracked) as float64, refusing an integer that a double cannot hold exactly (beyond 2^53). Loading
 * into a model ({@link Checkpoints}, {@link TorchWeights}) then converts each tensor to the dtype of the model's
 * tensor it fills, as the safetensors tools load a file into a model of another dtype.
 *
 * <p>Saving never harms the previous file: the new one is written beside it under a temporary name,
 * forced to disk, renamed over the target atomically, and the directory forced. If the save fails
 * (I/O error, full disk, an argument it refuses), the temporary file is deleted and the target is as it
 * was; if the process is killed, the temporary file is deleted by the next save or load in that
 * directory (see {@link PartialFiles} for how it knows that the writer is dead).
 *
 * <p>Loading is strict and checks everything before it allocates: the header length, UTF-8, RFC 8259
 * JSON, each entry's dtype, shape and data_offsets, that the tensors tile the data exactly, and that each
 * fits a {@link Tensor} (at most 2,147,483,639 elements). A file that is not a valid
 * safetensors file, or one that this library cannot hold, gives an {@link IOException} whose message
 * names the file and says what is wrong. Unknown keys inside a tensor's entry are ignored, as the
 * reference implementation does.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Headers larger than this are refused (the reference implementation's limit). */
    static final long MAX_HEADER = 100_000_000L;

    /** The most elements a Tensor (a Java double[]) can hold here. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Every dtype of the format; this library reads F64, F32, F16, BF16, I64 and I32. */
    private static final Set<String> DTYPES = Set.of("BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
            "BF16", "I32", "U32", "F32", "F64", "I64", "U64");

    private static final int CHUNK = 1 << 20;

    /** Tensors and string metadata read from a file. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /**
     * Writes {@code tensors} (in the map's order, float32 ones as F32, float64 ones as F64) and {@code metadata}
     * (may be null) to {@code path},
     * replacing it atomically. Throws IllegalArgumentException, before touching the disk, for a tensor named
     * "__metadata__", a name or metadata that is not valid Unicode, or a header over the format's limit.
     */
    public static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        save(path, tensors, metadata, Long.MAX_VALUE);
    }

    /** As {@link #save}, failing with an IOException once {@code failAfter} bytes are written (for tests). */
    static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata, long failAfter) throws IOException {
        byte[] header = header(path, tensors, metadata);
        Path dir = path.toAbsolutePath().getParent();
        if (Files.isDirectory(path)) {
            throw new IOException("SafeTensors.save: " + path + " is a directory");
        }
        Files.createDirectories(dir);
        PartialFiles.removeStale(dir);
        PartialFiles.Partial tmp = PartialFiles.create(path);
        try (FileChannel ch = tmp.channel()) { // closing releases the lock, after the rename or the delete
            try {
                long[] written = {0};
                write(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip(), written,
                        failAfter);
                write(ch, ByteBuffer.wrap(header), written, failAfter);
                ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                for (Tensor t : tensors.values()) {
                    if (t.dtype() == DType.FLOAT32) {
                        float[] f = t.toFloatArray();
                        for (int off = 0; off < f.length; ) {
                            int k = Math.min(f.length - off, buf.remaining() / 4);
                            buf.asFloatBuffer().put(f, off, k);
                            buf.position(buf.position() + 4 * k);
                            off += k;
                            if (!buf.hasRemaining()) {
                                write(ch, buf.flip(), written, failAfter);
                                buf.clear();
                            }
                        }
                        continue;
                    }
                    double[] d = t.toArray();
                    for (int off = 0; off < d.length; ) {
                        int k = Math.min(d.length - off, buf.remaining() / 8);
                        buf.asDoubleBuffer().put(d, off, k);
                        buf.position(buf.position() + 8 * k);
                        off += k;
                        if (!buf.hasRemaining()) {
                            write(ch, buf.flip(), written, failAfter);
                            buf.clear();
                        }
                    }
                }
                write(ch, buf.flip(), written, failAfter);
                ch.force(true);
                try {
                    Files.move(tmp.path(), path, StandardCopyOption.ATOMIC_MOVE); // replaces the target
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("SafeTensors.save: " + path + ": this file system cannot rename atomically, "
                            + "so the file cannot be replaced without risk of tearing it", e);
                }
            } catch (Throwable t) {
                try {
                    Files.deleteIfExists(tmp.path());
                } catch (IOException e) {
                    t.addSuppressed(e);
                }
                throw t;
            }
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // make the rename itself durable
        } catch (IOException ignored) {
            // some platforms cannot open or force a directory; the file's data is on disk already
        }
    }

    private static byte[] header(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(path, "SafeTensors.save: path is null");
        Objects.requireNonNull(tensors, "SafeTensors.save: tensors is null");
        if (path.getFileName() == null) {
            throw new IllegalArgumentException("SafeTensors.save: " + path + " names no file");
        }
        StringBuilder h = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "SafeTensors.save: a tensor's name is null");
            Tensor t = Objects.requireNonNull(e.getValue(), () -> "SafeTensors.save: tensor '" + name + "' is null");
            if (name.equals("__metadata__")) {
                throw new IllegalArgumentException("SafeTensors.save: '__metadata__' is reserved and cannot name a tensor");
            }
            checkUnicode("tensor name", name);
            if (h.length() + name.length() > MAX_HEADER) { // a char is at least one byte of UTF-8
                throw tooLarge(h.length() + name.length(), tensors.size());
            }
            boolean f32 = t.dtype() == DType.FLOAT32;
            long bytes = (f32 ? 4L : 8L) * t.size();
            h.append(h.length() > 1 ? "," : "").append(Json.quote(name)).append(":{\"dtype\":\"")
                    .append(f32 ? "F32" : "F64").append("\",\"shape\":")
                    .append(Arrays.toString(t.shape()).replace(" ", "")).append(",\"data_offsets\":[").append(offset)
                    .append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        if (metadata != null && !metadata.isEmpty()) {
            h.append(h.length() > 1 ? "," : "").append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                String k = Objects.requireNonNull(e.getKey(), "SafeTensors.save: a metadata key is null");
                String v = Objects.requireNonNull(e.getValue(), () -> "SafeTensors.save: metadata '" + k + "' is null");
                checkUnicode("metadata key", k);
                checkUnicode("metadata value", v);
                h.append(first ? "" : ",").append(Json.quote(k)).append(':').append(Json.quote(v));
                first = false;
            }
            h.append('}');
        }
        h.append('}');
        byte[] b = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = b.length + (8 - b.length % 8) % 8; // pad with spaces so that the data starts 8-byte aligned
        if (padded > MAX_HEADER) {
            throw tooLarge(padded, tensors.size());
        }
        byte[] out = Arrays.copyOf(b, padded);
        Arrays.fill(out, b.length, padded, (byte) ' ');
        return out;
    }

    private static IllegalArgumentException tooLarge(long bytes, int tensors) {
        return new IllegalArgumentException("SafeTensors.save: the header would be " + bytes + " bytes or more, over the "
                + "format's limit of " + MAX_HEADER + " (" + tensors + " tensors)");
    }

    private static void checkUnicode(String what, String s) {
        int k = Json.unpairedSurrogate(s);
        if (k >= 0) {
            throw new IllegalArgumentException(String.format("SafeTensors.save: %s %s has an unpaired surrogate U+%04X at "
                    + "index %d; it cannot be written as UTF-8", what, Json.quote(s), (int) s.charAt(k), k));
        }
    }

    private static void write(FileChannel ch, ByteBuffer b, long[] written, long failAfter) throws IOException {
        while (b.hasRemaining()) {
            long room = failAfter - written[0];
            if (room <= 0) {
                throw new IOException("safetensors: simulated failure after " + written[0] + " bytes");
            }
            ByteBuffer part = room < b.remaining() ? b.slice().limit((int) room) : b;
            int n = ch.write(part);
            if (part != b) {
                b.position(b.position() + n);
            }
            written[0] += n;
        }
    }

    /** Reads a whole file; see the class comment for what is checked. */
    public static Contents load(Path path) throws IOException {
        Objects.requireNonNull(path, "SafeTensors.load: path is null");
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            PartialFiles.removeStale(dir);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw bad(path, "the file has " + size + " bytes, fewer than the 8 of the header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(path, ch, lenBuf, 0);
            long n = lenBuf.flip().getLong();
            if (n < 0 || n > MAX_HEADER) {
                throw bad(path, "header length " + Long.toUnsignedString(n) + " is over the format's limit of " + MAX_HEADER
                        + " bytes (not a safetensors file?)");
            }
            if (n > size - 8) {
                throw bad(path, "header length " + n + " runs past the end of the file (" + size + " bytes; truncated?)");
            }
            if (n < 2) {
                throw bad(path, "header length " + n + " is too short for a JSON object");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(path, ch, hb, 8);
            String text = utf8(path, hb.flip());
            if (text.charAt(0) != '{') {
                char c = text.charAt(0);
                throw bad(path, "the header must begin with '{', it begins with "
                        + (c > 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c)));
            }
            Map<?, ?> parsed;
            try {
                parsed = (Map<?, ?>) Json.parse(text); // an object, as it begins with '{'
            } catch (Json.SyntaxError e) {
                throw bad(path, "the header is not valid JSON: " + e.getMessage());
            }
            long dataStart = 8 + n;
            long dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : parsed.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    metadata(path, e.getValue(), metadata);
                } else {
                    entries.add(entry(path, name, e.getValue()));
                }
            }
            entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            Entry previous = null;
            long expected = 0;
            for (Entry e : entries) {
                if (e.begin < expected) {
                    throw bad(path, "tensor '" + e.name + "' (data bytes " + e.range() + ") overlaps tensor '" + previous.name
                            + "' (" + previous.range() + ")");
                }
                if (e.begin > expected) {
                    throw bad(path, "data bytes [" + expected + ", " + e.begin + ") belong to no tensor"
                            + (previous == null ? "" : " (between '" + previous.name + "' and '" + e.name + "')")
                            + "; tensors must be contiguous");
                }
                expected = e.end;
                previous = e;
            }
            if (expected > dataSize) {
                throw bad(path, "the tensors need " + expected + " bytes of data but the file holds " + dataSize
                        + " after its header (truncated?)");
            }
            if (expected < dataSize) {
                throw bad(path, "the file holds " + dataSize + " bytes of data after its header but the tensors cover only "
                        + expected + " (trailing bytes)");
            }
            for (Entry e : entries) { // the file is valid; can each tensor be a Tensor?
                String t = "tensor '" + e.name + "' of shape " + Arrays.toString(e.shape).replace(" ", "") + " (" + e.dtype + ", "
                        + (e.end - e.begin) + " bytes)";
                if (e.count > MAX_ELEMENTS) {
                    throw bad(path, t + " has " + e.count + " elements; a Tensor here holds at most " + MAX_ELEMENTS);
                }
                if (Arrays.stream(e.shape).anyMatch(x -> x > Integer.MAX_VALUE)) {
                    throw bad(path, t + " has a dimension over " + Integer.MAX_VALUE + ", more than a Tensor dimension can be");
                }
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                tensors.put(e.name, read(path, ch, dataStart, e));
            }
            Map<String, Tensor> ordered = new LinkedHashMap<>(); // the header's order, for the caller
            for (Object k : parsed.keySet()) {
                if (tensors.containsKey(k)) {
                    ordered.put((String) k, tensors.get(k));
                }
            }
            return new Contents(ordered, metadata);
        }
    }

    private static String utf8(Path path, ByteBuffer bytes) throws IOException {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer out = CharBuffer.allocate(bytes.remaining());
        CoderResult r = d.decode(bytes, out, true);
        if (r.isError()) {
            throw bad(path, "the header is not valid UTF-8 (bad byte at offset " + (8 + bytes.position()) + " of the file)");
        }
        d.flush(out);
        return out.flip().toString();
    }

    private static void metadata(Path path, Object value, Map<String, String> into) throws IOException {
        if (!(value instanceof Map)) {
            throw bad(path, "__metadata__ must be an object of strings, got " + kind(value));
        }
        for (Map.Entry<?, ?> m : ((Map<?, ?>) value).entrySet()) {
            if (!(m.getValue() instanceof String)) {
                throw bad(path, "__metadata__ value for '" + m.getKey() + "' must be a string, got " + kind(m.getValue()));
            }
            into.put((String) m.getKey(), (String) m.getValue());
        }
    }

    private record Entry(String name, String dtype, long[] shape, long count, long begin, long end) {
        String range() {
            return "[" + begin + ", " + end + ")";
        }
    }

    private static Entry entry(Path path, String name, Object value) throws IOException {
        String t = "tensor '" + name + "'";
        if (!(value instanceof Map)) {
            throw bad(path, t + " must be an object with dtype, shape and data_offsets, got " + kind(value));
        }
        Map<?, ?> m = (Map<?, ?>) value;
        for (String key : new String[] {"dtype", "shape", "data_offsets"}) {
            if (!m.containsKey(key)) {
                throw bad(path, t + " has no \"" + key + "\"");
            }
        }
        Object dtype = m.get("dtype");
        if (!(dtype instanceof String) || !DTYPES.contains(dtype)) {
            throw bad(path, t + " has dtype " + show(dtype) + ", which is not a safetensors dtype");
        }
        if (!READ.contains(dtype)) {
            throw bad(path, t + " has dtype " + dtype + "; this library reads F64, F32, F16, BF16, I64 and I32 only");
        }
        if (!(m.get("shape") instanceof List)) {
            throw bad(path, t + " has shape " + show(m.get("shape")) + ", expected an array of sizes");
        }
        List<?> shapeList = (List<?>) m.get("shape");
        long[] shape = new long[shapeList.size()];
        for (int i = 0; i < shape.length; i++) {
            Object d = shapeList.get(i);
            if (!(d instanceof Long) || (Long) d < 0) {
                throw bad(path, t + " has shape " + show(shapeList) + ": dimension " + i + " is " + show(d)
                        + ", expected an integer in [0, 2^63)");
            }
            shape[i] = (Long) d;
        }
        long count = 1;
        long bytes = 0;
        if (Arrays.stream(shape).noneMatch(x -> x == 0)) { // else it is empty, however large the other dimensions
            try {
                for (long x : shape) {
                    count = Math.multiplyExact(count, x);
                }
                bytes = Math.multiplyExact(count, width((String) dtype));
            } catch (ArithmeticException e) {
                throw bad(path, t + " has shape " + show(shapeList) + ", whose size is 2^63 bytes or more");
            }
        } else {
            count = 0;
        }
        Object offsets = m.get("data_offsets");
        List<?> o = offsets instanceof List ? (List<?>) offsets : List.of();
        if (o.size() != 2 || !(o.get(0) instanceof Long) || !(o.get(1) instanceof Long) || (Long) o.get(0) < 0
                || (Long) o.get(1) < (Long) o.get(0)) {
            throw bad(path, t + " has data_offsets " + show(offsets) + ", expected [begin, end] with 0 <= begin <= end");
        }
        long begin = (Long) o.get(0);
        long end = (Long) o.get(1);
        if (bytes != end - begin) {
            throw bad(path, t + " of shape " + show(shapeList) + " and dtype " + dtype + " needs " + bytes + " bytes, but its "
                    + "data_offsets " + show(offsets) + " span " + (end - begin));
        }
        return new Entry(name, (String) dtype, shape, count, begin, end);
    }

    /**
     * One tensor's data, read in chunks at long positions (a tensor can be larger than 2 GiB): float32 for F32, F16
     * and BF16, float64 for the others.
     */
    private static Tensor read(Path path, FileChannel ch, long dataStart, Entry e) throws IOException {
        boolean f32 = FLOAT32_DTYPES.contains(e.dtype);
        double[] d = null;
        float[] f = null;
        try {
            if (f32) {
                f = new float[(int) e.count];
            } else {
                d = new double[(int) e.count];
            }
        } catch (OutOfMemoryError oom) {
            throw bad(path, "tensor '" + e.name + "' has " + e.count + " elements (" + (f32 ? 4 : 8) * e.count + " bytes as "
                    + (f32 ? "floats" : "doubles") + "), more than this JVM's heap can give (at most "
                    + Runtime.getRuntime().maxMemory() + " bytes; see -Xmx)");
        }
        if (f32) {
            readInto(path, ch, dataStart + e.begin, f, e.dtype);
        } else {
            readInto(path, ch, dataStart + e.begin, d, e.dtype, e.name);
        }
        try {
            int[] shape = Arrays.stream(e.shape).mapToInt(x -> (int) x).toArray();
            return f32 ? Tensor.fromArray(f, shape) : shape.length == 0 ? Tensor.scalar(d[0]) : Tensor.fromArray(d, shape);
        } catch (OutOfMemoryError oom) { // fromArray copies the array
            throw bad(path, "tensor '" + e.name + "' has " + e.count + " elements; making it a Tensor needs twice its "
                    + (f32 ? 4 : 8) * e.count + " bytes, more than this JVM's heap can give (at most "
                    + Runtime.getRuntime().maxMemory() + " bytes; see -Xmx)");
        }
    }

    /** The dtypes read as float32 tensors: each of their values is a float32 exactly. */
    private static final Set<String> FLOAT32_DTYPES = Set.of("F32", "F16", "BF16");

    /** The dtypes this library reads. */
    private static final Set<String> READ = Set.of("F64", "F32", "F16", "BF16", "I64", "I32");

    private static int width(String dtype) {
        return dtype.equals("F64") || dtype.equals("I64") ? 8 : dtype.equals("F16") || dtype.equals("BF16") ? 2 : 4;
    }

    /** Fills {@code d} from little-endian F64 or F32 values starting at byte {@code position} of the file. */
    static void readInto(Path path, FileChannel ch, long position, double[] d, boolean f32) throws IOException {
        readInto(path, ch, position, d, f32 ? "F32" : "F64", "?");
    }

    /**
     * Fills {@code d} from little-endian values of {@code dtype} (F64, F32, I64, I32) from byte {@code position};
     * an I64 beyond 2^53 in magnitude, which a double would round, is refused, naming tensor {@code name}.
     */
    static void readInto(Path path, FileChannel ch, long position, double[] d, String dtype, String name) throws IOException {
        int width = width(dtype);
        ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        long pos = position;
        for (int off = 0; off < d.length; ) {
            int k = Math.min(d.length - off, CHUNK / width);
            b.clear().limit(k * width);
            readFully(path, ch, b, pos);
            b.flip();
            if (dtype.equals("F32")) {
                for (int j = 0; j < k; j++) {
                    d[off + j] = b.getFloat();
                }
            } else if (dtype.equals("I64")) {
                for (int j = 0; j < k; j++) {
                    long v = b.getLong();
                    if (v > 1L << 53 || v < -(1L << 53)) {
                        throw bad(path, "tensor '" + name + "' (I64) holds " + v + " at index " + (off + j)
                                + ", beyond 2^53 in magnitude, which a double cannot hold exactly");
                    }
                    d[off + j] = v;
                }
            } else if (dtype.equals("I32")) {
                for (int j = 0; j < k; j++) {
                    d[off + j] = b.getInt();
                }
            } else {
                b.asDoubleBuffer().get(d, off, k);
            }
            pos += (long) k * width;
            off += k;
        }
    }

    /** Fills {@code f} from little-endian values of {@code dtype} (F32, F16, BF16) from byte {@code position}. */
    static void readInto(Path path, FileChannel ch, long position, float[] f, String dtype) throws IOException {
        int width = width(dtype);
        ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        long pos = position;
        for (int off = 0; off < f.length; ) {
            int k = Math.min(f.length - off, CHUNK / width);
            b.clear().limit(k * width);
            readFully(path, ch, b, pos);
            b.flip();
            if (dtype.equals("F16")) {
                for (int j = 0; j < k; j++) {
                    f[off + j] = halfToFloat(b.getShort());
                }
            } else if (dtype.equals("BF16")) {
                for (int j = 0; j < k; j++) {
                    f[off + j] = bfloat16ToFloat(b.getShort());
                }
            } else {
                b.asFloatBuffer().get(f, off, k);
            }
            pos += (long) k * width;
            off += k;
        }
    }

    /**
     * An IEEE binary16 value (sign, 5 exponent bits biased by 15, 10 fraction bits) as the float32 it equals: normal
     * numbers rebias the exponent (15 to 127) and shift the fraction; subnormals are fraction * 2^-24, exact in
     * float32 (they are normal numbers there); the all-ones exponent is infinity (fraction 0) or NaN, whose payload
     * moves to the top of float32's fraction, as a hardware conversion (VCVTPH2PS) does.
     */
    static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int fraction = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | fraction << 13);
        }
        if (exp == 0) {
            float v = fraction * 0x1p-24f; // 0 or a subnormal
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | (exp + 127 - 15) << 23 | fraction << 13);
    }

    /** A bfloat16 value as the float32 it equals: bfloat16 is the top half of a float32's bits. */
    static float bfloat16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    private static void readFully(Path path, FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw bad(path, "the file ends at byte " + pos + ", before the data its header declares (was it changed "
                        + "while being read?)");
            }
            pos += r;
        }
    }

    private static String kind(Object v) {
        return v == null ? "null" : v instanceof Map ? "an object" : v instanceof List ? "an array" : v instanceof String
                ? "a string" : v instanceof Boolean ? "a boolean" : "a number";
    }

    /** A header value as JSON text (compact), for messages. */
    private static String show(Object v) {
        if (v instanceof String) {
            return Json.quote((String) v);
        }
        if (v instanceof List) {
            return "[" + ((List<?>) v).stream().map(SafeTensors::show).collect(Collectors.joining(",")) + "]";
        }
        if (v instanceof Map) {
            return "{" + ((Map<?, ?>) v).entrySet().stream().map(e -> show(e.getKey()) + ":" + show(e.getValue()))
                    .collect(Collectors.joining(",")) + "}";
        }
        return String.valueOf(v);
    }

    private static IOException bad(Path path, String what) {
        return new IOException("safetensors: " + path + ": " + what);
    }
}
