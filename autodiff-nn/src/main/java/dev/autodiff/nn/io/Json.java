package dev.autodiff.nn.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) reader and writer for safetensors headers. Reading gives {@code Map} (in
 * the text's order; duplicate keys rejected), {@code List}, {@code String}, {@code Long} for integers that
 * fit, {@code BigInteger} for larger ones, {@code Double} for other numbers, {@code Boolean} and null.
 * Everything RFC 8259 forbids is refused: leading zeros, trailing commas, bad or unpaired backslash-u
 * escapes, control characters, trailing text. Nesting is limited so that a hostile header cannot exhaust
 * the stack.
 */
final class Json {
    private static final int MAX_DEPTH = 32;

    /** What is wrong with a text, and where (a character index). */
    static final class SyntaxError extends Exception {
        SyntaxError(int at, String what) {
            super("at character " + at + ": " + what);
        }
    }

    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    static Object parse(String text) throws SyntaxError {
        Json p = new Json(text);
        p.space();
        Object v = p.value(0);
        p.space();
        if (p.i != text.length()) {
            throw p.error("text after the end of the JSON value: " + p.found());
        }
        return v;
    }

    private Object value(int depth) throws SyntaxError {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH + " levels");
        }
        if (i >= s.length()) {
            throw error("the text ends where a value is expected");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{': return object(depth);
            case '[': return array(depth);
            case '"': return string();
            case 't': return literal("true", Boolean.TRUE);
            case 'f': return literal("false", Boolean.FALSE);
            case 'n': return literal("null", null);
            default:
                if (c == '-' || digit(c)) {
                    return number();
                }
                throw error("expected a value, found " + found());
        }
    }

    private Object literal(String word, Object v) throws SyntaxError {
        if (!s.startsWith(word, i)) {
            throw error("expected a value, found " + found());
        }
        i += word.length();
        return v;
    }

    private Map<String, Object> object(int depth) throws SyntaxError {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        space();
        if (peek('}')) {
            i++;
            return m;
        }
        while (true) {
            space();
            if (!peek('"')) {
                throw error(peek('}') ? "trailing comma before '}'" : "expected a key string, found " + found());
            }
            int at = i;
            String k = string();
            if (m.containsKey(k)) {
                throw new SyntaxError(at, "duplicate key " + quote(k));
            }
            space();
            expect(':', "after a key");
            space();
            m.put(k, value(depth + 1));
            space();
            if (peek(',')) {
                i++;
            } else {
                expect('}', "or ',' after a member of an object");
                return m;
            }
        }
    }

    private List<Object> array(int depth) throws SyntaxError {
        List<Object> a = new ArrayList<>();
        i++;
        space();
        if (peek(']')) {
            i++;
            return a;
        }
        while (true) {
            space();
            if (peek(']')) {
                throw error("trailing comma before ']'");
            }
            a.add(value(depth + 1));
            space();
            if (peek(',')) {
                i++;
            } else {
                expect(']', "or ',' after an element of an array");
                return a;
            }
        }
    }

    private String string() throws SyntaxError {
        i++; // the opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw new SyntaxError(i - 1, String.format("control character U+%04X in a string (it must be escaped)", (int) c));
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) {
                throw error("unterminated escape");
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"': b.append('"'); break;
                case '\\': b.append('\\'); break;
                case '/': b.append('/'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 't': b.append('\t'); break;
                case 'u':
                    char u = hex4();
                    if (Character.isLowSurrogate(u)) {
                        throw new SyntaxError(i - 6, "\\u escape of a lone low surrogate");
                    }
                    if (Character.isHighSurrogate(u)) {
                        if (!s.startsWith("\\u", i)) {
                            throw new SyntaxError(i - 6, "\\u escape of a high surrogate not followed by a low one");
                        }
                        i += 2;
                        char low = hex4();
                        if (!Character.isLowSurrogate(low)) {
                            throw new SyntaxError(i - 6, "\\u escape of a high surrogate not followed by a low one");
                        }
                        b.append(u);
                        u = low;
                    }
                    b.append(u);
                    break;
                default:
                    throw new SyntaxError(i - 2, "unknown escape \\" + e);
            }
        }
    }

    /** The four hex digits of a backslash-u escape, whose first two characters have been read. */
    private char hex4() throws SyntaxError {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int d = i + k < s.length() ? Character.digit(s.charAt(i + k), 16) : -1;
            if (d < 0 || s.charAt(i + k) > 'f') { // Character.digit also takes non-ASCII digits
                throw new SyntaxError(i - 2, "a \\u escape needs four hex digits");
            }
            v = v * 16 + d;
        }
        i += 4;
        return (char) v;
    }

    /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    private Object number() throws SyntaxError {
        int start = i;
        if (peek('-')) {
            i++;
        }
        if (peek('0')) {
            i++;
            if (i < s.length() && digit(s.charAt(i))) {
                throw new SyntaxError(start, "number with a leading zero");
            }
        } else if (i < s.length() && digit(s.charAt(i))) {
            digits();
        } else {
            throw error("expected a digit in a number, found " + found());
        }
        boolean integer = true;
        if (peek('.')) {
            i++;
            if (!(i < s.length() && digit(s.charAt(i)))) {
                throw error("expected a digit after the decimal point, found " + found());
            }
            digits();
            integer = false;
        }
        if (peek('e') || peek('E')) {
            i++;
            if (peek('+') || peek('-')) {
                i++;
            }
            if (!(i < s.length() && digit(s.charAt(i)))) {
                throw error("expected a digit in the exponent, found " + found());
            }
            digits();
            integer = false;
        }
        String t = s.substring(start, i);
        if (!integer) {
            return Double.parseDouble(t); // the grammar above is a subset of what parseDouble reads
        }
        BigInteger v = new BigInteger(t);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private void digits() {
        while (i < s.length() && digit(s.charAt(i))) {
            i++;
        }
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    private boolean peek(char c) {
        return i < s.length() && s.charAt(i) == c;
    }

    private void expect(char c, String context) throws SyntaxError {
        if (!peek(c)) {
            throw error("expected '" + c + "' " + context + ", found " + found());
        }
        i++;
    }

    private String found() {
        if (i >= s.length()) {
            return "the end of the text";
        }
        char c = s.charAt(i);
        return c < 0x20 || c > 0x7e ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }

    /** JSON's whitespace: space, tab, line feed, carriage return. */
    private void space() {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\n' || s.charAt(i) == '\r' || s.charAt(i) == '\t')) {
            i++;
        }
    }

    private SyntaxError error(String what) {
        return new SyntaxError(i, what);
    }

    /** A JSON string literal for {@code v}, which must be valid Unicode (no unpaired surrogate). */
    static String quote(String v) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** The index of the first unpaired surrogate in {@code v}, or -1 if it is valid Unicode. */
    static int unpairedSurrogate(String v) {
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            if (Character.isHighSurrogate(c) && k + 1 < v.length() && Character.isLowSurrogate(v.charAt(k + 1))) {
                k++;
            } else if (Character.isSurrogate(c)) {
                return k;
            }
        }
        return -1;
    }
}
