package dev.autodiff.nn.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The King James Bible (Authorized Version) as the Debian package {@code bible-kjv-text} installs it
 * ({@value #DEBIAN_FILE}): 31,102 verses, 4.4 MB of ASCII text, with no other program needed.
 *
 * <p>The file is the "EC02 Compressed Data File" of Chip Chapin's Bible Retrieval System (the {@code bible}
 * program). Its layout, all integers big-endian:
 * <pre>
 *   0    "EC"  magic
 *   2    "02"  version
 *   4    80 bytes: a description, NUL-padded ("Compressed Data File")
 *   84   int   window size W (bytes of text per window)
 *   88   int   window count n
 *   92   n + 1 ints: the file offset where each window's compressed bytes start, the last one the file's length
 *   then compress(1)'s 3-byte header (1F 9D, flags: block mode, maximum code width) and the windows
 * </pre>
 * Each window is an LZW stream of its own (compress's block mode, see {@link Lzw}) that decodes to exactly W bytes
 * of text, the last to at most W; the text is their concatenation. The text is a title line, then one line per
 * verse, {@code Ge1:1 In the beginning God created the heaven and the earth.}: the book's abbreviation (as
 * {@code bible} writes it: Ge, Exo, ..., 1Sm, ..., Rev), chapter, colon, verse, one space, the verse's text.
 *
 * <p>A missing file, one that is not in this format, whose window table disagrees with its length, or whose data
 * does not decode to whole windows of verse lines, gets an {@link IOException} naming the file and what is wrong.
 */
public final class KingJamesBible {
    /** Where {@code apt-get install bible-kjv-text} puts the text. */
    public static final String DEBIAN_FILE = "/usr/lib/bible.data";

    /** One verse: book abbreviation (as {@code bible}'s, e.g. "Ge", "1Sm", "Rev"), chapter, verse and text. */
    public record Verse(String book, int chapter, int verse, String text) {
        public Verse {
            Objects.requireNonNull(book, "KingJamesBible.Verse: book is null");
            Objects.requireNonNull(text, "KingJamesBible.Verse: text is null");
        }

        /** The reference as {@code bible} writes it: {@code Ge1:1}. */
        public String reference() {
            return book + chapter + ":" + verse;
        }
    }

    private static final int HEADER = 92;
    private static final int DESCRIPTION = 80;
    /** Larger windows than this are no EC02 file's (the Debian one has 65,536-byte windows). */
    private static final int MAX_WINDOW = 1 << 24;
    /**
     * At most this much decoded text (64 MiB; the KJV is 4.4 MB): a few KB of LZW can claim megabytes per window, so
     * a crafted header would otherwise decode until the heap runs out instead of failing as corrupt.
     */
    static final long MAX_TEXT = 64L << 20;
    private static final Pattern VERSE = Pattern.compile("([1-3]?[A-Za-z]+)([0-9]{1,3}):([0-9]{1,3}) (.*)");

    private final String title;
    private final List<Verse> verses;

    private KingJamesBible(String title, List<Verse> verses) {
        this.title = title;
        this.verses = verses;
    }

    /** Loads {@value #DEBIAN_FILE}. */
    public static KingJamesBible load() throws IOException {
        return load(Path.of(DEBIAN_FILE));
    }

    /** Loads an EC02 file of this layout (the {@code bible} program's {@code bible.data}). */
    public static KingJamesBible load(Path file) throws IOException {
        Objects.requireNonNull(file, "KingJamesBible.load: file is null");
        return parse(file, decode(file));
    }

    /** The title line ({@code Holy Bible, Authorized (King James) Version.  Textfile 930105.}). */
    public String title() {
        return title;
    }

    /** Every verse, in the file's order (Genesis 1:1 first). */
    public List<Verse> verses() {
        return verses;
    }

    /** The verses' texts, without references, each ended by a newline: the corpus a language model reads. */
    public String text() {
        StringBuilder b = new StringBuilder(4_400_000);
        for (Verse v : verses) {
            b.append(v.text()).append('\n');
        }
        return b.toString();
    }

    /**
     * The decoded bytes of an EC02 file: the whole text, title line and verse lines, exactly as stored.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static byte[] decode(Path file) throws IOException {
        Objects.requireNonNull(file, "KingJamesBible.decode: file is null");
        byte[] d;
        try {
            d = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file" + (file.toString().equals(DEBIAN_FILE)
                    ? "; on Debian or Ubuntu: apt-get install bible-kjv-text" : ""), e);
        }
        if (d.length < HEADER) {
            throw new IOException(file + ": truncated: " + d.length + " bytes, the EC02 header alone has " + HEADER);
        }
        if (d[0] != 'E' || d[1] != 'C') {
            throw new IOException(String.format("%s: not a bible data file: it starts with bytes 0x%02x 0x%02x, "
                    + "expected \"EC\"", file, d[0], d[1]));
        }
        if (d[2] != '0' || d[3] != '2') {
            boolean printable = d[2] >= 0x20 && d[2] < 0x7f && d[3] >= 0x20 && d[3] < 0x7f; // no NUL or newline in messages
            throw new IOException(file + ": EC file version " + (printable ? "\"" + (char) d[2] + (char) d[3] + "\""
                    : String.format("bytes 0x%02x 0x%02x", d[2] & 0xff, d[3] & 0xff)) + ", this reader knows \"02\"");
        }
        ByteBuffer bb = ByteBuffer.wrap(d);
        int window = bb.getInt(4 + DESCRIPTION);
        int count = bb.getInt(8 + DESCRIPTION);
        if (window <= 0 || window > MAX_WINDOW) {
            throw new IOException(file + ": window size " + window + " is outside [1, " + MAX_WINDOW + "]");
        }
        if (count <= 0 || (long) count * window > MAX_TEXT) {
            throw new IOException(file + ": window count " + count + " (of " + window + " bytes) is not a positive "
                    + "number whose text is at most " + (MAX_TEXT >> 20) + " MiB (the King James Bible is 4.4 MB)");
        }
        long tableEnd = HEADER + 4L * (count + 1);
        if (tableEnd + 3 > d.length) {
            throw new IOException(file + ": truncated: " + d.length + " bytes, the header says " + count
                    + " windows, whose table and compress header end at byte " + (tableEnd + 3));
        }
        int[] start = new int[count + 1];
        for (int w = 0; w <= count; w++) {
            start[w] = bb.getInt(HEADER + 4 * w);
        }
        if (start[count] != d.length) {
            throw new IOException(file + ": " + (start[count] > d.length ? "truncated" : "corrupt") + ": its window "
                    + "table says the data ends at byte " + Integer.toUnsignedString(start[count]) + ", the file has "
                    + d.length + " bytes");
        }
        int t = (int) tableEnd;
        if ((d[t] & 0xff) != 0x1f || (d[t + 1] & 0xff) != 0x9d) {
            throw new IOException(String.format("%s: the compressed data at byte %d starts with 0x%02x 0x%02x, "
                    + "expected compress's magic 0x1f 0x9d", file, t, d[t], d[t + 1]));
        }
        int flags = d[t + 2] & 0xff;
        int maxBits = flags & 0x1f;
        if ((flags & 0x80) == 0 || maxBits < 9 || maxBits > 16) {
            throw new IOException(String.format("%s: compress flags 0x%02x; expected block mode (0x80) and a maximum "
                    + "code width in [9, 16]", file, flags));
        }
        for (int w = 0; w < count; w++) {
            int low = w == 0 ? t + 3 : start[w - 1];
            if (start[w] < low || start[w] > d.length) {
                throw new IOException(file + ": corrupt: window " + w + " starts at byte "
                        + Integer.toUnsignedString(start[w]) + (start[w] < low ? ", before " + (w == 0
                        ? "the end of the headers, byte " + low : "window " + (w - 1) + "'s start, byte " + low)
                        : ", past the end of the file, byte " + d.length));
            }
        }
        // the text grows window by window into one array (doubling, capped by count x window <= MAX_TEXT): a damaged
        // header's size is never allocated up front, and nothing is copied but on growth and the final trim
        byte[] text = new byte[(int) Math.min((long) count * window, Math.max(window, 8L * d.length))];
        int size = 0;
        for (int w = 0; w < count; w++) {
            if (text.length - size < window) {
                text = Arrays.copyOf(text, (int) Math.min((long) count * window, Math.max(2L * text.length, size + (long) window)));
            }
            int got;
            try {
                got = Lzw.decode(d, start[w], start[w + 1], maxBits, text, size, window);
            } catch (Lzw.CorruptException e) {
                throw new IOException(file + ": corrupt: window " + w + " of " + count + ": " + e.getMessage(), e);
            }
            if (got != window && w < count - 1) {
                throw new IOException(file + ": corrupt or truncated: window " + w + " of " + count + " decodes to "
                        + got + " bytes, expected " + window);
            }
            size += got;
        }
        return size == text.length ? text : Arrays.copyOf(text, size);
    }

    private static KingJamesBible parse(Path file, byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            throw new IOException(file + ": the text is empty");
        }
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] < 0) {
                throw new IOException(String.format("%s: byte %d of the text is 0x%02x; the text is ASCII", file, i,
                        bytes[i] & 0xff));
            }
        }
        String all = new String(bytes, StandardCharsets.US_ASCII);
        if (!all.endsWith("\n")) {
            throw new IOException(file + ": the text does not end with a newline: truncated inside its last line");
        }
        int end = all.indexOf('\n');
        String title = all.substring(0, end);
        List<Verse> verses = new ArrayList<>(31_102);
        int line = 2;
        for (int from = end + 1; from < all.length(); from = end + 1, line++) {
            end = all.indexOf('\n', from);
            String s = all.substring(from, end);
            Matcher m = VERSE.matcher(s);
            if (!m.matches()) {
                throw new IOException(file + ": line " + line + " of the text is not a verse (\"Book1:2 text\"): \""
                        + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "\"");
            }
            verses.add(new Verse(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), m.group(4)));
        }
        if (verses.isEmpty()) {
            throw new IOException(file + ": the text has a title line and no verse");
        }
        return new KingJamesBible(title, Collections.unmodifiableList(verses));
    }
}
