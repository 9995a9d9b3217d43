package dev.autodiff.nn.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A token &lt;-&gt; index table built from a token stream. Tokens seen fewer than {@code minCount} times are left out
 * and encode as the unknown token, when there is one. The order is deterministic: the unknown token (if any) has
 * index 0; then the kept tokens by count, most frequent first, ties in the order of their first appearance in the
 * stream (so the same stream always gives the same indices, and a stream whose tokens all appear once keeps its
 * order). The unknown token's count is the total count of the tokens left out.
 */
public final class Vocabulary {
    /** The default unknown token. */
    public static final String UNKNOWN = "<unk>";

    private final List<String> tokens;
    private final long[] counts;
    private final Map<String, Integer> index;
    private final int unknown;

    private Vocabulary(List<String> tokens, long[] counts, int unknown) {
        this.tokens = Collections.unmodifiableList(tokens);
        this.counts = counts;
        this.unknown = unknown;
        this.index = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            index.put(tokens.get(i), i);
        }
    }

    /** Every token of the stream (min count 1), no unknown token: encoding an unseen token throws. */
    public static Vocabulary of(Collection<String> stream) {
        return of(stream, 1, null);
    }

    /**
     * Tokens seen at least {@code minCount} times; the others encode as {@code unknown} (index 0), or, when
     * {@code unknown} is null, are left out and refused by {@link #encode}.
     *
     * @throws IllegalArgumentException for minCount &lt; 1, a null token, or an unknown token that is also a kept one
     */
    public static Vocabulary of(Collection<String> stream, int minCount, String unknown) {
        Objects.requireNonNull(stream, "Vocabulary.of: the token stream is null");
        if (minCount < 1) {
            throw new IllegalArgumentException("Vocabulary.of: minCount must be >= 1, got " + minCount);
        }
        Map<String, long[]> seen = new LinkedHashMap<>(); // first appearance order
        for (String t : stream) {
            if (t == null) {
                throw new IllegalArgumentException("Vocabulary.of: the token stream holds a null token");
            }
            seen.computeIfAbsent(t, k -> new long[1])[0]++;
        }
        List<Map.Entry<String, long[]>> kept = new ArrayList<>();
        long dropped = 0;
        for (Map.Entry<String, long[]> e : seen.entrySet()) {
            if (e.getValue()[0] >= minCount) {
                kept.add(e);
            } else {
                dropped += e.getValue()[0];
            }
        }
        if (unknown != null && seen.containsKey(unknown) && seen.get(unknown)[0] >= minCount) {
            throw new IllegalArgumentException("Vocabulary.of: the unknown token \"" + unknown + "\" is also a token of "
                    + "the stream, seen " + seen.get(unknown)[0] + " times; choose another");
        }
        kept.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])); // stable: ties keep first appearance
        List<String> tokens = new ArrayList<>(kept.size() + 1);
        long[] counts = new long[kept.size() + (unknown == null ? 0 : 1)];
        if (unknown != null) {
            tokens.add(unknown);
            counts[0] = dropped;
        }
        for (Map.Entry<String, long[]> e : kept) {
            counts[tokens.size()] = e.getValue()[0];
            tokens.add(e.getKey());
        }
        return new Vocabulary(tokens, counts, unknown == null ? -1 : 0);
    }

    public int size() {
        return tokens.size();
    }

    /** The tokens by index. */
    public List<String> tokens() {
        return tokens;
    }

    /** The token at {@code index}. */
    public String token(int index) {
        check("Vocabulary.token", index);
        return tokens.get(index);
    }

    /** The index of {@code token}: the unknown token's for one left out, or -1 without an unknown token. */
    public int index(String token) {
        Objects.requireNonNull(token, "Vocabulary.index: token is null");
        Integer i = index.get(token);
        return i != null ? i : unknown;
    }

    /** Whether {@code token} has an index of its own. */
    public boolean contains(String token) {
        return index.containsKey(Objects.requireNonNull(token, "Vocabulary.contains: token is null"));
    }

    /** How often the token at {@code index} appeared in the stream (the unknown token: all left-out tokens). */
    public long count(int index) {
        check("Vocabulary.count", index);
        return counts[index];
    }

    /** The unknown token's index (0), or -1 when this vocabulary has none. */
    public int unknownIndex() {
        return unknown;
    }

    /**
     * The indices of {@code tokens}; a token left out maps to the unknown token.
     *
     * @throws IllegalArgumentException for a token this vocabulary lacks when it has no unknown token
     */
    public int[] encode(List<String> tokens) {
        Objects.requireNonNull(tokens, "Vocabulary.encode: tokens is null");
        int[] out = new int[tokens.size()];
        int k = 0;
        for (String t : tokens) {
            if (t == null) {
                throw new IllegalArgumentException("Vocabulary.encode: token " + k + " is null");
            }
            Integer i = index.get(t);
            if (i == null) {
                if (unknown < 0) {
                    throw new IllegalArgumentException("Vocabulary.encode: token " + k + " \"" + t + "\" is not in the "
                            + "vocabulary of " + size() + ", which has no unknown token");
                }
                i = unknown;
            }
            out[k++] = i;
        }
        return out;
    }

    /** The tokens at {@code indices}. */
    public List<String> decode(int[] indices) {
        Objects.requireNonNull(indices, "Vocabulary.decode: indices is null");
        List<String> out = new ArrayList<>(indices.length);
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] < 0 || indices[k] >= size()) {
                throw new IllegalArgumentException("Vocabulary.decode: index " + k + " is " + indices[k]
                        + ", outside [0, " + size() + ")");
            }
            out.add(tokens.get(indices[k]));
        }
        return out;
    }

    private void check(String who, int i) {
        if (i < 0 || i >= size()) {
            throw new IllegalArgumentException(who + ": index " + i + " is outside [0, " + size() + ")");
        }
    }

    @Override
    public String toString() {
        int show = Math.min(size(), 10);
        return "Vocabulary(" + size() + " tokens: " + String.join(" ", tokens.subList(0, show))
                + (show < size() ? " ..." : "") + ")";
    }

    /** The counts by index, a copy. */
    public long[] counts() {
        return Arrays.copyOf(counts, counts.length);
    }
}
