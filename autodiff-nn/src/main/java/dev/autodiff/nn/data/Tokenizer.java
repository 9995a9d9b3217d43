package dev.autodiff.nn.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Splits text into tokens. Two rules:
 * <ul>
 *   <li>{@link #characters()}: one token per Unicode code point, whitespace and newlines included, so that
 *       joining the tokens gives the text back;</li>
 *   <li>{@link #words()}: lower-cased (in {@link Locale#ROOT}); a word is a maximal run of letters and digits, with
 *       an apostrophe between two letters kept inside it ({@code lord's}, {@code o'er}); every other character that
 *       is not whitespace (punctuation: {@code , . ; : ? ! ( ) -} and an apostrophe not between letters) is a token of
 *       its own; whitespace only separates. {@code "And God said, Let there be light:"} gives {@code and god said ,
 *       let there be light :}.</li>
 * </ul>
 */
@FunctionalInterface
public interface Tokenizer {
    /** The tokens of {@code text}, in order. */
    List<String> tokenize(String text);

    /** One token per code point (ASCII tokens are shared constants, so a long text costs one reference each). */
    static Tokenizer characters() {
        return text -> {
            Objects.requireNonNull(text, "Tokenizer.characters: text is null");
            List<String> out = new ArrayList<>(text.length());
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                out.add(cp < Ascii.ONE.length ? Ascii.ONE[cp] : Character.toString(cp));
                i += Character.charCount(cp);
            }
            return out;
        };
    }

    /** Lower-cased words and single punctuation characters; see the class comment for the rule. */
    static Tokenizer words() {
        return text -> {
            Objects.requireNonNull(text, "Tokenizer.words: text is null");
            String s = text.toLowerCase(Locale.ROOT);
            List<String> out = new ArrayList<>();
            int n = s.length();
            int i = 0;
            while (i < n) {
                int cp = s.codePointAt(i);
                int len = Character.charCount(cp);
                if (Character.isWhitespace(cp)) {
                    i += len;
                } else if (Character.isLetterOrDigit(cp)) {
                    int j = i + len;
                    while (j < n) {
                        int c = s.codePointAt(j);
                        if (Character.isLetterOrDigit(c)) {
                            j += Character.charCount(c);
                        } else if (c == '\'' && Character.isLetter(s.codePointBefore(j)) && j + 1 < n
                                && Character.isLetter(s.codePointAt(j + 1))) {
                            j++;
                        } else {
                            break;
                        }
                    }
                    out.add(s.substring(i, j));
                    i = j;
                } else {
                    out.add(cp < Ascii.ONE.length ? Ascii.ONE[cp] : Character.toString(cp));
                    i += len;
                }
            }
            return out;
        };
    }
}

/** The 128 one-character ASCII strings (constants, never changed), shared by the tokenizers. */
final class Ascii {
    private Ascii() {}

    static final String[] ONE = new String[128];

    static {
        for (int c = 0; c < ONE.length; c++) {
            ONE[c] = String.valueOf((char) c);
        }
    }
}
