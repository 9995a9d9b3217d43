package dev.autodiff.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The EC02 reader against two independent encoders: a small file whose windows Debian's compress(1) wrote
 * (fixtures/tiny.bible.data, by autodiff-bench/tools/make_ec02_fixture.py: a full 10-bit table, a CLEAR in mid
 * window, the KwKwK case), and, when bible-kjv-text is installed, the real file against what the bible program
 * prints from it (autodiff-bench/tools/kjv_oracle.sh). Damaged files are made here from the fixture.
 */
class KingJamesBibleTest {
    @TempDir
    Path dir;

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = KingJamesBibleTest.class.getResourceAsStream("/fixtures/" + name)) {
            assertTrue(in != null, "missing test resource fixtures/" + name);
            return in.readAllBytes();
        }
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private String failure(byte[] file) throws IOException {
        Path p = write("bad.data", file);
        return assertThrows(IOException.class, () -> KingJamesBible.load(p)).getMessage();
    }

    @Test
    void decodesWindowsThatCompressWrote() throws IOException {
        byte[] data = resource("tiny.bible.data");
        byte[] text = resource("tiny.bible.txt");
        assertEquals(2, ByteBuffer.wrap(data).getInt(88), "the fixture has two windows");
        assertArrayEquals(text, KingJamesBible.decode(write("tiny.data", data)));

        KingJamesBible bible = KingJamesBible.load(dir.resolve("tiny.data"));
        String[] lines = new String(text, StandardCharsets.US_ASCII).split("\n");
        assertEquals(lines[0], bible.title());
        assertEquals(lines.length - 1, bible.verses().size());
        KingJamesBible.Verse first = bible.verses().get(0);
        assertEquals("Ge", first.book());
        assertEquals(1, first.chapter());
        assertEquals(1, first.verse());
        assertEquals(lines[1], first.reference() + " " + first.text());
        KingJamesBible.Verse last = bible.verses().get(bible.verses().size() - 1);
        assertEquals(lines[lines.length - 1], last.reference() + " " + last.text());
        assertTrue(bible.verses().stream().anyMatch(v -> v.book().equals("1Sm")), "a book whose name starts with a digit");
        StringBuilder verseTexts = new StringBuilder();
        for (int i = 1; i < lines.length; i++) {
            verseTexts.append(lines[i], lines[i].indexOf(' ') + 1, lines[i].length()).append('\n');
        }
        assertEquals(verseTexts.toString(), bible.text());
    }

    @Test
    void refusesDamagedFilesSayingWhatIsWrong() throws IOException {
        byte[] good = resource("tiny.bible.data");
        ByteBuffer bb = ByteBuffer.wrap(good);
        int dataStart = 92 + 4 * 3 + 3;
        int window1 = bb.getInt(96);

        assertTrue(failure(Arrays.copyOf(good, 50)).contains("truncated: 50 bytes, the EC02 header alone has 92"));
        assertTrue(failure(Arrays.copyOf(good, 100)).contains("truncated: 100 bytes, the header says 2 windows"));
        String cut = failure(Arrays.copyOf(good, good.length - 10));
        assertTrue(cut.contains("truncated: its window table says the data ends at byte " + good.length
                + ", the file has " + (good.length - 10) + " bytes"), cut);
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertTrue(failure(longer).contains("corrupt: its window table says the data ends at byte " + good.length));

        byte[] magic = good.clone();
        magic[0] = 'X';
        assertTrue(failure(magic).contains("not a bible data file: it starts with bytes 0x58 0x43, expected \"EC\""));
        byte[] version = good.clone();
        version[3] = '1';
        assertTrue(failure(version).contains("EC file version \"01\", this reader knows \"02\""));
        byte[] window = good.clone();
        ByteBuffer.wrap(window).putInt(84, 0);
        assertTrue(failure(window).contains("window size 0 is outside [1, 16777216]"));
        byte[] count = good.clone();
        ByteBuffer.wrap(count).putInt(88, -1);
        assertTrue(failure(count).contains("window count -1"));
        // a few KB of LZW can claim 16 MiB a window: more text than 64 MiB is refused before any is decoded
        byte[] bomb = good.clone();
        ByteBuffer.wrap(bomb).putInt(84, 1 << 24).putInt(88, 5);
        assertTrue(failure(bomb).contains("window count 5 (of 16777216 bytes) is not a positive number whose text is at most 64 MiB"));
        byte[] unprintable = good.clone();
        unprintable[2] = '\n';
        assertTrue(failure(unprintable).contains("EC file version bytes 0x0a 0x32, this reader knows \"02\""));
        byte[] order = good.clone();
        ByteBuffer.wrap(order).putInt(96, dataStart - 1);
        assertTrue(failure(order).contains("corrupt: window 1 starts at byte " + (dataStart - 1)));
        byte[] z = good.clone();
        z[dataStart - 3] = 0x1f;
        z[dataStart - 2] = (byte) 0x8b;
        assertTrue(failure(z).contains("expected compress's magic 0x1f 0x9d"));
        byte[] flags = good.clone();
        flags[dataStart - 1] = (byte) 0x91;
        assertTrue(failure(flags).contains("compress flags 0x91"));

        // a window whose stream ends early decodes to too few bytes
        byte[] shortWindow = good.clone();
        ByteBuffer.wrap(shortWindow).putInt(92 + 4, window1); // window 0 keeps its start, window 1 starts ...
        ByteBuffer.wrap(shortWindow).putInt(92, window1 - 40); // ... and window 0 is only its last 40 bytes
        String s = failure(shortWindow);
        assertTrue(s.contains("window 0 of 2"), s);

        // codes that name strings not yet defined
        byte[] garbage = good.clone();
        Arrays.fill(garbage, dataStart + 100, dataStart + 140, (byte) 0xff);
        String g = failure(garbage);
        assertTrue(g.contains("corrupt: window 0 of 2: code ") && g.contains("are defined there"), g);
        assertTrue(g.startsWith(dir.resolve("bad.data").toString()), "names the file: " + g);
    }

    @Test
    void refusesTextThatIsNotVerseLines() throws IOException {
        String good = "Title\nGe1:1 In the beginning.\n";
        assertEquals("In the beginning.", KingJamesBible.load(write("ok", ec02(good))).verses().get(0).text());
        assertTrue(failure(ec02("Title\nGe1:1 fine\nnot a verse\n")).contains(
                "line 3 of the text is not a verse (\"Book1:2 text\"): \"not a verse\""));
        assertTrue(failure(ec02("Title\nGe1:1 no newline at the end")).contains("does not end with a newline"));
        assertTrue(failure(ec02("Title\n")).contains("no verse"));
        assertTrue(failure(ec02("")).contains("the text is empty"));
        assertTrue(failure(ec02("Title\nGe1:1 caf\u00e9\n")).contains("is 0xe9; the text is ASCII"));
    }

    /**
     * One window holding {@code text} (Latin-1 bytes) as literal codes only: the simplest valid LZW stream. The
     * decoder adds an entry per code after the first, so the width grows from 9 bits when 512 codes are defined,
     * each width's codes packed from a fresh group of n bytes.
     */
    private static byte[] ec02(String text) {
        byte[] t = text.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream codes = new ByteArrayOutputStream();
        long acc = 0;
        int accBits = 0;
        int nBits = 9;
        int groupBits = 0; // bits written in the current width's run, for the padding to a whole group
        int free = 257;
        for (int i = 0; i < t.length; i++) {
            acc |= (long) (t[i] & 0xff) << accBits;
            accBits += nBits;
            groupBits += nBits;
            while (accBits >= 8) {
                codes.write((int) acc & 0xff);
                acc >>>= 8;
                accBits -= 8;
            }
            if (i > 0) {
                free++;
            }
            if (free > (1 << nBits) - 1 && i + 1 < t.length) {
                int pad = (nBits * 8 - groupBits % (nBits * 8)) % (nBits * 8);
                accBits += pad;
                while (accBits >= 8) {
                    codes.write((int) acc & 0xff);
                    acc >>>= 8;
                    accBits -= 8;
                }
                nBits++;
                groupBits = 0;
            }
        }
        if (accBits > 0) {
            codes.write((int) acc & 0xff);
        }
        byte[] c = codes.toByteArray();
        ByteBuffer b = ByteBuffer.allocate(92 + 8 + 3 + c.length);
        b.put("EC02".getBytes(StandardCharsets.US_ASCII)).position(84);
        b.putInt(Math.max(1, t.length)).putInt(1).putInt(92 + 8 + 3).putInt(92 + 8 + 3 + c.length);
        b.put((byte) 0x1f).put((byte) 0x9d).put((byte) 0x90).put(c);
        return b.array();
    }

    @Test
    void literalCodesAcrossAWidthChange() throws IOException {
        // 700 bytes: codes 9 bits wide for the first 256 entries, then 10 bits: the padding must match the reader's
        StringBuilder s = new StringBuilder("Title\n");
        while (s.length() < 700) {
            s.append("Ge1:").append(s.length() % 97 + 1).append(" Verse text, and more of it.\n");
        }
        Path p = write("wide", ec02(s.toString()));
        assertEquals(s.toString(), new String(KingJamesBible.decode(p), StandardCharsets.US_ASCII));
    }

    // ---- the real file, against the bible program's own decoding (autodiff-bench/tools/kjv_oracle.sh) ----

    private static final Path REAL = Path.of(KingJamesBible.DEBIAN_FILE);

    @Test
    void theDebianFileDecodesAsTheBibleProgramPrintsIt() throws Exception {
        assumeTrue(Files.isRegularFile(REAL), "needs apt-get install bible-kjv-text");
        byte[] all = KingJamesBible.decode(REAL);
        int firstLine = indexOf(all, (byte) '\n') + 1;
        byte[] verseLines = Arrays.copyOfRange(all, firstLine, all.length);
        assertEquals(4_404_412, verseLines.length);
        assertEquals("cd45f0c9cedab8e4439bd6486c8952c77cc8b0ecc5d1f6ae3513f2039f47229d",
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(verseLines)));

        KingJamesBible bible = KingJamesBible.load();
        assertTrue(bible.title().startsWith("Holy Bible, Authorized (King James) Version."), bible.title());
        List<KingJamesBible.Verse> verses = bible.verses();
        assertEquals(31_102, verses.size());
        Map<String, String> byRef = verses.stream().collect(Collectors.toMap(KingJamesBible.Verse::reference,
                KingJamesBible.Verse::text));
        assertEquals("In the beginning God created the heaven and the earth.", byRef.get("Ge1:1"));
        // Ge20:6 and Isa45:16 cross window boundaries (bytes 65,536 and 40 x 65,536 of the text)
        assertEquals("And God said unto him in a dream, Yea, I know that thou didst this in the integrity of thy "
                + "heart; for I also withheld thee from sinning against me: therefore suffered I thee not to touch "
                + "her.", byRef.get("Ge20:6"));
        assertEquals("They shall be ashamed, and also confounded, all of them: they shall go to confusion together "
                + "that are makers of idols.", byRef.get("Isa45:16"));
        assertEquals("That the LORD called Samuel: and he answered, Here am I.", byRef.get("1Sm3:4"));
        assertEquals("For God so loved the world, that he gave his only begotten Son, that whosoever believeth in "
                + "him should not perish, but have everlasting life.", byRef.get("John3:16"));
        assertEquals("I have gone astray like a lost sheep; seek thy servant; for I do not forget thy "
                + "commandments.", byRef.get("Psa119:176"));
        KingJamesBible.Verse last = verses.get(verses.size() - 1);
        assertEquals("Rev22:21 The grace of our Lord Jesus Christ be with you all. Amen.",
                last.reference() + " " + last.text());
        assertEquals(66, verses.stream().map(KingJamesBible.Verse::book).distinct().count(), "books");
        assertTrue(bible.text().startsWith("In the beginning God created the heaven and the earth.\nAnd the earth"));
    }

    @Test
    void aMissingDebianFileSaysWhatToInstall() {
        assumeFalse(Files.exists(REAL), "bible-kjv-text is installed");
        String m = assertThrows(IOException.class, KingJamesBible::load).getMessage();
        assertTrue(m.contains("/usr/lib/bible.data: no such file; on Debian or Ubuntu: apt-get install bible-kjv-text"), m);
    }

    @Test
    void aMissingOtherFileSaysOnlyThatItIsMissing() {
        Path p = dir.resolve("nothing.data");
        String m = assertThrows(IOException.class, () -> KingJamesBible.load(p)).getMessage();
        assertEquals(p + ": no such file", m);
    }

    private static int indexOf(byte[] a, byte b) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
