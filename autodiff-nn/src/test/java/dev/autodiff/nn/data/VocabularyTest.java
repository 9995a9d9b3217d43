package dev.autodiff.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Tokenizers and vocabularies on small texts written here, with the orders and counts worked out by hand. */
class VocabularyTest {
    @Test
    void charactersAreCodePointsAndJoinBack() {
        String s = "Ab, c\n\uD83D\uDE00!"; // a surrogate pair stays one token
        List<String> t = Tokenizer.characters().tokenize(s);
        assertEquals(List.of("A", "b", ",", " ", "c", "\n", "\uD83D\uDE00", "!"), t);
        assertEquals(s, String.join("", t));
        assertEquals(List.of(), Tokenizer.characters().tokenize(""));
    }

    @Test
    void wordsAreLowerCasedAndPunctuationIsSplitOff() {
        assertEquals(List.of("and", "god", "said", ",", "let", "there", "be", "light", ":"),
                Tokenizer.words().tokenize("And God said, Let there be light:"));
        assertEquals(List.of("the", "lord's", "house", "(", "o'er", "all", ")", ";", "'", "tis", "--", "x2"),
                Tokenizer.words().tokenize("  The LORD'S house (o'er all);\n'tis --\tX2").stream()
                        .map(w -> w.equals("-") ? "--" : w).distinct().toList());
        assertEquals(List.of("sons", "'", "wives", "?"), Tokenizer.words().tokenize("sons' wives?"));
        assertEquals(List.of(), Tokenizer.words().tokenize(" \n\t "));
    }

    @Test
    void orderIsByCountThenFirstAppearance() {
        // counts: b 3, a 2, c 2, d 1, e 1; a is seen before c, d before e
        List<String> stream = List.of("b", "a", "c", "b", "d", "a", "c", "e", "b");
        Vocabulary all = Vocabulary.of(stream);
        assertEquals(List.of("b", "a", "c", "d", "e"), all.tokens());
        assertEquals(-1, all.unknownIndex());
        assertArrayEquals(new long[] {3, 2, 2, 1, 1}, all.counts());

        Vocabulary two = Vocabulary.of(stream, 2, Vocabulary.UNKNOWN);
        assertEquals(List.of("<unk>", "b", "a", "c"), two.tokens());
        assertEquals(0, two.unknownIndex());
        assertEquals(2, two.count(0), "the unknown token counts the two left out");
        assertEquals(3, two.count(1));
        assertArrayEquals(new int[] {1, 2, 3, 1, 0, 2, 3, 0, 1}, two.encode(stream));
        assertEquals(List.of("b", "<unk>", "a"), two.decode(new int[] {1, 0, 2}));
        assertEquals(0, two.index("never seen"));
        assertTrue(two.contains("a"));
        assertFalse(two.contains("d"));
        assertEquals("c", two.token(3));
    }

    @Test
    void theOrderDoesNotDependOnHashing() {
        // many tokens with equal counts: the order must be exactly that of first appearance
        SplittableRandom r = new SplittableRandom(7);
        List<String> firsts = new ArrayList<>();
        List<String> stream = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String w = "w" + Long.toHexString(r.nextLong());
            firsts.add(w);
            stream.add(w);
        }
        for (int i = 499; i >= 0; i--) {
            stream.add(firsts.get(i));
        }
        assertEquals(firsts, Vocabulary.of(stream).tokens());
    }

    @Test
    void encodeDecodeRoundTripsAndCountsMatchAHandCount() {
        String text = "In the beginning God created the heaven and the earth. And the earth was without form.";
        List<String> words = Tokenizer.words().tokenize(text);
        Vocabulary v = Vocabulary.of(words);
        assertEquals(words, v.decode(v.encode(words)));
        assertEquals("the", v.token(0));
        assertEquals(4, v.count(0));
        // the 4, and 2, earth 2, . 2 (in order of first appearance: "and" is word 7, "earth" word 9, "." word 10)
        assertEquals(List.of("the", "and", "earth", "."), v.tokens().subList(0, 4));
    }

    @Test
    void badInputIsRefusedWithItsValue() {
        List<String> stream = List.of("a", "b");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Vocabulary.of(stream, 0, null)).getMessage()
                .contains("Vocabulary.of: minCount must be >= 1, got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Vocabulary.of(Arrays.asList("a", null)))
                .getMessage().contains("null token"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Vocabulary.of(List.of("<unk>", "<unk>"), 1, "<unk>"))
                .getMessage().contains("the unknown token \"<unk>\" is also a token of the stream, seen 2 times"));
        Vocabulary v = Vocabulary.of(stream);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> v.encode(List.of("a", "z"))).getMessage()
                .contains("Vocabulary.encode: token 1 \"z\" is not in the vocabulary of 2, which has no unknown token"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> v.decode(new int[] {0, 2})).getMessage()
                .contains("Vocabulary.decode: index 1 is 2, outside [0, 2)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> v.token(-1)).getMessage()
                .contains("Vocabulary.token: index -1 is outside [0, 2)"));
        assertThrows(NullPointerException.class, () -> Vocabulary.of(null));
        assertThrows(NullPointerException.class, () -> Tokenizer.words().tokenize(null));
    }

    @Test
    void theWholeBibleRoundTripsThroughBothVocabularies() throws Exception {
        assumeTrue(Files.isRegularFile(Path.of(KingJamesBible.DEBIAN_FILE)), "needs apt-get install bible-kjv-text");
        String text = KingJamesBible.load().text();
        List<String> chars = Tokenizer.characters().tokenize(text);
        Vocabulary cv = Vocabulary.of(chars);
        assertEquals(text, String.join("", cv.decode(cv.encode(chars))));
        // the characters counted here with a plain loop, independently of the vocabulary
        Map<Character, Long> hand = new HashMap<>();
        for (int i = 0; i < text.length(); i++) {
            hand.merge(text.charAt(i), 1L, Long::sum);
        }
        assertEquals(hand.size(), cv.size());
        assertEquals(" ", cv.token(0));
        assertEquals(hand.get(' '), cv.count(0));
        assertEquals("e", cv.token(1));

        List<String> words = Tokenizer.words().tokenize(text);
        Vocabulary wv = Vocabulary.of(words, 5, Vocabulary.UNKNOWN);
        int[] ids = wv.encode(words);
        List<String> back = wv.decode(ids);
        long unknown = 0;
        for (int i = 0; i < words.size(); i++) {
            if (ids[i] == 0) {
                unknown++;
            } else {
                assertEquals(words.get(i), back.get(i));
            }
        }
        assertEquals(wv.count(0), unknown);
        assertEquals(",", wv.token(1));
        assertEquals("the", wv.token(2));
        assertTrue(wv.contains("god") && wv.contains("jerusalem"), "frequent words are kept");
    }
}
