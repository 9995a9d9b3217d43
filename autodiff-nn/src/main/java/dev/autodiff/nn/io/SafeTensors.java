package dev.autodiff.nn.io;

import dev.autodiff.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {"name": {"dtype": "F64", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}}),
 * then the raw little-endian data, tensor after tensor with no holes. Writes F64; reads F64 and F32.
 *
 * <p>Saving is atomic: the file is written beside the target under a temporary name, forced to disk and
 * renamed over the target, so a crash or an error mid-save leaves the previous file intact. Loading checks
 * everything before it allocates: header size, JSON, dtypes, shapes against byte ranges, and that the
 * ranges lie in the file, do not overlap and leave no holes; a corrupt, truncated or hostile file gives an
 * {@link IllegalArgumentException} naming what is wrong.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Headers larger than this are refused (the reference implementation's limit). */
    static final long MAX_HEADER = 100L << 20;

    /** Tensors and string metadata read from a file. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    public static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        save(path, tensors, metadata, Long.MAX_VALUE);
    }

    /** As {@link #save}, failing with an IOException once {@code failAfter} bytes are written (for tests). */
    static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata, long failAfter) throws IOException {
        StringBuilder h = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("safetensors: '__metadata__' is reserved and cannot name a tensor");
            }
            Tensor t = e.getValue();
            long bytes = 8L * t.size();
            h.append(h.length() > 1 ? "," : "").append(Json.quote(e.getKey())).append(":{\"dtype\":\"F64\",\"shape\":")
                    .append(Arrays.toString(t.shape()).replace(" ", "")).append(",\"data_offsets\":[").append(offset)
                    .append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        if (metadata != null && !metadata.isEmpty()) {
            h.append(h.length() > 1 ? "," : "").append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                h.append(first ? "" : ",").append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
                first = false;
            }
            h.append('}');
        }
        h.append('}');
        while ((8 + h.length()) % 8 != 0) {
            h.append(' '); // pad the header with spaces so that the data starts 8-byte aligned
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);

        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                long[] written = {0};
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                write(ch, len, written, failAfter);
                write(ch, ByteBuffer.wrap(header), written, failAfter);
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Tensor t : tensors.values()) {
                    for (double v : t.toArray()) {
                        if (buf.remaining() < 8) {
                            write(ch, buf.flip(), written, failAfter);
                            buf.clear();
                        }
                        buf.putDouble(v);
                    }
                }
                write(ch, buf.flip(), written, failAfter);
                ch.force(true);
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // make the rename itself durable
            } catch (IOException ignored) {
                // some file systems cannot open a directory; the data is already on disk
            }
        } finally {
            Files.deleteIfExists(tmp);
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

    public static Contents load(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw bad(path, "the file has " + size + " bytes, fewer than the 8 of the header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.flip().getLong();
            if (n < 2 || n > MAX_HEADER || n > size - 8) {
                throw bad(path, "header length " + Long.toUnsignedString(n) + " is impossible for a file of " + size
                        + " bytes (limit " + MAX_HEADER + ")");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            Object parsed;
            try {
                parsed = Json.parse(StandardCharsets.UTF_8.newDecoder().decode(hb.flip()).toString());
            } catch (java.nio.charset.CharacterCodingException e) {
                throw bad(path, "the header is not UTF-8");
            }
            if (!(parsed instanceof Map)) {
                throw bad(path, "the header is not a JSON object");
            }
            long dataStart = 8 + n;
            long dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) parsed).entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (!(e.getValue() instanceof Map)) {
                        throw bad(path, "__metadata__ must be an object of strings");
                    }
                    for (Map.Entry<?, ?> m : ((Map<?, ?>) e.getValue()).entrySet()) {
                        if (!(m.getValue() instanceof String)) {
                            throw bad(path, "__metadata__ value for '" + m.getKey() + "' is not a string");
                        }
                        metadata.put((String) m.getKey(), (String) m.getValue());
                    }
                    continue;
                }
                entries.add(entry(path, name, e.getValue()));
            }
            entries.sort((a, b) -> Long.compare(a.begin, b.begin));
            long expected = 0;
            for (Entry e : entries) {
                if (e.begin != expected) {
                    throw bad(path, "tensor '" + e.name + "' starts at byte " + e.begin + " of the data, expected " + expected
                            + " (tensors must not overlap or leave holes)");
                }
                expected = e.end;
            }
            if (expected != dataSize) {
                throw bad(path, "the tensors cover " + expected + " bytes but the file holds " + dataSize
                        + " bytes of data (truncated, or trailing bytes)");
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                ByteBuffer b = ByteBuffer.allocate((int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, b, dataStart + e.begin);
                b.flip();
                double[] d = new double[(int) e.count];
                for (int i = 0; i < d.length; i++) {
                    d[i] = e.f32 ? b.getFloat() : b.getDouble();
                }
                tensors.put(e.name, e.shape.length == 0 ? Tensor.scalar(d[0]) : Tensor.fromArray(d, e.shape));
            }
            // keep the header's order for the caller
            Map<String, Tensor> ordered = new LinkedHashMap<>();
            for (Object k : ((Map<?, ?>) parsed).keySet()) {
                if (tensors.containsKey(k)) {
                    ordered.put((String) k, tensors.get(k));
                }
            }
            return new Contents(ordered, metadata);
        }
    }

    private record Entry(String name, boolean f32, int[] shape, long count, long begin, long end) {}

    private static Entry entry(Path path, String name, Object value) {
        if (!(value instanceof Map)) {
            throw bad(path, "entry '" + name + "' is not an object");
        }
        Map<?, ?> m = (Map<?, ?>) value;
        Object dtype = m.get("dtype");
        if (!"F64".equals(dtype) && !"F32".equals(dtype)) {
            throw bad(path, "tensor '" + name + "' has dtype " + dtype + "; this library reads F64 and F32");
        }
        if (!(m.get("shape") instanceof List) || !(m.get("data_offsets") instanceof List)) {
            throw bad(path, "tensor '" + name + "' needs a shape and data_offsets");
        }
        List<?> shapeList = (List<?>) m.get("shape");
        List<?> offsets = (List<?>) m.get("data_offsets");
        if (offsets.size() != 2 || !(offsets.get(0) instanceof Long) || !(offsets.get(1) instanceof Long)) {
            throw bad(path, "tensor '" + name + "' has data_offsets " + offsets + ", expected [begin, end]");
        }
        int[] shape = new int[shapeList.size()];
        long count = 1;
        try {
            for (int i = 0; i < shape.length; i++) {
                Object d = shapeList.get(i);
                if (!(d instanceof Long) || (Long) d < 0 || (Long) d > Integer.MAX_VALUE) {
                    throw bad(path, "tensor '" + name + "' has shape " + shapeList);
                }
                shape[i] = (int) (long) (Long) d;
                count = Math.multiplyExact(count, shape[i]);
            }
            long bytes = Math.multiplyExact(count, "F32".equals(dtype) ? 4L : 8L);
            long begin = (Long) offsets.get(0);
            long end = (Long) offsets.get(1);
            if (begin < 0 || end < begin || end - begin != bytes || count > Integer.MAX_VALUE - 8) {
                throw bad(path, "tensor '" + name + "' of shape " + shapeList + " (" + bytes + " bytes) has data_offsets "
                        + offsets);
            }
            return new Entry(name, "F32".equals(dtype), shape, count, begin, end);
        } catch (ArithmeticException e) {
            throw bad(path, "tensor '" + name + "' declares a shape " + shapeList + " too large to exist");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw new IllegalArgumentException("safetensors: unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    private static IllegalArgumentException bad(Path path, String what) {
        return new IllegalArgumentException("safetensors: " + path + ": " + what);
    }
}
